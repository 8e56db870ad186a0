// {{name}}: a Baton routing policy in JavaScript.
//
// Offers the handoff to the available agents who have room, least loaded first, skipping
// those who declined, and waits in the tenant's fallback queue.
// Build with `./build` (or `baton build`); the component lands in out/policy.wasm.

export const routing = {
  configure(config) {
    JSON.parse(config || "{}");
  },

  route(request, roster) {
    const free = roster.agents
      .filter((a) => a.presence === "available" && a.load < a.capacity
        && !request.declinedBy.includes(a.id))
      .sort((a, b) => a.load - b.load);
    return { agents: free.map((a) => a.id), queue: roster.fallbackQueue,
             explanation: "available agents, least loaded first" };
  },
};
