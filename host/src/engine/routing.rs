//! Loading and calling routing policies, and the value conversions both worlds share.

use super::cache::CompiledPlugin;
use super::contract::{routing_api as api, wit};
use super::fault::{Fault, FaultKind};
use super::sandbox::{HostState, Sandbox};
use super::turns::Solo;
use super::wasm::Runtime;
use super::{Limits, LoadError, PluginLabel};
use baton_plugin_sdk::{
    Clock, Customer, Presence, Priority, Reason, Roster, RouteChoice, RouteRequest,
};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use wasmtime::component::InstancePre;

/// A routing plugin ready to serve one tenant version.
#[derive(Clone)]
pub struct RoutingPlugin {
    runtime: Arc<Runtime>,
    compiled: Arc<CompiledPlugin>,
    pre: InstancePre<HostState>,
    indices: Arc<api::GuestIndices>,
    config: Arc<str>,
    limits: Limits,
    label: PluginLabel,
    /// Whether this plugin's calls are running out of time (see `turns.rs`).
    solo: Arc<Solo>,
}

/// The result of one routing call: always a choice, plus the fault if one was taken.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutingEvaluation {
    /// The plugin's choice, or the fallback queue after a fault.
    pub choice: RouteChoice,
    /// What went wrong, if anything.
    pub fault: Option<Fault>,
    /// Wall time of the call.
    pub elapsed: Duration,
}

impl RoutingPlugin {
    pub(crate) async fn load(
        runtime: Arc<Runtime>,
        compiled: Arc<CompiledPlugin>,
        config_json: &str,
        limits: Limits,
        label: PluginLabel,
    ) -> Result<Self, LoadError> {
        let path = std::path::PathBuf::from(&*label.plugin);
        let (pre, indices) = super::link::link(&runtime, &compiled, &path, api::GuestIndices::new)?;
        let plugin = RoutingPlugin {
            runtime,
            compiled,
            pre,
            indices: Arc::new(indices),
            config: config_json.into(),
            limits,
            label,
            solo: Solo::new(),
        };
        // Run `configure` once now so a refused config is a load error.
        let mut sandbox = Sandbox::new(&plugin.runtime, plugin.limits);
        let outcome = plugin.configured(&mut sandbox).await;
        super::link::configured_at_load(&path, outcome)?;
        Ok(plugin)
    }

    /// The same plugin with a deadline of at least `deadline`, for self-tests (see
    /// [`super::TriggerPlugin::with_deadline_at_least`]).
    pub fn with_deadline_at_least(&self, deadline: Duration) -> RoutingPlugin {
        let mut relaxed = self.clone();
        relaxed.limits.deadline = relaxed.limits.deadline.max(deadline);
        relaxed
    }

    /// Hex SHA-256 of the plugin's bytes.
    pub fn digest(&self) -> &str {
        &self.compiled.digest
    }

    async fn configured(&self, sandbox: &mut Sandbox) -> Result<Result<api::Guest, String>, Fault> {
        let pre = &self.pre;
        let indices = &self.indices;
        let config = &*self.config;
        sandbox
            .run(async |store| {
                let instance = pre.instantiate_async(&mut *store).await?;
                let guest = indices.load(&mut *store, &instance)?;
                match guest.call_configure(&mut *store, config).await? {
                    Ok(()) => Ok(Ok(guest)),
                    Err(message) => Ok(Err(message)),
                }
            })
            .await
    }

    /// Choose agents and a queue for `request` in a fresh instance (on the quarantine threads
    /// while this plugin's calls run out of time). Never fails: a fault yields the roster's
    /// fallback queue and is reported beside it.
    pub async fn route(&self, request: &RouteRequest, roster: &Roster) -> RoutingEvaluation {
        if !self.solo.struggling() {
            return self.route_now(request, roster).await;
        }
        let (plugin, request, roster) = (self.clone(), request.clone(), roster.clone());
        super::quarantine::run(async move { plugin.route_now(&request, &roster).await }).await
    }

    async fn route_now(&self, request: &RouteRequest, roster: &Roster) -> RoutingEvaluation {
        let turn = self
            .runtime
            .turns
            .take(&self.label.tenant, &self.solo)
            .await;
        let mut sandbox = Sandbox::new(&self.runtime, self.limits);
        let (req, ros) = (request_to_wit(request), roster_to_wit(roster));
        let outcome = match self.configured(&mut sandbox).await {
            Err(fault) => Err(fault),
            Ok(Err(message)) => Err(sandbox.guest_error(format!("configure failed: {message}"))),
            Ok(Ok(guest)) => {
                match sandbox
                    .run(async |store| guest.call_route(store, &req, &ros).await)
                    .await
                {
                    Err(fault) => Err(fault),
                    Ok(Err(message)) => Err(sandbox.guest_error(message)),
                    Ok(Ok(choice)) => validate(choice, roster),
                }
            }
        };
        sandbox.log_output(&self.label);
        let elapsed = sandbox.elapsed();
        turn.finished(matches!(&outcome, Err(f) if f.kind == FaultKind::Timeout));
        match outcome {
            Ok(choice) => RoutingEvaluation {
                choice,
                fault: None,
                elapsed,
            },
            Err(fault) => {
                tracing::warn!(tenant = %self.label.tenant, plugin = %self.label.plugin, %fault, "routing policy fault; using the fallback queue");
                RoutingEvaluation {
                    choice: RouteChoice {
                        agents: Vec::new(),
                        queue: roster.fallback_queue.clone(),
                        explanation: format!(
                            "the routing policy failed ({}); waiting in the fallback queue",
                            fault.kind
                        ),
                    },
                    fault: Some(fault),
                    elapsed,
                }
            }
        }
    }
}

/// A choice must name only roster agents (each once) and a roster queue.
fn validate(c: api::RouteChoice, roster: &Roster) -> Result<RouteChoice, Fault> {
    let bad = |m: String| Fault::new(FaultKind::InvalidOutput, m);
    let known: HashSet<&str> = roster.agents.iter().map(|a| a.id.as_str()).collect();
    let mut seen = HashSet::new();
    for id in &c.agents {
        if !known.contains(id.as_str()) {
            return Err(bad(format!(
                "the route names agent `{}`, who is not on the roster",
                clip(id)
            )));
        }
        if !seen.insert(id.as_str()) {
            return Err(bad(format!("the route names agent `{}` twice", clip(id))));
        }
    }
    let queue_known =
        c.queue == roster.fallback_queue || roster.queues.iter().any(|q| q.name == c.queue);
    if !queue_known {
        return Err(bad(format!(
            "the route names queue `{}`, which the tenant does not have",
            clip(&c.queue)
        )));
    }
    if c.explanation.len() > baton_plugin_sdk::Decision::MAX_EXPLANATION_LEN {
        return Err(bad(format!(
            "an explanation of {} bytes",
            c.explanation.len()
        )));
    }
    Ok(RouteChoice {
        agents: c.agents,
        queue: c.queue,
        explanation: c.explanation,
    })
}

fn clip(s: &str) -> String {
    s.chars().take(60).collect()
}

pub(crate) fn customer_to_wit(c: &Customer) -> wit::Customer {
    wit::Customer {
        name: c.name.clone(),
        phone: c.phone.clone(),
        email: c.email.clone(),
        address: c.address.clone(),
        repeat_customer: c.repeat_customer,
        lifetime_value_usd: c.lifetime_value_usd,
        tags: c.tags.clone(),
    }
}

pub(crate) fn clock_to_wit(c: &Clock) -> wit::Clock {
    wit::Clock {
        now_ms: c.now_ms,
        weekday: c.weekday,
        minute_of_day: c.minute_of_day,
        open: c.open,
    }
}

pub(crate) fn reason_from_wit(r: wit::Reason) -> Reason {
    match r {
        wit::Reason::ExplicitRequest => Reason::ExplicitRequest,
        wit::Reason::Frustration => Reason::Frustration,
        wit::Reason::LowConfidence => Reason::LowConfidence,
        wit::Reason::Emergency => Reason::Emergency,
        wit::Reason::HighValue => Reason::HighValue,
        wit::Reason::BillingDispute => Reason::BillingDispute,
        wit::Reason::Customization => Reason::Customization,
        wit::Reason::ComplexInquiry => Reason::ComplexInquiry,
        wit::Reason::Repetition => Reason::Repetition,
        wit::Reason::Custom(s) => Reason::Custom(s),
    }
}

fn reason_to_wit(r: &Reason) -> wit::Reason {
    match r {
        Reason::ExplicitRequest => wit::Reason::ExplicitRequest,
        Reason::Frustration => wit::Reason::Frustration,
        Reason::LowConfidence => wit::Reason::LowConfidence,
        Reason::Emergency => wit::Reason::Emergency,
        Reason::HighValue => wit::Reason::HighValue,
        Reason::BillingDispute => wit::Reason::BillingDispute,
        Reason::Customization => wit::Reason::Customization,
        Reason::ComplexInquiry => wit::Reason::ComplexInquiry,
        Reason::Repetition => wit::Reason::Repetition,
        Reason::Custom(s) => wit::Reason::Custom(s.clone()),
    }
}

pub(crate) fn priority_from_wit(p: wit::Priority) -> Priority {
    match p {
        wit::Priority::Low => Priority::Low,
        wit::Priority::Normal => Priority::Normal,
        wit::Priority::High => Priority::High,
        wit::Priority::Urgent => Priority::Urgent,
    }
}

fn priority_to_wit(p: Priority) -> wit::Priority {
    match p {
        Priority::Low => wit::Priority::Low,
        Priority::Normal => wit::Priority::Normal,
        Priority::High => wit::Priority::High,
        Priority::Urgent => wit::Priority::Urgent,
    }
}

fn request_to_wit(r: &RouteRequest) -> api::Request {
    api::Request {
        conversation_id: r.conversation_id.clone(),
        channel: r.channel.clone(),
        reason: reason_to_wit(&r.reason),
        priority: priority_to_wit(r.priority),
        tags: r.tags.clone(),
        intent: r.intent.clone(),
        customer: customer_to_wit(&r.customer),
        previous_agent: r.previous_agent.clone(),
        declined_by: r.declined_by.clone(),
        clock: clock_to_wit(&r.clock),
    }
}

fn roster_to_wit(r: &Roster) -> api::Roster {
    api::Roster {
        agents: r
            .agents
            .iter()
            .map(|a| api::Agent {
                id: a.id.clone(),
                name: a.name.clone(),
                skills: a.skills.clone(),
                presence: match a.presence {
                    Presence::Available => wit::Presence::Available,
                    Presence::Busy => wit::Presence::Busy,
                    Presence::Offline => wit::Presence::Offline,
                },
                capacity: a.capacity,
                load: a.load,
                on_call: a.on_call,
            })
            .collect(),
        queues: r
            .queues
            .iter()
            .map(|q| api::Queue {
                name: q.name.clone(),
                skills: q.skills.clone(),
                target_wait_secs: q.target_wait_secs,
                depth: q.depth,
            })
            .collect(),
        fallback_queue: r.fallback_queue.clone(),
    }
}
