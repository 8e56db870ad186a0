//! Contract `baton:policy@0.1.0`, frozen: its bindings, and the one adapter that turns its
//! types into the host's and back.
//!
//! A plugin built against 0.1.0 keeps loading after the contract moves on: a later version
//! gets its own `since_vX_Y_Z.rs` beside this one (bindings from its own frozen folder), and
//! this file changes only if the host's own types do. Every conversion between a 0.1.0 value
//! and a host value is written here and nowhere else.

use super::super::policy::{CallTypes, Routing, Trigger};
use super::super::sandbox::HostState;
use baton_plugin_sdk::{
    Clock, Conversation, Customer, Decision, Presence, Priority, Reason, Role, Roster, RouteChoice,
    RouteRequest,
};
use std::future::Future;
use wasmtime::component::{Instance, InstancePre};
use wasmtime::Store;

wasmtime::component::bindgen!({
    path: "../plugin-sdk/wit/since_v0.1.0",
    world: "host",
    exports: { default: async },
});

use self::baton::policy::types as wit;
use self::exports::baton::policy::routing as routing_api;
use self::exports::baton::policy::trigger as trigger_api;

/// The version these bindings were generated from.
// Read by the tests now; at the first bump `contract::Exports::new` matches on it.
#[allow(dead_code)]
pub(crate) const VERSION: &str = "0.1.0";

/// How the host calls one world of this version: its export's handles, and the conversions
/// of its input and output. Implemented once per world. Sealed: it is public only because
/// [`PolicyKind`](super::super::PolicyKind) names it as a bound, and its methods take the
/// engine's private store state, so nothing outside the engine can implement or call it.
#[allow(private_interfaces)]
pub trait Adapter: CallTypes {
    /// The export's function indices, looked up once per loaded plugin.
    type Indices: Send + Sync + 'static;
    /// The export bound to one instance.
    type Guest: Send + Sync;
    /// The call's arguments in this version's types.
    type Args: Send + Sync;
    /// The call's answer in this version's types.
    type Answer: Send;

    /// Look up the export in a linked component.
    fn indices(pre: &InstancePre<HostState>) -> wasmtime::Result<Self::Indices>;
    /// Bind the export to an instance.
    fn guest(
        indices: &Self::Indices,
        store: &mut Store<HostState>,
        instance: &Instance,
    ) -> wasmtime::Result<Self::Guest>;
    /// Call `configure`.
    fn configure<'a>(
        guest: &'a Self::Guest,
        store: &'a mut Store<HostState>,
        config: &'a str,
    ) -> impl Future<Output = wasmtime::Result<Result<(), String>>> + Send + 'a;
    /// Call the world's one decision function.
    fn call<'a>(
        guest: &'a Self::Guest,
        store: &'a mut Store<HostState>,
        args: &'a Self::Args,
    ) -> impl Future<Output = wasmtime::Result<Result<Self::Answer, String>>> + Send + 'a;
    /// The host's input in this version's types.
    fn args(input: Self::Input<'_>) -> Self::Args;
    /// This version's answer in the host's types (checked by
    /// [`PolicyKind::check`](super::super::policy::PolicyKind::check) after).
    fn answer(answer: Self::Answer) -> Self::Output;
}

/// A loaded plugin's exports for world `K` in this version: what a call needs from it.
pub(crate) struct Exports<K: Adapter> {
    indices: K::Indices,
}

impl<K: Adapter> Exports<K> {
    /// Look up `K`'s export in a linked component.
    pub fn new(pre: &InstancePre<HostState>) -> wasmtime::Result<Self> {
        Ok(Exports {
            indices: K::indices(pre)?,
        })
    }

    /// Instantiate fresh and run `configure`; `Ok(Err)` is the plugin's own refusal.
    pub async fn configured(
        &self,
        pre: &InstancePre<HostState>,
        store: &mut Store<HostState>,
        config: &str,
    ) -> wasmtime::Result<Result<Configured<K>, String>> {
        let instance = pre.instantiate_async(&mut *store).await?;
        let guest = K::guest(&self.indices, store, &instance)?;
        Ok(K::configure(&guest, store, config)
            .await?
            .map(|()| Configured { guest }))
    }
}

/// An instance whose `configure` accepted its config, ready for calls.
pub(crate) struct Configured<K: Adapter> {
    guest: K::Guest,
}

impl<K: Adapter> Configured<K> {
    /// Call the plugin with `input` turned into this version's types, and turn its answer
    /// into the host's; `Ok(Err)` is the plugin's own error.
    pub async fn call(
        &self,
        store: &mut Store<HostState>,
        input: K::Input<'_>,
    ) -> wasmtime::Result<Result<K::Output, String>> {
        let args = K::args(input);
        Ok(K::call(&self.guest, store, &args).await?.map(K::answer))
    }
}

#[allow(private_interfaces)]
impl Adapter for Trigger {
    type Indices = trigger_api::GuestIndices;
    type Guest = trigger_api::Guest;
    type Args = trigger_api::Conversation;
    type Answer = trigger_api::Decision;

    fn indices(pre: &InstancePre<HostState>) -> wasmtime::Result<Self::Indices> {
        trigger_api::GuestIndices::new(pre)
    }
    fn guest(
        indices: &Self::Indices,
        store: &mut Store<HostState>,
        instance: &Instance,
    ) -> wasmtime::Result<Self::Guest> {
        indices.load(store, instance)
    }
    fn configure<'a>(
        guest: &'a Self::Guest,
        store: &'a mut Store<HostState>,
        config: &'a str,
    ) -> impl Future<Output = wasmtime::Result<Result<(), String>>> + Send + 'a {
        guest.call_configure(store, config)
    }
    fn call<'a>(
        guest: &'a Self::Guest,
        store: &'a mut Store<HostState>,
        args: &'a Self::Args,
    ) -> impl Future<Output = wasmtime::Result<Result<Self::Answer, String>>> + Send + 'a {
        guest.call_evaluate(store, args)
    }
    fn args(c: &Conversation) -> Self::Args {
        trigger_api::Conversation {
            id: c.id.clone(),
            channel: c.channel.clone(),
            customer: customer(&c.customer),
            messages: c
                .messages
                .iter()
                .map(|m| wit::Message {
                    role: match m.role {
                        Role::Customer => wit::Role::Customer,
                        Role::Bot => wit::Role::Bot,
                        Role::Agent => wit::Role::Agent,
                        Role::System => wit::Role::System,
                    },
                    text: m.text.clone(),
                    at_ms: m.at_ms,
                    intent: m.intent.clone(),
                    confidence: m.confidence,
                })
                .collect(),
            clock: clock(&c.clock),
        }
    }
    fn answer(d: Self::Answer) -> Decision {
        Decision {
            escalate: d.escalate,
            reason: d.reason.map(reason_from_wit),
            priority: priority_from_wit(d.priority),
            tags: d.tags,
            explanation: d.explanation,
        }
    }
}

#[allow(private_interfaces)]
impl Adapter for Routing {
    type Indices = routing_api::GuestIndices;
    type Guest = routing_api::Guest;
    type Args = (routing_api::Request, routing_api::Roster);
    type Answer = routing_api::RouteChoice;

    fn indices(pre: &InstancePre<HostState>) -> wasmtime::Result<Self::Indices> {
        routing_api::GuestIndices::new(pre)
    }
    fn guest(
        indices: &Self::Indices,
        store: &mut Store<HostState>,
        instance: &Instance,
    ) -> wasmtime::Result<Self::Guest> {
        indices.load(store, instance)
    }
    fn configure<'a>(
        guest: &'a Self::Guest,
        store: &'a mut Store<HostState>,
        config: &'a str,
    ) -> impl Future<Output = wasmtime::Result<Result<(), String>>> + Send + 'a {
        guest.call_configure(store, config)
    }
    fn call<'a>(
        guest: &'a Self::Guest,
        store: &'a mut Store<HostState>,
        (request, roster): &'a Self::Args,
    ) -> impl Future<Output = wasmtime::Result<Result<Self::Answer, String>>> + Send + 'a {
        guest.call_route(store, request, roster)
    }
    fn args((request, roster): (&RouteRequest, &Roster)) -> Self::Args {
        (route_request(request), route_roster(roster))
    }
    fn answer(c: Self::Answer) -> RouteChoice {
        RouteChoice {
            agents: c.agents,
            queue: c.queue,
            explanation: c.explanation,
        }
    }
}

fn customer(c: &Customer) -> wit::Customer {
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

fn clock(c: &Clock) -> wit::Clock {
    wit::Clock {
        now_ms: c.now_ms,
        weekday: c.weekday,
        minute_of_day: c.minute_of_day,
        open: c.open,
    }
}

fn reason_from_wit(r: wit::Reason) -> Reason {
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

fn priority_from_wit(p: wit::Priority) -> Priority {
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

fn route_request(r: &RouteRequest) -> routing_api::Request {
    routing_api::Request {
        conversation_id: r.conversation_id.clone(),
        channel: r.channel.clone(),
        reason: reason_to_wit(&r.reason),
        priority: priority_to_wit(r.priority),
        tags: r.tags.clone(),
        intent: r.intent.clone(),
        customer: customer(&r.customer),
        previous_agent: r.previous_agent.clone(),
        declined_by: r.declined_by.clone(),
        clock: clock(&r.clock),
    }
}

fn route_roster(r: &Roster) -> routing_api::Roster {
    routing_api::Roster {
        agents: r
            .agents
            .iter()
            .map(|a| routing_api::Agent {
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
            .map(|q| routing_api::Queue {
                name: q.name.clone(),
                skills: q.skills.clone(),
                target_wait_secs: q.target_wait_secs,
                depth: q.depth,
            })
            .collect(),
        fallback_queue: r.fallback_queue.clone(),
    }
}
