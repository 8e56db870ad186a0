// End-to-end test of the web-chat widget in a real browser: the real `baton serve` with the
// demo tenants, a customer on the `/demo` site (the widget with the scripted demo bot) in one
// browser context and Sam's agent inbox in another. Run by `scripts/test` (through
// tests/browser/run): `node --test widget.test.mjs`. Same needs and the same Chromium launch
// as inbox.test.mjs.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, cpSync, rmSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const targetDir = process.env.CARGO_TARGET_DIR ? path.resolve(process.env.CARGO_TARGET_DIR) : path.join(root, "target");
const CHROMIUM = "/usr/bin/chromium";
const WAIT = 15_000;

function batonBinary() {
  if (process.env.BATON_BIN) return process.env.BATON_BIN;
  const found = ["debug", "release"].map((p) => path.join(targetDir, p, "baton")).find((p) => existsSync(p));
  if (!found) throw new Error("no baton binary: run `cargo build -p baton` first (or set BATON_BIN)");
  return found;
}

const ctx = { procs: [], dirs: [] };

function tmp(prefix) {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  ctx.dirs.push(d);
  return d;
}

// Start a child and resolve with the first match of `pattern` in its output.
function startAndWait(cmd, args, pattern, stream, label, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
    ctx.procs.push(child);
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`${label} did not start in time:\n${seen.slice(-2000)}`)), 30_000);
    const onData = (chunk) => {
      seen += chunk.toString();
      const m = pattern.exec(seen);
      if (m) {
        clearTimeout(timer);
        resolve({ child, match: m[1], output: () => seen });
      }
    };
    child.stdout.on("data", (c) => { onData(c); });
    child.stderr.on("data", (c) => { if (stream === "stderr") onData(c); else seen += c.toString(); });
    child.on("exit", (code) => { clearTimeout(timer); reject(new Error(`${label} exited (${code}):\n${seen.slice(-2000)}`)); });
    child.on("error", (e) => { clearTimeout(timer); reject(e); });
  });
}

let base, server, browser;
const keys = {};

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`);
  const baton = batonBinary();
  const work = tmp("baton-widget-");
  const policies = path.join(work, "policies");
  const data = path.join(work, "data");
  cpSync(path.join(root, "policies"), policies, { recursive: true });
  // A debug build on a busy CI machine: widen the policies' wall-clock deadlines so load is
  // not read as a policy fault (deadlines are tested with the chaos plugin).
  for (const f of readdirSync(policies).filter((f) => f.endsWith(".toml"))) {
    const file = path.join(policies, f);
    writeFileSync(file, readFileSync(file, "utf8").replace(/^deadline_ms = \d+$/m, "deadline_ms = 500"));
  }
  const create = (...args) =>
    execFileSync(baton, ["keys", "create", "--data", data, "--policies", policies, ...args], { stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
  keys.widget = create("--tenant", "acme-plumbing", "--role", "widget");
  keys.sam = create("--tenant", "acme-plumbing", "--role", "agent", "--agent", "sam");
  server = await startAndWait(baton, ["serve", "--policies", policies, "--data", data, "--listen", "127.0.0.1:0"],
    /listening on (http:\/\/127\.0\.0\.1:\d+)/, "stdout", "baton serve", { env: { ...process.env, RUST_LOG: "warn" } });
  base = server.match;

  // Chromium is started by hand with the inbox test's flags and driven over DevTools.
  const profile = tmp("baton-chromium-");
  const chrome = await startAndWait(CHROMIUM, [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    `--user-data-dir=${profile}`, "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "about:blank",
  ], /DevTools listening on (ws:\/\/\S+)/, "stderr", "chromium", { detached: true });
  browser = await chromium.connectOverCDP(chrome.match);
});

after(async () => {
  try { if (browser) await browser.close(); } catch (_) { /* already gone */ }
  for (const p of ctx.procs.reverse()) {
    if (p.exitCode !== null || p.signalCode !== null) continue;
    p.removeAllListeners("exit");
    try {
      if (p.spawnargs[0] === CHROMIUM) process.kill(-p.pid, "SIGTERM");
      else p.kill("SIGTERM");
    } catch (_) { /* gone */ }
  }
  await new Promise((r) => setTimeout(r, 300));
  for (const d of ctx.dirs) rmSync(d, { recursive: true, force: true });
});

test("a customer chats on the demo site; Sam takes over in the inbox and hands back", { timeout: 180_000 }, async (t) => {
  const customerCtx = await browser.newContext({ viewport: { width: 1200, height: 860 } });
  const samCtx = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  const customer = await customerCtx.newPage();
  const sam = await samCtx.newPage();
  const pageErrors = [];
  for (const [who, p] of [["customer", customer], ["sam", sam]]) {
    p.on("pageerror", (e) => pageErrors.push(`${who}: ${e.message}`));
    p.on("console", (m) => {
      if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) pageErrors.push(`${who} console: ${m.text()}`);
    });
  }
  mkdirSync(targetDir, { recursive: true });
  // Playwright's CSS locators reach into the widget's open shadow root.
  const w = (s) => customer.locator(`#baton-widget ${s}`);
  const say = async (text) => {
    await w("textarea").fill(text);
    await w("textarea").press("Enter");
    await w(`.msg[data-role="customer"] .bubble`).getByText(text, { exact: true }).waitFor({ timeout: WAIT });
  };

  await t.test("sam signs in and is available", async () => {
    await sam.goto(`${base}/inbox`);
    await sam.locator("#key").fill(keys.sam);
    await sam.locator("#key").press("Enter");
    await sam.locator("#conn[data-state='live']").waitFor({ timeout: WAIT });
    await sam.getByRole("radio", { name: "Available" }).check();
    await sam.locator("#banner").getByText("You are available").waitFor({ timeout: WAIT });
  });

  await t.test("the demo site shows the widget; the bot answers", async () => {
    await customer.goto(`${base}/demo?key=${keys.widget}`);
    await customer.getByRole("heading", { name: "Chicago's friendly plumbers" }).waitFor();
    await w(".launcher").click();
    await w(".panel").waitFor({ state: "visible" });
    assert.equal(await w(".title").textContent(), "Acme Plumbing");
    await say("what are your hours?");
    await w('.msg[data-role="bot"] .bubble').getByText(/Saturday 8am/).waitFor({ timeout: WAIT });
    assert.match(await w('.msg[data-role="bot"] .label').first().textContent(), /Acme Plumbing assistant/);
    assert.equal(await w(".who").textContent(), "Virtual assistant");
  });

  let handoffId;
  await t.test("asking for a person: the notice, the wait, the offer in Sam's inbox", async () => {
    await say("my kitchen sink is draining slowly");
    await w('.msg[data-role="bot"] .bubble').getByText(/backing up/).waitFor({ timeout: WAIT });
    await say("can I just talk to a real person please");
    await w('.msg[data-role="system"] .bubble').getByText(/connecting you with Sam/).waitFor({ timeout: WAIT });
    await w('.who[data-with="waiting"]').getByText("Waiting for a person").waitFor({ timeout: WAIT });
    assert.equal(await w('.msg[data-role="bot"]').count(), 2, "the bot stays quiet once a person is asked for");
    const card = sam.locator("#waiting .card-link").filter({ hasText: "Web visitor" });
    await card.getByText("Offered to you").waitFor({ timeout: WAIT });
    handoffId = await card.getAttribute("data-id");
    await customer.screenshot({ path: path.join(targetDir, "widget-waiting.png") });
  });

  await t.test("Sam accepts and replies; the customer sees both live", async () => {
    await sam.locator(`#waiting .card-link[data-id="${handoffId}"]`).click();
    await sam.locator("#accept-btn").click();
    await sam.locator("#reply").waitFor({ state: "visible", timeout: WAIT });
    await w('.msg[data-role="system"][data-notice="joined"] .bubble').getByText("Sam from Acme Plumbing has joined").waitFor({ timeout: WAIT });
    assert.equal(await w(".who").textContent(), "Sam from Acme Plumbing");
    await sam.locator("#reply-text").fill("Hi, I'm Sam at Acme. I can have a plumber there this afternoon.");
    await sam.locator("#reply-text").press("Control+Enter");
    const reply = w('.msg[data-role="agent"]');
    await reply.locator(".bubble").getByText("this afternoon").waitFor({ timeout: WAIT });
    assert.equal(await reply.locator(".label").textContent(), "Sam · Acme Plumbing");
    await say("Great, I'm home all afternoon. Gate code 4417.");
    await sam.locator('#transcript .msg[data-role="customer"]').getByText("Gate code 4417").waitFor({ timeout: WAIT });
    await customer.screenshot({ path: path.join(targetDir, "widget-agent.png") });
  });

  await t.test("Sam hands back; the bot answers again", async () => {
    await sam.locator("#handback-note").fill("Visit booked for this afternoon.");
    await sam.locator("#handback-btn").click();
    await w('.msg[data-role="system"][data-notice="handback"]').waitFor({ timeout: WAIT });
    await w('.who[data-with="bot"]').waitFor({ timeout: WAIT });
    await say("and what are your hours on saturday?");
    await w('.msg[data-role="bot"]').nth(2).getByText(/Saturday 8am/).waitFor({ timeout: WAIT });
  });

  await t.test("the conversation survives a reload, on a phone-sized screen too", async () => {
    await customer.setViewportSize({ width: 390, height: 844 });
    await customer.reload();
    await w(".launcher").click();
    await w('.msg[data-role="agent"]').waitFor({ timeout: WAIT });
    assert.ok(await customer.evaluate(() => document.documentElement.scrollWidth) <= 390, "no sideways scrolling");
    await customer.screenshot({ path: path.join(targetDir, "widget-phone.png") });
  });

  await t.test("the customer asks again, then leaves the queue: the lead is recorded as abandoned", async () => {
    await customer.setViewportSize({ width: 1200, height: 860 });
    await say("actually can I talk to a real person again please");
    await w('.who[data-with="waiting"]').waitFor({ timeout: WAIT });
    const leave = w(".leave");
    await leave.waitFor({ state: "visible", timeout: WAIT });
    const waiting = (await (await fetch(`${base}/v1/handoffs?state=open`, { headers: { Authorization: `Bearer ${keys.sam}` } })).json())
      .filter((h) => h.id !== handoffId);
    assert.equal(waiting.length, 1, JSON.stringify(waiting));
    await leave.click();
    await w('.who[data-with="bot"]').waitFor({ timeout: WAIT });
    await leave.waitFor({ state: "hidden", timeout: WAIT });
    const res = await fetch(`${base}/v1/handoffs/${waiting[0].id}`, { headers: { Authorization: `Bearer ${keys.sam}` } });
    const left = (await res.json()).handoff;
    assert.equal(left.state, "abandoned", JSON.stringify(left));
    assert.equal(left.note, "the visitor ended the chat");
  });

  assert.deepEqual(pageErrors, [], "no script errors in the pages");
  await customerCtx.close();
  await samCtx.close();
});

process.on("exit", (code) => {
  if (code !== 0 && server) process.stderr.write(`--- baton serve output ---\n${server.output().slice(-4000)}\n`);
});
