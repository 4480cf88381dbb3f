import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { FakeBackend, FAKE_ROOT, V3_CAPABILITIES } from "../../backend/fake";
import { renderWith } from "../../test/render";
import { AccountFeaturesProvider } from "../accounts/AccountFeatures";
import { Browser } from "./Browser";

const names = () => screen.getAllByTestId("row").map((r) => r.dataset.name);

async function setup(backend = new FakeBackend()) {
  renderWith(backend, <AccountFeaturesProvider account={backend.accounts[0]}>
    <Browser accountId="acc-1" mode="files" />
  </AccountFeaturesProvider>);
  await screen.findAllByTestId("row");
  return backend;
}

test("filters narrow a search below the folder and apply at once to results on screen", async () => {
  const backend = await setup();
  // "t" matches Documents, Photos, notes.txt and report.pdf.
  await userEvent.type(screen.getByTestId("search-input"), "t{Enter}");
  await waitFor(() => expect(names()).toHaveLength(4));
  await userEvent.click(screen.getByTestId("search-filters-button"));
  expect(screen.queryByTestId("filter-folders-unavailable")).toBeNull();
  await userEvent.selectOptions(screen.getByTestId("filter-kind"), "file");
  await userEvent.type(screen.getByTestId("filter-max-size"), "1");
  await userEvent.click(screen.getByTestId("filter-apply"));
  await waitFor(() => expect(names()).toEqual(["notes.txt"]));
  expect(screen.getByTestId("search-filters-count").textContent).toBe("2");
  const last = backend.callsOf("search").at(-1)!;
  expect(last.slice(0, 3)).toEqual(["acc-1", FAKE_ROOT, "t"]);
  expect(last[5]).toEqual({ kind: "file", minSize: null, maxSize: 1024 ** 2, modifiedAfter: null, modifiedBefore: null, category: null });

  // Clearing brings every match back.
  await userEvent.click(screen.getByTestId("search-filters-button"));
  await userEvent.click(screen.getByTestId("filter-clear"));
  await waitFor(() => expect(names()).toHaveLength(4));
  expect(screen.queryByTestId("search-filters-count")).toBeNull();
});

test("filters set before typing are used by the next search; mistakes stay in the popover", async () => {
  const backend = await setup();
  await userEvent.click(screen.getByTestId("search-filters-button"));
  await userEvent.type(screen.getByTestId("filter-min-size"), "9");
  await userEvent.type(screen.getByTestId("filter-max-size"), "2");
  await userEvent.click(screen.getByTestId("filter-apply"));
  expect(screen.getByTestId("filter-error").textContent).toBe("The smallest size is larger than the largest.");
  await userEvent.clear(screen.getByTestId("filter-max-size"));
  await userEvent.selectOptions(screen.getByTestId("filter-unit"), "KiB");
  await userEvent.selectOptions(screen.getByTestId("filter-category"), "document");
  await userEvent.click(screen.getByTestId("filter-apply"));
  expect(screen.queryByTestId("search-filters")).toBeNull();
  expect(backend.callsOf("search")).toEqual([]);
  await userEvent.type(screen.getByTestId("search-input"), "r{Enter}");
  // report.pdf (5 MB, a document) passes; Documents (a folder of 0 bytes) does not.
  await waitFor(() => expect(names()).toEqual(["report.pdf"]));
  expect(backend.callsOf("search")[0][5]).toMatchObject({ minSize: 9 * 1024, category: "document" });
});

test("on a server without size and date filters those parts are greyed with the reason", async () => {
  const backend = new FakeBackend({ provider: { kind: "cloudreve_v3", name: "Cloudreve 3" }, capabilities: { ...V3_CAPABILITIES, searchCategory: false } });
  await setup(backend);
  await userEvent.click(screen.getByTestId("search-filters-button"));
  expect((screen.getByTestId("filter-size") as HTMLFieldSetElement).disabled).toBe(true);
  expect((screen.getByTestId("filter-dates") as HTMLFieldSetElement).disabled).toBe(true);
  expect(screen.getByTestId("filter-ranges-unavailable").textContent).toBe("Cloudreve 3 cannot filter a search by size or date");
  expect(screen.queryByTestId("filter-category")).toBeNull();
  // The type filter still works there, for files: the server finds no folders.
  expect((screen.getByTestId("filter-kind") as HTMLSelectElement).disabled).toBe(false);
  expect((screen.getByRole("option", { name: "Folders" }) as HTMLOptionElement).disabled).toBe(true);
  expect((screen.getByRole("option", { name: "Files" }) as HTMLOptionElement).disabled).toBe(false);
  expect(screen.getByTestId("filter-folders-unavailable").textContent).toBe("Cloudreve 3 finds files only, not folders");
});

test("without search the filter button is greyed too", async () => {
  const backend = new FakeBackend({ provider: { kind: "pan123", name: "123pan" }, capabilities: { search: false } });
  await setup(backend);
  const button = screen.getByTestId("search-filters-button");
  expect(button.getAttribute("aria-disabled")).toBe("true");
  expect(button.title).toBe("123pan has no search");
  await userEvent.click(button);
  expect(screen.queryByTestId("search-filters")).toBeNull();
});
