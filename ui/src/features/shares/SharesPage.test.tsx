import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { FakeBackend } from "../../backend/fake";
import { renderWith } from "../../test/render";
import type { ShareOptions } from "../../backend";
import { editOptions, formFromShare } from "./ShareEditDialog";
import { SharesPage } from "./SharesPage";

test("lists shares, copies a link and deletes after confirmation", async () => {
  const backend = new FakeBackend();
  await backend.createShare("acc-1", "cloudreve://my/report.pdf", { password: null, expireSeconds: null, downloads: 2 });
  await backend.createShare("acc-1", "cloudreve://my/notes.txt", { password: "pw", expireSeconds: 3600, downloads: null });
  renderWith(backend, <SharesPage accountId="acc-1" />);
  const rows = await screen.findAllByTestId("share-row");
  expect(rows.map((r) => r.textContent?.includes("report.pdf"))).toEqual([true, false]);
  expect(rows[0].textContent).toContain("Never");
  expect(rows[1].textContent).toContain("Unlimited");
  await userEvent.click(rows[1].querySelector("[data-testid=share-row-copy]")!);
  expect(backend.callsOf("copyToClipboard")).toEqual([[`${backend.shares[1].url} (Password: pw)`]]);
  await userEvent.click(rows[0].querySelector("[data-testid=share-row-delete]")!);
  await userEvent.click(await screen.findByTestId("confirm-ok"));
  await waitFor(() => expect(screen.getAllByTestId("share-row")).toHaveLength(1));
  expect(backend.callsOf("deleteShare")).toHaveLength(1);
});

test("empty state", async () => {
  renderWith(new FakeBackend(), <SharesPage accountId="acc-1" />);
  expect(await screen.findByText("You have not shared anything yet.")).toBeTruthy();
});

test("a share is edited from a form prefilled with its current limits", async () => {
  const backend = new FakeBackend();
  await backend.createShare("acc-1", "cloudreve://my/notes.txt", { password: "pw", expireSeconds: 3600, downloads: 4 });
  renderWith(backend, <SharesPage accountId="acc-1" />);
  const row = await screen.findByTestId("share-row");
  await userEvent.click(row.querySelector("[data-testid=share-row-edit]")!);
  await screen.findByTestId("share-edit-dialog");
  expect((screen.getByTestId("share-edit-downloads") as HTMLInputElement).value).toBe("4");
  expect((screen.getByTestId("share-edit-password") as HTMLInputElement).readOnly).toBe(true);
  expect((screen.getByTestId("share-edit-expiry") as HTMLSelectElement).value).toBe("-1");
  await userEvent.clear(screen.getByTestId("share-edit-downloads"));
  await userEvent.type(screen.getByTestId("share-edit-downloads"), "2");
  await userEvent.click(screen.getByTestId("share-edit-save"));
  await waitFor(() => expect(screen.queryByTestId("share-edit-dialog")).toBeNull());
  const [[, id, options]] = backend.callsOf("editShare") as [string, string, ShareOptions][];
  expect(id).toBe(backend.shares[0].id);
  // Unchanged fields go out with their current values: the password and the kept expiry.
  expect(options.password).toBe("pw");
  expect(options.downloads).toBe(2);
  expect(options.expireSeconds).toBeGreaterThan(0);
  await waitFor(() => expect(screen.getByTestId("share-row").dataset.remain).toBe("2"));
});

test("editOptions keeps the expiry date as the seconds left and lifts limits when asked", () => {
  const share = {
    id: "s1", name: "a", url: "u", passwordProtected: false, password: null, expires: "2030-01-01T00:00:00Z",
    remainDownloads: 5, visited: 0, downloaded: 0, limitsEditable: true, passwordEditable: false,
  };
  const now = Date.parse("2029-12-31T23:00:00Z");
  expect(editOptions(share, formFromShare(share), now)).toEqual({ password: null, expireSeconds: 3600, downloads: 5 });
  expect(editOptions(share, { ...formFromShare(share), expiry: 0, limit: false }, now)).toEqual({ password: null, expireSeconds: null, downloads: null });
});
