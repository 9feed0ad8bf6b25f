/**
 * Debian's Chromium driven by playwright-core (it never downloads a browser). Headless with
 * SwiftShader WebGL, so rendering is the same on every machine, and without background networking,
 * which this sandbox refuses.
 */
import { type Browser, chromium } from "playwright-core";

export const CHROMIUM = process.env.HILUM_CHROMIUM ?? "/usr/bin/chromium";

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless=new",
      "--no-sandbox",
      "--use-angle=swiftshader",
      "--enable-unsafe-swiftshader",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
}
