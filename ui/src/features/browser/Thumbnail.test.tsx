import { fireEvent, render, screen } from "@testing-library/react";
import { expect, test } from "vitest";
import type { Entry } from "../../backend";
import { thumbUrl, thumbVersion } from "../../lib/thumbs";
import { Thumbnail } from "./FileList";

const file: Entry = {
  uri: "cloudreve://my/Photos/a%20b.jpg",
  name: "a b.jpg",
  kind: "file",
  size: 1234,
  createdAt: null,
  updatedAt: "2026-01-02T03:04:05Z",
  uploading: false,
};

test("the thumbnail URL carries account, file and version in one encoded value", () => {
  const url = thumbUrl("acc-1", file)!;
  expect(url).toMatch(/cirrus-thumb/);
  const token = decodeURIComponent(url.slice(url.lastIndexOf("/") + 1));
  expect(JSON.parse(token)).toEqual({ a: "acc-1", u: file.uri, v: thumbVersion(file) });
  // A new version (new time or size) is a new URL, so the cache refetches.
  expect(thumbUrl("acc-1", { ...file, size: 99 })).not.toBe(url);
});

test("folders, empty files and uploads get no thumbnail request", () => {
  expect(thumbUrl("acc-1", { ...file, kind: "folder" })).toBeNull();
  expect(thumbUrl("acc-1", { ...file, size: 0 })).toBeNull();
  expect(thumbUrl("acc-1", { ...file, uploading: true })).toBeNull();
});

test("the image shows only once loaded and disappears when there is none", () => {
  const { rerender } = render(<Thumbnail src="cirrus-thumb://localhost/x" />);
  const img = screen.getByTestId("thumb");
  expect(img.className).not.toMatch(/loaded/);
  fireEvent.load(img);
  expect(screen.getByTestId("thumb").className).toMatch(/loaded/);
  rerender(<Thumbnail src="cirrus-thumb://localhost/y" />);
  const next = screen.getByTestId("thumb");
  fireEvent.error(next);
  expect(screen.queryByTestId("thumb")).toBeNull();
  rerender(<Thumbnail src={null} />);
  expect(screen.queryByTestId("thumb")).toBeNull();
});
