//! Sending due outbox rows (webhooks by HTTP here, channel rows through `channel`), with
//! retries and exponential backoff.

use super::sign::{sign, SIGNATURE_HEADER};
use crate::store::{DeliveryResult, Destination, OutboxRow, SharedStore};
use std::time::Duration;

/// Attempts before a delivery is given up (about a day of backoff in all).
pub const MAX_ATTEMPTS: i64 = 16;

/// Posts webhook deliveries.
#[derive(Clone)]
pub struct Deliverer {
    store: SharedStore,
    client: reqwest::Client,
    metrics: Option<std::sync::Arc<crate::metrics::Metrics>>,
    /// Sends the outbox's SMS and alert rows.
    channels: Option<super::ChannelSender>,
}

impl Deliverer {
    /// A deliverer over `store`.
    pub fn new(store: SharedStore) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("baton/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Deliverer {
            store,
            client,
            metrics: None,
            channels: None,
        }
    }

    /// Send SMS and alert rows through `channels` (without it they fail and are retried).
    pub fn with_channels(mut self, channels: super::ChannelSender) -> Self {
        self.channels = Some(channels);
        self
    }

    /// Count every attempt in `metrics`.
    pub fn with_metrics(mut self, metrics: std::sync::Arc<crate::metrics::Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Post every delivery due now; returns how many were delivered.
    pub async fn deliver_due(&self) -> usize {
        let now = jiff::Timestamp::now().as_millisecond();
        let due = match self.store.due_deliveries(now, 50).await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the webhook outbox");
                return 0;
            }
        };
        let mut delivered = 0;
        for row in due {
            let result = self.post(&row).await;
            // The webhook counters count webhooks; channel rows (customer SMS, agent alerts)
            // show in the admin status instead.
            if let (Some(m), Destination::Webhook { .. }) = (&self.metrics, &row.to) {
                m.webhook(&row.tenant, result.is_ok());
            }
            let outcome = match result {
                Ok(()) => {
                    delivered += 1;
                    DeliveryResult::Delivered {
                        at_ms: jiff::Timestamp::now().as_millisecond(),
                    }
                }
                Err(error) => {
                    let attempts = row.attempts + 1;
                    let retry_at_ms = (attempts < MAX_ATTEMPTS).then(|| now + backoff_ms(attempts));
                    tracing::warn!(tenant = %row.tenant, kind = row.to.kind(), to = row.to.address(), attempts, %error, "outbox delivery failed");
                    DeliveryResult::Failed { error, retry_at_ms }
                }
            };
            if let Err(e) = self.store.delivery_result(row.id, outcome).await {
                tracing::warn!(error = %e, "cannot record a webhook delivery");
            }
        }
        delivered
    }

    async fn post(&self, row: &OutboxRow) -> Result<(), String> {
        let Destination::Webhook { url, secret_env } = &row.to else {
            return match &self.channels {
                Some(c) => c.deliver(row).await.unwrap_or(Ok(())),
                None => Err("no channel sender is running".into()),
            };
        };
        let mut request = self
            .client
            .post(url)
            .header("content-type", "application/json");
        if !secret_env.is_empty() {
            let secret = std::env::var(secret_env)
                .map_err(|_| format!("the signing secret variable `{secret_env}` is not set"))?;
            let t = jiff::Timestamp::now().as_second();
            request = request.header(SIGNATURE_HEADER, sign(secret.as_bytes(), t, &row.body));
        }
        let response = request
            .body(row.body.clone())
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("the receiver answered {}", response.status()))
        }
    }
}

/// 1 s, 2 s, 4 s ... capped at an hour.
fn backoff_ms(attempts: i64) -> i64 {
    1000i64
        .saturating_mul(1 << attempts.clamp(0, 12))
        .min(3_600_000)
}

/// Deliver forever, every half second and whenever `wake` ticks.
pub async fn run_deliveries(deliverer: Deliverer, mut wake: tokio::sync::watch::Receiver<u64>) {
    loop {
        deliverer.deliver_due().await;
        let _ = tokio::time::timeout(Duration::from_millis(500), wake.changed()).await;
    }
}
