// Signs up through the subscribe page's form in headless Chromium
// (Debian's, driven by playwright-core), as a reader would: the form's
// action is pointed at a loopback HTTP server started here, which records
// what the browser posts. Fails unless the POST body holds the e-mail
// typed and every hidden field of the form, as the page's
// [newsletter.signup] `fields` give them, and the form was sent with
// JavaScript off (it needs none). Nothing leaves the machine: every
// request but the page itself and the loopback server is aborted.
// Usage: PLAYWRIGHT_DIR=… node check_signup.mjs SUBSCRIBE.html EMAIL_FIELD NAME=VALUE…
import { launchChromium } from "./browser.mjs";
import http from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";


const [page_file, emailField, ...pairs] = process.argv.slice(2);
if (!emailField) {
  console.error("usage: node check_signup.mjs SUBSCRIBE.html EMAIL_FIELD NAME=VALUE…");
  process.exit(2);
}
const hidden = pairs.map((p) => {
  const i = p.indexOf("=");
  return [p.slice(0, i), p.slice(i + 1)];
});

// The platform's signup endpoint, on loopback: records each POST.
const posts = [];
const server = http.createServer((req, res) => {
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (chunk) => { body += chunk; });
  req.on("end", () => {
    posts.push({ method: req.method, url: req.url, type: req.headers["content-type"] ?? "", body });
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end("<!DOCTYPE html><title>ok</title><p>Merci !</p>");
  });
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const endpoint = `http://127.0.0.1:${server.address().port}/subscribe`;

const browser = await launchChromium();
let passed = 0, failed = 0;
const check = (ok, what) => {
  console.log(`${ok ? "ok" : "FAIL"} ${what}`);
  ok ? passed++ : failed++;
};

try {
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 375, height: 900 } });
  const page = await context.newPage();
  await page.route("**/*", (route) => {
    const url = route.request().url();
    return url.startsWith("file:") || url.startsWith(endpoint) ? route.continue() : route.abort();
  });
  await page.goto(pathToFileURL(path.resolve(page_file)).href);
  const form = page.locator("#inscription form");
  check(await form.count() === 1, "the subscribe page has one form at #inscription");
  const action = await form.getAttribute("action");
  check(/^https?:\/\//.test(action ?? ""), `its action is the platform's endpoint (${action})`);
  check((await form.getAttribute("method")) === "post", "it posts");
  // Point it at the loopback server: the rest is the page as built.
  await form.evaluate((f, url) => { f.action = url; }, endpoint);
  const email = form.locator(`input[type="email"][name="${emailField}"]`);
  check(await email.count() === 1, `an e-mail field named ${emailField}`);
  // Its visible label names it, as a screen reader and a click find it.
  await page.getByLabel(await form.locator("label").innerText()).fill("lectrice+matin@example.org");
  await Promise.all([
    page.waitForURL(endpoint, { timeout: 5000 }),
    form.locator('button[type="submit"]').click(),
  ]);
  check(posts.length === 1, `one POST reached the endpoint (${posts.length})`);
  const post = posts[0] ?? { body: "", type: "" };
  check(post.method === "POST", `method ${post.method}`);
  check(post.type.startsWith("application/x-www-form-urlencoded"), `content type ${post.type}`);
  const got = [...new URLSearchParams(post.body)];
  const want = [[emailField, "lectrice+matin@example.org"], ...hidden];
  const sorted = (l) => JSON.stringify([...l].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
  check(sorted(got) === sorted(want), `the body holds the e-mail and the hidden fields: ${post.body}`);
  // An address the browser refuses is not sent at all.
  await page.goto(pathToFileURL(path.resolve(page_file)).href);
  await page.locator("#inscription form").evaluate((f, url) => { f.action = url; }, endpoint);
  await page.locator("#inscription input[type=email]").fill("pas-une-adresse");
  await page.locator('#inscription button[type="submit"]').click();
  await page.waitForTimeout(300);
  check(posts.length === 1, "an invalid address is not posted");
  await context.close();
} finally {
  await browser.close();
  server.close();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
