//! Email templates: kept per namespace (a template may serve several), listed and read by
//! the clients of those namespaces, and rendered into one outbox mail per recipient.

use crate::messaging::check_address;
use crate::outbox::enqueue_message;
use crate::users::reachable;
use crate::{in_write, query, Caller, Directory, ListRequest};
use portti_core::field::Field;
use portti_core::model::{
    check_locale, check_property_key, check_time_zone, Channel, EmailTemplate, EmailTemplateChanges, Meta,
    OutboxMessage, RenderedMail, SendMessageOptions, User,
};
use portti_core::page::Page;
use portti_core::permission::Permission;
use portti_core::{id, time, Error, Result};
use portti_store::{Scope, Tx};
use serde_json::{json, Map, Value};

/// Most recipients one send may name.
const MAX_RECIPIENTS: usize = 1000;

impl Directory {
    /// A page of the templates visible in the caller's namespaces (all for a caller
    /// that reaches every namespace).
    pub async fn list_email_templates(
        &self,
        caller: &Caller,
        req: ListRequest,
    ) -> Result<Page<EmailTemplate>> {
        caller.require(Permission::EMAIL_TEMPLATE_VIEW)?;
        let q = query(caller, req)?;
        let mut tx = self.read().await?;
        let visible = reachable_namespace_ids(caller, tx.as_mut()).await?;
        tx.find_email_templates(&q, visible.as_deref()).await
    }

    /// A template visible to the caller.
    pub async fn email_template(&self, caller: &Caller, id: &str) -> Result<EmailTemplate> {
        caller.require(Permission::EMAIL_TEMPLATE_VIEW)?;
        visible(caller, self.read().await?.as_mut(), id).await
    }

    /// Create a template. `namespaceIds` (ids or codes) must be namespaces the caller
    /// reaches; a caller limited to some namespaces gets its default one when it names none.
    pub async fn create_email_template(
        &self,
        caller: &Caller,
        changes: EmailTemplateChanges,
    ) -> Result<EmailTemplate> {
        caller.require(Permission::EMAIL_TEMPLATE_MODIFY)?;
        let now = time::format_ms(time::now_ms());
        let mut t = EmailTemplate { id: id::new_id(), ..Default::default() };
        let namespaces = changes.apply(&mut t)?;
        t.meta = Meta { created: Some(now.clone()), last_modified: Some(now), location: None };
        in_write!(self, |tx| {
            let mut ids =
                resolve_namespaces(caller, tx.as_mut(), namespaces.value().unwrap_or_default()).await?;
            if ids.is_empty() && !caller.unrestricted() {
                ids =
                    resolve_namespaces(caller, tx.as_mut(), vec![caller.default_namespace().into()]).await?;
            }
            t.namespace_ids = ids;
            tx.insert_email_template(&t).await?
        });
        Ok(t)
    }

    /// Update a template with a full object (absent keys keep their value). The caller's
    /// changes to `namespaceIds` apply to the namespaces it reaches; the others stay.
    pub async fn update_email_template(
        &self,
        caller: &Caller,
        id: &str,
        changes: EmailTemplateChanges,
    ) -> Result<EmailTemplate> {
        caller.require(Permission::EMAIL_TEMPLATE_MODIFY)?;
        let t = in_write!(self, |tx| {
            let mut t = visible(caller, tx.as_mut(), id).await?;
            let namespaces = changes.apply(&mut t)?;
            if let Field::Value(_) | Field::Null = namespaces {
                let given =
                    resolve_namespaces(caller, tx.as_mut(), namespaces.value().unwrap_or_default()).await?;
                let mut kept = Vec::new();
                if let Some(mine) = reachable_namespace_ids(caller, tx.as_mut()).await? {
                    kept.extend(t.namespace_ids.iter().filter(|n| !mine.contains(n)).cloned());
                    if given.is_empty() {
                        return Err(Error::bad(
                            "namespaceIds must name at least one namespace you can reach",
                        ));
                    }
                }
                for n in given {
                    if !kept.contains(&n) {
                        kept.push(n);
                    }
                }
                t.namespace_ids = kept;
            }
            t.meta.last_modified = Some(time::format_ms(time::now_ms()));
            tx.update_email_template(&t).await?;
            t
        });
        Ok(t)
    }

    /// Delete a template. A caller limited to some namespaces may delete only templates
    /// that serve none beyond them.
    pub async fn delete_email_template(&self, caller: &Caller, id: &str) -> Result<()> {
        caller.require(Permission::EMAIL_TEMPLATE_MODIFY)?;
        in_write!(self, |tx| {
            let t = visible(caller, tx.as_mut(), id).await?;
            if let Some(mine) = reachable_namespace_ids(caller, tx.as_mut()).await? {
                if t.namespace_ids.iter().any(|n| !mine.contains(n)) {
                    return Err(Error::Forbidden(format!(
                        "email template {id} also serves namespaces outside your reach; \
                         remove yours from its namespaceIds instead"
                    )));
                }
            }
            tx.delete_email_template(id).await?
        });
        Ok(())
    }

    /// T3: one mail per recipient from a template. Each recipient's address is its
    /// `emailAddress`, else the primary address of its `userId`; its locale and time zone
    /// are its own, else its user's, else the request's, else the template's; its
    /// properties are the request's overlaid with its own. Everything is checked and
    /// rendered before anything is queued.
    pub async fn send_email_template(
        &self,
        caller: &Caller,
        id: &str,
        opts: SendMessageOptions,
    ) -> Result<()> {
        caller.require(Permission::EMAIL_SEND)?;
        if opts.recipients.is_empty() {
            return Err(Error::bad("the request names no recipients"));
        }
        if opts.recipients.len() > MAX_RECIPIENTS {
            return Err(Error::bad(format!("at most {MAX_RECIPIENTS} recipients per request")));
        }
        check_properties(&opts.properties)?;
        for (field, value) in
            [("preferredLocale", &opts.preferred_locale), ("preferredTimezone", &opts.preferred_timezone)]
        {
            check_preference(field, value.as_deref())?;
        }
        let mut tx = self.write().await?;
        let t = visible(caller, tx.as_mut(), id).await?;
        let mut messages = Vec::new();
        for (i, r) in opts.recipients.iter().enumerate() {
            check_properties(&r.properties)?;
            check_preference("preferredLocale", r.preferred_locale.as_deref())?;
            check_preference("preferredTimezone", r.preferred_timezone.as_deref())?;
            let user_id = r.user_id.as_deref().map(str::trim).filter(|u| !u.is_empty());
            let user = match user_id {
                Some(uid) => Some(reachable(caller, tx.as_mut(), uid).await?),
                None => None,
            };
            let given = r.email_address.as_deref().map(str::trim).filter(|a| !a.is_empty());
            let address = match (given, &user) {
                (Some(a), _) => check_address(a)?,
                (None, Some(u)) => check_address(u.primary_email().ok_or_else(|| {
                    Error::bad(format!("recipient {}: user {} has no email address", i + 1, u.id))
                })?)?,
                (None, None) => {
                    return Err(Error::bad(format!(
                        "recipient {} has neither an emailAddress nor a userId",
                        i + 1
                    )))
                }
            };
            let prefer = |own: &Option<String>,
                          of_user: Option<&String>,
                          top: &Option<String>,
                          default: &Option<String>| {
                [own.as_ref(), of_user, top.as_ref(), default.as_ref()]
                    .into_iter()
                    .flatten()
                    .map(|s| s.trim())
                    .find(|s| !s.is_empty())
                    .map(str::to_string)
            };
            let user_locale = user.as_ref().and_then(|u| {
                u.locale.as_ref().or(u.preferred_language.as_ref()).filter(|l| check_locale(l).is_ok())
            });
            let user_tz =
                user.as_ref().and_then(|u| u.time_zone.as_ref().filter(|z| check_time_zone(z).is_ok()));
            let locale = prefer(&r.preferred_locale, user_locale, &opts.preferred_locale, &t.default_locale);
            let time_zone =
                prefer(&r.preferred_timezone, user_tz, &opts.preferred_timezone, &t.default_time_zone);
            let mut properties = Map::new();
            properties.insert("emailAddress".into(), Value::String(address.clone()));
            if let Some(l) = &locale {
                properties.insert("locale".into(), Value::String(l.clone()));
            }
            if let Some(z) = &time_zone {
                properties.insert("timeZone".into(), Value::String(z.clone()));
            }
            if let Some(u) = &user {
                properties.insert("user".into(), user_properties(u));
            }
            properties.extend(opts.properties.clone());
            properties.extend(r.properties.clone());
            let mail = t.render(locale.as_deref(), &properties)?;
            let msg = mail_message(&address, mail);
            msg.validate().map_err(|e| Error::bad(format!("recipient {}: {e}", i + 1)))?;
            messages.push(msg);
        }
        for msg in messages {
            enqueue_message(tx.as_mut(), msg).await?;
        }
        tx.commit().await
    }
}

/// Render a template in `tx`; with a caller, only a template visible to it (404 otherwise).
/// Properties with `.` in their names are refused (400).
pub(crate) async fn render_template_in(
    tx: &mut dyn Tx,
    caller: Option<&Caller>,
    template_id: &str,
    locale: Option<&str>,
    properties: &Map<String, Value>,
) -> Result<RenderedMail> {
    check_properties(properties)?;
    let t = match caller {
        Some(c) => visible(c, tx, template_id).await?,
        None => tx
            .email_template(template_id)
            .await?
            .ok_or_else(|| Error::not_found("email template", template_id))?,
    };
    t.render(locale, properties)
}

/// The outbox mail of a rendered template.
fn mail_message(to: &str, mail: RenderedMail) -> OutboxMessage {
    OutboxMessage {
        subject: Some(mail.subject).filter(|s| !s.is_empty()),
        text: mail.text,
        html: mail.html,
        ..OutboxMessage::new(Channel::Email, to)
    }
}

/// What a template may say about a recipient user: `{{user.name.givenName}}` and so on.
pub(crate) fn user_properties(u: &User) -> Value {
    let mut v = json!({
        "id": u.id,
        "username": u.username,
        "nsCode": u.ns_code,
        "name": {
            "givenName": u.name.given_name,
            "middleName": u.name.middle_name,
            "familyName": u.name.family_name,
        },
        "nickName": u.nick_name,
        "email": u.primary_email(),
        "mobile": u.mobiles.first().map(|m| m.number.clone()),
        "locale": u.locale,
        "timeZone": u.time_zone,
    });
    strip_nulls(&mut v);
    v
}

fn strip_nulls(v: &mut Value) {
    if let Value::Object(m) = v {
        m.retain(|_, x| !x.is_null());
        m.values_mut().for_each(strip_nulls);
    }
}

/// 400 unless every key (also inside objects) can be named in a template.
fn check_properties(props: &Map<String, Value>) -> Result<()> {
    fn walk(v: &Value) -> Result<()> {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    check_property_key(k)?;
                    walk(x)?;
                }
                Ok(())
            }
            Value::Array(list) => list.iter().try_for_each(walk),
            _ => Ok(()),
        }
    }
    for (k, v) in props {
        check_property_key(k)?;
        walk(v)?;
    }
    Ok(())
}

fn check_preference(field: &str, value: Option<&str>) -> Result<()> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(()),
        Some(v) if field == "preferredLocale" => check_locale(v),
        Some(v) => check_time_zone(v),
    }
}

/// The template, or 404 when it does not exist or serves none of the caller's namespaces.
async fn visible(caller: &Caller, tx: &mut dyn Tx, id: &str) -> Result<EmailTemplate> {
    let t = tx.email_template(id).await?.ok_or_else(|| Error::not_found("email template", id))?;
    match reachable_namespace_ids(caller, tx).await? {
        Some(mine) if !t.namespace_ids.iter().any(|n| mine.contains(n)) => {
            Err(Error::not_found("email template", id))
        }
        _ => Ok(t),
    }
}

/// The ids of the namespaces the caller reaches; `None` when it reaches every namespace.
async fn reachable_namespace_ids(caller: &Caller, tx: &mut dyn Tx) -> Result<Option<Vec<String>>> {
    match caller.scope() {
        Scope::All => Ok(None),
        Scope::Namespaces(codes) => {
            let mut ids = Vec::new();
            for code in codes {
                if let Some(ns) = tx.namespace(&code).await?.filter(|ns| ns.code == code) {
                    ids.push(ns.id);
                }
            }
            Ok(Some(ids))
        }
    }
}

/// Namespace ids or codes as ids of namespaces the caller reaches (404 for others).
async fn resolve_namespaces(caller: &Caller, tx: &mut dyn Tx, refs: Vec<String>) -> Result<Vec<String>> {
    let mut ids: Vec<String> = Vec::new();
    for r in refs {
        let r = r.trim().to_string();
        let ns = match tx.namespace(&r).await? {
            Some(ns) if caller.reaches(&ns.code) => ns,
            _ => return Err(Error::not_found("namespace", &r)),
        };
        if !ids.contains(&ns.id) {
            ids.push(ns.id);
        }
    }
    Ok(ids)
}
