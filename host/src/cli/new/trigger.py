"""{{name}}: a Baton trigger policy in Python.

Escalates (`explicit_request`) when the customer's last message contains one of the
configured words. `[trigger.config] words = ["person", "human"]` in the tenant file.
Build with `./build` (or `baton build`); the component lands in out/policy.wasm.
"""

import json

from componentize_py_types import Err
from wit_world import exports
from wit_world.exports.trigger import Conversation, Decision
from wit_world.imports import types as t

WORDS = ["person", "human", "agent"]


class Trigger(exports.Trigger):
    def configure(self, config: str) -> None:
        global WORDS
        try:
            words = json.loads(config or "{}").get("words", WORDS)
        except (ValueError, AttributeError) as e:
            raise Err(f"the config is not a JSON table: {e}")
        if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            raise Err("`words` must be a list of non-empty strings")
        WORDS = [w.lower() for w in words]

    def evaluate(self, c: Conversation) -> Decision:
        text = next((m.text.lower() for m in reversed(c.messages) if m.role == t.Role.CUSTOMER), "")
        hit = next((w for w in WORDS if w in text), None)
        if hit:
            return Decision(True, t.Reason_ExplicitRequest(), t.Priority.HIGH, [],
                            f"the customer wrote `{hit}`")
        return Decision(False, None, t.Priority.NORMAL, [], "")
