import { en } from "./en";
import { zhCN } from "./zh-CN";
import { errorText, format, translator } from "./index";

test("English and Simplified Chinese tables have exactly the same keys", () => {
  expect(Object.keys(zhCN).sort()).toEqual(Object.keys(en).sort());
});

test("no table has an empty value", () => {
  for (const table of [en, zhCN] as Record<string, string>[]) {
    const empty = Object.entries(table).filter(([, v]) => v.trim() === "");
    expect(empty).toEqual([]);
  }
});

test("both tables use the same placeholders for every key", () => {
  const vars = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
  for (const key of Object.keys(en) as (keyof typeof en)[]) {
    expect([key, vars(zhCN[key])]).toEqual([key, vars(en[key])]);
  }
});

test("format fills placeholders and leaves unknown ones visible", () => {
  expect(format("{a} of {b}", { a: 1, b: "two" })).toBe("1 of two");
  expect(format("{a} {missing}", { a: 1 })).toBe("1 {missing}");
});

test("errorText maps known kinds and falls back to the message", () => {
  const t = translator("en");
  expect(errorText(t, { kind: "wrongPassword", message: "x" })).toBe("Wrong email or password.");
  expect(errorText(t, { kind: "weird", message: "boom" })).toBe("Something went wrong: boom");
  expect(errorText(translator("zh-CN"), { kind: "unreachable", message: "" })).toContain("无法连接");
});
