//! Abandonment: a handoff nobody accepted closes as `abandoned` when the customer left (the
//! channel says so), when an agent clears a stale one (with a reason), or when the customer
//! wrote nothing for the tenant's `[limits] abandon_after_secs` of business hours (the
//! background round). An emergency is never closed by the limit: it waits for a person.

use super::desk::{Desk, DeskError};
use super::lifecycle::push_event;
use super::reroute::is_emergency;
use super::transitions::{self, AbandonedBy};
use crate::store::{HandoffRow, HandoffState, WriteSet};

/// Most idle handoffs one round closes per tenant (the next round takes the rest).
const ROUND_LIMIT: usize = 100;

impl Desk {
    /// Close handoff `id` as abandoned (see [`Desk::abandon`]).
    pub(super) async fn abandon_once(
        &self,
        tenant: &str,
        id: &str,
        by: AbandonedBy<'_>,
        reason: Option<&str>,
        idle_ms: Option<i64>,
    ) -> Result<HandoffRow, DeskError> {
        let version = self.version(tenant)?;
        let config = &version.config;
        if let AbandonedBy::Agent(agent) = by {
            if config.agent(agent).is_none() {
                return Err(DeskError::Forbidden(format!(
                    "`{agent}` is not on the tenant's roster"
                )));
            }
        }
        let current = self
            .store
            .handoff(tenant, id)
            .await?
            .ok_or(DeskError::NotFound("handoff"))?;
        // Abandoning twice is answered with the handoff as it was abandoned, nothing new.
        if current.state == HandoffState::Abandoned {
            return Ok(current);
        }
        let lock = self.conversation_lock(tenant, &current.conversation_id);
        let guard = lock.lock().await;
        let now = self.clock.now_ms();
        let mut h = current.clone();
        transitions::abandon(&mut h, reason.map(str::to_string), now)
            .map_err(|r| DeskError::Conflict(r.0))?;
        // The trigger's next segment starts with the customer's next message.
        h.closed_seq = self
            .store
            .conversation(tenant, &h.conversation_id)
            .await?
            .map(|c| c.message_count);
        let mut w = WriteSet::default();
        let (kind, data) = transitions::abandoned_event(&h, by, idle_ms);
        push_event(
            &mut w,
            config,
            kind,
            Some(&h),
            &h.conversation_id,
            data,
            now,
        );
        w.handoff_updates.push(transitions::update(
            &current,
            current.offered_to.as_deref(),
            &h,
        ));
        match self.commit(tenant, w).await {
            Ok(_) => {}
            Err(DeskError::Conflict(m)) => {
                // Changed meanwhile: abandoned by someone else (the same answer), or
                // re-offered (run again on the fresh row), or accepted (refused).
                return match self.store.handoff(tenant, id).await? {
                    Some(now_row) if now_row.state == HandoffState::Abandoned => Ok(now_row),
                    Some(now_row) if now_row.state.is_open() => Err(DeskError::Raced(m)),
                    _ => Err(DeskError::Conflict(m)),
                };
            }
            Err(e) => return Err(e),
        }
        self.metrics.abandoned(config, by.as_str());
        // Promotion locks the conversations it tells: never while holding this one.
        drop(guard);
        // An offer it held frees its agent for the queue.
        if let Err(e) = self.promote(tenant).await {
            tracing::warn!(tenant, error = %e, "queue promotion after an abandon failed");
        }
        Ok(h)
    }

    /// The work of [`Desk::abandon_idle`] (see `operations.rs`).
    pub(super) async fn abandon_idle_all(&self) -> Result<usize, DeskError> {
        let mut closed = 0;
        for tenant in self.tenants.ids() {
            match self.abandon_idle_of(&tenant).await {
                Ok(n) => closed += n,
                Err(DeskError::TenantUnavailable(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(closed)
    }

    async fn abandon_idle_of(&self, tenant: &str) -> Result<usize, DeskError> {
        let version = self.version(tenant)?;
        let config = &version.config;
        let limit_secs = config.limits.abandon_after_secs;
        let limit_ms = i64::from(limit_secs) * 1000;
        let now = self.clock.now();
        // The limit runs only while the business is open: an after-hours customer was
        // promised a person when it opens.
        if limit_ms == 0 || !config.clock_at(now).open {
            return Ok(0);
        }
        let now_ms = now.as_millisecond();
        let idle = self
            .store
            .idle_handoffs(tenant, now_ms - limit_ms, ROUND_LIMIT)
            .await?;
        let reason = format!(
            "no word from the customer for {limit_secs} seconds of business hours \
             ([limits] abandon_after_secs)"
        );
        let mut closed = 0;
        for (h, active_ms) in idle {
            let since = jiff::Timestamp::from_millisecond(active_ms).unwrap_or(now);
            if is_emergency(&h) || config.hours.open_ms_between(since, now, limit_ms) < limit_ms {
                continue;
            }
            let idle_ms = Some(now_ms - active_ms);
            match self
                .abandon(tenant, &h.id, AbandonedBy::Limit, Some(&reason), idle_ms)
                .await
            {
                Ok(_) => closed += 1,
                // Accepted (or otherwise closed) in the meantime.
                Err(DeskError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(closed)
    }
}
