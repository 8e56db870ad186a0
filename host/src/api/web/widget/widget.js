// Baton's web-chat widget. Paste one tag into a page:
//
//   <script src="https://baton.example/widget.js" data-key="bk_..." data-title="Acme Plumbing"></script>
//
// The key is a public widget key (`baton keys create --tenant T --role widget`): it can only
// open sessions, and a session's token reaches only its own conversation. The bot is the
// business's own, reached by Baton through the tenant's `[widget] bot_url` hook. The page may
// call `window.BatonWidget.open()`, `.close()` and `.identify({name, email, phone})`.
(function () {
  "use strict";
  const script = document.currentScript;
  if (!script || !script.dataset.key) {
    console.error("Baton widget: the <script> tag needs data-key");
    return;
  }
  const key = script.dataset.key;
  const base = new URL(script.src, location.href).origin;
  const title = script.dataset.title || "Chat with us";
  const saved = "baton-widget:" + key.split("_").slice(0, 2).join("_");

  let session = null; // {conversation_id, token, business}
  let visitor = null; // sent once with the next message
  let nextSeq = 0;
  let streaming = false;
  let retry = 0;

  // A shadow root keeps the page's styles and ours apart.
  const host = document.createElement("div");
  host.id = "baton-widget";
  const root = host.attachShadow({ mode: "open" });
  root.innerHTML = `
    <link rel="stylesheet" href="${base}/widget.css">
    <button class="launcher" type="button" aria-expanded="false" aria-controls="panel">
      <span class="launcher-text"></span>
    </button>
    <section class="panel" id="panel" role="dialog" aria-label="Chat" hidden>
      <header>
        <div><div class="title"></div><div class="who" data-with="bot" aria-live="polite">Virtual assistant</div></div>
        <button class="close" type="button" aria-label="Close chat">×</button>
      </header>
      <p class="leave-row" hidden><button class="leave" type="button">Leave the queue</button></p>
      <ol class="log" aria-live="polite"></ol>
      <p class="error" role="alert" hidden></p>
      <form class="compose">
        <label class="sr" for="text">Message</label>
        <textarea id="text" rows="1" maxlength="2000" placeholder="Type a message…"></textarea>
        <button type="submit">Send</button>
      </form>
    </section>`;
  const $ = (s) => root.querySelector(s);
  const panel = $(".panel"), launcher = $(".launcher"), log = $(".log"), who = $(".who");
  const input = $("#text"), errorLine = $(".error");
  $(".title").textContent = title;
  $(".launcher-text").textContent = script.dataset.launcher || "Chat with us";

  function showError(text) {
    errorLine.textContent = text || "";
    errorLine.hidden = !text;
  }

  async function api(method, path, body) {
    const headers = { Authorization: "Bearer " + key };
    if (session) headers["X-Baton-Session"] = session.token;
    if (body) headers["Content-Type"] = "application/json";
    const res = await fetch(base + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
    const data = await res.json().catch(() => null);
    if (!res.ok) throw new Error((data && data.error && data.error.message) || `Baton answered ${res.status}`);
    return data;
  }

  async function ensureSession() {
    if (session) return session;
    try { session = JSON.parse(localStorage.getItem(saved) || "null"); } catch (_) { session = null; }
    if (!session) {
      session = await api("POST", "/v1/widget/sessions");
      localStorage.setItem(saved, JSON.stringify(session));
    }
    host.dataset.conversation = session.conversation_id;
    return session;
  }

  function time(ms) {
    return new Date(ms).toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
  }

  function render(m) {
    const li = document.createElement("li");
    li.className = "msg";
    li.dataset.role = m.role;
    li.dataset.seq = m.seq;
    if (m.notice) li.dataset.notice = m.notice;
    const business = (session && session.business) || title;
    let label = null;
    if (m.role === "bot") label = business + " assistant";
    if (m.role === "agent") label = (m.agent_name || "An agent") + " · " + business;
    if (label) {
      const l = document.createElement("div");
      l.className = "label";
      l.textContent = label;
      li.append(l);
    }
    const bubble = document.createElement("div");
    bubble.className = "bubble";
    bubble.textContent = m.text;
    const t = document.createElement("time");
    t.textContent = time(m.at_ms);
    li.append(bubble, t);
    log.append(li);
    log.scrollTop = log.scrollHeight;
  }

  function setState(s) {
    who.dataset.with = s.with;
    if (s.with === "agent") who.textContent = `${s.agent_name || "A person"} from ${s.business || title}`;
    else if (s.with === "waiting") who.textContent = "Waiting for a person…";
    else who.textContent = "Virtual assistant";
    host.dataset.with = s.with;
    $(".leave-row").hidden = s.with !== "waiting";
  }

  // The visitor stops waiting: the business sees a lead that left, not one still waiting.
  async function leave() {
    showError("");
    try {
      await api("POST", `/v1/widget/conversations/${encodeURIComponent(session.conversation_id)}/leave`);
      setState({ with: "bot" });
    } catch (e) {
      showError("Could not leave the queue: " + e.message);
    }
  }

  // The conversation, live: Server-Sent Events read with fetch() so the key and the token
  // travel in headers, resumed from the last message seen.
  async function stream() {
    if (streaming) return;
    streaming = true;
    while (streaming) {
      try {
        const res = await fetch(`${base}/v1/widget/conversations/${encodeURIComponent(session.conversation_id)}/stream?from=${nextSeq}`, {
          headers: { Authorization: "Bearer " + key, "X-Baton-Session": session.token, Accept: "text/event-stream" },
        });
        if (res.status === 401 || res.status === 403) {
          // The session is gone (key revoked, store reset): start a new one next time.
          localStorage.removeItem(saved);
          session = null;
          streaming = false;
          showError("This chat has ended. Close and reopen the chat to start again.");
          return;
        }
        if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`);
        host.dataset.live = "true";
        retry = 0;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let cut;
          while ((cut = buf.indexOf("\n\n")) >= 0) {
            const block = buf.slice(0, cut);
            buf = buf.slice(cut + 2);
            let event = "message", data = "";
            for (const line of block.split("\n")) {
              if (line.startsWith("event:")) event = line.slice(6).trim();
              else if (line.startsWith("data:")) data += line.slice(5).trim();
            }
            if (!data) continue;
            const payload = JSON.parse(data);
            if (event === "message" && payload.seq >= nextSeq) {
              nextSeq = payload.seq + 1;
              render(payload);
            } else if (event === "state") setState(payload);
          }
        }
      } catch (_) { /* dropped: retry below */ }
      host.dataset.live = "false";
      retry = Math.min(retry + 1, 5);
      await new Promise((r) => setTimeout(r, 500 * retry));
    }
  }

  async function open() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    input.focus();
    try {
      await ensureSession();
      showError("");
      stream();
    } catch (e) {
      showError("Chat is unavailable right now: " + e.message);
    }
  }

  function close() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  async function send(text) {
    showError("");
    try {
      await ensureSession();
      stream();
      const body = { text };
      if (visitor) body.customer = visitor;
      await api("POST", `/v1/widget/conversations/${encodeURIComponent(session.conversation_id)}/messages`, body);
      visitor = null;
    } catch (e) {
      showError("Not sent: " + e.message);
      input.value = input.value || text;
    }
  }

  launcher.addEventListener("click", () => (panel.hidden ? open() : close()));
  $(".close").addEventListener("click", close);
  $(".leave").addEventListener("click", leave);
  $(".compose").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text);
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      $(".compose").requestSubmit();
    }
  });
  panel.addEventListener("keydown", (e) => { if (e.key === "Escape") close(); });

  window.BatonWidget = Object.assign(window.BatonWidget || {}, {
    open, close,
    identify(v) { visitor = v && v.name ? { name: String(v.name), email: v.email, phone: v.phone } : null; },
  });
  (document.body || document.documentElement).append(host);
})();
