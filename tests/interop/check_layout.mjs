// Opens HTML pages in headless Chromium (Debian's, driven by playwright-core)
// at 600 and 375 px wide: saves a screenshot of each into OUTDIR and fails
// when a page scrolls sideways (its scroll width exceeds the viewport).
// Usage: NODE_PATH=… node check_layout.mjs OUTDIR PAGE.html [PAGE.html …]
import { launchChromium } from "./browser.mjs";
import path from "node:path";
import { pathToFileURL } from "node:url";


const [outdir, ...pages] = process.argv.slice(2);
const browser = await launchChromium();
let passed = 0, failed = 0;
for (const page of pages) {
  for (const width of [600, 375]) {
    const p = await browser.newPage({ viewport: { width, height: 900 } });
    await p.goto(pathToFileURL(path.resolve(page)).href);
    const scroll = await p.evaluate(() => document.documentElement.scrollWidth);
    const shot = path.join(outdir, `${path.basename(path.dirname(path.dirname(page)))}-${path.basename(path.dirname(page))}-${path.basename(page, ".html")}-${width}.png`);
    await p.screenshot({ path: shot, fullPage: true });
    await p.close();
    if (scroll <= width) {
      console.log(`ok ${page} at ${width}px: scroll width ${scroll}, ${shot}`);
      passed++;
    } else {
      console.log(`FAIL ${page} at ${width}px: scroll width ${scroll} exceeds the viewport`);
      failed++;
    }
  }
}
await browser.close();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
