//! Outgoing mail and SMS: each message is written to the outbox in the transaction of the
//! change that caused it, then delivered (and retried) by the server's delivery worker.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// Mail by SMTP.
    Email,
    /// A text message through the SMS webhook.
    Sms,
}

impl Channel {
    /// Both channels.
    pub const ALL: [Channel; 2] = [Channel::Email, Channel::Sms];

    /// `email` or `sms`, as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Channel {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "email" => Ok(Channel::Email),
            "sms" => Ok(Channel::Sms),
            other => Err(Error::bad(format!("unknown message channel '{other}': use email or sms"))),
        }
    }
}

/// Where a message is on its way out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageStatus {
    /// Waiting for its (next) delivery attempt.
    Pending,
    /// Claimed by a node that is delivering it now.
    Sending,
    /// Accepted by the gateway.
    Sent,
    /// Given up on: refused for good, or out of attempts.
    Failed,
}

impl MessageStatus {
    /// `pending`, `sending`, `sent` or `failed`, as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Pending => "pending",
            MessageStatus::Sending => "sending",
            MessageStatus::Sent => "sent",
            MessageStatus::Failed => "failed",
        }
    }
}

impl fmt::Display for MessageStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MessageStatus {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "pending" => Ok(MessageStatus::Pending),
            "sending" => Ok(MessageStatus::Sending),
            "sent" => Ok(MessageStatus::Sent),
            "failed" => Ok(MessageStatus::Failed),
            other => Err(Error::Internal(format!("unknown message status '{other}' in the store"))),
        }
    }
}

/// A file attached to a mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// File name shown to the recipient.
    pub name: String,
    /// The content, base64 (standard alphabet, padded).
    pub data: String,
}

/// One outgoing message and its delivery state.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxMessage {
    /// 24-hex id, time-ordered.
    pub id: String,
    /// Email or SMS.
    pub channel: Channel,
    /// One email address or phone number.
    pub recipient: String,
    /// The sender (a mailbox like `Name <a@b>`, or an SMS originator); `None`: the server's default.
    pub sender: Option<String>,
    /// Mail subject (unused for SMS).
    pub subject: Option<String>,
    /// Plain-text body (the SMS text).
    pub text: Option<String>,
    /// HTML body (mail only).
    pub html: Option<String>,
    /// Attached files (mail only).
    pub attachments: Vec<Attachment>,
    /// Where it is on its way out.
    pub status: MessageStatus,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// Not to be tried before this instant (epoch ms).
    pub next_attempt_ms: i64,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was written (epoch ms).
    pub created_ms: i64,
    /// When the gateway accepted it (epoch ms).
    pub sent_ms: Option<i64>,
}

/// Longest recipient accepted (an email address may be 254 characters).
const MAX_RECIPIENT: usize = 320;

impl OutboxMessage {
    /// A new pending message to `recipient`, due now, with nothing in it yet.
    pub fn new(channel: Channel, recipient: impl Into<String>) -> Self {
        let now = crate::time::now_ms();
        OutboxMessage {
            id: crate::id::new_id(),
            channel,
            recipient: recipient.into().trim().to_string(),
            sender: None,
            subject: None,
            text: None,
            html: None,
            attachments: Vec::new(),
            status: MessageStatus::Pending,
            attempts: 0,
            next_attempt_ms: now,
            last_error: None,
            created_ms: now,
            sent_ms: None,
        }
    }

    /// Check that the message can be delivered at all: a plausible recipient, a body
    /// the channel can carry.
    pub fn validate(&self) -> Result<()> {
        let to = &self.recipient;
        if to.is_empty() || to.len() > MAX_RECIPIENT || to.chars().any(|c| c.is_control() || c == ',') {
            return Err(Error::bad(format!("'{to}' is not a recipient a message can be sent to")));
        }
        let blank = |s: &Option<String>| s.as_deref().is_none_or(|s| s.trim().is_empty());
        match self.channel {
            Channel::Email => {
                let (local, domain) = to.rsplit_once('@').unwrap_or_default();
                if local.is_empty() || domain.is_empty() || to.contains(char::is_whitespace) {
                    return Err(Error::bad(format!("'{to}' is not an email address")));
                }
                if blank(&self.text) && blank(&self.html) {
                    return Err(Error::bad("a mail needs a text or an HTML body"));
                }
                if self.subject.as_deref().is_some_and(|s| s.contains(['\r', '\n'])) {
                    return Err(Error::bad("a mail subject is one line"));
                }
            }
            Channel::Sms => {
                if blank(&self.text) {
                    return Err(Error::bad("an SMS needs a text"));
                }
                if !self.attachments.is_empty() || self.html.is_some() {
                    return Err(Error::bad("an SMS carries text only"));
                }
            }
        }
        if self
            .attachments
            .iter()
            .any(|a| a.name.trim().is_empty() || a.name.contains(['\r', '\n', '/', '\\']))
        {
            return Err(Error::bad("every attachment needs a plain file name"));
        }
        Ok(())
    }

    /// Whether it still waits for delivery (the outbox backlog).
    pub fn is_backlog(&self) -> bool {
        matches!(self.status, MessageStatus::Pending | MessageStatus::Sending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(to: &str) -> OutboxMessage {
        OutboxMessage { text: Some("hello".into()), ..OutboxMessage::new(Channel::Email, to) }
    }

    #[test]
    fn channels_and_statuses_round_trip() {
        for c in Channel::ALL {
            assert_eq!(c.as_str().parse::<Channel>().unwrap(), c);
        }
        assert!("fax".parse::<Channel>().is_err());
        assert_eq!("sending".parse::<MessageStatus>().unwrap(), MessageStatus::Sending);
    }

    #[test]
    fn validation_wants_a_recipient_and_a_body() {
        assert!(mail("a@example.com").validate().is_ok());
        assert!(mail("example.com").validate().is_err());
        assert!(mail("a@b, c@d").validate().is_err());
        assert!(mail(" ").validate().is_err());
        assert!(OutboxMessage::new(Channel::Email, "a@example.com").validate().is_err());
        let mut sms = OutboxMessage::new(Channel::Sms, "+358401234567");
        assert!(sms.validate().is_err());
        sms.text = Some("code 123456".into());
        assert!(sms.validate().is_ok());
        sms.html = Some("<p>no</p>".into());
        assert!(sms.validate().is_err());
    }

    #[test]
    fn new_messages_are_pending_and_due() {
        let m = mail("a@example.com");
        assert_eq!(m.status, MessageStatus::Pending);
        assert!(m.is_backlog());
        assert_eq!(m.attempts, 0);
        assert!(m.next_attempt_ms <= crate::time::now_ms());
    }
}
