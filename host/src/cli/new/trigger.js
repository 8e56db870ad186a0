// {{name}}: a Baton trigger policy in JavaScript.
//
// Escalates (`explicit_request`) when the customer's last message contains one of the
// configured words. `[trigger.config] words = ["person", "human"]` in the tenant file.
// Build with `./build` (or `baton build`); the component lands in out/policy.wasm.

let words = ["person", "human", "agent"];

export const trigger = {
  configure(config) {
    const table = JSON.parse(config || "{}");
    const w = table.words ?? words;
    if (!Array.isArray(w) || !w.every((x) => typeof x === "string" && x.trim() !== "")) {
      throw "`words` must be a list of non-empty strings";
    }
    words = w.map((x) => x.toLowerCase());
  },

  evaluate(c) {
    const last = [...c.messages].reverse().find((m) => m.role === "customer");
    const text = last ? last.text.toLowerCase() : "";
    const hit = words.find((w) => text.includes(w));
    if (hit !== undefined) {
      return { escalate: true, reason: { tag: "explicit-request" }, priority: "high", tags: [],
               explanation: `the customer wrote \`${hit}\`` };
    }
    return { escalate: false, reason: undefined, priority: "normal", tags: [], explanation: "" };
  },
};
