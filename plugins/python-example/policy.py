"""Business-hours and VIP trigger policy for Baton, in Python.

Escalates when
  * the customer asks for a person, in English or Spanish (any time), or
  * a VIP customer (a VIP tag, or a lifetime value at or over the threshold) writes
    while the business is closed.

Config (`[trigger.config]` in the tenant file, every key optional):
  vip_tags        = ["vip"]       tags that make a customer a VIP (case-insensitive)
  high_value_usd  = 5000          lifetime value from which a customer counts as VIP
  after_hours_reason = "high_value"  a stock reason or a custom snake_case one

Built with componentize-py against Baton's WIT (`plugin-sdk/wit/since_v0.1.0/policy.wit`): see `build`.
"""

import json
import re

from componentize_py_types import Err
from wit_world import exports
from wit_world.exports.trigger import Conversation, Decision
from wit_world.imports import types as t

DEFAULT_HIGH_VALUE_USD = 5000.0

STOCK_REASONS = {
    "explicit_request": t.Reason_ExplicitRequest,
    "frustration": t.Reason_Frustration,
    "low_confidence": t.Reason_LowConfidence,
    "emergency": t.Reason_Emergency,
    "high_value": t.Reason_HighValue,
    "billing_dispute": t.Reason_BillingDispute,
    "customization": t.Reason_Customization,
    "complex_inquiry": t.Reason_ComplexInquiry,
    "repetition": t.Reason_Repetition,
}

# Asking for a person, not mentioning one ("the person who comes to the door").
_PERSON = r"(?:a |an |some(?:one|body) |a real |a live |real |live )?(?:person|human|agent|representative|rep|manager|someone|somebody)"
REQUEST = [
    re.compile(rf"\b(?:talk|speak|chat)\s+(?:to|with)\s+{_PERSON}\b"),
    re.compile(r"\b(?:real|live|actual)\s+(?:person|human|agent)\b"),
    re.compile(r"\b(?:transfer|connect)\s+me\b"),
    re.compile(r"\b(?:get|want|need)\s+(?:me\s+)?(?:a |an )?(?:human|agent|representative)\b"),
    re.compile(r"\bhablar\s+con\s+(?:una?\s+)?(?:persona|alguien|humano|agente|representante|gerente|encargado)\b"),
    re.compile(r"\bpersona\s+(?:real|de verdad)\b"),
    re.compile(r"\b(?:p[aá]same|comun[ií]came|comunicarme)\s+con\b"),
    re.compile(r"\b(?:quiero|necesito)\s+(?:un |una )?(?:agente|humano|persona|representante)\b"),
]

CONFIG = {
    "vip_tags": ["vip"],
    "high_value_usd": DEFAULT_HIGH_VALUE_USD,
    "after_hours_reason": "high_value",
}


def reason_of(name: str) -> t.Reason:
    stock = STOCK_REASONS.get(name)
    return stock() if stock else t.Reason_Custom(name)


def last_customer_text(c: Conversation) -> str:
    for m in reversed(c.messages):
        if m.role == t.Role.CUSTOMER:
            return m.text.lower()
    return ""


def is_vip(c: Conversation) -> bool:
    tags = {tag.lower() for tag in c.customer.tags}
    if tags & {v.lower() for v in CONFIG["vip_tags"]}:
        return True
    value = c.customer.lifetime_value_usd
    return value is not None and value >= CONFIG["high_value_usd"]


def decision(escalate: bool, reason, priority, tags, why: str) -> Decision:
    return Decision(escalate, reason, priority, tags, why)


class Trigger(exports.Trigger):
    def configure(self, config: str) -> None:
        try:
            table = json.loads(config or "{}")
        except ValueError as e:
            raise Err(f"the config is not JSON: {e}")
        unknown = sorted(set(table) - set(CONFIG))
        if unknown:
            raise Err(f"unknown config key `{unknown[0]}` (known: {', '.join(sorted(CONFIG))})")
        value = table.get("high_value_usd", CONFIG["high_value_usd"])
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise Err("`high_value_usd` must be a number, 0 or more")
        tags = table.get("vip_tags", CONFIG["vip_tags"])
        if not isinstance(tags, list) or not all(isinstance(x, str) and x.strip() for x in tags):
            raise Err("`vip_tags` must be a list of non-empty strings")
        reason = table.get("after_hours_reason", CONFIG["after_hours_reason"])
        if not isinstance(reason, str) or not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", reason):
            raise Err("`after_hours_reason` must be lowercase snake_case, at most 40 characters")
        CONFIG.update(vip_tags=tags, high_value_usd=float(value), after_hours_reason=reason)

    def evaluate(self, c: Conversation) -> Decision:
        text = last_customer_text(c)
        if any(p.search(text) for p in REQUEST):
            return decision(True, t.Reason_ExplicitRequest(), t.Priority.HIGH, ["asked_for_person"],
                            "The customer asked for a person.")
        if not c.clock.open and is_vip(c):
            return decision(True, reason_of(CONFIG["after_hours_reason"]), t.Priority.HIGH,
                            ["vip", "after_hours"], "A VIP customer wrote while the business is closed.")
        return decision(False, None, t.Priority.NORMAL, [], "")
