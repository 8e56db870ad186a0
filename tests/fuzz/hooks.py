"""schemathesis hooks for tests/fuzz/run: real ids, a widget session and signed SMS webhooks.

Random path ids mostly hit 404 and a random `X-Baton-Session` always 403, so the fuzzer
would never reach the handlers' logic. At import (the server is up by then) this seeds the
store through the API: sam available, a few conversations with open handoffs, a widget
session. Before each call, a path id is swapped most of the time for one of those (or one a
previous answer carried), the widget's session token goes with its conversation, and a form
posted to the SMS bridge of the `fuzz-sms` tenant is signed with its Twilio token.
Everything the fuzzer generated otherwise goes out as generated.
"""

import base64
import hashlib
import hmac
import json
import os
import random
import urllib.request

import schemathesis

URL = os.environ["BATON_FUZZ_URL"]
KEYS = {
    role: os.environ[f"BATON_FUZZ_{role.upper()}_KEY"]
    for role in ("channel", "agent", "operator", "widget", "manager")
}
TWILIO_TOKEN = os.environ["BATON_FUZZ_TWILIO_TOKEN"]
# fuzz-sms.toml's `webhook_url`: what Twilio signs, whatever host and query the request has.
SMS_WEBHOOK_URL = "https://fuzz.example/v1/sms/twilio/fuzz-sms"
SMS_NUMBER = "+15555550123"  # fuzz-sms.toml's `from`
AGENTS = ["sam", "jo", "lee"]

# Fixed seed: a run is repeatable (schemathesis runs in deterministic mode too).
rnd = random.Random(11)
handoffs: list[str] = []
conversations: list[str] = []
sent_keys = 0


def call(method, path, role, body=None):
    request = urllib.request.Request(
        URL + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {KEYS[role]}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def seed():
    call("PUT", "/v1/agents/sam/presence", "agent", {"presence": "available", "capacity": 2})
    for i in range(6):
        conversation = f"fuzz-{i}"
        answer = call(
            "POST",
            f"/v1/conversations/{conversation}/events",
            "channel",
            {
                "role": "customer",
                "text": "water is pouring through my ceiling, let me talk to a person",
                "customer": {"name": "Dana Ruiz", "phone": f"+1555555010{i}"},
                "channel": "sms",
            },
        )
        conversations.append(conversation)
        if answer.get("handoff"):
            handoffs.append(answer["handoff"]["id"])
    session = call("POST", "/v1/widget/sessions", "widget")
    return session["conversation_id"], session["token"]


WIDGET_CONVERSATION, WIDGET_TOKEN = seed()


def sometimes(p):
    return rnd.random() < p


def twilio_pairs(body):
    """The form pairs as `requests` encodes a dict body (None dropped, sequences repeated)."""
    pairs = []
    for key, values in body.items():
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            values = [values]
        for v in values:
            if v is None:
                continue
            if isinstance(v, bytes):
                v = v.decode("utf-8", "replace")
            pairs.append((str(key), v if isinstance(v, str) else str(v)))
    return pairs


def twilio_signature(pairs):
    data = SMS_WEBHOOK_URL + "".join(k + v for k, v in sorted(pairs))
    digest = hmac.new(TWILIO_TOKEN.encode(), data.encode("utf-8", "surrogatepass"), hashlib.sha1)
    return base64.b64encode(digest.digest()).decode()


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    path = case.operation.path
    params = case.path_parameters
    if not isinstance(params, dict):
        params = case.path_parameters = {}
    if case.headers is None:
        case.headers = {}
    key = case.headers.get("Idempotency-Key")
    if isinstance(key, str) and key and path == "/v1/conversations/{id}/events":
        # A key names one message: a generated key the fuzzer repeats with another body
        # would be refused (documented, 422), so each call gets a key of its own, suffixed
        # within the header's pattern (1 to 200 visible ASCII characters).
        global sent_keys
        sent_keys += 1
        case.headers["Idempotency-Key"] = f"{key[:180].rstrip()}-{sent_keys}"
    if path.startswith("/v1/handoffs/{id}") and handoffs and sometimes(0.7):
        params["id"] = rnd.choice(handoffs)
    elif path.startswith("/v1/conversations/{id}") and sometimes(0.6):
        params["id"] = rnd.choice(conversations + [WIDGET_CONVERSATION])
    elif path == "/v1/agents/{id}/presence" and sometimes(0.6):
        params["id"] = rnd.choice(AGENTS)
    elif path.startswith("/v1/widget/conversations/{id}") and sometimes(0.8):
        params["id"] = WIDGET_CONVERSATION
        if sometimes(0.9):
            case.headers["X-Baton-Session"] = WIDGET_TOKEN
    elif path == "/v1/sms/twilio/{tenant}" and sometimes(0.8):
        params["tenant"] = "fuzz-sms"
        if isinstance(case.body, dict) and sometimes(0.7):
            case.body["To"] = SMS_NUMBER
        if isinstance(case.body, dict) and sometimes(0.9):
            try:
                case.headers["X-Twilio-Signature"] = twilio_signature(twilio_pairs(case.body))
            except UnicodeError:
                pass  # unencodable text: goes out unsigned (403)


@schemathesis.hook
def after_call(ctx, case, response):
    """Remember handoffs that answers carry, so later calls can act on them."""
    if response.status_code >= 300:
        return
    try:
        body = json.loads(response.content)
    except (ValueError, TypeError):
        return
    if isinstance(body, dict):
        for h in (body.get("handoff"), body.get("open_handoff"), body):
            if isinstance(h, dict) and isinstance(h.get("id"), str) and "conversation_id" in h:
                if h["id"] not in handoffs:
                    handoffs.append(h["id"])

