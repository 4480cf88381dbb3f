import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";

// jsdom has no layout: give scroll containers a real-looking viewport so the
// virtualizer renders a screenful of rows instead of none.
Object.defineProperty(HTMLElement.prototype, "clientHeight", { configurable: true, get: () => 600 });
Object.defineProperty(HTMLElement.prototype, "clientWidth", { configurable: true, get: () => 800 });
Object.defineProperty(HTMLElement.prototype, "offsetHeight", { configurable: true, get: () => 600 });
Object.defineProperty(HTMLElement.prototype, "offsetWidth", { configurable: true, get: () => 800 });
HTMLElement.prototype.scrollTo = function scrollTo(this: HTMLElement, opts?: ScrollToOptions | number) {
  if (typeof opts === "object" && opts?.top !== undefined) this.scrollTop = opts.top;
};

afterEach(() => {
  cleanup();
  document.documentElement.removeAttribute("data-theme");
});
