import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { launchBrowser } from "../support/browser.js";
import { type TestNode, startTestNode } from "../support/hilum.js";

describe("the renderer, served by the node", () => {
  let browser: Browser;
  let hilum: TestNode;
  beforeAll(async () => {
    [browser, hilum] = await Promise.all([launchBrowser(), startTestNode()]);
  });
  afterAll(async () => {
    await browser?.close();
    await hilum?.close();
  });

  it("loads under the strict CSP without a console error", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(`${hilum.node.http.url}/#/studies`);
    await expect.poll(() => page.locator("h1").textContent()).toBe("Hilum");
    expect(errors).toEqual([]);
  });
});
