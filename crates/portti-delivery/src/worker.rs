//! The delivery loop: claim a batch (and commit the claim), send each message, record
//! each outcome; sleep when there is nothing due.

use crate::{Gateways, SendError};
use portti_core::model::{Channel, OutboxMessage};
use portti_core::time::now_ms;
use portti_store::{Claim, DeliveryOutcome, Store};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

/// How the worker paces itself.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The wait before the first retry; it doubles with every further attempt.
    pub retry_base: Duration,
    /// The longest wait between attempts.
    pub retry_cap: Duration,
    /// Attempts before a message is marked `failed`.
    pub max_attempts: u32,
    /// How often to look for due messages when idle.
    pub poll: Duration,
    /// How long a claim holds; longer than any one send may take.
    pub claim: Duration,
    /// Messages claimed (and sent concurrently) at once.
    pub batch: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            retry_base: Duration::from_secs(5),
            retry_cap: Duration::from_secs(3600),
            max_attempts: 8,
            poll: Duration::from_secs(1),
            claim: Duration::from_secs(60),
            batch: 10,
        }
    }
}

impl Settings {
    /// The wait after the `attempt`-th failed attempt (1-based): base × 2^(attempt-1), capped.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.saturating_sub(1)).unwrap_or(u32::MAX);
        self.retry_base.saturating_mul(factor).min(self.retry_cap)
    }

    /// The longest one send may take: well inside a claim.
    fn send_timeout(&self) -> Duration {
        self.claim / 2
    }
}

/// The running worker; [`Running::stop`] ends it.
pub struct Running {
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

/// How long [`Running::stop`] waits for sends in flight.
const STOP_GRACE: Duration = Duration::from_secs(10);

impl Running {
    /// Start delivering from `store` through `gateways`. With no gateway at all nothing
    /// runs: messages stay in the outbox.
    pub fn start(store: Arc<dyn Store>, gateways: Gateways, settings: Settings) -> Running {
        let (stop, stopped) = watch::channel(false);
        let channels = gateways.channels();
        if channels.is_empty() {
            return Running { stop, task: None };
        }
        let worker = Worker {
            store,
            gateways: Arc::new(gateways),
            channels,
            node: portti_core::id::new_id(),
            settings,
        };
        tracing::info!(node = %worker.node, "outbox delivery started");
        Running { stop, task: Some(tokio::spawn(worker.run(stopped))) }
    }

    /// Stop claiming, let sends in flight finish (briefly), and end. A message cut off
    /// here stays claimed until its claim expires, then is sent again.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Some(mut task) = self.task {
            if tokio::time::timeout(STOP_GRACE, &mut task).await.is_err() {
                task.abort();
                tracing::warn!("outbox delivery stopped mid-send; those messages are retried later");
            }
        }
    }
}

struct Worker {
    store: Arc<dyn Store>,
    gateways: Arc<Gateways>,
    channels: Vec<Channel>,
    node: String,
    settings: Settings,
}

impl Worker {
    async fn run(self, mut stopped: watch::Receiver<bool>) {
        let this = Arc::new(self);
        loop {
            let full = match this.round().await {
                Ok(n) => n >= this.settings.batch as usize,
                Err(e) => {
                    tracing::warn!(error = %e, "outbox delivery cannot reach the store; trying again");
                    false
                }
            };
            if *stopped.borrow() {
                break;
            }
            if !full {
                tokio::select! {
                    _ = stopped.changed() => break,
                    _ = tokio::time::sleep(this.settings.poll) => {}
                }
            }
        }
    }

    /// Claim a batch, deliver it, record the outcomes; how many messages were claimed.
    async fn round(self: &Arc<Self>) -> portti_core::Result<usize> {
        let now = now_ms();
        let claim = Claim {
            node: self.node.clone(),
            channels: self.channels.clone(),
            now_ms: now,
            until_ms: now.saturating_add(self.settings.claim.as_millis() as i64),
            limit: self.settings.batch,
        };
        let mut tx = self.store.write().await?;
        let claimed = tx.claim_messages(&claim).await?;
        tx.commit().await?;
        let n = claimed.len();
        let mut sends = JoinSet::new();
        for msg in claimed {
            let this = Arc::clone(self);
            sends.spawn(async move {
                let outcome = this.deliver(&msg).await;
                this.record(&msg, &outcome).await;
            });
        }
        while sends.join_next().await.is_some() {}
        Ok(n)
    }

    /// Send one claimed message and decide what becomes of it.
    async fn deliver(&self, msg: &OutboxMessage) -> DeliveryOutcome {
        let max = self.settings.max_attempts.max(1);
        if msg.attempts > max {
            // Claimed again and again without an outcome: a node died during each send.
            return DeliveryOutcome::Failed {
                error: format!("abandoned after {} claims without a result", msg.attempts),
            };
        }
        let send = async {
            match (msg.channel, &self.gateways.mail, &self.gateways.sms) {
                (Channel::Email, Some(mail), _) => mail.send(msg).await,
                (Channel::Sms, _, Some(sms)) => sms.send(msg).await,
                (channel, _, _) => Err(SendError::transient(format!("no gateway for {channel}"))),
            }
        };
        let result = match tokio::time::timeout(self.settings.send_timeout(), send).await {
            Ok(r) => r,
            Err(_) => Err(SendError::transient("the gateway did not answer in time".into())),
        };
        match result {
            Ok(()) => DeliveryOutcome::Sent { at_ms: now_ms() },
            Err(e) if e.permanent => DeliveryOutcome::Failed { error: e.message },
            Err(e) if msg.attempts >= max => DeliveryOutcome::Failed {
                error: format!("gave up after {} attempts: {}", msg.attempts, e.message),
            },
            Err(e) => {
                let wait = self.settings.backoff(msg.attempts).as_millis() as i64;
                DeliveryOutcome::Retry { at_ms: now_ms().saturating_add(wait), error: e.message }
            }
        }
    }

    /// Write the outcome (retrying briefly while the store is unavailable).
    async fn record(&self, msg: &OutboxMessage, outcome: &DeliveryOutcome) {
        let (id, channel, attempt) = (&msg.id, msg.channel.as_str(), msg.attempts);
        match outcome {
            DeliveryOutcome::Sent { .. } => tracing::info!(%id, channel, attempt, "message delivered"),
            DeliveryOutcome::Retry { at_ms, error } => tracing::warn!(
                %id, channel, attempt, %error,
                retry_at = %portti_core::time::format_ms(*at_ms),
                "message not delivered; will retry"
            ),
            DeliveryOutcome::Failed { error } => {
                tracing::error!(%id, channel, attempt, %error, "message failed for good")
            }
        }
        for pause in [0u64, 500, 2000] {
            tokio::time::sleep(Duration::from_millis(pause)).await;
            let done = async {
                let mut tx = self.store.write().await?;
                let held = tx.record_delivery(id, &self.node, outcome).await?;
                tx.commit().await?;
                Ok::<_, portti_core::Error>(held)
            };
            match done.await {
                Ok(true) => return,
                Ok(false) => {
                    tracing::warn!(%id, "the claim on this message expired before its outcome was recorded");
                    return;
                }
                Err(e) => tracing::warn!(%id, error = %e, "cannot record the delivery outcome yet"),
            }
        }
        tracing::error!(%id, "the delivery outcome was not recorded; the message will be tried again");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let s = Settings::default();
        assert_eq!(s.backoff(1), Duration::from_secs(5));
        assert_eq!(s.backoff(2), Duration::from_secs(10));
        assert_eq!(s.backoff(4), Duration::from_secs(40));
        assert_eq!(s.backoff(20), Duration::from_secs(3600));
        assert_eq!(s.backoff(200), Duration::from_secs(3600));
        assert!(s.send_timeout() < s.claim);
    }
}
