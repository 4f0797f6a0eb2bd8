//! SMS through a webhook: `POST {"to","from","text"}` as JSON to `PORTTI_SMS_WEBHOOK_URL`;
//! any 2xx answer means the gateway took the message.

use crate::{redact, SendError};
use portti_core::model::OutboxMessage;
use serde_json::json;
use std::time::Duration;

/// How long one webhook call may take.
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(20);

/// An SMS webhook and the default originator.
pub struct SmsGateway {
    http: reqwest::Client,
    url: String,
    from: String,
}

impl SmsGateway {
    /// A gateway posting to `url` (http or https); texts are from `from` unless the
    /// message names its own originator.
    pub fn new(url: &str, from: &str) -> Result<Self, String> {
        let parsed = reqwest::Url::parse(url)
            .map_err(|e| format!("the SMS webhook URL {} is not a URL: {e}", redact(url)))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(format!("the SMS webhook URL {} must be http:// or https://", redact(url)));
        }
        let http = reqwest::Client::builder()
            .timeout(WEBHOOK_TIMEOUT)
            .user_agent(concat!("portti/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot prepare the SMS webhook client: {e}"))?;
        Ok(SmsGateway { http, url: url.to_string(), from: from.to_string() })
    }

    /// The webhook, without credentials (for logs).
    pub fn endpoint(&self) -> String {
        redact(&self.url)
    }

    /// Post one message to the webhook.
    pub async fn send(&self, msg: &OutboxMessage) -> Result<(), SendError> {
        let body = json!({
            "to": msg.recipient,
            "from": msg.sender.as_deref().unwrap_or(&self.from),
            "text": msg.text.as_deref().unwrap_or_default(),
        });
        let resp = self
            .http
            .post(&self.url)
            .json(&body)
            .send()
            .await
            .map_err(|e| SendError::transient(format!("SMS webhook: {}", e.without_url())))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let detail: String = resp.text().await.unwrap_or_default().chars().take(200).collect();
        let message = format!("SMS webhook answered {status}: {}", detail.trim());
        // A refusal of this message (4xx) will not change on retry; overload and faults may.
        let permanent = status.is_client_error() && !matches!(status.as_u16(), 408 | 409 | 423 | 425 | 429);
        Err(SendError { message, permanent })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_urls_are_taken() {
        assert!(SmsGateway::new("http://127.0.0.1:9/sms", "Portti").is_ok());
        assert!(SmsGateway::new("https://user:pw@sms.example.org/send", "Portti")
            .is_ok_and(|g| !g.endpoint().contains("pw")));
        assert!(SmsGateway::new("ftp://sms.example.org", "Portti").is_err());
        assert!(SmsGateway::new("not a url", "Portti").is_err());
    }
}
