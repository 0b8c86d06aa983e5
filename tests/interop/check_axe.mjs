// Runs axe-core (every rule of its default set) on HTML pages opened in
// headless Chromium (Debian's, driven by playwright-core), offline: every
// request that leaves file:// is aborted, so images show as with images
// off. Fails on any violation, in light and in dark mode, and lists each
// with the elements at fault.
// Usage: PLAYWRIGHT_DIR=… node check_axe.mjs PAGE.html [PAGE.html …]
// (axe-core installed beside playwright-core in PLAYWRIGHT_DIR)
import { launchChromium, require } from "./browser.mjs";
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const pages = process.argv.slice(2);
if (pages.length === 0) {
  console.error("usage: node check_axe.mjs PAGE.html [PAGE.html …]");
  process.exit(2);
}
const browser = await launchChromium();
let passed = 0, failed = 0;
for (const file of pages) {
  for (const colorScheme of ["light", "dark"]) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme });
    const page = await context.newPage();
    await page.route("**/*", (route) =>
      route.request().url().startsWith("file:") ? route.continue() : route.abort());
    await page.goto(pathToFileURL(path.resolve(file)).href, { waitUntil: "load" });
    await page.addScriptTag({ content: axeSource });
    const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
    await context.close();
    const what = `${file} (${colorScheme})`;
    if (results.violations.length === 0) {
      console.log(`ok ${what}: no axe-core ${results.testEngine.version} violation`);
      passed++;
      continue;
    }
    failed++;
    console.log(`FAIL ${what}: ${results.violations.length} axe-core rule(s) violated`);
    for (const v of results.violations) {
      console.log(`  ${v.id} (${v.impact}): ${v.help}`);
      for (const node of v.nodes.slice(0, 5)) {
        console.log(`    ${node.target.join(" ")}: ${node.failureSummary.replace(/\s+/g, " ")}`);
      }
      if (v.nodes.length > 5) console.log(`    … and ${v.nodes.length - 5} more`);
    }
  }
}
await browser.close();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
