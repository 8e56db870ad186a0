//! Counters and histograms for `GET /metrics`, per tenant, in the Prometheus text format.
//!
//! Written by hand rather than with `prometheus-client`: the label sets are fixed and few,
//! the registry must be per host (tests run several hosts in one process, so no global
//! registry), series of tenants that are no longer loaded must disappear from the output,
//! and the text format (version 0.0.4) is a dozen lines of code. Label sets are bounded:
//! tenants are only the loaded ones, reasons are the nine stock reasons plus `custom`,
//! `policy_fault` and `none` (stayed with the bot), roles are `live` and `shadow`, fault
//! kinds are the engine's five, queues are the tenant's configured queues (else `other`).

use crate::config::TenantConfig;
use baton_plugin_sdk::{Decision, Reason};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the evaluation-latency buckets, seconds.
pub const EVALUATION_BUCKETS: [f64; 10] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0,
];
/// Upper bounds of the queue-wait buckets (open to accept), seconds.
pub const WAIT_BUCKETS: [f64; 10] = [
    1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0,
];

/// A cumulative histogram with fixed buckets.
#[derive(Debug, Clone, Default)]
struct Histogram {
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, bounds: &[f64], v: f64) {
        if self.counts.len() != bounds.len() {
            self.counts = vec![0; bounds.len()];
        }
        for (i, b) in bounds.iter().enumerate() {
            if v <= *b {
                self.counts[i] += 1;
            }
        }
        self.sum += v;
        self.count += 1;
    }
}

#[derive(Debug, Default)]
struct TenantMetrics {
    /// `(role, reason)` → count.
    decisions: BTreeMap<(&'static str, &'static str), u64>,
    /// role → latency histogram.
    evaluation: BTreeMap<&'static str, Histogram>,
    /// queue → wait histogram.
    wait: BTreeMap<String, Histogram>,
    /// by (`customer`, `limit`, `agent`) → handoffs closed as abandoned.
    abandoned: BTreeMap<&'static str, u64>,
    webhook_delivered: u64,
    webhook_failed: u64,
    decisions_pruned: u64,
    widget_stream_reads: u64,
}

/// The host's metrics.
#[derive(Debug, Default)]
pub struct Metrics {
    tenants: Mutex<HashMap<String, TenantMetrics>>,
}

/// The bounded reason label of a decision.
pub fn reason_label(d: &Decision) -> &'static str {
    if !d.escalate {
        return "none";
    }
    match &d.reason {
        None => "custom",
        // The engine's safe decision after a fault.
        Some(Reason::Custom(c)) if c == "policy_fault" => "policy_fault",
        Some(Reason::Custom(_)) => "custom",
        Some(r) => Reason::STOCK
            .iter()
            .find(|s| *s == r)
            .map(stock_name)
            .unwrap_or("custom"),
    }
}

fn stock_name(r: &Reason) -> &'static str {
    match r {
        Reason::ExplicitRequest => "explicit_request",
        Reason::Frustration => "frustration",
        Reason::LowConfidence => "low_confidence",
        Reason::Emergency => "emergency",
        Reason::HighValue => "high_value",
        Reason::BillingDispute => "billing_dispute",
        Reason::Customization => "customization",
        Reason::ComplexInquiry => "complex_inquiry",
        Reason::Repetition => "repetition",
        Reason::Custom(_) => "custom",
    }
}

impl Metrics {
    fn with(&self, tenant: &str, f: impl FnOnce(&mut TenantMetrics)) {
        let mut map = self.tenants.lock().unwrap_or_else(|p| p.into_inner());
        match map.get_mut(tenant) {
            Some(m) => f(m),
            None => f(map.entry(tenant.to_string()).or_default()),
        }
    }

    /// Count one trigger evaluation (`role`: `live` or `shadow`).
    pub fn decision(&self, tenant: &str, role: &str, decision: &Decision, elapsed: Duration) {
        let role: &'static str = if role == "shadow" { "shadow" } else { "live" };
        let reason = reason_label(decision);
        self.with(tenant, |m| {
            *m.decisions.entry((role, reason)).or_default() += 1;
            m.evaluation
                .entry(role)
                .or_default()
                .observe(&EVALUATION_BUCKETS, elapsed.as_secs_f64());
        });
    }

    /// Observe how long a handoff waited in `queue` before an agent accepted it.
    pub fn waited(&self, config: &TenantConfig, queue: &str, waited_ms: i64) {
        let queue = if config.queue(queue).is_some() {
            queue
        } else {
            "other"
        };
        self.with(&config.tenant_id, |m| {
            m.wait
                .entry(queue.to_string())
                .or_default()
                .observe(&WAIT_BUCKETS, waited_ms.max(0) as f64 / 1000.0);
        });
    }

    /// Count a handoff closed as abandoned, by whom (`customer`, `limit` or `agent`).
    pub fn abandoned(&self, config: &TenantConfig, by: &'static str) {
        self.with(&config.tenant_id, |m| {
            *m.abandoned.entry(by).or_default() += 1
        });
    }

    /// Count a webhook delivery attempt.
    pub fn webhook(&self, tenant: &str, delivered: bool) {
        self.with(tenant, |m| {
            if delivered {
                m.webhook_delivered += 1;
            } else {
                m.webhook_failed += 1;
            }
        });
    }

    /// Count a widget stream's look at its conversation in the store.
    pub fn widget_stream_read(&self, tenant: &str) {
        self.with(tenant, |m| m.widget_stream_reads += 1);
    }

    /// Count decision-log rows removed by retention.
    pub fn pruned(&self, tenant: &str, rows: u64) {
        self.with(tenant, |m| m.decisions_pruned += rows);
    }
}

/// What the renderer needs about one loaded tenant besides the counters.
#[derive(Debug, Clone, Default)]
pub struct TenantGauges {
    /// The tenant id.
    pub tenant: String,
    /// Handoffs waiting (queued or offered) per configured queue.
    pub depth: Vec<(String, u32)>,
    /// Versions activated since start.
    pub reloads: u64,
    /// Changes refused since start.
    pub reload_failures: u64,
    /// Policy faults since start, by kind.
    pub faults: BTreeMap<String, u64>,
}

fn esc(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn histogram(out: &mut String, name: &str, labels: &str, bounds: &[f64], h: &Histogram) {
    for (i, b) in bounds.iter().enumerate() {
        let n = h.counts.get(i).copied().unwrap_or(0);
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{b}\"}} {n}");
    }
    let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {}", h.count);
    let _ = writeln!(out, "{name}_sum{{{labels}}} {}", h.sum);
    let _ = writeln!(out, "{name}_count{{{labels}}} {}", h.count);
}

impl Metrics {
    /// The exposition text for the loaded tenants in `gauges` (others are left out).
    pub fn render(&self, gauges: &[TenantGauges]) -> String {
        let map = self.tenants.lock().unwrap_or_else(|p| p.into_inner());
        let empty = TenantMetrics::default();
        let each = || {
            gauges
                .iter()
                .map(|g| (g, map.get(&g.tenant).unwrap_or(&empty)))
        };
        let mut out = String::new();
        header(
            &mut out,
            "baton_tenant_loaded",
            "gauge",
            "1 for every tenant with a serving version.",
        );
        for (g, _) in each() {
            let _ = writeln!(
                out,
                "baton_tenant_loaded{{tenant=\"{}\"}} 1",
                esc(&g.tenant)
            );
        }
        header(&mut out, "baton_decisions_total", "counter",
            "Trigger evaluations by role (live, shadow) and reason (the nine stock reasons, custom, policy_fault; none = stayed with the bot).");
        for (g, m) in each() {
            for ((role, reason), n) in &m.decisions {
                let _ = writeln!(out, "baton_decisions_total{{tenant=\"{}\",role=\"{role}\",reason=\"{reason}\"}} {n}", esc(&g.tenant));
            }
        }
        header(&mut out, "baton_policy_faults_total", "counter",
            "Policy faults (trigger, shadow and routing) by kind since start; each led to the safe decision.");
        for (g, _) in each() {
            for (kind, n) in &g.faults {
                let _ = writeln!(
                    out,
                    "baton_policy_faults_total{{tenant=\"{}\",kind=\"{}\"}} {n}",
                    esc(&g.tenant),
                    esc(kind)
                );
            }
        }
        header(
            &mut out,
            "baton_evaluation_seconds",
            "histogram",
            "Wall time of a trigger evaluation in the sandbox, instantiation included.",
        );
        for (g, m) in each() {
            for (role, h) in &m.evaluation {
                histogram(
                    &mut out,
                    "baton_evaluation_seconds",
                    &format!("tenant=\"{}\",role=\"{role}\"", esc(&g.tenant)),
                    &EVALUATION_BUCKETS,
                    h,
                );
            }
        }
        header(
            &mut out,
            "baton_queue_depth",
            "gauge",
            "Handoffs waiting for an agent (queued or offered) per queue, now.",
        );
        for (g, _) in each() {
            for (queue, n) in &g.depth {
                let _ = writeln!(
                    out,
                    "baton_queue_depth{{tenant=\"{}\",queue=\"{}\"}} {n}",
                    esc(&g.tenant),
                    esc(queue)
                );
            }
        }
        header(
            &mut out,
            "baton_queue_wait_seconds",
            "histogram",
            "Time from a handoff opening to an agent accepting it, per queue.",
        );
        for (g, m) in each() {
            for (queue, h) in &m.wait {
                histogram(
                    &mut out,
                    "baton_queue_wait_seconds",
                    &format!("tenant=\"{}\",queue=\"{}\"", esc(&g.tenant), esc(queue)),
                    &WAIT_BUCKETS,
                    h,
                );
            }
        }
        header(&mut out, "baton_handoffs_abandoned_total", "counter",
            "Handoffs closed as abandoned before anyone accepted them, by whom: the customer (the channel said they left), the limit (abandon_after_secs) or an agent.");
        for (g, m) in each() {
            for (by, n) in &m.abandoned {
                let _ = writeln!(
                    out,
                    "baton_handoffs_abandoned_total{{tenant=\"{}\",by=\"{by}\"}} {n}",
                    esc(&g.tenant)
                );
            }
        }
        for (name, help, pick) in [
            (
                "baton_tenant_reloads_total",
                "Tenant versions activated since start.",
                0,
            ),
            (
                "baton_tenant_reload_failures_total",
                "Tenant changes refused since start (the last good version kept serving).",
                1,
            ),
            (
                "baton_webhook_deliveries_total",
                "Webhook deliveries that the receiver acknowledged.",
                2,
            ),
            (
                "baton_webhook_delivery_failures_total",
                "Webhook delivery attempts that failed (each retry counts).",
                3,
            ),
            (
                "baton_decision_log_pruned_total",
                "Decision-log rows removed by retention (age or row cap).",
                4,
            ),
            (
                "baton_widget_stream_reads_total",
                "Looks of open widget streams at their conversation in the store (each after a commit to that conversation, or, on a shared store, a periodic look for other hosts' writes).",
                5,
            ),
        ] {
            header(&mut out, name, "counter", help);
            for (g, m) in each() {
                let n = match pick {
                    0 => g.reloads,
                    1 => g.reload_failures,
                    2 => m.webhook_delivered,
                    3 => m.webhook_failed,
                    4 => m.decisions_pruned,
                    _ => m.widget_stream_reads,
                };
                let _ = writeln!(out, "{name}{{tenant=\"{}\"}} {n}", esc(&g.tenant));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use baton_plugin_sdk::Priority;

    #[test]
    fn reasons_are_bounded() {
        let d = |r: Reason| Decision::escalate(r, Priority::High);
        assert_eq!(reason_label(&Decision::stay()), "none");
        assert_eq!(reason_label(&d(Reason::Emergency)), "emergency");
        assert_eq!(
            reason_label(&d(Reason::Custom("vip_after_hours".into()))),
            "custom"
        );
        assert_eq!(
            reason_label(&d(Reason::Custom("policy_fault".into()))),
            "policy_fault"
        );
    }

    #[test]
    fn text_format() {
        let m = Metrics::default();
        m.decision("a", "live", &Decision::stay(), Duration::from_micros(700));
        m.decision(
            "gone",
            "live",
            &Decision::stay(),
            Duration::from_micros(700),
        );
        let text = m.render(&[TenantGauges {
            tenant: "a".into(),
            ..TenantGauges::default()
        }]);
        assert!(
            text.contains("baton_decisions_total{tenant=\"a\",role=\"live\",reason=\"none\"} 1\n"),
            "{text}"
        );
        assert!(text.contains(
            "baton_evaluation_seconds_bucket{tenant=\"a\",role=\"live\",le=\"0.0005\"} 0\n"
        ));
        assert!(text.contains(
            "baton_evaluation_seconds_bucket{tenant=\"a\",role=\"live\",le=\"0.001\"} 1\n"
        ));
        assert!(text.contains("baton_evaluation_seconds_count{tenant=\"a\",role=\"live\"} 1\n"));
        assert!(!text.contains("gone"), "unloaded tenants are left out");
    }
}
