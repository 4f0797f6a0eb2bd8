//! Mail and SMS as clients ask for them (`email/send`, `sms/send`), and the SMS answer.

use super::null_as_default;
use serde::{Deserialize, Deserializer, Serialize};

/// A mail to send (E1–E3). Every key may be `null`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct Email {
    /// Recipients.
    #[serde(deserialize_with = "null_as_default")]
    pub to: Vec<MailAddress>,
    /// Copy recipients (each gets the mail as its own message).
    #[serde(deserialize_with = "null_as_default")]
    pub cc: Vec<MailAddress>,
    /// Blind-copy recipients (likewise).
    #[serde(deserialize_with = "null_as_default")]
    pub bcc: Vec<MailAddress>,
    /// Reply-to addresses (checked; the outbox mail carries the sender only).
    #[serde(deserialize_with = "null_as_default")]
    pub reply_to: Vec<MailAddress>,
    /// The sender; all-null or absent: the server's sender (`PORTTI_MAIL_FROM`).
    pub from: Option<MailAddress>,
    /// One line.
    pub subject: Option<String>,
    /// HTML body (this or `text` is required).
    pub html: Option<String>,
    /// Plain-text body.
    pub text: Option<String>,
    /// Attached files, base64.
    #[serde(deserialize_with = "null_as_default")]
    pub attachments: Vec<MailAttachment>,
}

/// An address in a mail request: an EmailAddress object (only `address` and `name`
/// matter; `verified`, `tags`, … are ignored), or a bare string.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MailAddress {
    /// The address, e.g. `ann@example.com`.
    pub address: Option<String>,
    /// A display name.
    pub name: Option<String>,
}

impl<'de> Deserialize<'de> for MailAddress {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Input {
            Text(String),
            Object {
                #[serde(default)]
                address: Option<String>,
                #[serde(default)]
                name: Option<String>,
            },
        }
        Ok(match Input::deserialize(d)? {
            Input::Text(address) => MailAddress { address: Some(address), name: None },
            Input::Object { address, name } => MailAddress { address, name },
        })
    }
}

/// A file attached to a mail request.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct MailAttachment {
    /// File name.
    pub name: Option<String>,
    /// Content, base64.
    pub data: Option<String>,
}

/// A text message to send (S1, S2): the SDK sends all 14 keys, unset ones `null`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct SmsMessage {
    /// The number (E.164, or national in `toRegion`); ignored by `user/{id}/sms/send`.
    pub to: Option<String>,
    /// Display name of the recipient.
    pub to_name: Option<String>,
    /// Two-letter region for a national number; default the namespace's `defaultRegion`.
    pub to_region: Option<String>,
    /// Sender: a number or up to 11 letters and digits; default the namespace's `defaultOriginator`.
    pub from: Option<String>,
    /// Whether the sender must be shown.
    pub from_required: Option<bool>,
    /// 0-3.
    pub message_class: Option<i64>,
    /// The text.
    pub text: Option<String>,
    /// Hex binary payload (not supported: 400).
    pub data: Option<String>,
    /// Hex user-data header (not supported: 400).
    pub udh: Option<String>,
    /// Validity in minutes.
    pub ttl: Option<i64>,
    /// Client reference, echoed.
    pub client_ref: Option<String>,
    /// Billing reference, echoed.
    pub billing_ref: Option<String>,
    /// Carrier reference, echoed.
    pub carrier_ref: Option<String>,
    /// Delivery-report URL (not called: delivery shows in the outbox).
    pub callback: Option<String>,
}

/// What `sms/send` answers: the message is queued in the outbox.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SmsResponse {
    /// `QUEUED`: written to the outbox, to be delivered by the SMS gateway.
    pub status: String,
    /// In words.
    pub description: String,
    /// The outbox message id.
    pub message_id: String,
    /// The number in E.164.
    pub to: String,
    /// The region the number belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_region: Option<String>,
    /// The request's client reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_ref: Option<String>,
    /// The request's billing reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_ref: Option<String>,
    /// The request's carrier reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carrier_ref: Option<String>,
    /// How many SMS parts the text takes.
    pub message_count: u32,
}

/// How many SMS parts `text` takes: 160/153 characters in GSM-7, 70/67 otherwise.
pub fn sms_parts(text: &str) -> u32 {
    const GSM: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    const GSM_EXT: &str = "^{}\\[~]|€\x0c";
    let (units, single, multi) = if text.chars().all(|c| GSM.contains(c) || GSM_EXT.contains(c)) {
        let units: usize = text.chars().map(|c| if GSM_EXT.contains(c) { 2 } else { 1 }).sum();
        (units, 160, 153)
    } else {
        (text.encode_utf16().count(), 70, 67)
    };
    if units <= single {
        1
    } else {
        units.div_ceil(multi) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sdk_mail_bodies_parse() {
        let e: Email = serde_json::from_value(json!({
            "to": [{"name": null, "address": "a@example.com", "verified": null, "verifiedBy": null,
                    "verifiedDateTime": null, "tags": null}, "b@example.com"],
            "cc": [], "bcc": null, "replyTo": [],
            "from": {"name": null, "address": null, "verified": false, "verifiedBy": null,
                     "verifiedDateTime": null, "tags": null},
            "subject": "Hi", "html": null, "text": "Hello", "attachments": [{"name": "a.txt", "data": "aGk="}]
        }))
        .unwrap();
        assert_eq!(e.to[0].address.as_deref(), Some("a@example.com"));
        assert_eq!(e.to[1].address.as_deref(), Some("b@example.com"));
        assert!(e.bcc.is_empty());
        assert_eq!(e.from, Some(MailAddress::default()));
        assert_eq!(e.attachments[0].name.as_deref(), Some("a.txt"));
    }

    #[test]
    fn sdk_sms_bodies_parse() {
        let m: SmsMessage = serde_json::from_value(json!({
            "to": "+358401234567", "toName": null, "toRegion": null, "from": null, "fromRequired": null,
            "messageClass": null, "text": "hi", "data": null, "udh": null, "ttl": null,
            "clientRef": null, "billingRef": null, "carrierRef": null, "callback": null
        }))
        .unwrap();
        assert_eq!(m.to.as_deref(), Some("+358401234567"));
        assert_eq!(m.text.as_deref(), Some("hi"));
    }

    #[test]
    fn sms_parts_count_by_alphabet() {
        assert_eq!(sms_parts("hello"), 1);
        assert_eq!(sms_parts(&"a".repeat(160)), 1);
        assert_eq!(sms_parts(&"a".repeat(161)), 2);
        assert_eq!(sms_parts(&"€".repeat(80)), 1);
        assert_eq!(sms_parts(&"€".repeat(81)), 2);
        assert_eq!(sms_parts(&"ж".repeat(70)), 1);
        assert_eq!(sms_parts(&"ж".repeat(71)), 2);
    }
}
