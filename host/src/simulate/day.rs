//! Playing the day: customer and bot messages at their times, agents' shifts, answers and
//! handle times, customers who leave, and between them the rounds the server's background
//! loop runs (offer timeouts, the abandon limit, queue promotion): all through the real desk on a manual clock
//! that jumps from one moment something happens to the next. Nothing sleeps.

use super::checks::Checks;
use super::levels::Tally;
use super::scenario::{Minutes, Scenario};
use super::SimulateError;
use crate::clock::{Clock, ManualClock};
use crate::handoff::{Desk, DeskError, IngestRequest, NoticeView, Outcome, ResolveRequest};
use crate::store::{HandoffRow, HandoffState};
use crate::tenants::TenantVersion;
use baton_plugin_sdk::fixtures::Fixture;
use baton_plugin_sdk::{Presence, Role};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// Something scheduled to happen at a simulated moment.
#[derive(Debug, Clone)]
enum Ev {
    /// Message `index` of conversation `conv` is written.
    Message { conv: usize, index: usize },
    /// An agent's presence changes (shift start or end, a break).
    Presence { agent: usize, presence: Presence },
    /// An agent answers an offer (accept, or decline).
    Answer {
        agent: usize,
        handoff: String,
        accept: bool,
    },
    /// An agent finishes a handoff and resolves it.
    Resolve { agent: usize, handoff: String },
    /// The customer gives up waiting.
    Leave { handoff: String },
    /// Nothing but a round and the checks (an emergency's 5-second deadline).
    Wake,
}

/// A simulated conversation.
#[derive(Debug, Clone)]
pub(super) struct Conv {
    pub id: String,
    pub fixture: usize,
    /// The handoff this conversation has (the first one).
    pub handoff: Option<String>,
    /// The customer gave up (the script stops).
    pub done: bool,
    started: bool,
}

/// What the simulation knows about one handoff.
#[derive(Debug, Clone)]
pub(super) struct Tracked {
    /// The row as the store has it now.
    pub row: HandoffRow,
    /// Urgent or an emergency.
    pub emergency: bool,
    /// The wait the customer was told when it opened, seconds.
    pub told_secs: Option<u64>,
    /// When a person was first offered it (or paged) or accepted it.
    pub first_person_ms: Option<i64>,
    /// Offers made.
    pub offers: u32,
    /// When the customer left, if they did before anyone accepted.
    pub left_ms: Option<i64>,
}

/// The day being played.
pub(super) struct Day<'a> {
    pub s: &'a Scenario,
    pub fixtures: &'a [Fixture],
    pub desk: Desk,
    pub clock: Arc<ManualClock>,
    pub tenant: String,
    pub version: Arc<TenantVersion>,
    rng: StdRng,
    events: BTreeMap<(i64, u64), Ev>,
    seq: u64,
    pub convs: Vec<Conv>,
    /// Handoffs by id, and in the order they opened.
    pub tracked: HashMap<String, Tracked>,
    pub order: Vec<String>,
    cursor: i64,
    pub tally: Tally,
    pub checks: Checks,
}

/// The moment `minutes` past local midnight of the scenario's day.
pub(super) fn local_ms(s: &Scenario, tz: &jiff::tz::TimeZone, minutes: u16) -> i64 {
    let midnight = s.date.to_datetime(jiff::civil::Time::midnight());
    midnight
        .to_zoned(tz.clone())
        .ok()
        .and_then(|z| {
            z.checked_add(jiff::Span::new().minutes(minutes as i64))
                .ok()
        })
        .map(|z| z.timestamp().as_millisecond())
        .unwrap_or(0)
}

impl<'a> Day<'a> {
    pub(super) fn new(
        s: &'a Scenario,
        fixtures: &'a [Fixture],
        desk: Desk,
        clock: Arc<ManualClock>,
        version: Arc<TenantVersion>,
    ) -> Self {
        Day {
            s,
            fixtures,
            desk,
            clock,
            tenant: version.tenant().to_string(),
            version,
            rng: StdRng::seed_from_u64(s.seed),
            events: BTreeMap::new(),
            seq: 0,
            convs: Vec::new(),
            tracked: HashMap::new(),
            order: Vec::new(),
            cursor: 0,
            tally: Tally::default(),
            checks: Checks::default(),
        }
    }

    pub(super) fn clock_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    pub(super) fn at(&self, minutes: u16) -> i64 {
        local_ms(self.s, &self.version.config.time_zone, minutes)
    }

    fn push(&mut self, at_ms: i64, ev: Ev) {
        self.seq += 1;
        self.events.insert((at_ms, self.seq), ev);
    }

    fn uniform(&mut self, (lo, hi): (u32, u32)) -> i64 {
        self.rng.random_range(lo..=hi) as i64 * 1000
    }

    /// Schedule every arrival, every conversation's messages and every presence change.
    pub(super) fn plan(&mut self, pools: &[Vec<usize>; 3]) {
        let arrivals = self.s.arrivals.clone();
        for a in arrivals {
            let (from, to) = (self.at(a.hours.0), self.at(a.hours.1));
            if a.per_hour <= 0.0 {
                continue;
            }
            let mut t = from as f64;
            loop {
                let u: f64 = self.rng.random();
                t += -(1.0 - u).ln() / a.per_hour * 3_600_000.0;
                if t >= to as f64 {
                    break;
                }
                self.arrive(t as i64, pools);
            }
        }
        let plans = self.s.agents.clone();
        for (i, p) in plans.iter().enumerate() {
            self.presence_plan(i, &p.shifts, Presence::Available, Presence::Offline);
            self.presence_plan(i, &p.away, Presence::Busy, Presence::Available);
        }
    }

    fn presence_plan(&mut self, agent: usize, spans: &[Minutes], on: Presence, off: Presence) {
        let day = self.s.day;
        for &(a, b) in spans {
            let (a, b) = (a.max(day.0), b.min(day.1));
            if a < b {
                let (from, to) = (self.at(a), self.at(b));
                self.push(
                    from,
                    Ev::Presence {
                        agent,
                        presence: on,
                    },
                );
                self.push(
                    to,
                    Ev::Presence {
                        agent,
                        presence: off,
                    },
                );
            }
        }
    }

    fn arrive(&mut self, at_ms: i64, pools: &[Vec<usize>; 3]) {
        let u: f64 = self.rng.random();
        let mut pick = if u < self.s.emergency_share {
            0
        } else if u < self.s.emergency_share + self.s.escalating_share {
            1
        } else {
            2
        };
        // Shares that add up to 1.0 in floating point may leave a sliver for an empty pool.
        if pools[pick].is_empty() {
            pick = (0..3).find(|p| !pools[*p].is_empty()).unwrap_or(pick);
        }
        let Some(&fixture) = pools[pick].get(self.rng.random_range(0..pools[pick].len().max(1)))
        else {
            return;
        };
        let conv = self.convs.len();
        self.convs.push(Conv {
            id: format!("sim-{:04}", conv + 1),
            fixture,
            handoff: None,
            done: false,
            started: false,
        });
        let messages = &self.fixtures[fixture].messages;
        let first = messages.first().map(|m| m.at_ms).unwrap_or(0);
        let offsets: Vec<i64> = messages.iter().map(|m| (m.at_ms - first).max(0)).collect();
        for (index, offset) in offsets.into_iter().enumerate() {
            self.push(at_ms + offset, Ev::Message { conv, index });
        }
    }

    /// Play until the end of the day, then let the last round and checks run.
    pub(super) async fn play(&mut self) -> Result<(), SimulateError> {
        let end = self.at(self.s.day.1);
        let round = self.s.round_secs as i64 * 1000;
        loop {
            let now = self.clock.now_ms();
            let next_event = self.events.first_key_value().map(|(k, _)| k.0);
            let next_expiry = self.next_expiry();
            let tick = self.any_open().then_some(now + round);
            let Some(next) = [next_event, next_expiry, tick].into_iter().flatten().min() else {
                break;
            };
            if next > end {
                break;
            }
            self.clock.set_ms(next);
            while let Some(entry) = self.events.first_entry() {
                if entry.key().0 > next {
                    break;
                }
                let ev = entry.remove();
                self.handle(ev).await?;
                self.observe().await?;
            }
            self.step().await?;
        }
        self.clock.set_ms(end);
        self.step().await?;
        Ok(())
    }

    /// One background round as the server runs it, then what it changed, then the checks.
    async fn step(&mut self) -> Result<(), SimulateError> {
        self.desk.expire_offers().await?;
        self.desk.abandon_idle().await?;
        match self.desk.promote(&self.tenant).await {
            Ok(_) | Err(DeskError::TenantUnavailable(_)) => {}
            Err(e) => return Err(e.into()),
        }
        self.observe().await?;
        let mut checks = std::mem::take(&mut self.checks);
        let r = checks.step(self).await;
        self.checks = checks;
        r
    }

    fn any_open(&self) -> bool {
        self.tracked.values().any(|t| is_open(&t.row))
    }

    /// Just after the earliest pending offer runs out.
    fn next_expiry(&self) -> Option<i64> {
        self.tracked
            .values()
            .filter(|t| t.row.state == HandoffState::Offered)
            .filter_map(|t| t.row.offer_expires_ms)
            .min()
            .map(|e| e + 1)
    }

    async fn handle(&mut self, ev: Ev) -> Result<(), SimulateError> {
        match ev {
            Ev::Message { conv, index } => self.message(conv, index).await,
            Ev::Presence { agent, presence } => {
                let id = self.s.agents[agent].id.clone();
                self.desk
                    .set_presence(&self.tenant, &id, presence, None)
                    .await?;
                Ok(())
            }
            Ev::Answer {
                agent,
                handoff,
                accept,
            } => self.answer(agent, &handoff, accept).await,
            Ev::Resolve { agent, handoff } => self.resolve(agent, &handoff).await,
            Ev::Leave { handoff } => self.leave(&handoff).await,
            Ev::Wake => Ok(()),
        }
    }

    async fn message(&mut self, conv: usize, index: usize) -> Result<(), SimulateError> {
        let c = self.convs[conv].clone();
        let fixtures = self.fixtures;
        let f = &fixtures[c.fixture];
        let m = &f.messages[index];
        let escalated = c.handoff.is_some();
        // Once a person has closed the handoff, this customer's story is over.
        let closed = c
            .handoff
            .as_ref()
            .and_then(|h| self.tracked.get(h))
            .is_some_and(|t| t.row.closed_ms.is_some());
        // The bot stops talking once a person is asked for; a customer who left says nothing.
        if c.done
            || closed
            || matches!(m.role, Role::Agent | Role::System)
            || escalated && m.role == Role::Bot
        {
            return Ok(());
        }
        let first = !c.started;
        let req = IngestRequest {
            role: if m.role == Role::Bot {
                "bot"
            } else {
                "customer"
            }
            .into(),
            text: m.text.clone(),
            at: None,
            intent: m.intent.clone(),
            confidence: m.confidence,
            customer: first.then(|| customer_of(f, conv)),
            channel: first.then(|| f.channel.clone()),
        };
        let answer = self.desk.ingest_unkeyed(&self.tenant, &c.id, req).await?;
        if first {
            self.convs[conv].started = true;
            self.tally.conversations += 1;
        }
        let Some(row) = answer.handoff.filter(|_| !escalated) else {
            return Ok(());
        };
        self.opened(conv, row, answer.notice.as_ref());
        Ok(())
    }

    fn opened(&mut self, conv: usize, row: HandoffRow, notice: Option<&NoticeView>) {
        let now = self.clock.now_ms();
        let id = row.id.clone();
        let emergency =
            row.priority == baton_plugin_sdk::Priority::Urgent || row.reason == "emergency";
        self.convs[conv].handoff = Some(id.clone());
        self.tally.opened += 1;
        // A customer told "we're closed, a person replies when we open" does not sit
        // waiting; everyone else gives up after their patience runs out.
        if notice.is_none_or(|n| n.kind != "after_hours") {
            let patience = self.uniform(self.s.patience_secs);
            self.push(
                now + patience,
                Ev::Leave {
                    handoff: id.clone(),
                },
            );
        }
        if emergency {
            self.push(now + super::checks::EMERGENCY_MS + 1, Ev::Wake);
        }
        self.tracked.insert(
            id.clone(),
            Tracked {
                row,
                emergency,
                told_secs: notice.and_then(|n| n.wait.as_ref()).map(|w| w.seconds),
                first_person_ms: None,
                offers: 0,
                left_ms: None,
            },
        );
        self.order.push(id);
    }

    async fn answer(&mut self, agent: usize, id: &str, accept: bool) -> Result<(), SimulateError> {
        let who = self.s.agents[agent].id.clone();
        let offered = self.tracked.get(id).is_some_and(|t| {
            t.row.state == HandoffState::Offered && t.row.offered_to.as_deref() == Some(&who)
        });
        if !offered {
            return Ok(());
        }
        let result = if accept {
            self.desk.accept(&self.tenant, id, &who).await
        } else {
            self.desk.decline(&self.tenant, id, &who, false).await
        };
        match result {
            Ok(_) if accept => {
                self.tally.accepted += 1;
                let handle = self.uniform(self.s.agents[agent].handle_secs);
                let now = self.clock.now_ms();
                self.push(
                    now + handle,
                    Ev::Resolve {
                        agent,
                        handoff: id.to_string(),
                    },
                );
                Ok(())
            }
            Ok(_) => Ok(()),
            // Moved on meanwhile (a timeout in the same instant): the agent sees it gone.
            Err(DeskError::Conflict(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    async fn resolve(&mut self, agent: usize, id: &str) -> Result<(), SimulateError> {
        let who = self.s.agents[agent].id.clone();
        let resolve = ResolveRequest {
            outcome: Outcome::Resolved,
            csat: None,
            note: None,
        };
        match self
            .desk
            .close(&self.tenant, id, &who, Some(resolve), None)
            .await
        {
            Ok(_) => {
                self.tally.resolved += 1;
                Ok(())
            }
            Err(DeskError::Conflict(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// The customer stops waiting: nobody accepted in time. The channel tells the desk, as
    /// `POST /v1/handoffs/{id}/abandon` does.
    async fn leave(&mut self, id: &str) -> Result<(), SimulateError> {
        let now = self.clock.now_ms();
        let Some(t) = self.tracked.get_mut(id) else {
            return Ok(());
        };
        if !matches!(t.row.state, HandoffState::Queued | HandoffState::Offered) {
            return Ok(());
        }
        t.left_ms = Some(now);
        self.tally.left += 1;
        if let Some(c) = self
            .convs
            .iter_mut()
            .find(|c| c.handoff.as_deref() == Some(id))
        {
            c.done = true;
        }
        let by = crate::handoff::AbandonedBy::Customer;
        match self
            .desk
            .abandon(&self.tenant, id, by, Some("the customer left"), None)
            .await
        {
            Ok(_) => Ok(()),
            // Accepted in the same instant: the agent has them.
            Err(DeskError::Conflict(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Read the lifecycle events committed since the last look: refresh the handoffs they
    /// touch, count offers, and let each offered agent decide how to answer.
    pub(super) async fn observe(&mut self) -> Result<(), SimulateError> {
        let mut touched = BTreeSet::new();
        let mut offers = Vec::new();
        loop {
            let batch = self
                .desk
                .store()
                .events_after(&self.tenant, self.cursor, 500)
                .await?;
            if batch.is_empty() {
                break;
            }
            for e in batch {
                self.cursor = e.id;
                let Some(h) = e.handoff_id.clone() else {
                    continue;
                };
                match e.kind.as_str() {
                    "handoff.offered" => offers.push((h.clone(), e.data.clone(), e.at_ms)),
                    "handoff.declined" if e.data["timed_out"] == true => self.tally.timeouts += 1,
                    "handoff.declined" => self.tally.declined += 1,
                    "handoff.abandoned" => self.tally.abandoned += 1,
                    _ => {}
                }
                touched.insert(h);
            }
        }
        for id in touched {
            if let Some(row) = self.desk.store().handoff(&self.tenant, &id).await? {
                if let Some(t) = self.tracked.get_mut(&id) {
                    if row.accepted_ms.is_some() && t.first_person_ms.is_none() {
                        t.first_person_ms = row.accepted_ms;
                    }
                    t.row = row;
                }
            }
        }
        for (id, data, at_ms) in offers {
            self.offered(&id, &data, at_ms);
        }
        Ok(())
    }

    fn offered(&mut self, id: &str, data: &serde_json::Value, at_ms: i64) {
        let agent = data["agent_id"].as_str().unwrap_or_default().to_string();
        let route: Vec<String> =
            serde_json::from_value(data["handoff"]["route"].clone()).unwrap_or_default();
        let now = self.clock.now_ms();
        if let Some(t) = self.tracked.get_mut(id) {
            t.offers += 1;
            t.first_person_ms = Some(t.first_person_ms.map_or(at_ms, |f| f.min(at_ms)));
        }
        self.tally.offers += 1;
        let at = self.local(now);
        self.checks.offer(id, &agent, &route, at);
        let Some(i) = self.s.agents.iter().position(|a| a.id == agent) else {
            return; // not working today: the offer times out
        };
        let plan = self.s.agents[i].clone();
        let u: f64 = self.rng.random();
        let delay = self.uniform(plan.answer_secs);
        if u < plan.accept + plan.decline {
            self.push(
                now + delay,
                Ev::Answer {
                    agent: i,
                    handoff: id.to_string(),
                    accept: u < plan.accept,
                },
            );
        }
    }

    /// `HH:MM:SS` local time of `ms`, for messages.
    pub(super) fn local(&self, ms: i64) -> String {
        jiff::Timestamp::from_millisecond(ms)
            .map(|t| {
                t.to_zoned(self.version.config.time_zone.clone())
                    .strftime("%H:%M:%S")
                    .to_string()
            })
            .unwrap_or_default()
    }
}

/// Queued or offered: a customer waiting for a person.
pub(super) fn is_open(h: &HandoffRow) -> bool {
    matches!(h.state, HandoffState::Queued | HandoffState::Offered)
}

/// The fixture's customer, made this conversation's own: a drawn conversation may repeat
/// a fixture, but each arrival is a different person.
fn customer_of(f: &Fixture, conv: usize) -> baton_plugin_sdk::Customer {
    let mut c = f.customer.clone();
    if c.phone.is_some() {
        c.phone = Some(format!("+1555{:07}", 2_000_000 + conv));
    } else if c.name != crate::handoff::ANONYMOUS_CUSTOMER {
        c.email = Some(format!("sim-{}@example.invalid", conv + 1));
    }
    c
}
