// The page an agent's alert links to: /inbox/accept#<token>. The token is in the fragment,
// which the browser never sends to a server; this script reads it, shows what the link
// stands for (GET /v1/accept-links/{token}) and accepts on the button
// (POST /v1/accept-links/{token}/accept). Opening the page accepts nothing: link scanners
// and previews that fetch it change nothing.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const token = decodeURIComponent(location.hash.replace(/^#/, ""));
  const base = "/v1/accept-links/" + encodeURIComponent(token);

  function show(id) {
    for (const s of ["loading", "offer", "done", "problem"]) $(s).hidden = s !== id;
  }

  function problem(text) {
    $("problem-text").textContent = text;
    show("problem");
  }

  async function call(method, path) {
    try {
      const r = await fetch(path, {
        method,
        headers: { accept: "application/json" },
        cache: "no-store",
        credentials: "omit",
      });
      let body = null;
      try { body = await r.json(); } catch (_) { body = null; }
      return { status: r.status, body };
    } catch (_) {
      return { status: 0, body: null };
    }
  }

  function why(body, status) {
    if (body && body.error && body.error.message) return body.error.message;
    if (status === 0) return "Baton can't be reached. Check your connection and open the link again.";
    return "Baton answered " + status + ".";
  }

  async function load() {
    if (!token) return problem("This page opens from the link in a Baton alert.");
    const { status, body } = await call("GET", base);
    if (status !== 200) return problem(why(body, status));
    $("offer-h").textContent = (body.priority === "urgent" ? "URGENT: " : "") + "handoff for you, " + body.agent_first_name;
    $("offer-who").textContent = body.customer_name + " · " + body.business;
    $("offer-why").textContent = "Why: " + body.reason.replace(/_/g, " ") + " (" + body.priority + " priority)";
    if (body.last_customer_text) {
      $("offer-said").textContent = "“" + body.last_customer_text + "”";
      $("offer-said").hidden = false;
    }
    if (!body.acceptable) {
      $("offer-state").textContent = body.why_not
        ? "You can't accept it now: " + body.why_not
        : "It is " + body.state.replace(/_/g, " ") + " now and can't be accepted.";
      $("accept-btn").disabled = true;
    } else if (body.state === "queued") {
      $("offer-state").textContent = "The offer to you ran out; it is waiting in the queue, and you can still take it.";
    } else if (body.offered_to && body.offered_to !== body.agent_id) {
      $("offer-state").textContent = "It is offered to someone else now; it is an emergency, so you can still take it.";
    }
    show("offer");
  }

  $("offer").addEventListener("submit", async (e) => {
    e.preventDefault();
    $("accept-btn").disabled = true;
    const { status, body } = await call("POST", base + "/accept");
    if (status !== 200) return problem(why(body, status));
    const c = body.customer || {};
    $("done-text").textContent = (c.name || "The customer") + " has been told you joined.";
    if (c.phone) {
      $("done-phone").textContent = c.phone;
      $("done-phone").href = "tel:" + c.phone;
      $("done-call").hidden = false;
    }
    show("done");
  });

  load();
})();
