// End-to-end test of the accept page an agent's page links to, in a real browser: the real
// `baton serve` with a plumbing company closed today, an SMTP sink on loopback written here,
// an emergency posted as a channel would; on-call Sam, never signed in, gets the alert
// email, opens its one-time link in headless Chromium and accepts; the link then refuses a
// second use. Run by tests/browser/run: `node --test accept.test.mjs`.
//
// Needs /usr/bin/chromium, playwright-core (this folder's package.json), a built `baton`
// (target/debug or target/release, or BATON_BIN) and the plugins in policies/plugins.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, cpSync, rmSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
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

const ctx = { procs: [], dirs: [], servers: [] };

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

// A free loopback port (the host's public URL must be known before it starts).
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// A tiny SMTP server: accepts every message and hands each one over whole.
function smtpSink() {
  const mail = [];
  const waiting = [];
  const server = createServer((socket) => {
    let buffer = "";
    let data = null;
    socket.write("220 sink ESMTP\r\n");
    socket.on("data", (chunk) => {
      buffer += chunk.toString();
      let at;
      while ((at = buffer.indexOf("\r\n")) >= 0) {
        const line = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        if (data !== null) {
          if (line === ".") {
            mail.push(data);
            waiting.splice(0).forEach((w) => w());
            data = null;
            socket.write("250 OK queued\r\n");
          } else {
            data += (line.startsWith(".") ? line.slice(1) : line) + "\n";
          }
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === "DATA") { data = ""; socket.write("354 go ahead\r\n"); }
        else if (verb === "QUIT") { socket.end("221 bye\r\n"); }
        else socket.write("250 OK\r\n");
      }
    });
    socket.on("error", () => {});
  });
  ctx.servers.push(server);
  const next = async (to) => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const found = mail.find((m) => m.split("\n").includes(`To: ${to}`));
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no email to ${to}`);
      await new Promise((r) => { waiting.push(r); setTimeout(r, 500); });
    }
  };
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ port: server.address().port, next })));
}

// Local dates in Chicago, `n` days from today.
function chicagoDate(n) {
  const d = new Date(Date.now() + n * 86_400_000);
  return new Intl.DateTimeFormat("en-CA", { timeZone: "America/Chicago" }).format(d);
}

const TENANT = `name = "Night Plumbing"
time_zone = "America/Chicago"
emergency_phone = "+15555550199"

[hours]
mon = "07:00-19:00"
tue = "07:00-19:00"
wed = "07:00-19:00"
thu = "07:00-19:00"
fri = "07:00-19:00"
closed_on = ["${chicagoDate(-1)}", "${chicagoDate(0)}", "${chicagoDate(1)}"]

[[queues]]
name = "general"
skills = ["plumbing"]

[[agents]]
id = "sam"
name = "Sam Ortiz"
skills = ["plumbing", "emergency"]
on_call = true
alert = { email = "sam@night.example" }

[limits]
deadline_ms = 500
offer_timeout_secs = 600

[fallback]
queue = "general"

[trigger]
plugin = "plugins/standard-trigger.wasm"

[routing]
plugin = "plugins/skills-router.wasm"
`;

let base, browser, sink, channelKey;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`);
  const baton = batonBinary();
  const work = tmp("baton-accept-");
  const policies = path.join(work, "policies");
  const data = path.join(work, "data");
  mkdirSync(path.join(policies, "plugins"), { recursive: true });
  for (const p of ["standard-trigger", "skills-router"]) {
    const wasm = path.join(root, "policies/plugins", `${p}.wasm`);
    assert.ok(existsSync(wasm), `${wasm} is missing: run scripts/build-plugins`);
    cpSync(wasm, path.join(policies, "plugins", `${p}.wasm`));
  }
  writeFileSync(path.join(policies, "night-plumbing.toml"), TENANT);
  channelKey = execFileSync(baton, ["keys", "create", "--data", data, "--tenant", "night-plumbing", "--role", "channel"],
    { stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
  sink = await smtpSink();
  const port = await freePort();
  const started = await startAndWait(baton, [
    "serve", "--policies", policies, "--data", data, "--listen", `127.0.0.1:${port}`,
    "--smtp", `smtp://127.0.0.1:${sink.port}`, "--public-url", `http://127.0.0.1:${port}`,
  ], /listening on (http:\/\/127\.0\.0\.1:\d+)/, "stdout", "baton serve", { env: { ...process.env, RUST_LOG: "warn" } });
  base = started.match;

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
  for (const s of ctx.servers) s.close();
  await new Promise((r) => setTimeout(r, 300));
  for (const d of ctx.dirs) rmSync(d, { recursive: true, force: true });
});

test("on-call Sam, paged after hours, accepts the emergency from the link in his email", async () => {
  const res = await fetch(`${base}/v1/conversations/night-1/events`, {
    method: "POST",
    headers: { Authorization: `Bearer ${channelKey}`, "Content-Type": "application/json" },
    body: JSON.stringify({ role: "customer", text: "help, water is pouring through the ceiling", channel: "sms",
                           customer: { name: "Dana Ruiz", phone: "+15555550117" } }),
  });
  const opened = await res.json();
  assert.equal(res.status, 201, JSON.stringify(opened));
  assert.equal(opened.handoff.offered_to, "sam");
  assert.equal(opened.notice.kind, "paged");

  const email = await sink.next("sam@night.example");
  const link = email.replace(/=\n/g, "").match(/(http:\/\/127\.0\.0\.1:\d+\/inbox\/accept#al\.[a-z0-9_-]+\.[0-9a-f]{64})/);
  assert.ok(link, `no accept link in:\n${email}`);

  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(link[1]);
  await page.locator("#offer").waitFor({ timeout: WAIT });
  assert.match(await page.locator("#offer-h").textContent(), /URGENT: handoff for you, Sam/);
  assert.match(await page.locator("#offer-said").textContent(), /pouring through the ceiling/);
  await page.locator("#accept-btn").click();
  await page.locator("#done").waitFor({ timeout: WAIT });
  assert.equal(await page.locator("#done-phone").textContent(), "+15555550117");
  assert.equal(await page.locator("#done-phone").getAttribute("href"), "tel:+15555550117");

  // The handoff is Sam's; the link does not work twice.
  const again = await context.newPage();
  await again.goto(link[1]);
  await again.locator("#problem").waitFor({ timeout: WAIT });
  assert.match(await again.locator("#problem-text").textContent(), /already used/);
  await context.close();
});
