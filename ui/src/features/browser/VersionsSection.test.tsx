import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { FakeBackend, FAKE_ROOT, V3_CAPABILITIES } from "../../backend/fake";
import { renderWith } from "../../test/render";
import { AccountFeaturesProvider } from "../accounts/AccountFeatures";
import { Browser } from "./Browser";

const NOTES = `${FAKE_ROOT}/notes.txt`;
const row = (name: string) => screen.getAllByTestId("row").find((r) => r.dataset.name === name)!;

function withVersions() {
  const backend = new FakeBackend();
  backend.versions.set(NOTES, [
    { id: "v3", size: 2048, createdAt: "2025-01-03T10:00:00Z", current: true },
    { id: "v2", size: 700, createdAt: "2025-01-02T10:00:00Z", current: false },
    { id: "v1", size: 300, createdAt: "2025-01-01T10:00:00Z", current: false },
  ]);
  return backend;
}

async function openInfo(backend: FakeBackend) {
  renderWith(backend, <AccountFeaturesProvider account={backend.accounts[0]}>
    <Browser accountId="acc-1" mode="files" />
  </AccountFeaturesProvider>);
  await screen.findAllByTestId("row");
  await userEvent.click(row("notes.txt"));
  await userEvent.click(screen.getByTestId("toggle-info"));
}

const versions = () => screen.getAllByTestId("version");

test("the info panel lists a file's versions with the current one marked", async () => {
  await openInfo(withVersions());
  await waitFor(() => expect(versions()).toHaveLength(3));
  expect(versions().map((v) => v.dataset.id)).toEqual(["v3", "v2", "v1"]);
  expect(within(versions()[0]).getByTestId("version-current").textContent).toBe("Current");
  expect(within(versions()[1]).queryByTestId("version-current")).toBeNull();
  expect(versions()[2].textContent).toContain("300 B");
  // The current version can be downloaded but neither made current nor deleted.
  expect(within(versions()[0]).queryByTestId("version-make-current")).toBeNull();
  expect(within(versions()[0]).queryByTestId("version-delete")).toBeNull();
});

test("making an older version current updates the details, the row and the list", async () => {
  const backend = withVersions();
  await openInfo(backend);
  await waitFor(() => expect(versions()).toHaveLength(3));
  await userEvent.click(within(versions()[2]).getByTestId("version-make-current"));
  await waitFor(() => expect(screen.getByTestId("info-size").textContent).toContain("300 B"));
  expect(backend.callsOf("setCurrentVersion")).toEqual([["acc-1", NOTES, "v1"]]);
  await waitFor(() => expect(versions().find((v) => v.dataset.current === "true")?.dataset.id).toBe("v1"));
  // The row in the list shows the new size without a reload that would drop the selection.
  expect(row("notes.txt").textContent).toContain("300 B");
  expect(row("notes.txt").getAttribute("aria-selected")).toBe("true");
  expect(backend.callsOf("listVersions").length).toBe(2);
});

test("deleting a version asks first; download goes to the transfer queue", async () => {
  const backend = withVersions();
  await openInfo(backend);
  await waitFor(() => expect(versions()).toHaveLength(3));
  await userEvent.click(within(versions()[1]).getByTestId("version-delete"));
  const dialog = await screen.findByTestId("confirm-dialog");
  expect(dialog.textContent).toContain("700 B");
  await userEvent.click(within(dialog).getByText("Cancel"));
  expect(backend.callsOf("deleteVersion")).toEqual([]);
  await userEvent.click(within(versions()[1]).getByTestId("version-delete"));
  await userEvent.click(screen.getByTestId("confirm-ok"));
  await waitFor(() => expect(versions()).toHaveLength(2));
  expect(backend.callsOf("deleteVersion")).toEqual([["acc-1", NOTES, "v2"]]);

  await userEvent.click(within(versions()[1]).getByTestId("version-download"));
  expect(backend.callsOf("downloadVersion")).toEqual([["acc-1", NOTES, "v1", true]]);
});

test("the section is shown in Chinese too", async () => {
  const backend = withVersions();
  renderWith(backend, <Browser accountId="acc-1" mode="files" />, "zh-CN");
  await screen.findAllByTestId("row");
  await userEvent.click(row("notes.txt"));
  await userEvent.click(screen.getByTestId("toggle-info"));
  await waitFor(() => expect(versions()).toHaveLength(3));
  expect(screen.getByTestId("versions").textContent).toContain("版本");
  expect(screen.getByTestId("version-current").textContent).toBe("当前");
});

test("a server without versions says why and is never asked", async () => {
  const backend = new FakeBackend({ provider: { kind: "cloudreve_v3", name: "Cloudreve 3" }, capabilities: V3_CAPABILITIES });
  await openInfo(backend);
  expect((await screen.findByTestId("versions-unavailable")).textContent).toBe("Cloudreve 3 keeps no earlier versions of files");
  expect(backend.callsOf("listVersions")).toEqual([]);
});
