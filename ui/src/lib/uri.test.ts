import { childUri, crumbsOf, folderPathOf, parentOf } from "./uri";

test("crumbsOf decodes segments and keeps cumulative URIs", () => {
  expect(crumbsOf("cloudreve://my/a%20b/c")).toEqual([
    { uri: "cloudreve://my", name: "my" },
    { uri: "cloudreve://my/a%20b", name: "a b" },
    { uri: "cloudreve://my/a%20b/c", name: "c" },
  ]);
  expect(crumbsOf("cloudreve://my")).toEqual([{ uri: "cloudreve://my", name: "my" }]);
});

test("crumbsOf survives bad encodings and query strings", () => {
  expect(crumbsOf("cloudreve://my/%E0%A4%A?x=1").map((c) => c.name)).toEqual(["my", "%E0%A4%A"]);
});

test("childUri encodes slashes so a name cannot escape its folder", () => {
  expect(childUri("cloudreve://my/", "a/../b")).toBe("cloudreve://my/a%2F..%2Fb");
});

test("folderPathOf shows a folder URI as a decoded path", () => {
  expect(folderPathOf("cloudreve://my/A/B")).toBe("/A/B");
  expect(folderPathOf("cloudreve://my/a%20b/%E4%B8%AD")).toBe("/a b/中");
  expect(folderPathOf("cloudreve://my")).toBe("/");
});

test("Cloudreve 3 references give crumbs by path, keeping the reference given last", () => {
  expect(crumbsOf("cloudreve3:d:Xy1:/a b/c:d")).toEqual([
    { uri: "cloudreve3:d::/", name: "" },
    { uri: "cloudreve3:d::/a b", name: "a b" },
    { uri: "cloudreve3:d:Xy1:/a b/c:d", name: "c:d" },
  ]);
  expect(crumbsOf("cloudreve3:d::/")).toEqual([{ uri: "cloudreve3:d::/", name: "" }]);
  expect(folderPathOf("cloudreve3:d::/a b")).toBe("/a b");
  // A file's folder is addressed by path.
  expect(crumbsOf("cloudreve3:f:Q9:/docs/x.txt").at(-2)).toEqual({ uri: "cloudreve3:d::/docs", name: "docs" });
});

test("123pan references give crumbs by path from the root folder (id 0)", () => {
  expect(crumbsOf("p123:42:/Docs/2024")).toEqual([
    { uri: "p123:0:/", name: "" },
    { uri: "p123::/Docs", name: "Docs" },
    { uri: "p123:42:/Docs/2024", name: "2024" },
  ]);
  expect(parentOf("p123:42:/Docs/2024")).toBe("p123::/Docs");
  expect(parentOf("p123:0:/")).toBeNull();
});
