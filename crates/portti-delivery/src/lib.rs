//! Delivering Portti's outbox: a background worker that claims due messages in batches,
//! sends mail by SMTP and SMS through a webhook, and marks each `sent`, or schedules a
//! retry with exponential back-off, or marks it `failed` when out of attempts or refused
//! for good. Claims expire, so a node that dies mid-send strands nothing; several nodes on
//! one PostgreSQL deliver each message once.

mod mail;
mod sms;
mod worker;

pub use mail::MailGateway;
pub use sms::SmsGateway;
pub use worker::{Running, Settings};

use portti_core::model::Channel;

/// Why one delivery attempt failed.
#[derive(Debug, Clone, PartialEq)]
pub struct SendError {
    /// What went wrong (kept as the message's `last_error`; holds no credentials).
    pub message: String,
    /// Retrying cannot help (a refused address, a malformed message).
    pub permanent: bool,
}

impl SendError {
    fn permanent(message: String) -> Self {
        SendError { message, permanent: true }
    }

    fn transient(message: String) -> Self {
        SendError { message, permanent: false }
    }
}

/// The configured ways out; a channel without one keeps its messages pending in the outbox.
#[derive(Default)]
pub struct Gateways {
    /// The SMTP relay.
    pub mail: Option<MailGateway>,
    /// The SMS webhook.
    pub sms: Option<SmsGateway>,
}

impl Gateways {
    /// The channels that have a gateway.
    pub fn channels(&self) -> Vec<Channel> {
        let mut out = Vec::new();
        if self.mail.is_some() {
            out.push(Channel::Email);
        }
        if self.sms.is_some() {
            out.push(Channel::Sms);
        }
        out
    }
}

/// A URL with any `user:password@` replaced by `***@` (for logs and errors).
pub fn redact(url: &str) -> String {
    let Some(start) = url.find("://").map(|i| i + 3) else { return url.to_string() };
    let authority_end = url[start..].find(['/', '?', '#']).map_or(url.len(), |i| start + i);
    match url[start..authority_end].rfind('@') {
        Some(at) => format!("{}***@{}", &url[..start], &url[start + at + 1..]),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redact_hides_credentials_only() {
        assert_eq!(redact("smtps://user:pa@ss@mail.example.org:465"), "smtps://***@mail.example.org:465");
        assert_eq!(redact("smtp://127.0.0.1:25"), "smtp://127.0.0.1:25");
        assert_eq!(redact("https://sms.example.org/send?to=a@b"), "https://sms.example.org/send?to=a@b");
        assert_eq!(redact("plain"), "plain");
    }
}
