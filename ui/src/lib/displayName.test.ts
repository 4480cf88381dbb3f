import { displayName, hasSuspiciousChars } from "./displayName";

describe("displayName", () => {
  test("leaves ordinary names, including non-Latin scripts, untouched", () => {
    expect(displayName("report.pdf")).toBe("report.pdf");
    expect(displayName("年度报告 2024.xlsx")).toBe("年度报告 2024.xlsx");
    expect(displayName("שלום.txt")).toBe("שלום.txt");
    expect(hasSuspiciousChars("report.pdf")).toBe(false);
  });

  test("makes the RTLO extension spoof visible", () => {
    expect(displayName("invoice\u202Efdp.exe")).toBe("invoice⟨U+202E⟩fdp.exe");
    expect(hasSuspiciousChars("invoice\u202Efdp.exe")).toBe(true);
  });

  test.each([
    ["\u202A", "202A"],
    ["\u202B", "202B"],
    ["\u202C", "202C"],
    ["\u202D", "202D"],
    ["\u2066", "2066"],
    ["\u2067", "2067"],
    ["\u2068", "2068"],
    ["\u2069", "2069"],
    ["\u200E", "200E"],
    ["\u200F", "200F"],
  ])("marks bidi control %#", (ch, hex) => {
    expect(displayName(`a${ch}b`)).toBe(`a⟨U+${hex}⟩b`);
  });

  test("marks C0 and C1 control characters, NUL, newline and DEL", () => {
    expect(displayName("a\u0000b")).toBe("a⟨U+0000⟩b");
    expect(displayName("line1\nline2")).toBe("line1⟨U+000A⟩line2");
    expect(displayName("bell\u0007")).toBe("bell⟨U+0007⟩");
    expect(displayName("del\u007f")).toBe("del⟨U+007F⟩");
    expect(displayName("c1\u0085\u009f")).toBe("c1⟨U+0085⟩⟨U+009F⟩");
  });

  test("is stable across repeated calls (no regex lastIndex leak)", () => {
    for (let i = 0; i < 3; i++) {
      expect(hasSuspiciousChars("x\u202Ey")).toBe(true);
      expect(displayName("x\u202Ey")).toBe("x⟨U+202E⟩y");
    }
  });
});
