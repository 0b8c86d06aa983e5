// Opens the subscribe page and the newsletter archive in headless Chromium
// (Debian's, driven by playwright-core), offline: at 1280 and 375 px wide,
// and at 375 px in dark mode, saves a full-page screenshot of each into
// OUTDIR and fails when a page scrolls sideways or loads a stylesheet, a
// script or a font from elsewhere (the pages must stand alone). On the
// subscribe page it then clicks the first copy button and checks what
// lands in the clipboard: the button's data-copy, which must be the RSS URL
// shown in its field and the one the page announces in its <head>.
// Usage: PLAYWRIGHT_DIR=… node check_pages.mjs OUTDIR SUBSCRIBE.html ARCHIVE.html
import { launchChromium } from "./browser.mjs";
import path from "node:path";
import { pathToFileURL } from "node:url";


const [outdir, subscribe, archive] = process.argv.slice(2);
if (!archive) {
  console.error("usage: node check_pages.mjs OUTDIR SUBSCRIBE.html ARCHIVE.html");
  process.exit(2);
}
const browser = await launchChromium();
let passed = 0, failed = 0;
const check = (ok, what) => {
  console.log(`${ok ? "ok" : "FAIL"} ${what}`);
  ok ? passed++ : failed++;
};

// Opens a page offline: every request that leaves file:// is aborted (the
// site's logo and icon then show their fallback) and its type recorded.
async function open(context, file) {
  const page = await context.newPage();
  const outside = [];
  await page.route("**/*", (route) => {
    const req = route.request();
    if (req.url().startsWith("file:")) return route.continue();
    outside.push(`${req.resourceType()} ${req.url()}`);
    return route.abort();
  });
  await page.goto(pathToFileURL(path.resolve(file)).href);
  return { page, outside };
}

const layouts = [
  { width: 1280, scheme: "light", suffix: "1280" },
  { width: 375, scheme: "light", suffix: "375" },
  { width: 375, scheme: "dark", suffix: "375-dark" },
];
for (const [name, file] of [["subscribe", subscribe], ["archive", archive]]) {
  for (const { width, scheme, suffix } of layouts) {
    const context = await browser.newContext({ viewport: { width, height: 900 }, colorScheme: scheme });
    const { page, outside } = await open(context, file);
    const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
    const shot = path.join(outdir, `${name}-${suffix}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    await context.close();
    check(scroll <= width, `${name} at ${width}px ${scheme}: scroll width ${scroll}, ${shot}`);
    const loaded = outside.filter((r) => /^(stylesheet|script|font) /.test(r));
    check(loaded.length === 0, `${name} at ${width}px ${scheme}: no outside CSS, JS or font${loaded.length ? ` (${loaded.join(", ")})` : ""}`);
  }
}

// The copy button. file:// pages are a secure context, so the async
// clipboard API runs there once the permissions are granted.
{
  const context = await browser.newContext({
    viewport: { width: 375, height: 900 },
    permissions: ["clipboard-read", "clipboard-write"],
  });
  const { page } = await open(context, subscribe);
  const button = page.locator("button[data-copy]").first();
  check(await button.isVisible(), "subscribe: the script shows the first copy button");
  const before = (await button.textContent()).trim();
  const copy = await button.getAttribute("data-copy");
  const shown = await button.evaluate((b) => b.parentElement.querySelector("input").value);
  const announced = await page.evaluate(
    () => document.querySelector('link[rel="alternate"][type="application/rss+xml"]')?.href ?? "");
  await button.click();
  await page.waitForFunction((b) => b.textContent.trim() !== b.dataset.label, await button.elementHandle(), { timeout: 2000 })
    .catch(() => {});
  const clipboard = await page.evaluate(() => navigator.clipboard.readText());
  check(clipboard === copy, `subscribe: clipboard ${JSON.stringify(clipboard)} is the button's data-copy`);
  check(copy === shown, `subscribe: data-copy ${JSON.stringify(copy)} is the URL shown in the field`);
  check(copy === announced, `subscribe: it is the site's RSS feed announced in <head> (${announced})`);
  const status = page.locator("#copy-status");
  const after = (await button.textContent()).trim();
  check(after === await status.getAttribute("data-copied"), `subscribe: the button says ${JSON.stringify(after)} (was ${JSON.stringify(before)})`);
  check((await status.textContent()).trim() !== "", "subscribe: the live region announces the copy");
  await page.waitForTimeout(2300);
  check((await button.textContent()).trim() === before, "subscribe: the button's label is back after 2 s");
  await context.close();
}

await browser.close();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
