"""A Python policy that misbehaves on purpose, so the tests prove the host contains it.

`[trigger.config] mode = "ok" | "loop" | "oom"`: behave, spin forever, or allocate until
the memory cap stops it.
"""

import json

from wit_world import exports
from wit_world.exports.trigger import Conversation, Decision
from wit_world.imports import types as t

MODE = "ok"


class Trigger(exports.Trigger):
    def configure(self, config: str) -> None:
        global MODE
        MODE = json.loads(config or "{}").get("mode", "ok")

    def evaluate(self, c: Conversation) -> Decision:
        if MODE == "loop":
            n = len(c.messages)
            while True:
                n = (n * 6364136223846793005 + 1) % (1 << 64)
        if MODE == "oom":
            hoard = []
            while True:
                hoard.append(bytearray(1 << 20))
        return Decision(False, None, t.Priority.NORMAL, [], "chaos in `ok` mode never escalates")
