// The headless Chromium every browser check opens: Debian's chromium,
// driven by playwright-core (which downloads no browser), both found in
// PLAYWRIGHT_DIR where .ci/run installs them.
import { createRequire } from "node:module";
import path from "node:path";

/** `require` that resolves the packages .ci/run installed in PLAYWRIGHT_DIR. */
export const require = createRequire(path.join(process.env.PLAYWRIGHT_DIR || process.cwd(), "package.json"));

/** Chromium, quiet and offline: no first-run, sync or update traffic. */
export function launchChromium() {
  const { chromium } = require("playwright-core");
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}
