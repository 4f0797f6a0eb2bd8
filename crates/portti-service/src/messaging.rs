//! Mail and SMS sent on a client's request (`email/send`, `user/{id}/email/send`,
//! `group/{id}/email/send`, `sms/send`, `user/{id}/sms/send`): checked completely, then
//! written to the outbox in one transaction, one message per recipient.

use crate::namespaces::by_code;
use crate::outbox::enqueue_message;
use crate::users::reachable;
use crate::{Caller, Directory};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use phonenumber::metadata::DATABASE;
use phonenumber::Mode;
use portti_core::model::{
    sms_parts, Attachment, Channel, Email, MailAddress, Namespace, OutboxMessage, SmsMessage, SmsResponse,
};
use portti_core::permission::Permission;
use portti_core::{Error, Result};
use portti_store::Tx;

/// Longest SMS text accepted (ten concatenated parts).
const MAX_SMS_TEXT: usize = 1530;
/// Most recipients one request may name.
const MAX_RECIPIENTS: usize = 1000;

impl Directory {
    /// E1: mail everyone in `to`, `cc` and `bcc` (each address once).
    pub async fn send_email(&self, caller: &Caller, email: Email) -> Result<()> {
        caller.require(Permission::EMAIL_SEND)?;
        let mail = PreparedMail::new(&email)?;
        let recipients = mail.explicit.clone();
        if recipients.is_empty() {
            return Err(Error::bad("the mail names no recipient in to, cc or bcc"));
        }
        let mut tx = self.write().await?;
        mail.enqueue(tx.as_mut(), recipients).await?;
        tx.commit().await
    }

    /// E2: mail a user at its primary address, plus everyone the mail names.
    pub async fn send_email_to_user(&self, caller: &Caller, user_id: &str, email: Email) -> Result<()> {
        caller.require(Permission::EMAIL_SEND)?;
        let mail = PreparedMail::new(&email)?;
        let mut tx = self.write().await?;
        let user = reachable(caller, tx.as_mut(), user_id).await?;
        let primary =
            user.primary_email().ok_or_else(|| Error::bad(format!("user {user_id} has no email address")))?;
        let mut recipients = vec![check_address(primary)?];
        recipients.extend(mail.explicit.iter().cloned());
        mail.enqueue(tx.as_mut(), dedup(recipients)).await?;
        tx.commit().await
    }

    /// E3: mail every member of a group and of the groups nested in it, at each one's
    /// primary address (members without one are skipped), plus everyone the mail names.
    pub async fn send_email_to_group(&self, caller: &Caller, group_id: &str, email: Email) -> Result<()> {
        caller.require(Permission::EMAIL_SEND)?;
        let mail = PreparedMail::new(&email)?;
        let mut tx = self.write().await?;
        match tx.group(group_id).await? {
            Some(g) if caller.reaches(&g.ns_code) => {}
            _ => return Err(Error::not_found("group", group_id)),
        }
        let mut groups = vec![group_id.to_string()];
        groups.extend(tx.group_descendants(group_id).await?.into_iter().map(|g| g.id));
        let members = tx.group_members(&groups).await?;
        let mut recipients = Vec::new();
        for user in members.iter().filter(|u| caller.reaches(&u.ns_code) && caller.sees_user(&u.id)) {
            // A stored address that is not deliverable is skipped, not a reason to mail nobody.
            if let Some(Ok(address)) = user.primary_email().map(check_address) {
                recipients.push(address);
            }
        }
        recipients.extend(mail.explicit.iter().cloned());
        let recipients = dedup(recipients);
        if recipients.len() > MAX_RECIPIENTS * 10 {
            return Err(Error::bad(format!(
                "the group has more than {} members to mail",
                MAX_RECIPIENTS * 10
            )));
        }
        mail.enqueue(tx.as_mut(), recipients).await?;
        tx.commit().await
    }

    /// S1: text a number, in the caller's default namespace (which must allow custom SMS).
    pub async fn send_sms(&self, caller: &Caller, sms: SmsMessage) -> Result<SmsResponse> {
        caller.require(Permission::SMS_SEND)?;
        let mut tx = self.write().await?;
        let ns = by_code(caller, tx.as_mut(), caller.default_namespace()).await?;
        check_sms_allowed(&ns)?;
        let to = sms.to.clone().filter(|t| !t.trim().is_empty()).ok_or_else(|| {
            Error::bad("an SMS needs a 'to' number (E.164 like +358401234567, or national with toRegion)")
        })?;
        let response = enqueue_sms(tx.as_mut(), &ns, &to, sms).await?;
        tx.commit().await?;
        Ok(response)
    }

    /// S2: text a user's first mobile number, in the user's namespace (which must allow
    /// custom SMS); the request's `to` is ignored.
    pub async fn send_sms_to_user(
        &self,
        caller: &Caller,
        user_id: &str,
        sms: SmsMessage,
    ) -> Result<SmsResponse> {
        caller.require(Permission::SMS_SEND)?;
        let mut tx = self.write().await?;
        let user = reachable(caller, tx.as_mut(), user_id).await?;
        let ns = by_code(caller, tx.as_mut(), &user.ns_code).await?;
        check_sms_allowed(&ns)?;
        let to = user
            .mobiles
            .first()
            .map(|m| m.number.clone())
            .ok_or_else(|| Error::bad(format!("user {user_id} has no mobile number")))?;
        let response = enqueue_sms(tx.as_mut(), &ns, &to, sms).await?;
        tx.commit().await?;
        Ok(response)
    }
}

/// S3: the regions whose national numbers `toRegion` and `defaultRegion` may name
/// (two-letter ISO 3166 codes from libphonenumber's metadata), sorted.
pub fn sms_regions() -> Vec<String> {
    let mut regions: Vec<String> = DATABASE
        .iter()
        .map(|m| m.id().to_string())
        .filter(|id| id.len() == 2 && id.bytes().all(|b| b.is_ascii_uppercase()))
        .collect();
    regions.sort();
    regions.dedup();
    regions
}

/// A mail request, checked: its recipients, sender, bodies and attachments.
struct PreparedMail {
    /// `to`, `cc` and `bcc`, each address once.
    explicit: Vec<String>,
    sender: Option<String>,
    subject: Option<String>,
    text: Option<String>,
    html: Option<String>,
    attachments: Vec<Attachment>,
}

impl PreparedMail {
    fn new(email: &Email) -> Result<Self> {
        let mut explicit = Vec::new();
        for (field, list) in [("to", &email.to), ("cc", &email.cc), ("bcc", &email.bcc)] {
            for a in list {
                match a.address.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                    Some(address) => explicit.push(check_address(address)?),
                    None => return Err(Error::bad(format!("an address in {field} has no 'address'"))),
                }
            }
        }
        if explicit.len() > MAX_RECIPIENTS {
            return Err(Error::bad(format!("a mail may name at most {MAX_RECIPIENTS} recipients")));
        }
        for a in &email.reply_to {
            if let Some(address) = a.address.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                check_address(address)?;
            }
        }
        let sender = email.from.as_ref().map(sender).transpose()?.flatten();
        let subject = email.subject.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        if subject.as_deref().is_some_and(|s| s.contains(['\r', '\n'])) {
            return Err(Error::bad("a mail subject is one line"));
        }
        let body = |s: &Option<String>| s.clone().filter(|s| !s.trim().is_empty());
        let (text, html) = (body(&email.text), body(&email.html));
        if text.is_none() && html.is_none() {
            return Err(Error::bad("a mail needs a text or an html body"));
        }
        let attachments = email
            .attachments
            .iter()
            .map(|a| {
                let name = a.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
                let name = name.ok_or_else(|| Error::bad("every attachment needs a name"))?;
                if name.chars().any(|c| c.is_control() || c == '/' || c == '\\') || name.len() > 255 {
                    return Err(Error::bad(format!("attachment name '{name}' is not a plain file name")));
                }
                let data: String = a.data.as_deref().unwrap_or_default().split_ascii_whitespace().collect();
                STANDARD
                    .decode(data.as_bytes())
                    .map_err(|_| Error::bad(format!("attachment {name}: data is not valid base64")))?;
                Ok(Attachment { name: name.to_string(), data })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(PreparedMail { explicit: dedup(explicit), sender, subject, text, html, attachments })
    }

    /// One outbox message per recipient, in `tx`.
    async fn enqueue(&self, tx: &mut dyn Tx, recipients: Vec<String>) -> Result<()> {
        for to in recipients {
            let msg = OutboxMessage {
                sender: self.sender.clone(),
                subject: self.subject.clone(),
                text: self.text.clone(),
                html: self.html.clone(),
                attachments: self.attachments.clone(),
                ..OutboxMessage::new(Channel::Email, to)
            };
            enqueue_message(tx, msg).await?;
        }
        Ok(())
    }
}

/// The mailbox a `from` names (`"Name" <address>`), or `None` when it names no address.
fn sender(from: &MailAddress) -> Result<Option<String>> {
    let Some(address) = from.address.as_deref().map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let address = check_address(address)?;
    match from.name.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(Some(address)),
        Some(name) if name.chars().any(char::is_control) || name.len() > 200 => {
            Err(Error::bad("the sender's name must be one line of at most 200 characters"))
        }
        Some(name) => {
            let quoted = name.replace('\\', "\\\\").replace('"', "\\\"");
            Ok(Some(format!("\"{quoted}\" <{address}>")))
        }
    }
}

/// `address` trimmed, if it is a deliverable mailbox address (`local@domain`), else 400.
pub(crate) fn check_address(address: &str) -> Result<String> {
    let a = address.trim();
    let bad = || Error::bad(format!("'{a}' is not a valid email address"));
    let (local, domain) = a.rsplit_once('@').ok_or_else(bad)?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| !c.is_whitespace() && !c.is_control() && !"<>()[],;:\"\\@".contains(c));
    let domain_ok = !domain.is_empty()
        && domain.len() <= 253
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    if local_ok && domain_ok && a.len() <= 254 {
        Ok(a.to_string())
    } else {
        Err(bad())
    }
}

/// Addresses in their first order, each once (compared case-insensitively).
fn dedup(addresses: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    addresses.into_iter().filter(|a| seen.insert(a.to_lowercase())).collect()
}

/// 403 unless the namespace allows SMS, and custom texts from the API.
fn check_sms_allowed(ns: &Namespace) -> Result<()> {
    if !ns.sms_settings.enabled {
        return Err(Error::Forbidden(format!(
            "SMS messages are not enabled in namespace {} (smsSettings.enabled is false)",
            ns.code
        )));
    }
    if !ns.sms_settings.custom_enabled {
        return Err(Error::Forbidden(format!(
            "custom SMS messages are not allowed in namespace {} (smsSettings.customEnabled is false)",
            ns.code
        )));
    }
    Ok(())
}

/// Check an SMS request, normalise its number and queue it in `tx`.
async fn enqueue_sms(tx: &mut dyn Tx, ns: &Namespace, to: &str, sms: SmsMessage) -> Result<SmsResponse> {
    let text =
        sms.text.clone().filter(|t| !t.trim().is_empty()).ok_or_else(|| Error::bad("an SMS needs a text"))?;
    if text.chars().count() > MAX_SMS_TEXT {
        return Err(Error::bad(format!("an SMS text may have at most {MAX_SMS_TEXT} characters")));
    }
    if sms.data.as_deref().is_some_and(|d| !d.is_empty()) || sms.udh.as_deref().is_some_and(|u| !u.is_empty())
    {
        return Err(Error::bad("binary SMS (data, udh) is not supported; send a text"));
    }
    if sms.message_class.is_some_and(|c| !(0..=3).contains(&c)) {
        return Err(Error::bad("messageClass must be 0, 1, 2 or 3"));
    }
    if sms.ttl.is_some_and(|t| t < 1) {
        return Err(Error::bad("ttl must be a positive number of minutes"));
    }
    let sender = match sms.from.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(from) => Some(check_originator(from)?),
        None => {
            ns.sms_settings.default_originator.clone().map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
        }
    };
    let region = match sms.to_region.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => Some(check_region(r)?),
        None => ns.sms_settings.default_region.clone(),
    };
    let (number, number_region) = sms_number(to, region.as_deref())?;
    let msg = OutboxMessage {
        sender,
        text: Some(text.clone()),
        ..OutboxMessage::new(Channel::Sms, number.clone())
    };
    let msg = enqueue_message(tx, msg).await?;
    Ok(SmsResponse {
        status: "QUEUED".into(),
        description: "Queued in the outbox for delivery by the SMS gateway.".into(),
        message_id: msg.id,
        to: number,
        to_region: number_region,
        client_ref: sms.client_ref,
        billing_ref: sms.billing_ref,
        carrier_ref: sms.carrier_ref,
        message_count: sms_parts(&text),
    })
}

/// An SMS sender: a number (`+358401234567`, up to 15 digits) or up to 11 letters and digits.
fn check_originator(from: &str) -> Result<String> {
    let digits = from.strip_prefix('+').unwrap_or(from);
    let number = !digits.is_empty() && digits.len() <= 15 && digits.bytes().all(|b| b.is_ascii_digit());
    let name = from.len() <= 11
        && from.bytes().all(|b| b.is_ascii_alphanumeric() || b == b' ')
        && from.bytes().any(|b| b.is_ascii_alphabetic());
    if number || name {
        Ok(from.to_string())
    } else {
        Err(Error::bad(format!(
            "SMS sender '{from}' must be a phone number or at most 11 letters and digits"
        )))
    }
}

/// A region code `toRegion` may name, upper-cased.
fn check_region(region: &str) -> Result<String> {
    let r = region.to_ascii_uppercase();
    if r.len() == 2 && DATABASE.by_id(r.as_str()).is_some() {
        Ok(r)
    } else {
        Err(Error::bad(format!("'{region}' is not a supported region (see GET sms/regions)")))
    }
}

/// `number` in E.164 and its region, reading national numbers as numbers of `region`;
/// 400 unless it is a valid phone number.
fn sms_number(number: &str, region: Option<&str>) -> Result<(String, Option<String>)> {
    let bad = || {
        let hint =
            if region.is_none() { " (give it in E.164, like +358401234567, or a toRegion)" } else { "" };
        Error::bad(format!("'{}' is not a valid phone number{hint}", number.trim()))
    };
    let id = region.and_then(|r| r.trim().to_ascii_uppercase().parse::<phonenumber::country::Id>().ok());
    let trimmed = number.trim();
    if trimmed.is_empty() || trimmed.len() > 64 {
        return Err(bad());
    }
    let parsed = phonenumber::parse(id, trimmed).map_err(|_| bad())?;
    if !phonenumber::is_valid(&parsed) {
        return Err(bad());
    }
    let region = parsed.country().id().map(|id| id.as_ref().to_string());
    Ok((parsed.format().mode(Mode::E164).to_string(), region))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked() {
        for ok in ["a@example.com", " ann.lee+tag@sub.example.fi ", "x@localhost", "ä@exämple.fi"] {
            assert!(check_address(ok).is_ok(), "{ok}");
        }
        assert_eq!(check_address(" a@b.fi ").unwrap(), "a@b.fi");
        for bad in [
            "", "a", "@b.fi", "a@", "a b@c.fi", "a@b..fi", "a@-b.fi", "a@b.fi>", "<a@b.fi>", "a@b@c",
            ".a@b.fi",
        ] {
            assert!(check_address(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn senders_are_mailboxes() {
        let from = |a: &str, n: Option<&str>| {
            sender(&MailAddress { address: Some(a.into()), name: n.map(Into::into) })
        };
        assert_eq!(from("a@b.fi", None).unwrap().as_deref(), Some("a@b.fi"));
        assert_eq!(
            from("a@b.fi", Some("Ann \"A\" Lee")).unwrap().as_deref(),
            Some("\"Ann \\\"A\\\" Lee\" <a@b.fi>")
        );
        assert!(from("nope", None).is_err());
        assert!(from("a@b.fi", Some("x\ny")).is_err());
        assert_eq!(sender(&MailAddress::default()).unwrap(), None);
    }

    #[test]
    fn recipients_are_deduplicated_case_insensitively() {
        let list = vec!["A@x.fi".to_string(), "b@x.fi".into(), "a@X.fi".into()];
        assert_eq!(dedup(list), vec!["A@x.fi".to_string(), "b@x.fi".into()]);
    }

    #[test]
    fn numbers_become_e164() {
        assert_eq!(sms_number("+358401234567", None).unwrap(), ("+358401234567".into(), Some("FI".into())));
        assert_eq!(sms_number("040 123 4567", Some("FI")).unwrap().0, "+358401234567");
        assert_eq!(sms_number("070-123 45 67", Some("se")).unwrap().0, "+46701234567");
        assert!(sms_number("040 123 4567", None).is_err());
        assert!(sms_number("+3581", None).is_err());
        assert!(sms_number("not a number", Some("FI")).is_err());
    }

    #[test]
    fn originators_are_numbers_or_short_names() {
        assert!(check_originator("Portti").is_ok());
        assert!(check_originator("ACME Oy").is_ok());
        assert!(check_originator("+358401234567").is_ok());
        assert!(check_originator("12345").is_ok());
        assert!(check_originator("TwelveChars1").is_err());
        assert!(check_originator("bad!").is_err());
        assert!(check_originator("+12345678901234567").is_err());
    }

    #[test]
    fn regions_come_from_the_metadata() {
        let regions = sms_regions();
        for r in ["FI", "SE", "EE", "US", "GB"] {
            assert!(regions.contains(&r.to_string()), "{r}");
        }
        assert!(regions.iter().all(|r| r.len() == 2));
        assert!(check_region("fi").is_ok());
        assert!(check_region("XX").is_err());
        assert!(check_region("001").is_err());
    }
}
