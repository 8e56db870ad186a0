// Business-hours and VIP trigger policy for Baton, in JavaScript (the Python example's twin).
//
// Escalates when the customer asks for a person (English or Spanish), or when a VIP
// customer (a VIP tag, or a lifetime value at or over the threshold) writes while the
// business is closed. Config keys: `vip_tags`, `high_value_usd`, `after_hours_reason`.
//
// Built with componentize-js against Baton's WIT (`plugin-sdk/wit/since_v0.1.0/policy.wit`): see `build`.
// WIT names arrive in camelCase (`lifetimeValueUsd`), enums as strings (`"customer"`),
// variants as `{ tag: "high-value" }` or `{ tag: "custom", val: "..." }`; throwing from an
// export returns the WIT `result`'s error.

const STOCK_REASONS = new Set([
  "explicit_request", "frustration", "low_confidence", "emergency", "high_value",
  "billing_dispute", "customization", "complex_inquiry", "repetition",
]);

const PERSON = String.raw`(?:a |an |some(?:one|body) |a real |a live |real |live )?(?:person|human|agent|representative|rep|manager|someone|somebody)`;
const REQUEST = [
  new RegExp(String.raw`\b(?:talk|speak|chat)\s+(?:to|with)\s+${PERSON}\b`),
  /\b(?:real|live|actual)\s+(?:person|human|agent)\b/,
  /\b(?:transfer|connect)\s+me\b/,
  /\b(?:get|want|need)\s+(?:me\s+)?(?:a |an )?(?:human|agent|representative)\b/,
  /\bhablar\s+con\s+(?:una?\s+)?(?:persona|alguien|humano|agente|representante|gerente|encargado)\b/,
  /\bpersona\s+(?:real|de verdad)\b/,
  /\b(?:p[aá]same|comun[ií]came|comunicarme)\s+con\b/,
  /\b(?:quiero|necesito)\s+(?:un |una )?(?:agente|humano|persona|representante)\b/,
];

const DEFAULT_HIGH_VALUE_USD = 5000;

const config = {
  vip_tags: ["vip"],
  high_value_usd: DEFAULT_HIGH_VALUE_USD,
  after_hours_reason: "high_value",
};

function reasonOf(name) {
  return STOCK_REASONS.has(name) ? { tag: name.replaceAll("_", "-") } : { tag: "custom", val: name };
}

function lastCustomerText(c) {
  for (let i = c.messages.length - 1; i >= 0; i--) {
    if (c.messages[i].role === "customer") return c.messages[i].text.toLowerCase();
  }
  return "";
}

function isVip(c) {
  const vip = new Set(config.vip_tags.map((t) => t.toLowerCase()));
  if (c.customer.tags.some((t) => vip.has(t.toLowerCase()))) return true;
  const value = c.customer.lifetimeValueUsd;
  return value !== undefined && value !== null && value >= config.high_value_usd;
}

function decision(escalate, reason, priority, tags, explanation) {
  return { escalate, reason, priority, tags, explanation };
}

export const trigger = {
  configure(text) {
    let table;
    try {
      table = JSON.parse(text || "{}");
    } catch (e) {
      throw `the config is not JSON: ${e.message}`;
    }
    const unknown = Object.keys(table).filter((k) => !(k in config)).sort();
    if (unknown.length > 0) {
      throw `unknown config key \`${unknown[0]}\` (known: ${Object.keys(config).sort().join(", ")})`;
    }
    const value = table.high_value_usd ?? config.high_value_usd;
    if (typeof value !== "number" || value < 0) throw "`high_value_usd` must be a number, 0 or more";
    const tags = table.vip_tags ?? config.vip_tags;
    if (!Array.isArray(tags) || !tags.every((t) => typeof t === "string" && t.trim() !== "")) {
      throw "`vip_tags` must be a list of non-empty strings";
    }
    const reason = table.after_hours_reason ?? config.after_hours_reason;
    if (typeof reason !== "string" || !/^[a-z][a-z0-9_]{0,39}$/.test(reason)) {
      throw "`after_hours_reason` must be lowercase snake_case, at most 40 characters";
    }
    Object.assign(config, { vip_tags: tags, high_value_usd: value, after_hours_reason: reason });
  },

  evaluate(c) {
    const text = lastCustomerText(c);
    if (REQUEST.some((p) => p.test(text))) {
      return decision(true, { tag: "explicit-request" }, "high", ["asked_for_person"],
        "The customer asked for a person.");
    }
    if (!c.clock.open && isVip(c)) {
      return decision(true, reasonOf(config.after_hours_reason), "high", ["vip", "after_hours"],
        "A VIP customer wrote while the business is closed.");
    }
    return decision(false, undefined, "normal", [], "");
  },
};
