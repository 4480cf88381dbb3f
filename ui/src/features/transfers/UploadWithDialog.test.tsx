import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Account } from "../../backend";
import { FakeBackend, fakeService } from "../../backend/fake";
import { renderWith } from "../../test/render";
import { defaultDestination, UploadWithHost } from "./UploadWithDialog";

const work: Account = {
  id: "acc-2",
  label: "Work drive",
  serverUrl: "https://work.example.com",
  email: "me@work.example.com",
  nickname: "Me",
  active: false,
  signedIn: true,
  encrypted: true,
  sandbox: false,
  pendingTransfers: 0,
  ...fakeService(),
};

function backendWith(names: string[], extra: Partial<ConstructorParameters<typeof FakeBackend>[0]> = {}) {
  const backend = new FakeBackend({ uploadWith: { names, unusable: [], lastFolder: null }, ...extra });
  return backend;
}

test("files Cirrus was opened with are uploaded to the chosen folder of the active account", async () => {
  const backend = backendWith(["report.pdf", "photos"]);
  backend.settings.conflictPolicy = "keepBoth";
  renderWith(backend, <UploadWithHost accounts={backend.accounts} activeId="acc-1" />);
  const dialog = await screen.findByTestId("upload-with-dialog");
  const names = within(dialog).getAllByTestId("upload-with-name").map((li) => li.textContent);
  expect(names).toEqual(["report.pdf", "photos"]);
  expect(within(dialog).getByText("2 item(s) to upload:")).toBeTruthy();
  expect((screen.getByTestId("upload-with-folder") as HTMLInputElement).value).toBe("My files");

  // Browse into Documents and pick it.
  await userEvent.click(screen.getByTestId("upload-with-change"));
  const picker = await screen.findByTestId("folder-picker");
  expect(within(picker).getByText("Upload to folder")).toBeTruthy();
  await userEvent.click(await within(picker).findByText("Documents"));
  await waitFor(() => expect(screen.getByTestId("picker-path").textContent).toBe("Documents"));
  await userEvent.click(screen.getByTestId("picker-ok"));
  expect((await screen.findByTestId("upload-with-folder") as HTMLInputElement).value).toBe("Documents");

  await userEvent.click(screen.getByTestId("upload-with-ok"));
  await waitFor(() => expect(backend.callsOf("startUpload")).toHaveLength(1));
  expect(backend.callsOf("uploadWithPlan")).toEqual([["acc-1", "cloudreve://my/Documents"]]);
  expect(backend.callsOf("startUpload")[0][1]).toBe("keepBoth");
  expect(screen.queryByTestId("upload-with-dialog")).toBeNull();
});

test("the last folder used is the default, also on another signed-in account", async () => {
  const backend = new FakeBackend({
    uploadWith: { names: ["a.txt"], unusable: [], lastFolder: { accountId: "acc-2", uri: "cloudreve://my/Backups/2026" } },
  });
  backend.accounts.push(work);
  backend.settings.conflictPolicy = "skip";
  renderWith(backend, <UploadWithHost accounts={backend.accounts} activeId="acc-1" />);
  await screen.findByTestId("upload-with-dialog");
  expect((screen.getByTestId("upload-with-account") as HTMLSelectElement).value).toBe("acc-2");
  expect((screen.getByTestId("upload-with-folder") as HTMLInputElement).value).toBe("Backups / 2026");
  await userEvent.click(screen.getByTestId("upload-with-ok"));
  await waitFor(() => expect(backend.callsOf("uploadWithPlan")).toEqual([["acc-2", "cloudreve://my/Backups/2026"]]));
});

test("switching account starts at its top folder; a signed-out last account is not offered", () => {
  const files = { names: ["a"], unusable: [], lastFolder: { accountId: "acc-2", uri: "cloudreve://my/x" } };
  expect(defaultDestination(files, [{ ...work, signedIn: false }], "acc-1")).toEqual({ accountId: "acc-1", uri: "cloudreve://my" });
  expect(defaultDestination(files, [work], "acc-1")).toEqual({ accountId: "acc-2", uri: "cloudreve://my/x" });
});

test("conflicts are asked about before the upload starts", async () => {
  const backend = backendWith(["notes.txt"], { uploadConflicts: [{ name: "notes.txt", uri: "notes.txt" }] });
  renderWith(backend, <UploadWithHost accounts={backend.accounts} activeId="acc-1" />);
  await userEvent.click(await screen.findByTestId("upload-with-ok"));
  expect(await screen.findByTestId("conflict-dialog")).toBeTruthy();
  expect(backend.callsOf("startUpload")).toHaveLength(0);
});

test("cancel forgets the files; files handed over later open the dialog again", async () => {
  const backend = backendWith(["one.txt"]);
  renderWith(backend, <UploadWithHost accounts={backend.accounts} activeId="acc-1" />);
  await userEvent.click(await screen.findByTestId("upload-with-cancel"));
  await waitFor(() => expect(backend.callsOf("uploadWithDismiss")).toHaveLength(1));
  expect(screen.queryByTestId("upload-with-dialog")).toBeNull();

  backend.receiveUploadWith({ names: ["two.txt"], unusable: ["gone.txt"], lastFolder: null });
  const dialog = await screen.findByTestId("upload-with-dialog");
  expect(within(dialog).getByTestId("upload-with-name").textContent).toBe("two.txt");
  expect(within(dialog).getByTestId("upload-with-unusable").textContent).toContain("gone.txt");
});

test("nothing readable: the dialog says so in Chinese and cannot upload", async () => {
  const backend = new FakeBackend({ uploadWith: { names: [], unusable: ["missing.txt"], lastFolder: null } });
  renderWith(backend, <UploadWithHost accounts={backend.accounts} activeId="acc-1" />, "zh-CN");
  const dialog = await screen.findByTestId("upload-with-dialog");
  expect(within(dialog).getByText("用 Cirrus 上传")).toBeTruthy();
  expect(within(dialog).getByRole("alert").textContent).toContain("都无法读取");
  expect((screen.getByTestId("upload-with-ok") as HTMLButtonElement).disabled).toBe(true);
});

test("no waiting files, no dialog", async () => {
  const backend = new FakeBackend();
  renderWith(backend, <UploadWithHost accounts={backend.accounts} activeId="acc-1" />);
  await waitFor(() => expect(backend.callsOf("uploadWithPending")).toHaveLength(1));
  expect(screen.queryByTestId("upload-with-dialog")).toBeNull();
});
