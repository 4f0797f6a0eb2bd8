//! Proving that an address belongs to its user: a single-use link by mail (U7) or SMS
//! (U10), or a six-digit code by SMS (U8, U9). The secret travels only in the message, which
//! is written to the outbox in the transaction that records the secret's keyed hash.
//!
//! Sending needs `ACCOUNT_MODIFY` (verification changes the user's record). Verification
//! messages are the directory's own, so they go out whatever `smsSettings.enabled` says
//! (that setting governs the free-text `sms/send`).

use crate::namespaces::by_code;
use crate::outbox::{enqueue, enqueue_message};
use crate::phone;
use crate::templates::{render_template_in, user_properties};
use crate::users::reachable;
use crate::{Caller, Directory};
use chrono::{TimeZone, Utc};
use portti_core::model::{
    Channel, Namespace, OutboxMessage, RenderedMail, User, Verification, VerificationKind,
};
use portti_core::permission::Permission;
use portti_core::{id, time, Error, Result};
use portti_store::Tx;
use rand::Rng;
use serde_json::{Map, Value};

/// How long an SMS code works.
pub const SMS_CODE_MINUTES: i64 = 10;
/// The window of `mobileVerificationAttemptsPerDay`.
const DAY_MS: i64 = 24 * 3600 * 1000;
/// Used and expired secrets are kept this long, so that their links still say why they
/// no longer work, then forgotten.
const KEEP_SPENT_MS: i64 = 30 * DAY_MS;
/// The longest link lifetime a request may ask for.
const MAX_EXPIRATION_DAYS: i64 = 3650;

/// A request to send a verification link (U7, U10); every member optional.
#[derive(Debug, Clone, Default)]
pub struct LinkRequest {
    /// The address or number to verify; `None`: the user's first.
    pub value: Option<String>,
    /// Where the link's page redirects after verifying (http or https).
    pub return_url: Option<String>,
    /// Days the link works; `None`: the namespace's `emailVerifyLinkExpireDays`.
    pub expiration_days: Option<i64>,
    /// An email template to render the mail with (email only).
    pub email_template_id: Option<String>,
    /// Properties for that template.
    pub email_template_properties: Option<Map<String, Value>>,
}

/// What following a verification link did.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkOutcome {
    /// The address is now verified.
    Verified {
        /// The address or number.
        target: String,
        /// Where to send the visitor, if the request named a place.
        return_url: Option<String>,
    },
    /// No such link (never issued, or long forgotten).
    Unknown,
    /// The link worked once already.
    Used,
    /// The link's time ran out.
    Expired,
    /// The address no longer belongs to the user (or the user is gone).
    AddressGone,
}

impl Directory {
    /// The base of the links the server mails (its public URL), without a trailing slash.
    pub fn public_url(&self) -> &str {
        self.tokens.issuer.trim_end_matches('/')
    }

    /// U7: mail a single-use link that verifies one of the user's email addresses.
    pub async fn send_email_verification(
        &self,
        caller: &Caller,
        user_id: &str,
        req: LinkRequest,
    ) -> Result<()> {
        caller.require(Permission::ACCOUNT_MODIFY)?;
        let return_url = check_return_url(req.return_url)?;
        let days = check_days(req.expiration_days)?;
        let mut tx = self.write().await?;
        let user = reachable(caller, tx.as_mut(), user_id).await?;
        let ns = by_code(caller, tx.as_mut(), &user.ns_code).await?;
        let address = email_of(&user, req.value.as_deref())?;
        let days = days.or(ns.default_group_policy.email_verify_link_expire_days).unwrap_or(7).max(1);
        let (token, v) = self.link(VerificationKind::EmailLink, &user, &address, return_url, days);
        let link = format!("{}/verify/email/{token}", self.public_url());
        let mail = match req.email_template_id.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            Some(template) => {
                let props = req.email_template_properties.unwrap_or_default();
                let expires = expiry(v.expires_ms);
                templated_mail(tx.as_mut(), caller, &user, template, props, [&address, &link, &expires])
                    .await?
            }
            None => email_link_mail(lang(&user), &address, &link, &expiry(v.expires_ms)).into(),
        };
        tx.discard_verifications(&user.id, None, v.created_ms - KEEP_SPENT_MS).await?;
        tx.insert_verification(&v).await?;
        enqueue(
            tx.as_mut(),
            Channel::Email,
            &address,
            Some(&mail.subject).filter(|s| !s.is_empty()).map(String::as_str),
            mail.text.as_deref(),
            mail.html.as_deref(),
            Vec::new(),
        )
        .await?;
        tx.commit().await
    }

    /// U10: text a single-use link that verifies one of the user's mobile numbers.
    pub async fn send_sms_verification_link(
        &self,
        caller: &Caller,
        user_id: &str,
        req: LinkRequest,
    ) -> Result<()> {
        caller.require(Permission::ACCOUNT_MODIFY)?;
        let return_url = check_return_url(req.return_url)?;
        let days = check_days(req.expiration_days)?;
        let mut tx = self.write().await?;
        let user = reachable(caller, tx.as_mut(), user_id).await?;
        let ns = by_code(caller, tx.as_mut(), &user.ns_code).await?;
        let (number, to) = mobile_of(&user, &ns, req.value.as_deref())?;
        let days = days.or(ns.default_group_policy.email_verify_link_expire_days).unwrap_or(7).max(1);
        let (token, v) = self.link(VerificationKind::SmsLink, &user, &number, return_url, days);
        let link = format!("{}/verify/sms/{token}", self.public_url());
        let text = sms_link_text(lang(&user), &link, &expiry(v.expires_ms));
        tx.discard_verifications(&user.id, None, v.created_ms - KEEP_SPENT_MS).await?;
        tx.insert_verification(&v).await?;
        enqueue_message(tx.as_mut(), sms(&ns, &to, text)).await?;
        tx.commit().await
    }

    /// U8: text a six-digit code (valid [`SMS_CODE_MINUTES`]) to one of the user's mobile
    /// numbers; it replaces any earlier code. Sends and checks together are limited to the
    /// namespace's `mobileVerificationAttemptsPerDay` per user in 24 hours (429 past it).
    pub async fn send_sms_code(&self, caller: &Caller, user_id: &str, mobile: Option<&str>) -> Result<()> {
        caller.require(Permission::ACCOUNT_MODIFY)?;
        let mut tx = self.write().await?;
        let user = reachable(caller, tx.as_mut(), user_id).await?;
        let ns = by_code(caller, tx.as_mut(), &user.ns_code).await?;
        let (number, to) = mobile_of(&user, &ns, mobile)?;
        let now = time::now_ms();
        if !attempt_allowed(tx.as_mut(), &user, &ns, now).await? {
            return Err(Error::TooManyRequests(format!(
                "user {} has used all {} SMS verification attempts of the last 24 hours; try again later",
                user.id,
                attempt_limit(&ns)
            )));
        }
        let code = format!("{:06}", rand::thread_rng().gen_range(0..1_000_000));
        let vid = id::new_id();
        let v = Verification {
            hash: self.secret_key.hash(&code_secret(&vid, &code)),
            id: vid,
            kind: VerificationKind::SmsCode,
            user_id: user.id.clone(),
            target: number,
            return_url: None,
            created_ms: now,
            expires_ms: now + SMS_CODE_MINUTES * 60 * 1000,
            used_ms: None,
        };
        tx.discard_verifications(&user.id, Some(VerificationKind::SmsCode), now - KEEP_SPENT_MS).await?;
        tx.insert_verification(&v).await?;
        enqueue_message(tx.as_mut(), sms(&ns, &to, sms_code_text(lang(&user), &code))).await?;
        tx.commit().await
    }

    /// U9: whether `code` is the user's current SMS code; if so the number it was sent to
    /// becomes verified and the code is spent. Every check counts toward the daily limit,
    /// and past the limit every code is wrong.
    pub async fn check_sms_code(&self, caller: &Caller, user_id: &str, code: &str) -> Result<bool> {
        caller.require(Permission::ACCOUNT_MODIFY)?;
        let mut tx = self.write().await?;
        let mut user = reachable(caller, tx.as_mut(), user_id).await?;
        let ns = by_code(caller, tx.as_mut(), &user.ns_code).await?;
        let now = time::now_ms();
        if !attempt_allowed(tx.as_mut(), &user, &ns, now).await? {
            return Ok(false);
        }
        let code = code.trim();
        let mut right = false;
        if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
            let pending = tx.pending_verifications(&user.id, VerificationKind::SmsCode, now).await?;
            let found =
                pending.into_iter().find(|v| self.secret_key.verify(&code_secret(&v.id, code), &v.hash));
            if let Some(v) = found {
                if mark_verified(&mut user, &ns, &v, now) && tx.spend_verification(&v.id, now).await? {
                    tx.update_user(&user).await?;
                    right = true;
                }
            }
        }
        tx.commit().await?;
        Ok(right)
    }

    /// Follow a verification link of `kind` (the public pages): verify the address, unlock
    /// the user when the policy says `emailVerificationUnlocksUser`, spend the link.
    pub async fn follow_verification_link(&self, kind: VerificationKind, token: &str) -> Result<LinkOutcome> {
        if token.is_empty() || token.len() > 128 {
            return Ok(LinkOutcome::Unknown);
        }
        let hash = self.secret_key.hash(token);
        let mut tx = self.write().await?;
        let v = match tx.verification_by_hash(&hash).await? {
            Some(v) if v.kind == kind && self.secret_key.verify(token, &v.hash) => v,
            _ => return Ok(LinkOutcome::Unknown),
        };
        let now = time::now_ms();
        if v.used_ms.is_some() {
            return Ok(LinkOutcome::Used);
        }
        if v.expires_ms <= now {
            return Ok(LinkOutcome::Expired);
        }
        let Some(mut user) = tx.user(&v.user_id).await? else { return Ok(LinkOutcome::AddressGone) };
        let Some(ns) = tx.namespace(&user.ns_code).await? else { return Ok(LinkOutcome::AddressGone) };
        if !mark_verified(&mut user, &ns, &v, now) {
            return Ok(LinkOutcome::AddressGone);
        }
        if !tx.spend_verification(&v.id, now).await? {
            return Ok(LinkOutcome::Used);
        }
        if kind.is_email()
            && user.locked
            && ns.default_group_policy.email_verification_unlocks_user == Some(true)
            && tx.facets(&user.id).await?.deleted.is_none()
        {
            user.locked = false;
        }
        tx.update_user(&user).await?;
        tx.commit().await?;
        Ok(LinkOutcome::Verified { target: v.target, return_url: v.return_url })
    }

    /// A fresh link secret and its record.
    fn link(
        &self,
        kind: VerificationKind,
        user: &User,
        target: &str,
        return_url: Option<String>,
        days: i64,
    ) -> (String, Verification) {
        let token = crate::secrets::random_secret();
        let now = time::now_ms();
        let v = Verification {
            id: id::new_id(),
            kind,
            hash: self.secret_key.hash(&token),
            user_id: user.id.clone(),
            target: target.to_string(),
            return_url,
            created_ms: now,
            expires_ms: now + days.clamp(1, MAX_EXPIRATION_DAYS) * DAY_MS,
            used_ms: None,
        };
        (token, v)
    }
}

/// U7 with `emailTemplateId`: the verification mail rendered from a template visible to
/// the caller, in the user's locale. The template sees `link`, `emailAddress`, `expires`
/// and `user`, under the request's own `emailTemplateProperties`.
async fn templated_mail(
    tx: &mut dyn Tx,
    caller: &Caller,
    user: &User,
    template: &str,
    mut properties: Map<String, Value>,
    [address, link, expires]: [&str; 3],
) -> Result<RenderedMail> {
    let own = [("link", link), ("emailAddress", address), ("expires", expires)];
    for (key, value) in own {
        properties.entry(key).or_insert_with(|| Value::String(value.to_string()));
    }
    properties.entry("user").or_insert_with(|| user_properties(user));
    let locale = user.locale.as_deref().or(user.preferred_language.as_deref());
    render_template_in(tx, Some(caller), template, locale, &properties).await
}

impl From<Mail> for RenderedMail {
    fn from(m: Mail) -> Self {
        RenderedMail { subject: m.subject, text: Some(m.text), html: Some(m.html) }
    }
}

/// What the keyed hash of an SMS code covers: the record's id makes equal codes of
/// different sends hash differently.
fn code_secret(verification_id: &str, code: &str) -> String {
    format!("{verification_id}:{code}")
}

fn attempt_limit(ns: &Namespace) -> i64 {
    ns.default_group_policy.mobile_verification_attempts_per_day.unwrap_or(5)
}

/// Count one SMS verification attempt unless the user has used up the day's attempts
/// (a limit below 1 means no limit); whether it was allowed.
async fn attempt_allowed(tx: &mut dyn Tx, user: &User, ns: &Namespace, now: i64) -> Result<bool> {
    let limit = attempt_limit(ns);
    if limit >= 1 && tx.verification_attempts(&user.id, now - DAY_MS).await? >= limit as u64 {
        return Ok(false);
    }
    tx.record_verification_attempt(&user.id, now, now - DAY_MS).await?;
    Ok(true)
}

/// Mark the address `v` verifies as verified on `user`; false when the user no longer has it.
fn mark_verified(user: &mut User, ns: &Namespace, v: &Verification, now_ms: i64) -> bool {
    let now = time::format_ms(now_ms);
    let by = Some(v.kind.verified_by().to_string());
    if v.kind.is_email() {
        match user.emails.iter_mut().find(|e| e.address.eq_ignore_ascii_case(&v.target)) {
            Some(e) => (e.verified, e.verified_by, e.verified_date_time) = (true, by, Some(now.clone())),
            None => return false,
        }
    } else {
        let region = ns.sms_settings.default_region.as_deref();
        let found = match user.mobiles.iter().position(|m| m.number == v.target) {
            Some(i) => Some(i),
            None => user.mobiles.iter().position(|m| phone::same_number(&m.number, &v.target, region)),
        };
        match found {
            Some(i) => {
                let m = &mut user.mobiles[i];
                (m.verified, m.verified_by, m.verified_date_time) = (true, by, Some(now.clone()));
            }
            None => return false,
        }
    }
    user.meta.last_modified = Some(now);
    true
}

/// The user's email address `value` (compared case-insensitively), or its first one.
fn email_of(user: &User, value: Option<&str>) -> Result<String> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => user
            .emails
            .iter()
            .find(|e| e.address.eq_ignore_ascii_case(v))
            .map(|e| e.address.clone())
            .ok_or_else(|| Error::bad(format!("{v} is not an email address of user {}", user.id))),
        None => user
            .primary_email()
            .map(str::to_string)
            .ok_or_else(|| Error::bad(format!("user {} has no email address to verify", user.id))),
    }
}

/// The user's mobile number `value` (compared in E.164 with the namespace's default
/// region), or its first one: as the record spells it, and in E.164 to send to.
fn mobile_of(user: &User, ns: &Namespace, value: Option<&str>) -> Result<(String, String)> {
    let region = ns.sms_settings.default_region.as_deref();
    let number = match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => user
            .mobiles
            .iter()
            .find(|m| phone::same_number(&m.number, v, region))
            .map(|m| m.number.clone())
            .ok_or_else(|| Error::bad(format!("{v} is not a mobile number of user {}", user.id)))?,
        None => user
            .mobiles
            .first()
            .map(|m| m.number.clone())
            .ok_or_else(|| Error::bad(format!("user {} has no mobile number to verify", user.id)))?,
    };
    let to = phone::e164(&number, region).ok_or_else(|| {
        Error::bad(format!(
            "cannot send an SMS to {number}: give the number with its country code (+358…) or set \
             the namespace's smsSettings.defaultRegion"
        ))
    })?;
    Ok((number, to))
}

fn check_return_url(url: Option<String>) -> Result<Option<String>> {
    let Some(url) = url.map(|u| u.trim().to_string()).filter(|u| !u.is_empty()) else { return Ok(None) };
    let lower = url.to_ascii_lowercase();
    let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"));
    let ok = url.len() <= 2048
        && rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/'))
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(Some(url))
    } else {
        Err(Error::bad("returnURL must be an absolute http or https URL"))
    }
}

fn check_days(days: Option<i64>) -> Result<Option<i64>> {
    match days {
        Some(d) if !(1..=MAX_EXPIRATION_DAYS).contains(&d) => {
            Err(Error::bad(format!("expirationDays must be between 1 and {MAX_EXPIRATION_DAYS}, got {d}")))
        }
        other => Ok(other),
    }
}

/// An SMS to `to` from the namespace's originator.
fn sms(ns: &Namespace, to: &str, text: String) -> OutboxMessage {
    let sender = ns.sms_settings.default_originator.clone().filter(|o| !o.trim().is_empty());
    OutboxMessage { sender, text: Some(text), ..OutboxMessage::new(Channel::Sms, to) }
}

/// A mail's subject and bodies.
pub(crate) struct Mail {
    pub(crate) subject: String,
    pub(crate) text: String,
    pub(crate) html: String,
}

/// The languages of the directory's own messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    Fi,
    Sv,
    En,
}

impl Lang {
    /// The language a locale (`fi`, `sv-FI`, `en_GB`) names; `None` for others.
    pub(crate) fn of(locale: &str) -> Option<Lang> {
        let base = locale.trim().split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
        match base.as_str() {
            "fi" => Some(Lang::Fi),
            "sv" => Some(Lang::Sv),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// `fi`, `sv` or `en`.
    pub(crate) fn code(self) -> &'static str {
        match self {
            Lang::Fi => "fi",
            Lang::Sv => "sv",
            Lang::En => "en",
        }
    }
}

/// The language to write to a user in: its locale, else its preferred language, else English.
fn lang(user: &User) -> Lang {
    [user.locale.as_deref(), user.preferred_language.as_deref()]
        .into_iter()
        .flatten()
        .find_map(Lang::of)
        .unwrap_or(Lang::En)
}

/// An instant for people: `2025-01-31 14:05 UTC`.
pub(crate) fn expiry(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// Text made safe for HTML element content and attribute values.
pub(crate) fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A small mail in HTML: paragraphs of text and one button-like link.
pub(crate) fn html_mail(
    lang: Lang,
    paragraphs_before: &[String],
    link: &str,
    link_label: &str,
    after: &[String],
) -> String {
    let p = |list: &[String]| -> String {
        list.iter().map(|t| format!("<p>{}</p>", escape_html(t).replace('\n', "<br>"))).collect()
    };
    let link = escape_html(link);
    format!(
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\"></head>\
         <body style=\"font-family:sans-serif;line-height:1.5;color:#222\">{}\
         <p><a href=\"{link}\" style=\"display:inline-block;padding:.6em 1.2em;background:#1a5fb4;color:#fff;\
         text-decoration:none;border-radius:4px\">{}</a></p>\
         <p style=\"font-size:.9em;color:#555\">{link}</p>{}</body></html>",
        lang.code(),
        p(paragraphs_before),
        escape_html(link_label),
        p(after),
    )
}

fn email_link_mail(lang: Lang, address: &str, link: &str, expires: &str) -> Mail {
    let (subject, hello, ask, label, note) = match lang {
        Lang::Fi => (
            "Vahvista sähköpostiosoitteesi",
            "Hei,".to_string(),
            format!("vahvista, että {address} on sähköpostiosoitteesi, avaamalla tämä linkki:"),
            "Vahvista osoite",
            format!(
                "Linkki toimii kerran ja vanhenee {expires}. Jos et odottanut tätä viestiä, voit jättää sen huomiotta."
            ),
        ),
        Lang::Sv => (
            "Bekräfta din e-postadress",
            "Hej,".to_string(),
            format!("bekräfta att {address} är din e-postadress genom att öppna den här länken:"),
            "Bekräfta adressen",
            format!(
                "Länken fungerar en gång och går ut {expires}. Om du inte väntade dig det här meddelandet kan du bortse från det."
            ),
        ),
        Lang::En => (
            "Verify your email address",
            "Hello,".to_string(),
            format!("please confirm that {address} is your email address by opening this link:"),
            "Verify the address",
            format!("The link works once and expires on {expires}. If you did not expect this message, you can ignore it."),
        ),
    };
    Mail {
        subject: subject.to_string(),
        text: format!("{hello}\r\n\r\n{ask}\r\n\r\n{link}\r\n\r\n{note}\r\n"),
        html: html_mail(lang, &[hello, ask], link, label, &[note]),
    }
}

fn sms_code_text(lang: Lang, code: &str) -> String {
    match lang {
        Lang::Fi => format!("Vahvistuskoodisi on {code}. Se vanhenee {SMS_CODE_MINUTES} minuutissa."),
        Lang::Sv => format!("Din verifieringskod är {code}. Den går ut om {SMS_CODE_MINUTES} minuter."),
        Lang::En => format!("Your verification code is {code}. It expires in {SMS_CODE_MINUTES} minutes."),
    }
}

fn sms_link_text(lang: Lang, link: &str, expires: &str) -> String {
    match lang {
        Lang::Fi => format!("Vahvista puhelinnumerosi avaamalla linkki (vanhenee {expires}): {link}"),
        Lang::Sv => format!("Bekräfta ditt telefonnummer genom att öppna länken (går ut {expires}): {link}"),
        Lang::En => format!("Confirm your phone number by opening this link (expires {expires}): {link}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_urls_are_absolute_http() {
        assert_eq!(check_return_url(None).unwrap(), None);
        assert_eq!(check_return_url(Some("  ".into())).unwrap(), None);
        assert_eq!(
            check_return_url(Some("https://app.example/done?x=1".into())).unwrap().as_deref(),
            Some("https://app.example/done?x=1")
        );
        for bad in ["javascript:alert(1)", "/relative", "https://", "https:///x", "http://a b", "ftp://x"] {
            assert!(check_return_url(Some(bad.into())).is_err(), "{bad}");
        }
    }

    #[test]
    fn languages_follow_the_locale() {
        assert_eq!(Lang::of("fi"), Some(Lang::Fi));
        assert_eq!(Lang::of("sv-FI"), Some(Lang::Sv));
        assert_eq!(Lang::of("en_GB"), Some(Lang::En));
        assert_eq!(Lang::of("de"), None);
        let user = User { preferred_language: Some("sv".into()), ..Default::default() };
        assert_eq!(lang(&user), Lang::Sv);
        assert_eq!(lang(&User::default()), Lang::En);
    }

    #[test]
    fn mails_escape_what_they_quote() {
        let mail =
            email_link_mail(Lang::En, "<a>@x.fi", "https://h/verify/email/t?a=1&b=2", "2030-01-01 00:00 UTC");
        assert!(mail.text.contains("https://h/verify/email/t?a=1&b=2"));
        assert!(mail.html.contains("&lt;a&gt;@x.fi"));
        assert!(mail.html.contains("href=\"https://h/verify/email/t?a=1&amp;b=2\""));
    }

    #[test]
    fn code_texts_carry_the_code() {
        for l in [Lang::Fi, Lang::Sv, Lang::En] {
            assert!(sms_code_text(l, "012345").contains("012345"));
        }
    }
}
