import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { FakeBackend } from "../../backend/fake";
import { renderWith } from "../../test/render";
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
