"""{{name}}: a Baton routing policy in Python.

Offers the handoff to the available agents who have room, least loaded first, skipping
those who declined, and waits in the tenant's fallback queue.
Build with `./build` (or `baton build`); the component lands in out/policy.wasm.
"""

import json

from componentize_py_types import Err
from wit_world import exports
from wit_world.exports.routing import Request, RouteChoice, Roster
from wit_world.imports import types as t


class Routing(exports.Routing):
    def configure(self, config: str) -> None:
        try:
            json.loads(config or "{}")
        except ValueError as e:
            raise Err(f"the config is not JSON: {e}")

    def route(self, request: Request, roster: Roster) -> RouteChoice:
        free = [a for a in roster.agents
                if a.presence == t.Presence.AVAILABLE and a.load < a.capacity
                and a.id not in request.declined_by]
        free.sort(key=lambda a: a.load)
        return RouteChoice([a.id for a in free], roster.fallback_queue,
                           "available agents, least loaded first")
