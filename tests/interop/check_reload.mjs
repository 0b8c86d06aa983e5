// `matinale serve` as a person uses it, in headless Chromium (Debian's,
// driven by playwright-core): starts serve on a copy of a site, opens the
// subscribe page it serves, checks that its feed links point at the local
// server while the file on disk keeps the production URLs, edits an
// article and waits for the open page to reload by itself and show the
// new title, then sends SIGTERM and checks that serve says it stopped,
// exits 0 and recorded nothing in the newsletter's ledger.
// Usage: PLAYWRIGHT_DIR=… node check_reload.mjs MATINALE_BIN SITE_DIR NOW
import { launchChromium } from "./browser.mjs";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";


const [bin, site, now] = process.argv.slice(2);
if (!now) {
  console.error("usage: node check_reload.mjs MATINALE_BIN SITE_DIR NOW");
  process.exit(2);
}
let passed = 0, failed = 0;
const check = (ok, what) => {
  console.log(`${ok ? "ok" : "FAIL"} ${what}`);
  ok ? passed++ : failed++;
};

const serve = spawn(bin, ["--now", now, "serve", "--port", "0"], { cwd: site });
let stdout = "";
serve.stdout.on("data", (d) => { stdout += d; });
serve.stderr.on("data", (d) => process.stderr.write(d));
const exited = new Promise((resolve) => serve.on("exit", (code) => resolve(code)));
const deadline = Date.now() + 60_000;
let base;
while (!(base = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stdout)?.[1])) {
  if (Date.now() > deadline) throw new Error(`serve printed no address: ${stdout}`);
  await new Promise((r) => setTimeout(r, 100));
}
console.log(`serve at ${base}`);

const browser = await launchChromium();
const page = await browser.newPage();
// Offline but for the local server: the site's logo shows its fallback.
await page.route("**/*", (route) =>
  route.request().url().startsWith(base) ? route.continue() : route.abort());
await page.goto(`${base}abonnement/`);

const rss = await page.getAttribute('link[rel="alternate"][type="application/rss+xml"]', "href");
check(rss === `${base}feed.xml`, `the served page's feed link is local: ${rss}`);
const onDisk = fs.readFileSync(path.join(site, "public/abonnement/index.html"), "utf8");
check(!onDisk.includes(base) && !onDisk.includes("/_matinale/"),
  "the file on disk keeps its production links and has no reload script");

// An edit: the open page reloads by itself.
const article = path.join(site, "content/2026-11-26-geminides-observation.md");
const text = fs.readFileSync(article, "utf8");
const title = /^title = "(.*)"$/m.exec(text)[1];
const edited = `Rechargé : ${title}`;
const reloaded = page.waitForEvent("load", { timeout: 30_000 }).then(() => true, () => false);
fs.writeFileSync(article, text.replace(`title = "${title}"`, `title = "${edited}"`));
check(await reloaded, "the page reloaded after the rebuild");
const shown = await page.textContent("body");
check(shown.includes(edited), `the reloaded page shows the new title « ${edited} »`);
await browser.close();

serve.kill("SIGTERM");
const code = await exited;
check(code === 0, `serve exits 0 on SIGTERM (${code})`);
check(/\nstopped; .* keeps the last build\n$/.test(stdout), "serve says it stopped");
check(!fs.existsSync(path.join(site, "out/newsletter/ledger.json")), "nothing recorded in the ledger");

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
