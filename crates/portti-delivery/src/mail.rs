//! Mail by SMTP (lettre over rustls): the outbox message as a MIME mail, sent to the relay
//! `PORTTI_SMTP_URL` names.

use crate::{redact, SendError};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use portti_core::model::OutboxMessage;
use std::time::Duration;

/// How long one SMTP conversation may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

/// An SMTP relay and the default sender.
pub struct MailGateway {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    relay: String,
}

impl MailGateway {
    /// A gateway to the relay at `url`: `smtp://host:port` (plain), `smtp://host?tls=starttls`
    /// (STARTTLS required; also `tls=opportunistic`), `smtps://user:pass@host` (TLS from the
    /// first byte, port 465 unless given). Mail says it is from `from` unless the message
    /// names its own sender.
    pub fn new(url: &str, from: &str) -> Result<Self, String> {
        let from: Mailbox =
            from.parse().map_err(|e| format!("the mail sender '{from}' is not a mailbox: {e}"))?;
        let lettre_url = url.replacen("tls=starttls", "tls=required", 1);
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&lettre_url)
            .map_err(|e| format!("the SMTP URL {} is not usable: {e}", redact(url)))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(MailGateway { transport, from, relay: redact(url) })
    }

    /// The relay, without credentials (for logs).
    pub fn relay(&self) -> &str {
        &self.relay
    }

    /// Hand one message to the relay.
    pub async fn send(&self, msg: &OutboxMessage) -> Result<(), SendError> {
        let mail = build(msg, &self.from)?;
        match self.transport.send(mail).await {
            Ok(_) => Ok(()),
            Err(e) => Err(SendError { permanent: e.is_permanent(), message: format!("SMTP: {e}") }),
        }
    }
}

/// The MIME mail of an outbox message: text and HTML as multipart/alternative, inside
/// multipart/mixed when there are attachments. Its Message-ID is made from the outbox id,
/// so a resent copy carries the same one.
pub(crate) fn build(msg: &OutboxMessage, default_from: &Mailbox) -> Result<Message, SendError> {
    let from = match msg.sender.as_deref() {
        Some(s) => {
            s.parse::<Mailbox>().map_err(|e| SendError::permanent(format!("bad sender '{s}': {e}")))?
        }
        None => default_from.clone(),
    };
    let to: Mailbox =
        msg.recipient.parse().map_err(|e| SendError::permanent(format!("bad recipient address: {e}")))?;
    let domain = from.email.domain().to_string();
    let builder = Message::builder()
        .message_id(Some(format!("<{}@{domain}>", msg.id)))
        .from(from)
        .to(to)
        .subject(msg.subject.clone().unwrap_or_default());
    let body = match (msg.text.clone(), msg.html.clone()) {
        (Some(text), Some(html)) => MultiPart::alternative_plain_html(text, html),
        (None, Some(html)) => MultiPart::alternative().singlepart(SinglePart::html(html)),
        (text, None) => MultiPart::alternative().singlepart(SinglePart::plain(text.unwrap_or_default())),
    };
    let body = if msg.attachments.is_empty() {
        body
    } else {
        let mut mixed = MultiPart::mixed().multipart(body);
        for a in &msg.attachments {
            let data = STANDARD
                .decode(a.data.as_bytes())
                .map_err(|_| SendError::permanent(format!("attachment {} is not valid base64", a.name)))?;
            mixed = mixed.singlepart(Attachment::new(a.name.clone()).body(data, content_type(&a.name)));
        }
        mixed
    };
    builder.multipart(body).map_err(|e| SendError::permanent(format!("cannot build the mail: {e}")))
}

/// The content type an attachment's file name suggests.
fn content_type(name: &str) -> ContentType {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    let mime = match ext.as_str() {
        "pdf" => "application/pdf",
        "txt" => "text/plain; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "html" | "htm" => "text/html; charset=utf-8",
        "ics" => "text/calendar; charset=utf-8",
        "json" => "application/json",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    };
    ContentType::parse(mime).unwrap_or(ContentType::TEXT_PLAIN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use portti_core::model::{Attachment as File, Channel};

    fn mail() -> OutboxMessage {
        OutboxMessage {
            subject: Some("Welcome".into()),
            text: Some("Hello in text".into()),
            html: Some("<p>Hello in HTML</p>".into()),
            ..OutboxMessage::new(Channel::Email, "alice@example.com")
        }
    }

    fn render(msg: &OutboxMessage) -> String {
        let from: Mailbox = "Portti <noreply@example.org>".parse().unwrap();
        String::from_utf8(build(msg, &from).unwrap().formatted()).unwrap()
    }

    #[test]
    fn text_and_html_make_an_alternative_mail() {
        let m = mail();
        let text = render(&m);
        assert!(text.contains("From: Portti <noreply@example.org>"), "{text}");
        assert!(text.contains("To: alice@example.com"), "{text}");
        assert!(text.contains("Subject: Welcome"), "{text}");
        assert!(text.contains(&format!("Message-ID: <{}@example.org>", m.id)), "{text}");
        assert!(text.contains("multipart/alternative"), "{text}");
        assert!(text.contains("Hello in text") && text.contains("<p>Hello in HTML</p>"), "{text}");
        assert!(!text.contains("multipart/mixed"), "{text}");
    }

    /// Bytes that are not text.
    const PDF: &[u8] = &[0x25, 0x50, 0x44, 0x46, 0x00, 0xe2, 0xe3, 0xcf, 0xd3, 0xff, 0x01];

    #[test]
    fn attachments_go_in_a_mixed_mail() {
        let mut m = mail();
        m.sender = Some("Other <other@example.net>".into());
        m.attachments = vec![File { name: "report.pdf".into(), data: STANDARD.encode(PDF) }];
        let text = render(&m);
        assert!(text.contains("multipart/mixed") && text.contains("multipart/alternative"), "{text}");
        assert!(text.contains("From: Other <other@example.net>"), "{text}");
        assert!(text.contains("Content-Type: application/pdf"), "{text}");
        assert!(text.contains("filename=\"report.pdf\""), "{text}");
        assert!(text.contains("Content-Transfer-Encoding: base64"), "{text}");
        assert!(text.contains(&STANDARD.encode(PDF)), "binary data travels as base64:\n{text}");
    }

    #[test]
    fn bad_addresses_and_data_fail_for_good() {
        let from: Mailbox = "noreply@example.org".parse().unwrap();
        let mut m = mail();
        m.recipient = "not an address".into();
        assert!(build(&m, &from).is_err_and(|e| e.permanent));
        let mut m = mail();
        m.attachments = vec![File { name: "x.bin".into(), data: "%%%".into() }];
        assert!(build(&m, &from).is_err_and(|e| e.permanent));
    }

    #[test]
    fn urls_and_senders_are_checked_up_front() {
        assert!(MailGateway::new("smtp://127.0.0.1:2525", "noreply@example.org").is_ok());
        assert!(MailGateway::new("smtp://mail.example.org?tls=starttls", "noreply@example.org").is_ok());
        let g = MailGateway::new("smtps://user:secret@mail.example.org", "Portti <a@b.example>").unwrap();
        assert!(!g.relay().contains("secret"), "{}", g.relay());
        assert!(MailGateway::new("http://mail.example.org", "noreply@example.org").is_err());
        assert!(MailGateway::new("smtp://127.0.0.1", "not a mailbox").is_err());
    }
}
