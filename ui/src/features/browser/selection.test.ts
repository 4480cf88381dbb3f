import { clickSelect, EMPTY_SELECTION, moveFocus } from "./selection";

const rows = ["a", "b", "c", "d", "e"];
const uriAt = (i: number) => rows[i];
const plain = { shift: false, toggle: false };

test("plain click selects exactly one row and sets the anchor", () => {
  const s = clickSelect(EMPTY_SELECTION, 2, uriAt, plain);
  expect([...s.uris]).toEqual(["c"]);
  expect(s.anchor).toBe(2);
});

test("ctrl/cmd click toggles without touching the rest", () => {
  let s = clickSelect(EMPTY_SELECTION, 0, uriAt, plain);
  s = clickSelect(s, 3, uriAt, { shift: false, toggle: true });
  expect([...s.uris].sort()).toEqual(["a", "d"]);
  s = clickSelect(s, 0, uriAt, { shift: false, toggle: true });
  expect([...s.uris]).toEqual(["d"]);
});

test("shift click selects the range from the anchor in either direction", () => {
  let s = clickSelect(EMPTY_SELECTION, 3, uriAt, plain);
  s = clickSelect(s, 1, uriAt, { shift: true, toggle: false });
  expect([...s.uris].sort()).toEqual(["b", "c", "d"]);
  expect(s.anchor).toBe(3);
  s = clickSelect(s, 4, uriAt, { shift: true, toggle: false });
  expect([...s.uris].sort()).toEqual(["d", "e"]);
});

test("ctrl+shift click adds a range to the existing selection", () => {
  let s = clickSelect(EMPTY_SELECTION, 0, uriAt, plain);
  s = clickSelect(s, 3, uriAt, { shift: false, toggle: true });
  s = clickSelect(s, 4, uriAt, { shift: true, toggle: true });
  expect([...s.uris].sort()).toEqual(["a", "d", "e"]);
});

test("arrow keys move focus, clamp at the ends, and extend with shift", () => {
  let s = moveFocus(EMPTY_SELECTION, 1, rows.length, uriAt, false);
  expect([...s.uris]).toEqual(["a"]);
  s = moveFocus(s, 10, rows.length, uriAt, false);
  expect([...s.uris]).toEqual(["e"]);
  s = moveFocus(s, -2, rows.length, uriAt, true);
  expect([...s.uris].sort()).toEqual(["c", "d", "e"]);
});
