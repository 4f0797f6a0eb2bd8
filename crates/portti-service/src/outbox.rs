//! Outgoing mail and SMS as the operations produce them: every message is written to the
//! outbox in the transaction of the change that caused it (so it is sent exactly when that
//! change is kept), and the server's delivery worker sends it afterwards.

use crate::Directory;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use portti_core::model::{Attachment, Channel, OutboxMessage};
use portti_core::{Error, Result};
use portti_store::{OutboxFilter, Tx};

/// Write a message to the outbox in the caller's transaction `tx`; it is delivered once
/// `tx` commits, and never if it rolls back. Mail needs `text` or `html` (both make a
/// multipart/alternative mail); an SMS needs `text` only. Attachments carry base64 data.
#[allow(dead_code)] // called by the features that send mail and SMS
pub(crate) async fn enqueue(
    tx: &mut dyn Tx,
    channel: Channel,
    to: &str,
    subject: Option<&str>,
    text: Option<&str>,
    html: Option<&str>,
    attachments: Vec<Attachment>,
) -> Result<OutboxMessage> {
    let msg = OutboxMessage {
        subject: subject.map(str::to_string),
        text: text.map(str::to_string),
        html: html.map(str::to_string),
        attachments,
        ..OutboxMessage::new(channel, to)
    };
    enqueue_message(tx, msg).await
}

/// Write a prepared message (for instance one with its own `sender`) to the outbox in
/// the caller's transaction; see [`enqueue`].
pub(crate) async fn enqueue_message(tx: &mut dyn Tx, msg: OutboxMessage) -> Result<OutboxMessage> {
    msg.validate()?;
    for a in &msg.attachments {
        STANDARD
            .decode(a.data.as_bytes())
            .map_err(|_| Error::bad(format!("attachment {} is not valid base64", a.name)))?;
    }
    tx.enqueue_message(&msg).await?;
    Ok(msg)
}

impl Directory {
    /// Every message in the outbox that matches `filter`, oldest first.
    pub async fn outbox(&self, filter: &OutboxFilter) -> Result<Vec<OutboxMessage>> {
        self.read().await?.outbox_messages(filter).await
    }

    /// How many messages wait for delivery.
    pub async fn outbox_backlog(&self) -> Result<u64> {
        self.read().await?.outbox_backlog().await
    }

    /// Queue `count` test messages to `to` (for operators checking their gateway), in one
    /// transaction; each text names its message id.
    pub async fn send_test_messages(
        &self,
        channel: Channel,
        to: &str,
        count: u32,
    ) -> Result<Vec<OutboxMessage>> {
        let mut tx = self.write().await?;
        let mut queued = Vec::new();
        for _ in 0..count.max(1) {
            let mut msg = OutboxMessage::new(channel, to);
            let id = msg.id.clone();
            match channel {
                Channel::Email => {
                    msg.subject = Some("Portti test message".into());
                    msg.text = Some(format!(
                        "This is a test message from Portti (message {id}).\r\n\
                         If you can read it, outgoing mail works."
                    ));
                    msg.html = Some(format!(
                        "<p>This is a test message from <b>Portti</b> (message {id}).</p>\
                         <p>If you can read it, outgoing mail works.</p>"
                    ));
                }
                Channel::Sms => msg.text = Some(format!("Portti test message {id}")),
            }
            queued.push(enqueue_message(tx.as_mut(), msg).await?);
        }
        tx.commit().await?;
        Ok(queued)
    }
}
