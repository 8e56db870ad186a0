// A JavaScript policy that misbehaves on purpose, so the tests prove the host contains it.
//
// `[trigger.config] mode = "ok" | "loop" | "oom"`: behave, spin forever, or allocate until
// the memory cap stops it.

let mode = "ok";

export const trigger = {
  configure(config) {
    mode = JSON.parse(config || "{}").mode ?? "ok";
  },

  evaluate(c) {
    if (mode === "loop") {
      let n = c.messages.length;
      for (;;) n = (n * 1103515245 + 12345) % 2147483648;
    }
    if (mode === "oom") {
      const hoard = [];
      for (;;) hoard.push(new Uint8Array(1 << 20).fill(hoard.length & 255));
    }
    return { escalate: false, reason: undefined, priority: "normal", tags: [],
             explanation: "chaos in `ok` mode never escalates" };
  },
};
