// End-to-end test of the agent inbox in a real browser: the real `baton serve` with the demo
// tenants, a conversation posted as a channel would, and two agents (sam, jo) in headless
// Chromium. Run by `scripts/test` (through tests/browser/run): `node --test inbox.test.mjs`.
//
// Needs /usr/bin/chromium (Debian's package), playwright-core (this folder's package.json),
// a built `baton` (target/debug or target/release, or BATON_BIN) and the plugins in
// policies/plugins (scripts/build-plugins).

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
  // The debug build is what scripts/test builds just before; release only as a fallback.
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

let base, server, browser, serveArgs;
const keys = {};

function startServer(listen) {
  return startAndWait(serveArgs.baton, ["serve", "--policies", serveArgs.policies, "--data", serveArgs.data, "--listen", listen],
    /listening on (http:\/\/127\.0\.0\.1:\d+)/, "stdout", "baton serve", { env: { ...process.env, RUST_LOG: "warn" } });
}

async function call(key, method, url, body) {
  const res = await fetch(base + url, {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null, text };
}

async function say(conversation, body) {
  const r = await call(keys.channel, "POST", `/v1/conversations/${conversation}/events`, body);
  assert.equal(r.status, 201, `posting to ${conversation}: ${r.text}`);
  return r.json;
}

async function signIn(page, key) {
  await page.goto(`${base}/inbox`);
  await page.locator("#key").fill(key);
  await page.locator("#key").press("Enter");
  await page.locator("#conn[data-state='live']").waitFor({ timeout: WAIT });
}

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`);
  for (const p of ["standard-trigger", "skills-router"]) {
    assert.ok(existsSync(path.join(root, "policies/plugins", `${p}.wasm`)), `policies/plugins/${p}.wasm is missing: run scripts/build-plugins`);
  }
  const baton = batonBinary();
  const work = tmp("baton-inbox-");
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
  keys.channel = create("--tenant", "acme-plumbing", "--role", "channel");
  keys.sam = create("--tenant", "acme-plumbing", "--role", "agent", "--agent", "sam");
  keys.jo = create("--tenant", "acme-plumbing", "--role", "agent", "--agent", "jo");

  serveArgs = { baton, policies, data };
  server = await startServer("127.0.0.1:0");
  base = server.match;

  // Chromium is started by hand with exactly these flags (Playwright's launch() refuses a
  // --user-data-dir) and driven over the DevTools protocol.
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
      // Chromium was started in its own process group (it forks helpers); baton was not.
      if (p.spawnargs[0] === CHROMIUM) process.kill(-p.pid, "SIGTERM");
      else p.kill("SIGTERM");
    } catch (_) { /* gone */ }
  }
  await new Promise((r) => setTimeout(r, 300));
  for (const d of ctx.dirs) rmSync(d, { recursive: true, force: true });
});

test("two agents take a handoff in the inbox, live", { timeout: 180_000 }, async (t) => {
  const samCtx = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  const joCtx = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  const sam = await samCtx.newPage();
  const jo = await joCtx.newPage();
  const pageErrors = [];
  for (const [who, p] of [["sam", sam], ["jo", jo]]) {
    p.on("pageerror", (e) => pageErrors.push(`${who}: ${e.message}`));
    // Failed requests (the 401, the 409, the dropped stream) are the browser's network log,
    // expected here; any other console error is a bug in the page.
    p.on("console", (m) => {
      if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) pageErrors.push(`${who} console: ${m.text()}`);
    });
  }
  mkdirSync(targetDir, { recursive: true });

  await t.test("a rejected key is said in words", async () => {
    await sam.goto(`${base}/inbox`);
    await sam.locator("#key").fill("bk_000000000000_not-a-real-key");
    await sam.getByRole("button", { name: "Sign in" }).click();
    await sam.locator("#signin-error").getByText("rejected").waitFor({ timeout: WAIT });
  });

  await t.test("sam signs in and becomes available; jo signs in", async () => {
    await signIn(sam, keys.sam);
    assert.equal(await sam.locator("#who-name").textContent(), "Sam Ortiz");
    assert.equal(await sam.locator("#who-business").textContent(), "Acme Plumbing");
    assert.equal(await sam.evaluate(() => sessionStorage.getItem("baton.inbox.key")), keys.sam);
    assert.equal(await sam.evaluate(() => localStorage.length), 0, "the key must not reach localStorage");
    await sam.getByRole("radio", { name: "Available" }).check();
    await sam.locator("#banner").getByText("You are available").waitFor({ timeout: WAIT });
    const me = await call(keys.sam, "GET", "/v1/me");
    assert.equal(me.json.presence, "available");
    await signIn(jo, keys.jo); // jo stays offline, so the offer goes to sam; jo still sees the queue
    await jo.locator("#waiting-empty").waitFor({ state: "visible" });
  });

  let first, urgent;
  await t.test("the offer arrives live, emergencies first", async () => {
    await say("web-dana-1", {
      role: "customer", channel: "web_chat", text: "hi, my kitchen sink is draining slowly",
      customer: { name: "Dana Whitfield", phone: "+13125550142", address: "2210 W Fulton St, Chicago", repeat_customer: true, lifetime_value_usd: 640 },
    });
    await say("web-dana-1", { role: "bot", text: "Sorry to hear that! Is the water backing up into the other sink too?", intent: "troubleshoot_drain", confidence: 0.82 });
    first = await say("web-dana-1", { role: "customer", text: "can I just talk to a real person please" });
    assert.equal(first.decision.escalate, true);
    assert.equal(first.handoff.offered_to, "sam");
    const card = sam.locator(`#waiting .card-link[data-id="${first.handoff.id}"]`);
    await card.getByText("Dana Whitfield").waitFor({ timeout: WAIT });
    await card.getByText("Offered to you").waitFor();
    assert.match(await card.textContent(), /explicit request/);
    await jo.locator(`#waiting .card-link[data-id="${first.handoff.id}"]`).getByText("Offered to Sam").waitFor({ timeout: WAIT });
    assert.ok(Number(await sam.evaluate(() => document.body.dataset.alerts)) >= 1, "the new offer alerted sam");
    assert.equal(await jo.evaluate(() => document.body.dataset.alerts), undefined, "an offer to sam does not ring for jo");

    urgent = await say("sms-ray-1", {
      role: "customer", channel: "sms", text: "I smell gas near the water heater, it's really strong",
      customer: { name: "Ray Kowalski", phone: "+13125550188" },
    });
    assert.equal(urgent.decision.escalate, true);
    assert.equal(urgent.handoff.priority, "urgent");
    const top = sam.locator("#waiting .card-link").first();
    await top.getByText("Ray Kowalski").waitFor({ timeout: WAIT });
    await top.locator(".badge.urgent").getByText("Emergency").waitFor();
    assert.equal(await sam.locator("#waiting .card-link").count(), 2);
    assert.match(await sam.locator("#waiting .card-link").nth(1).textContent(), /Dana Whitfield/);
    assert.match(await top.locator(".card-wait").textContent(), /^\d+:\d\d$/, "the wait counts up");
    await sam.waitForTimeout(1200); // let the clocks tick once for the picture
    await sam.screenshot({ path: path.join(targetDir, "inbox-queue.png") });
  });

  let packet;
  await t.test("sam opens the handoff by keyboard: brief, transcript, customer, decision", async () => {
    await sam.keyboard.press("?");
    await sam.locator("#help").getByText("Accept the open handoff").waitFor({ timeout: WAIT });
    await sam.getByRole("button", { name: "Close" }).click();
    await sam.locator("#help").waitFor({ state: "hidden" });
    await sam.keyboard.press("j");
    await sam.keyboard.press("j");
    assert.equal(await sam.evaluate(() => document.activeElement.dataset.id), first.handoff.id);
    await sam.keyboard.press("Enter");
    await sam.locator("#h-title").getByText("Dana Whitfield").waitFor({ timeout: WAIT });
    packet = (await call(keys.sam, "GET", `/v1/handoffs/${first.handoff.id}`)).json;
    assert.equal(await sam.locator("#b-situation").textContent(), packet.brief.situation);
    assert.match(packet.brief.situation, /talk to a real person/);
    assert.match(await sam.locator("#b-recommendation").textContent(), /introduce yourself/);
    assert.match(await sam.locator("#b-facts").textContent(), /\+13125550142/);
    const transcript = sam.locator("#transcript");
    assert.equal(await transcript.locator('.msg:is([data-role="customer"], [data-role="bot"])').count(), 3);
    assert.equal(await transcript.locator('.msg[data-role="system"]').count(), 1, "the notice the customer was shown");
    const bot = transcript.locator('.msg[data-role="bot"]');
    assert.match(await bot.textContent(), /troubleshoot_drain/);
    assert.match(await bot.textContent(), /0\.82 confidence/);
    assert.match(await transcript.locator('.msg[data-trigger="true"]').textContent(), /real person/);
    assert.match(await sam.locator("#customer").textContent(), /2210 W Fulton St/);
    const decision = await sam.locator("#decision").textContent();
    assert.match(decision, /explicit request/);
    assert.ok(decision.includes(first.decision.policy_version), "the decision shows its policy version");
    // The brief comes before the transcript on the page.
    const order = await sam.evaluate(() =>
      document.querySelector(".brief").compareDocumentPosition(document.querySelector("#transcript")) & Node.DOCUMENT_POSITION_FOLLOWING);
    assert.ok(order, "the brief is shown first");
  });

  await t.test("sam accepts with `a`; the reply holds the read-back; jo sees it leave", async () => {
    await sam.keyboard.press("a");
    await sam.locator("#reply").waitFor({ state: "visible", timeout: WAIT });
    assert.equal(await sam.locator("#reply-text").inputValue(), packet.brief.read_back);
    // Focus moves to the reply box once the accepted view has rendered (under load, a beat
    // after it becomes visible).
    await sam.waitForFunction(() => document.activeElement && document.activeElement.id === "reply-text", null, { timeout: WAIT });
    await sam.locator("#h-state").getByText("With you").waitFor();
    await jo.locator(`.card-link[data-id="${first.handoff.id}"]`).waitFor({ state: "detached", timeout: WAIT });
    await sam.locator(`#mine .card-link[data-id="${first.handoff.id}"]`).waitFor({ timeout: WAIT });
  });

  const addition = " I'm Sam at Acme: I can have a plumber with you this afternoon.";
  await t.test("sam edits and sends the reply; the customer's answer appears live", async () => {
    await sam.locator("#reply-text").press("End");
    await sam.locator("#reply-text").pressSequentially(addition);
    // A tall desktop window, so the picture holds the brief, the conversation and the reply.
    await sam.setViewportSize({ width: 1440, height: 1500 });
    await sam.evaluate(() => { document.getElementById("detail").scrollTop = 0; });
    await sam.screenshot({ path: path.join(targetDir, "inbox-handoff.png") });
    await sam.setViewportSize({ width: 1360, height: 900 });
    await sam.locator("#reply-text").press("Control+Enter");
    await sam.locator('#transcript .msg[data-role="agent"]').getByText("I'm Sam at Acme").waitFor({ timeout: WAIT });
    assert.equal(await sam.locator("#reply-text").inputValue(), "");
    await say("web-dana-1", { role: "customer", text: "Great, I'm home all afternoon. Gate code 4417." });
    await sam.locator('#transcript .msg[data-role="customer"]').getByText("Gate code 4417").waitFor({ timeout: WAIT });
  });

  await t.test("sam resolves as booked with a rating; the API stored it all", async () => {
    await sam.getByRole("radio", { name: "Booked" }).check();
    await sam.locator("#csat").selectOption("5");
    await sam.locator("#resolve-note").fill("Drain snaked this afternoon.");
    await sam.getByRole("button", { name: "Resolve" }).click();
    await sam.locator("#banner").getByText("as booked").waitFor({ timeout: WAIT });
    await sam.locator(`.card-link[data-id="${first.handoff.id}"]`).waitFor({ state: "detached", timeout: WAIT });

    const h = (await call(keys.sam, "GET", `/v1/handoffs/${first.handoff.id}`)).json.handoff;
    assert.equal(h.state, "resolved");
    assert.equal(h.outcome, "booked");
    assert.equal(h.csat, 5);
    assert.equal(h.accepted_by, "sam");
    const conv = (await call(keys.channel, "GET", "/v1/conversations/web-dana-1")).json;
    const mine = conv.messages.filter((m) => m.role === "agent");
    assert.equal(mine.length, 1);
    assert.equal(mine[0].text, (packet.brief.read_back + addition).trim());
    assert.equal(mine[0].agent_id, "sam");
    assert.equal(conv.messages.at(-1).text, "Great, I'm home all afternoon. Gate code 4417.");
    assert.equal(conv.open_handoff, null);
  });

  await t.test("jo is told in words when sam took the emergency first (409)", async () => {
    const id = urgent.handoff.id;
    await jo.locator(`.card-link[data-id="${id}"]`).click();
    await jo.locator("#h-title").getByText("Ray Kowalski").waitFor({ timeout: WAIT });
    // Sam wins the race: his accept lands just before jo's.
    await jo.route("**/v1/handoffs/*/accept", async (route) => {
      const r = await call(keys.sam, "POST", `/v1/handoffs/${id}/accept`);
      assert.equal(r.status, 200, r.text);
      await route.continue();
    });
    await jo.getByRole("button", { name: /Accept/ }).click();
    await jo.locator("#banner").getByText("Too late: Sam already took this handoff.").waitFor({ timeout: WAIT });
    await jo.locator("#h-state").getByText("Sam took this handoff.").waitFor({ timeout: WAIT });
    assert.equal(await jo.locator("#accept-btn").isVisible(), false);
    await jo.locator(`.card-link[data-id="${id}"]`).waitFor({ state: "detached", timeout: WAIT });
  });

  await t.test("a lost connection is said in words and recovers", async () => {
    // The server dies and comes back on the same port with the same store.
    const port = new URL(base).port;
    const dead = new Promise((r) => server.child.once("exit", r));
    server.child.kill("SIGKILL");
    await dead;
    await jo.locator("#conn[data-state='lost']").waitFor({ timeout: WAIT });
    await jo.locator("#banner").getByText("Connection to Baton lost").waitFor();
    // Meanwhile a new customer asks for a person: jo sees it once the stream resumes.
    server = await startServer(`127.0.0.1:${port}`);
    await jo.locator("#conn[data-state='live']").waitFor({ timeout: 30_000 });
    await jo.locator("#banner").getByText("Connection is back").waitFor({ timeout: WAIT });
    const later = await say("web-lena-1", { role: "customer", text: "can I talk to a human please", customer: { name: "Lena Ortiz" } });
    assert.equal(later.decision.escalate, true);
    await jo.locator(`#waiting .card-link[data-id="${later.handoff.id}"]`).getByText("Lena Ortiz").waitFor({ timeout: WAIT });
  });

  await t.test("a long conversation opens on its last page and loads the earlier ones", async () => {
    for (let n = 0; n < 149; n++) await say("long-1", { role: "bot", text: `note ${n} about the visit` });
    const long = await say("long-1", { role: "customer", text: "can I talk to a real person please" });
    assert.ok(long.handoff, "a handoff opened");
    await sam.evaluate((id) => { location.hash = `#/h/${id}`; }, long.handoff.id);
    const transcript = sam.locator("#transcript");
    await transcript.locator('.msg[data-trigger="true"]').waitFor({ timeout: WAIT });
    assert.equal(await transcript.locator(".msg").count(), 100, "the packet's last page");
    const earlier = sam.locator("#earlier-btn");
    assert.ok(await earlier.isVisible(), "the earlier messages can be loaded");
    await earlier.click();
    await transcript.locator('.msg[data-seq="0"]').waitFor({ timeout: WAIT });
    assert.equal(await transcript.locator(".msg").count(), 151, "every message, each once");
    const seqs = await transcript.locator(".msg").evaluateAll((ms) => ms.map((m) => Number(m.dataset.seq)));
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), "in order");
    await earlier.waitFor({ state: "hidden", timeout: WAIT });
  });

  await t.test("sam closes a stale handoff as abandoned, with a reason", async () => {
    const stale = (await call(keys.sam, "GET", "/v1/handoffs?state=open")).json
      .find((h) => h.conversation_id === "long-1");
    assert.ok(stale && ["queued", "offered"].includes(stale.state), JSON.stringify(stale));
    await sam.locator("#abandon summary").click();
    // No reason: said in words, nothing sent.
    await sam.locator("#abandon-btn").click();
    await sam.locator("#abandon-error").getByText("Say why").waitFor({ timeout: WAIT });
    await sam.locator("#abandon-reason").fill("customer found another plumber");
    await sam.locator("#abandon-btn").click();
    await sam.locator("#h-state").getByText("Closed: abandoned").waitFor({ timeout: WAIT });
    const closed = (await call(keys.sam, "GET", `/v1/handoffs/${stale.id}`)).json.handoff;
    assert.equal(closed.state, "abandoned");
    assert.equal(closed.note, "customer found another plumber");
  });

  await t.test("the page fits a phone", async () => {
    const phoneCtx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const phone = await phoneCtx.newPage();
    await signIn(phone, keys.sam);
    await phone.locator(`#mine .card-link[data-id="${urgent.handoff.id}"]`).waitFor({ timeout: WAIT });
    const width = await phone.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `no sideways scrolling on a phone (page is ${width}px wide)`);
    await phone.locator(`#mine .card-link[data-id="${urgent.handoff.id}"]`).click();
    await phone.locator("#h-title").getByText("Ray Kowalski").waitFor({ timeout: WAIT });
    assert.equal(await phone.locator("#queue").isVisible(), false, "on a phone the open handoff takes the screen");
    assert.ok(await phone.evaluate(() => document.documentElement.scrollWidth) <= 390);
    await phone.screenshot({ path: path.join(targetDir, "inbox-phone.png") });
    await phone.getByRole("link", { name: "← Queue" }).click();
    await phone.locator("#queue").waitFor({ state: "visible" });
    await phoneCtx.close();
  });

  assert.deepEqual(pageErrors, [], "no script errors in the pages");
  await samCtx.close();
  await joCtx.close();
});

// Keep the server's log at hand when something fails.
process.on("exit", (code) => {
  if (code !== 0 && server) process.stderr.write(`--- baton serve output ---\n${server.output().slice(-4000)}\n`);
});
