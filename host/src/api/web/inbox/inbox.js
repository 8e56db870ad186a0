// The agent inbox. Plain JavaScript over Baton's public API; no framework, no build step.
//
// The live queue is `GET /v1/events` read with fetch() rather than EventSource: EventSource
// cannot send an Authorization header (the key would have to go in the URL, and so into
// access logs and history) and cannot tell a rejected key (401) from a dropped connection.
// Reading the stream ourselves keeps the key in the header, resumes with Last-Event-ID and
// says in words what went wrong.
"use strict";

(() => {
  const KEY_STORE = "baton.inbox.key";
  const OUTCOMES = { booked: "Booked", resolved: "Resolved", not_resolved: "Not resolved", no_response: "No response", spam: "Spam" };
  const PRIORITY_RANK = { urgent: 3, high: 2, normal: 1, low: 0 };
  const STREAM_SILENCE_MS = 40000; // the server sends a keep-alive every 15 s

  const $ = (id) => document.getElementById(id);
  const S = {
    key: null,
    me: null,
    handoffs: new Map(), // open handoffs by id
    cards: new Map(), // id -> {name, quote} from the packet, fetched once
    cardLoads: new Map(),
    open: null, // {id, packet}
    lastEventId: null,
    synced: false,
    buffer: null,
    streamAbort: null,
    generation: 0,
    unread: new Set(),
    skewMs: 0,
    audio: null,
    sending: false,
  };

  // ---------- small helpers ----------

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (v === undefined || v === null || v === false) continue;
        if (k === "class") node.className = v;
        else if (k === "text") node.textContent = v;
        else if (k.startsWith("data-") || k.startsWith("aria-") || k === "role" || k === "href" || k === "title") node.setAttribute(k, v);
        else node[k] = v;
      }
    }
    for (const c of children) if (c !== null && c !== undefined && c !== false) node.append(c);
    return node;
  }
  const now = () => Date.now() + S.skewMs;
  const words = (s) => String(s || "").replace(/_/g, " ");
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  function since(ms) {
    const s = Math.max(0, Math.floor((now() - ms) / 1000));
    if (s < 3600) return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
    const h = Math.floor(s / 3600);
    return `${h} h ${Math.floor((s % 3600) / 60)} min`;
  }
  function clock(ms) {
    return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }
  function agentName(id) {
    if (!id) return "";
    if (S.me && id === S.me.agent_id) return "you";
    return id.charAt(0).toUpperCase() + id.slice(1);
  }

  class ApiError extends Error {
    constructor(status, code, message, field) {
      super(message || `HTTP ${status}`);
      this.status = status;
      this.code = code;
      this.field = field;
    }
  }

  async function api(method, path, body) {
    let res;
    try {
      res = await fetch(path, {
        method,
        cache: "no-store",
        headers: Object.assign({ Authorization: `Bearer ${S.key}` }, body ? { "Content-Type": "application/json" } : {}),
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch (e) {
      throw new ApiError(0, "network", "Baton can't be reached. Check your connection and try again.");
    }
    noteSkew(res);
    if (!res.ok) {
      let err = {};
      try { err = (await res.json()).error || {}; } catch (_) { /* not JSON */ }
      const e = new ApiError(res.status, err.code, err.message, err.field);
      if (res.status === 401 && S.me) signOut("Your key was rejected (unknown, revoked, or its agent is no longer on the roster). Sign in again with a valid agent key.");
      throw e;
    }
    return res.json();
  }

  function noteSkew(res) {
    const d = Date.parse(res.headers.get("date") || "");
    if (!Number.isNaN(d)) {
      const skew = d - Date.now();
      S.skewMs = Math.abs(skew) > 2000 ? skew : 0;
    }
  }

  // A person-readable sentence for an API failure.
  function explain(e, doing) {
    if (!(e instanceof ApiError)) return `Something went wrong while ${doing}: ${e.message}`;
    switch (e.status) {
      case 0: return e.message;
      case 401: return "Your key was rejected (unknown, revoked, or its agent is no longer on the roster).";
      case 403: return `Not allowed: ${e.message}`;
      case 404: return "That handoff no longer exists for your business.";
      case 409: {
        const m = e.message || "";
        const who = /already accepted by `([^`]+)`/.exec(m);
        if (who) return who[1] === (S.me && S.me.agent_id) ? "You already hold this handoff." : `Too late: ${agentName(who[1])} already took this handoff.`;
        if (/is not accepted by/.test(m)) return "You no longer hold this handoff: it was closed or handed back.";
        if (/is not offered to/.test(m)) return "This offer is no longer yours: it timed out or moved on.";
        const to = /is offered to `([^`]+)`/.exec(m);
        if (to) return `${agentName(to[1])} has this offer; it comes back to the queue if they decline or don't answer.`;
        if (/has no room/.test(m)) return `You are at your capacity: ${m}`;
        const st = /is (\w+)$/.exec(m);
        if (st) return `This handoff is already ${words(st[1])}.`;
        return `Someone got there first: ${e.message}`;
      }
      case 422: return e.message;
      case 503: return `Baton can't serve your business right now: ${e.message}`;
      default: return `Baton answered ${e.status} while ${doing}: ${e.message}`;
    }
  }

  // ---------- banner, connection status, announcements ----------

  let bannerTimer = null;
  function banner(text, kind = "error", sticky = false) {
    clearTimeout(bannerTimer);
    if (!text) { $("banner").hidden = true; return; }
    $("banner-text").textContent = text;
    $("banner").dataset.kind = kind;
    $("banner").hidden = false;
    if (!sticky) bannerTimer = setTimeout(() => { $("banner").hidden = true; }, kind === "ok" ? 4000 : 12000);
  }
  function conn(state, text) {
    const c = $("conn");
    c.dataset.state = state;
    c.textContent = text;
  }
  function announce(text) {
    $("announce").textContent = "";
    setTimeout(() => { $("announce").textContent = text; }, 30);
  }

  // ---------- alerts: sound and desktop notification ----------

  function primeAudio() {
    try {
      if (!S.audio) S.audio = new (window.AudioContext || window.webkitAudioContext)();
      if (S.audio.state === "suspended") S.audio.resume();
    } catch (_) { S.audio = null; }
  }
  function chime(urgent) {
    const ctx = S.audio;
    if (!ctx || ctx.state !== "running") return;
    const notes = urgent ? [988, 1319, 988, 1319] : [660, 880];
    const step = urgent ? 0.13 : 0.16;
    notes.forEach((f, i) => {
      const t = ctx.currentTime + i * step;
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = "sine";
      osc.frequency.value = f;
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.25, t + 0.015);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + step * 1.6);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t);
      osc.stop(t + step * 1.7);
    });
  }
  function notifyButton() {
    const b = $("notify-btn");
    b.hidden = !("Notification" in window) || Notification.permission !== "default";
  }
  function alertNew(h) {
    const card = S.cards.get(h.id);
    const who = card ? card.name : "A customer";
    const urgent = h.priority === "urgent";
    const what = `${urgent ? "EMERGENCY: " : ""}${who} — ${words(h.reason)}`;
    document.body.dataset.alerts = String(Number(document.body.dataset.alerts || 0) + 1);
    chime(urgent);
    announce(`New handoff. ${what}.`);
    if ("Notification" in window && Notification.permission === "granted" && (document.hidden || !document.hasFocus())) {
      try {
        const n = new Notification(urgent ? "Emergency handoff" : "New handoff", { body: what, tag: h.id, requireInteraction: urgent });
        n.onclick = () => { window.focus(); location.hash = `#/h/${h.id}`; n.close(); };
      } catch (_) { /* some browsers allow notifications only from a service worker */ }
    }
  }

  // ---------- sign in / out ----------

  async function signIn(key, quiet) {
    S.key = key;
    let me;
    try {
      me = await api("GET", "/v1/me");
    } catch (e) {
      S.key = null;
      // A rejected key is forgotten; after a network failure a reload can try it again.
      if (e.status === 401 || !quiet) sessionStorage.removeItem(KEY_STORE);
      showSignin(e.status === 401 ? "That key was rejected: it is unknown or has been revoked." : explain(e, "signing in"));
      return;
    }
    if (me.role !== "agent" || !me.agent_id) {
      S.key = null;
      sessionStorage.removeItem(KEY_STORE);
      showSignin(`That is ${me.role === "operator" ? "an operator" : "a " + me.role} key. The inbox needs an agent key (baton keys create --role agent --agent ID).`);
      return;
    }
    sessionStorage.setItem(KEY_STORE, key);
    S.me = me;
    $("who-name").textContent = me.agent_name || me.agent_id;
    $("who-business").textContent = me.business || `${me.tenant} (no policy loaded)`;
    $("who").hidden = false;
    $("tools").hidden = false;
    $("signin").hidden = true;
    $("desk").hidden = false;
    $("key").value = "";
    setPresenceUi(me.presence || "offline");
    notifyButton();
    if (!me.business) banner(`Your business (${me.tenant}) has no working policy loaded on this server; new handoffs cannot open until an operator fixes it.`, "warn", true);
    startStream();
    route();
  }

  function showSignin(error) {
    $("signin").hidden = false;
    $("desk").hidden = true;
    $("who").hidden = true;
    $("tools").hidden = true;
    const err = $("signin-error");
    err.textContent = error || "";
    err.hidden = !error;
    $("key").focus();
  }

  function signOut(reason) {
    S.generation++;
    if (S.streamAbort) S.streamAbort.abort();
    S.key = null;
    S.me = null;
    S.handoffs.clear();
    S.cards.clear();
    S.open = null;
    S.lastEventId = null;
    S.synced = false;
    sessionStorage.removeItem(KEY_STORE);
    $("waiting").textContent = "";
    $("mine").textContent = "";
    $("handoff").hidden = true;
    banner("");
    if (location.hash) history.replaceState(null, "", location.pathname);
    showSignin(reason);
  }

  // ---------- presence ----------

  function setPresenceUi(p) {
    for (const r of document.querySelectorAll('input[name="presence"]')) r.checked = r.value === p;
    $("presence").dataset.value = p;
  }
  async function setPresence(p) {
    const before = $("presence").dataset.value;
    try {
      const row = await api("PUT", `/v1/agents/${encodeURIComponent(S.me.agent_id)}/presence`, { presence: p });
      setPresenceUi(row.presence);
      announce(`You are ${row.presence}.`);
      banner(p === "available" ? "You are available: offers will come to you." : `You are ${p}: no new offers will come to you.`, "ok");
    } catch (e) {
      setPresenceUi(before);
      banner(`Your presence was not changed. ${explain(e, "setting your presence")}`);
    }
  }

  // ---------- the live stream ----------

  function startStream() {
    const gen = ++S.generation;
    S.synced = false;
    S.lastEventId = null;
    runStream(gen);
  }

  async function runStream(gen) {
    let backoff = 1000;
    while (gen === S.generation) {
      const ctl = new AbortController();
      S.streamAbort = ctl;
      let silence = null;
      const kick = () => { clearTimeout(silence); silence = setTimeout(() => ctl.abort(), STREAM_SILENCE_MS); };
      try {
        const headers = { Authorization: `Bearer ${S.key}`, Accept: "text/event-stream" };
        if (S.lastEventId !== null) headers["Last-Event-ID"] = String(S.lastEventId);
        kick();
        const res = await fetch("/v1/events", { headers, signal: ctl.signal, cache: "no-store" });
        if (res.status === 401) { clearTimeout(silence); signOut("Your key was rejected (unknown, revoked, or its agent is no longer on the roster). Sign in again with a valid agent key."); return; }
        if (!res.ok) {
          let m = "";
          try { m = (await res.json()).error.message; } catch (_) { /* not JSON */ }
          throw new Error(`the server answered ${res.status}${m ? ": " + m : ""}`);
        }
        noteSkew(res);
        const wasLost = $("conn").dataset.state === "lost";
        conn("live", "Live");
        if (wasLost) banner("Connection is back. The queue is up to date.", "ok");
        backoff = 1000;
        if (S.lastEventId === null) resync(gen); // nothing to resume from: read the queue afresh
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done || gen !== S.generation) break;
          kick();
          buf += value;
          let cut;
          while ((cut = buf.search(/\r?\n\r?\n/)) >= 0) {
            const block = buf.slice(0, cut);
            buf = buf.slice(cut).replace(/^\r?\n\r?\n/, "");
            parseBlock(block);
          }
        }
        throw new Error("the stream ended");
      } catch (e) {
        clearTimeout(silence);
        if (gen !== S.generation) return;
        const wait = backoff + Math.floor(Math.random() * 500);
        const secs = Math.round(wait / 1000);
        conn("lost", `Reconnecting in ${secs} s…`);
        banner(`Connection to Baton lost (${e.name === "AbortError" ? "no word from the server" : e.message}). Retrying; new handoffs will appear when it is back.`, "warn", true);
        await sleep(wait);
        backoff = Math.min(backoff * 2, 15000);
      } finally {
        clearTimeout(silence);
      }
    }
  }

  function parseBlock(block) {
    let id = null, type = "message";
    const data = [];
    for (const line of block.split(/\r?\n/)) {
      if (!line || line.startsWith(":")) continue;
      const i = line.indexOf(":");
      const field = i < 0 ? line : line.slice(0, i);
      const value = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
      if (field === "id") id = value;
      else if (field === "event") type = value;
      else if (field === "data") data.push(value);
    }
    if (!data.length) return;
    let ev;
    try { ev = JSON.parse(data.join("\n")); } catch (_) { return; }
    ev.type = ev.type || type;
    if (id !== null) S.lastEventId = Number(id);
    if (!S.synced) { (S.buffer = S.buffer || []).push(ev); return; }
    onEvent(ev, true);
  }

  // Read the open handoffs; events that arrived meanwhile are replayed on top, in order.
  async function resync(gen) {
    S.synced = false;
    S.buffer = S.buffer || [];
    try {
      const rows = await api("GET", "/v1/handoffs?state=open&limit=500");
      if (gen !== S.generation) return;
      S.handoffs.clear();
      for (const h of rows) S.handoffs.set(h.id, h);
    } catch (e) {
      if (gen === S.generation) banner(`The queue could not be read. ${explain(e, "reading the queue")}`);
    }
    const buffered = S.buffer;
    S.buffer = null;
    S.synced = true;
    for (const ev of buffered) onEvent(ev, false);
    renderQueue();
  }

  function isWaiting(h) { return h.state === "offered" || h.state === "queued"; }
  function isOpen(h) { return isWaiting(h) || h.state === "accepted"; }
  function forMe(h) { return isWaiting(h) && (h.state === "queued" || h.offered_to === S.me.agent_id); }

  function onEvent(ev, live) {
    const h = ev.data && ev.data.handoff;
    if (h && h.id) {
      const prev = S.handoffs.get(h.id);
      if (isOpen(h)) S.handoffs.set(h.id, h);
      else S.handoffs.delete(h.id);
      const fresh = forMe(h) && (!prev || !forMe(prev));
      if (fresh && live) {
        loadCard(h.id).then(() => alertNew(h));
        S.justArrived = h.id;
      }
      if (S.open && S.open.id === h.id) updateOpen(h, ev, prev);
      if (h.state === "accepted" && h.accepted_by !== S.me.agent_id && prev && isWaiting(prev)) {
        announce(`${agentName(h.accepted_by)} took the handoff of ${(S.cards.get(h.id) || {}).name || "a customer"}.`);
      }
    }
    if (ev.type === "handoff.message" && ev.data && ev.data.message) {
      const m = ev.data.message;
      if (S.open && S.open.id === ev.handoff_id) {
        appendMessage(m);
      } else if (m.role === "customer") {
        S.unread.add(ev.handoff_id);
        const mine = S.handoffs.get(ev.handoff_id);
        if (live && mine && mine.accepted_by === S.me.agent_id) { chime(false); announce("New customer message."); }
      }
    }
    if (S.synced) renderQueue();
  }

  // ---------- the queue ----------

  // The list and the events carry no customer name or words, so each card reads its
  // handoff's packet once (a few requests at most; cached for the session).
  function loadCard(id) {
    if (S.cards.has(id)) return Promise.resolve();
    if (S.cardLoads.has(id)) return S.cardLoads.get(id);
    const p = api("GET", `/v1/handoffs/${encodeURIComponent(id)}`)
      .then((packet) => { S.cards.set(id, cardOf(packet)); if (S.synced) renderQueue(); })
      .catch(() => { /* the card shows the reason instead */ })
      .finally(() => S.cardLoads.delete(id));
    S.cardLoads.set(id, p);
    return p;
  }
  function cardOf(p) {
    const trigger = p.trigger || p.transcript.find((m) => m.seq === p.handoff.trigger_seq);
    return { name: p.customer.name, quote: trigger ? trigger.text : "" };
  }

  function sortWaiting(a, b) {
    return (PRIORITY_RANK[b.priority] - PRIORITY_RANK[a.priority]) || (a.opened_ms - b.opened_ms);
  }

  function statusOf(h) {
    if (h.state === "offered" && h.offered_to === S.me.agent_id) return { text: "Offered to you", me: true, until: h.offer_expires_ms };
    if (h.state === "offered") return { text: `Offered to ${agentName(h.offered_to)} · you can take it`, me: false };
    if (h.state === "queued") return { text: `In the ${words(h.queue)} queue`, me: true };
    if (h.state === "accepted" && h.accepted_by === S.me.agent_id) return { text: "With you", me: true };
    return { text: `With ${agentName(h.accepted_by)}`, me: false };
  }

  function cardFor(h, selectedId) {
    const c = S.cards.get(h.id);
    if (!c) loadCard(h.id);
    const st = statusOf(h);
    const urgent = h.priority === "urgent";
    const mineList = h.state === "accepted";
    const a = el("a", {
      class: "card-link",
      href: `#/h/${h.id}`,
      "data-id": h.id,
      "data-priority": h.priority,
      "data-mine-offer": String(st.me && !mineList),
      "data-new": S.justArrived === h.id ? "true" : null,
      "aria-current": selectedId === h.id ? "true" : null,
    },
    el("span", { class: "card-name" },
      urgent ? el("span", { class: "badge urgent", text: "Emergency" }) : h.priority === "high" ? el("span", { class: "badge high", text: "High" }) : null,
      c ? c.name : "Loading…",
      S.unread.has(h.id) ? el("span", { class: "unread", title: "New message", "aria-label": "new message" }) : null),
    el("span", { class: "card-wait", "data-since": mineList ? h.accepted_ms : h.opened_ms, title: mineList ? "Time since you accepted" : "Waiting for", text: since(mineList ? h.accepted_ms : h.opened_ms) }),
    el("span", { class: "card-line", text: `${words(h.reason)} · ${h.queue}${h.after_hours ? " · after hours" : ""}` }),
    c && c.quote ? el("span", { class: "card-quote", text: `“${c.quote}”` }) : null,
    el("span", { class: "card-status", "data-for": st.me ? "me" : "other" },
      st.text, st.until ? el("span", { "data-until": st.until, text: ` · ${Math.max(0, Math.ceil((st.until - now()) / 1000))} s left` }) : null));
    return el("li", null, a);
  }

  function renderQueue() {
    if (!S.me) return;
    const all = [...S.handoffs.values()];
    const waiting = all.filter(isWaiting).sort(sortWaiting);
    const mine = all.filter((h) => h.state === "accepted" && h.accepted_by === S.me.agent_id).sort((a, b) => a.accepted_ms - b.accepted_ms);
    const others = all.filter((h) => h.state === "accepted" && h.accepted_by !== S.me.agent_id).length;
    const selected = S.open ? S.open.id : null;
    const focusedId = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.id : null;
    $("waiting").replaceChildren(...waiting.map((h) => cardFor(h, selected)));
    $("mine").replaceChildren(...mine.map((h) => cardFor(h, selected)));
    S.justArrived = null;
    $("waiting-count").textContent = String(waiting.length);
    $("mine-count").textContent = String(mine.length);
    $("waiting-empty").hidden = waiting.length > 0;
    $("mine-empty").hidden = mine.length > 0;
    $("others").hidden = others === 0;
    $("others").textContent = `${others} more with other agents.`;
    const forMeCount = waiting.filter(forMe).length;
    document.title = `${forMeCount ? `(${forMeCount}) ` : ""}Inbox · ${S.me.business || "Baton"}`;
    if (focusedId) {
      const again = document.querySelector(`.card-link[data-id="${CSS.escape(focusedId)}"]`);
      if (again) again.focus();
    }
  }

  // ---------- the open handoff ----------

  function route() {
    if (!S.me) return;
    const m = /^#\/h\/([\w.:-]+)$/.exec(location.hash);
    if (m) openHandoff(m[1]);
    else closeHandoff();
  }

  function closeHandoff() {
    S.open = null;
    document.body.dataset.view = "queue";
    $("handoff").hidden = true;
    $("placeholder").hidden = false;
    renderQueue();
  }

  async function openHandoff(id) {
    document.body.dataset.view = "handoff";
    const fresh = !S.open || S.open.id !== id;
    let packet;
    try {
      packet = await api("GET", `/v1/handoffs/${encodeURIComponent(id)}`);
    } catch (e) {
      banner(explain(e, "opening the handoff"));
      if (e.status === 404) location.hash = "#/";
      return;
    }
    S.open = { id, packet };
    S.cards.set(id, cardOf(packet));
    S.unread.delete(id);
    renderOpen();
    renderQueue();
    if (fresh) {
      $("h-title").focus();
      window.scrollTo(0, 0);
      $("detail").scrollTop = 0;
    }
  }

  function li(text) { return el("li", { text }); }
  function kv(dl, pairs) {
    dl.replaceChildren();
    for (const [k, v] of pairs) {
      if (v === undefined || v === null || v === "") continue;
      dl.append(el("dt", { text: k }), el("dd", null, v));
    }
  }

  function renderOpen() {
    const { packet } = S.open;
    const h = packet.handoff;
    const b = packet.brief;
    const c = packet.customer;
    $("placeholder").hidden = true;
    $("handoff").hidden = false;
    $("handoff").dataset.priority = h.priority;
    const title = $("h-title");
    title.replaceChildren(
      h.priority === "urgent" ? el("span", { class: "badge urgent", text: "Emergency" }) : h.priority === "high" ? el("span", { class: "badge high", text: "High" }) : "",
      c.name);
    const meta = `${words(h.reason)} · ${h.priority} priority · ${words(packet.channel)} · ${h.queue} queue · `;
    if (h.accepted_ms) {
      const s = Math.round((h.accepted_ms - h.opened_ms) / 1000);
      $("h-meta").replaceChildren(`${meta}waited ${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")} for a person`);
    } else {
      $("h-meta").replaceChildren(`${meta}waiting `, el("span", { "data-since": h.opened_ms, text: since(h.opened_ms) }));
    }
    renderState(h);

    $("b-situation").textContent = b.situation;
    $("b-background").replaceChildren(...b.background.map(li));
    $("b-assessment").replaceChildren(...b.assessment.map(li));
    $("b-recommendation").textContent = b.recommendation;
    $("b-facts").replaceChildren(...b.dont_ask_again.map(li));

    $("transcript").replaceChildren();
    S.open.seqs = new Set();
    for (const m of packet.transcript) appendMessage(m, true);
    showEarlier(packet.transcript_older);

    kv($("customer"), [
      ["Name", c.name],
      ["Phone", c.phone ? el("a", { href: `tel:${c.phone}`, text: c.phone }) : null],
      ["Email", c.email ? el("a", { href: `mailto:${c.email}`, text: c.email }) : null],
      ["Address", c.address],
      ["History", c.repeat_customer ? "Repeat customer" : "New customer"],
      ["Lifetime value", typeof c.lifetime_value_usd === "number" ? `$${Math.round(c.lifetime_value_usd).toLocaleString()}` : null],
      ["Tags", c.tags && c.tags.length ? c.tags.join(", ") : null],
      ["Channel", words(packet.channel)],
    ]);
    const d = packet.decision;
    kv($("decision"), [
      ["Reason", words(d.reason)],
      ["Priority", d.priority],
      ["Signals", d.tags.length ? d.tags.join(", ") : null],
      ["Why", d.explanation],
      ["Routing", d.routing],
      ["Policy version", el("code", { text: d.policy_version })],
      ["Opened", new Date(h.opened_ms).toLocaleString()],
    ]);

    const mine = h.state === "accepted" && h.accepted_by === S.me.agent_id;
    $("reply").hidden = !mine;
    $("wrapup").hidden = !mine;
    if (mine && !S.open.prefilled) {
      $("reply-text").value = b.read_back;
      S.open.prefilled = true;
    }
    for (const id of ["reply-error", "resolve-error"]) $(id).hidden = true;
  }

  // The accept rule (see README, "Who may accept"): an offer is its agent's, an emergency
  // anyone's; a queued handoff anyone's signed in with room (the server says if not).
  function isEmergency(h) { return h.priority === "urgent" || h.reason === "emergency"; }
  function mayTake(h) {
    return h.state === "queued" || (h.state === "offered" && (h.offered_to === S.me.agent_id || isEmergency(h)));
  }

  function renderState(h) {
    const st = $("h-state");
    const waiting = isWaiting(h);
    $("h-actions").hidden = !waiting;
    $("accept-btn").disabled = !(waiting && mayTake(h));
    $("decline-btn").hidden = !(h.state === "offered" && h.offered_to === S.me.agent_id);
    if (h.state === "offered" && h.offered_to === S.me.agent_id) {
      st.dataset.kind = "offer";
      st.replaceChildren("Offered to you · ", el("span", { "data-until": h.offer_expires_ms, text: `${Math.max(0, Math.ceil((h.offer_expires_ms - now()) / 1000))} s left` }), " to accept");
    } else if (h.state === "offered") {
      st.dataset.kind = "offer";
      st.textContent = isEmergency(h)
        ? `Offered to ${agentName(h.offered_to)}; it is an emergency, so you can still take it.`
        : `Offered to ${agentName(h.offered_to)}; it comes back to the queue if they decline or don't answer.`;
    } else if (h.state === "queued") {
      st.dataset.kind = "queued";
      st.textContent = `Waiting in the ${words(h.queue)} queue for anyone.`;
    } else if (h.state === "accepted" && h.accepted_by === S.me.agent_id) {
      st.dataset.kind = "mine";
      st.replaceChildren("With you since ", el("span", { text: clock(h.accepted_ms) }), ". The customer sees your replies.");
    } else if (h.state === "accepted") {
      st.dataset.kind = "taken";
      st.textContent = `${agentName(h.accepted_by)} took this handoff.`;
    } else {
      st.dataset.kind = "closed";
      st.textContent = `Closed: ${words(h.state)}${h.outcome ? ` (${words(h.outcome)})` : ""}.`;
    }
  }

  // A lifecycle event for the handoff on screen.
  function updateOpen(h, ev, prev) {
    S.open.packet.handoff = h;
    const mineNow = h.state === "accepted" && h.accepted_by === S.me.agent_id;
    const wasMine = prev && prev.state === "accepted" && prev.accepted_by === S.me.agent_id;
    if (mineNow && !wasMine) { openHandoff(h.id); return; } // picks up the "joined" notice too
    renderState(h);
    if (h.state === "accepted" && !mineNow && prev && isWaiting(prev)) {
      banner(`${agentName(h.accepted_by)} took the handoff of ${S.open.packet.customer.name}.`, "warn");
    }
    if (!mineNow) { $("reply").hidden = true; $("wrapup").hidden = true; }
  }

  function appendMessage(m, initial) {
    if (!S.open) return;
    if (S.open.seqs.has(m.seq)) return;
    S.open.seqs.add(m.seq);
    const h = S.open.packet.handoff;
    const who = m.role === "customer" ? S.open.packet.customer.name
      : m.role === "bot" ? "Bot"
      : m.role === "agent" ? (m.agent_id === S.me.agent_id ? "You" : agentName(m.agent_id))
      : "Notice to customer";
    const head = el("div", { class: "msg-head" },
      el("span", { class: "msg-who", text: who }),
      el("time", { dateTime: new Date(m.at_ms).toISOString(), text: clock(m.at_ms) }));
    if (m.role === "bot" && m.intent) head.append(el("span", { class: "intent", title: "The bot's intent", text: m.intent }));
    if (m.role === "bot" && typeof m.confidence === "number") {
      const low = m.confidence < 0.5;
      head.append(el("span", { class: "conf", "data-low": String(low), title: "The bot's confidence" },
        el("meter", { min: 0, max: 1, low: 0.5, high: 0.75, optimum: 1, value: m.confidence }),
        `${m.confidence.toFixed(2)} confidence`));
    }
    if (m.seq === h.trigger_seq) head.append(el("span", { class: "flag", text: "⚑ escalated here" }));
    const item = el("li", { class: "msg", "data-role": m.role, "data-seq": m.seq, "data-trigger": String(m.seq === h.trigger_seq) },
      head, el("div", { class: "msg-text", text: m.text }));
    const list = $("transcript");
    const after = [...list.children].find((x) => Number(x.dataset.seq) > m.seq);
    list.insertBefore(item, after || null);
    if (!initial && m.role === "customer") announce(`${who} wrote: ${m.text}`);
  }

  // A long conversation arrives as its last page; earlier pages load on request.
  function showEarlier(older) {
    $("earlier-btn").hidden = !older;
  }
  async function loadEarlier() {
    if (!S.open) return;
    const first = $("transcript").querySelector(".msg");
    const before = first ? Number(first.dataset.seq) : null;
    const conversation = S.open.packet.handoff.conversation_id;
    const query = `limit=100${before === null ? "" : `&before=${before}`}`;
    try {
      const page = await api("GET", `/v1/conversations/${encodeURIComponent(conversation)}?${query}`);
      if (!S.open || S.open.packet.handoff.conversation_id !== conversation) return;
      for (const m of page.messages) appendMessage(m, true);
      showEarlier(page.older);
    } catch (e) {
      announce(`Earlier messages could not be loaded: ${e.message || e}`);
    }
  }

  // ---------- actions ----------

  async function accept() {
    if (!S.open) return;
    const h = S.open.packet.handoff;
    if (!isWaiting(h)) return;
    const btn = $("accept-btn");
    btn.disabled = true;
    try {
      const row = await api("POST", `/v1/handoffs/${encodeURIComponent(h.id)}/accept`);
      S.handoffs.set(row.id, row);
      announce("Accepted. The reply box holds the read-back; edit it and send.");
      await openHandoff(row.id);
      $("reply-text").focus();
      $("reply-text").setSelectionRange($("reply-text").value.length, $("reply-text").value.length);
      $("reply").scrollIntoView({ block: "nearest" });
    } catch (e) {
      banner(explain(e, "accepting"));
      if (e.status === 409 || e.status === 404) {
        try { await openHandoff(h.id); } catch (_) { /* shown already */ }
      } else btn.disabled = false;
    }
  }

  async function decline() {
    if (!S.open) return;
    const h = S.open.packet.handoff;
    if (!(h.state === "offered" && h.offered_to === S.me.agent_id)) return;
    try {
      const row = await api("POST", `/v1/handoffs/${encodeURIComponent(h.id)}/decline`);
      S.handoffs.set(row.id, row);
      banner("Declined: it goes to the next agent or waits in the queue.", "ok");
      location.hash = "#/";
    } catch (e) {
      banner(explain(e, "declining"));
    }
  }

  function fieldError(id, e, doing) {
    const p = $(id);
    p.textContent = explain(e, doing);
    p.hidden = false;
  }

  async function sendReply(ev) {
    if (ev) ev.preventDefault();
    if (!S.open || S.sending) return;
    const text = $("reply-text").value.trim();
    $("reply-error").hidden = true;
    if (!text) { fieldError("reply-error", new ApiError(422, "invalid", "Write something to send."), "sending"); return; }
    S.sending = true;
    $("send-btn").disabled = true;
    try {
      const row = await api("POST", `/v1/handoffs/${encodeURIComponent(S.open.id)}/messages`, { text });
      appendMessage(row);
      $("reply-text").value = "";
      announce("Sent.");
    } catch (e) {
      fieldError("reply-error", e, "sending");
      if (e.status === 409) openHandoff(S.open.id);
    } finally {
      S.sending = false;
      $("send-btn").disabled = false;
    }
  }

  async function resolve(ev) {
    ev.preventDefault();
    if (!S.open) return;
    $("resolve-error").hidden = true;
    const picked = document.querySelector('input[name="outcome"]:checked');
    if (!picked) {
      fieldError("resolve-error", new ApiError(422, "invalid", "Choose an outcome first."), "resolving");
      document.querySelector('input[name="outcome"]').focus();
      return;
    }
    const body = { outcome: picked.value };
    if ($("csat").value) body.csat = Number($("csat").value);
    const note = $("resolve-note").value.trim();
    if (note) body.note = note;
    $("resolve-btn").disabled = true;
    try {
      const row = await api("POST", `/v1/handoffs/${encodeURIComponent(S.open.id)}/resolve`, body);
      S.handoffs.delete(row.id);
      banner(`Resolved ${S.open.packet.customer.name}'s handoff as ${OUTCOMES[row.outcome].toLowerCase()}${row.csat ? `, rating ${row.csat}` : ""}.`, "ok");
      resetWrapup();
      location.hash = "#/";
      focusFirstCard();
    } catch (e) {
      fieldError("resolve-error", e, "resolving");
    } finally {
      $("resolve-btn").disabled = false;
    }
  }

  // A stale handoff nobody has taken (the customer left, a duplicate): closed with a reason.
  async function abandon(ev) {
    ev.preventDefault();
    if (!S.open) return;
    const reason = $("abandon-reason").value.trim();
    $("abandon-error").hidden = true;
    if (!reason) {
      $("abandon-error").textContent = "Say why it is closed: the record keeps the reason.";
      $("abandon-error").hidden = false;
      $("abandon-reason").focus();
      return;
    }
    $("abandon-btn").disabled = true;
    try {
      const row = await api("POST", `/v1/handoffs/${encodeURIComponent(S.open.id)}/abandon`, { reason });
      S.open.packet.handoff = row;
      S.handoffs.delete(row.id);
      $("abandon-reason").value = "";
      $("abandon").open = false;
      renderState(row);
      renderQueue();
      banner(`Closed ${S.open.packet.customer.name}'s handoff as abandoned.`, "ok");
    } catch (e) {
      fieldError("abandon-error", e, "closing the handoff");
    } finally {
      $("abandon-btn").disabled = false;
    }
  }

  async function handBack(ev) {
    ev.preventDefault();
    if (!S.open) return;
    const note = $("handback-note").value.trim();
    $("handback-btn").disabled = true;
    try {
      const row = await api("POST", `/v1/handoffs/${encodeURIComponent(S.open.id)}/handback`, note ? { note } : {});
      S.handoffs.delete(row.id);
      banner(`Handed ${S.open.packet.customer.name}'s conversation back to the bot.`, "ok");
      resetWrapup();
      location.hash = "#/";
      focusFirstCard();
    } catch (e) {
      fieldError("resolve-error", e, "handing back");
    } finally {
      $("handback-btn").disabled = false;
    }
  }

  function resetWrapup() {
    for (const r of document.querySelectorAll('input[name="outcome"]')) r.checked = false;
    $("csat").value = "";
    $("resolve-note").value = "";
    $("handback-note").value = "";
  }

  // ---------- keyboard ----------

  function cardsInOrder() { return [...document.querySelectorAll(".card-link")]; }
  function focusFirstCard() {
    setTimeout(() => { const c = cardsInOrder()[0]; if (c) c.focus(); else $("main").focus(); }, 0);
  }
  function move(delta) {
    const cards = cardsInOrder();
    if (!cards.length) return;
    let i = cards.indexOf(document.activeElement);
    if (i < 0 && S.open) i = cards.findIndex((c) => c.dataset.id === S.open.id);
    const next = cards[Math.min(cards.length - 1, Math.max(0, i < 0 ? 0 : i + delta))];
    next.focus();
    next.scrollIntoView({ block: "nearest" });
  }

  function onKey(e) {
    if (!S.me || e.defaultPrevented) return;
    const t = e.target;
    const typing = t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)) && !(t.type === "radio");
    if (typing) {
      if (t.id === "reply-text" && e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); sendReply(); }
      else if (e.key === "Escape") t.blur();
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if ($("help").open && e.key !== "?") return;
    switch (e.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "a": {
        const focused = t && t.dataset && t.dataset.id;
        if (focused && (!S.open || S.open.id !== focused)) {
          location.hash = `#/h/${focused}`;
          openHandoff(focused).then(accept);
        } else accept();
        break;
      }
      case "d": decline(); break;
      case "r": if (!$("reply").hidden) { $("reply-text").focus(); } else return; break;
      case "Escape":
        if (S.open) { const id = S.open.id; location.hash = "#/"; setTimeout(() => { const c = document.querySelector(`.card-link[data-id="${CSS.escape(id)}"]`); (c || $("main")).focus(); }, 0); }
        break;
      case "?": if ($("help").open) $("help").close(); else $("help").showModal(); break;
      default: return;
    }
    e.preventDefault();
  }

  // ---------- ticking clocks ----------

  function tick() {
    for (const n of document.querySelectorAll("[data-since]")) {
      const ms = Number(n.dataset.since);
      n.textContent = since(ms);
      if (n.classList.contains("card-wait")) n.dataset.late = String(now() - ms > 5 * 60 * 1000);
    }
    for (const n of document.querySelectorAll("[data-until]")) {
      const left = Math.max(0, Math.ceil((Number(n.dataset.until) - now()) / 1000));
      n.textContent = n.closest(".card-status") ? ` · ${left} s left` : `${left} s left`;
    }
  }

  // ---------- wiring ----------

  function init() {
    $("signin-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const key = $("key").value.trim();
      primeAudio();
      if (!key) { showSignin("Paste your agent key first."); return; }
      $("signin-btn").disabled = true;
      signIn(key).finally(() => { $("signin-btn").disabled = false; });
    });
    $("signout").addEventListener("click", async () => {
      // Leaving: stop offers coming to this agent (best effort), then forget the key.
      try { if ($("presence").dataset.value !== "offline") await api("PUT", `/v1/agents/${encodeURIComponent(S.me.agent_id)}/presence`, { presence: "offline" }); } catch (_) { /* signing out anyway */ }
      signOut("Signed out. Your presence is now offline.");
    });
    for (const r of document.querySelectorAll('input[name="presence"]')) {
      r.addEventListener("change", () => { primeAudio(); if (r.checked) setPresence(r.value); });
    }
    $("notify-btn").addEventListener("click", async () => {
      primeAudio();
      try { await Notification.requestPermission(); } catch (_) { /* older API */ }
      notifyButton();
    });
    $("help-btn").addEventListener("click", () => $("help").showModal());
    $("banner-close").addEventListener("click", () => banner(""));
    $("accept-btn").addEventListener("click", accept);
    $("decline-btn").addEventListener("click", decline);
    $("earlier-btn").addEventListener("click", loadEarlier);
    $("reply-form").addEventListener("submit", sendReply);
    $("resolve-form").addEventListener("submit", resolve);
    $("handback-form").addEventListener("submit", handBack);
    $("abandon-form").addEventListener("submit", abandon);
    document.addEventListener("keydown", onKey);
    document.addEventListener("pointerdown", primeAudio, { once: true });
    window.addEventListener("hashchange", route);
    setInterval(tick, 1000);

    document.body.dataset.view = "queue";
    const saved = sessionStorage.getItem(KEY_STORE);
    if (saved) signIn(saved, true);
    else showSignin("");
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
