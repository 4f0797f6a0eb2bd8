//! Invitations (U11): a mail with a single-use registration link per invited address; the
//! link's page lets the person choose a password (and a username, when the namespace's
//! policy is `MANUAL`) and makes them a user of the namespace and groups they were invited to.
//!
//! Inviting needs `ACCOUNT_CREATE`, as creating the user directly would.

use crate::namespaces::by_code;
use crate::outbox::enqueue;
use crate::passwords::requirements;
use crate::users::insert_new_user;
use crate::verification::{expiry, html_mail, Lang, Mail};
use crate::{Caller, Directory};
use portti_core::field::Field;
use portti_core::model::{Channel, Door, EmailInput, Invite, ManagementClient, Namespace, UserChanges};
use portti_core::password::{check, Holder, PasswordRequirements};
use portti_core::permission::Permission;
use portti_core::username::UsernamePolicy;
use portti_core::{id, time, Error, Result};
use portti_store::Tx;

/// Days an invitation works.
pub const INVITE_DAYS: i64 = 7;
/// Most addresses one request may invite.
const MAX_INVITES: usize = 100;
const DAY_MS: i64 = 24 * 3600 * 1000;

/// `POST invite/user`.
#[derive(Debug, Clone, Default)]
pub struct InviteRequest {
    /// Addresses to invite.
    pub emails: Vec<String>,
    /// The namespace they join; `None`: the caller's default.
    pub ns_code: Option<String>,
    /// Groups (names or ids, existing in the namespace) they join.
    pub groups: Vec<String>,
    /// `fi`, `sv` or `en` (also `fi-FI` and the like); `None`: `en`.
    pub locale: Option<String>,
    /// The mail's subject instead of the default one.
    pub subject: Option<String>,
    /// The mail's text instead of the default one (the link is added after it).
    pub body_text: Option<String>,
}

/// What an invitation request did.
#[derive(Debug, Clone, PartialEq)]
pub struct InviteSummary {
    /// The namespace.
    pub ns_code: String,
    /// The addresses mailed.
    pub invited: Vec<String>,
    /// When the links stop working (ISO-8601).
    pub expires: String,
}

/// What the registration page shows about an open invitation.
#[derive(Debug, Clone, PartialEq)]
pub struct InvitePage {
    /// The invited address.
    pub email: String,
    /// The namespace's name (or code).
    pub namespace: String,
    /// `fi`, `sv` or `en`.
    pub locale: String,
    /// Whether the person chooses a username (the namespace's policy is `MANUAL`).
    pub asks_username: bool,
    /// What the password must be like.
    pub requirements: PasswordRequirements,
}

/// The state of an invitation link.
#[derive(Debug, Clone, PartialEq)]
pub enum InviteState {
    /// It can be used: show the form.
    Open(InvitePage),
    /// No such invitation.
    Unknown,
    /// It was used already.
    Used,
    /// Its time ran out.
    Expired,
}

/// What the registration form sent.
#[derive(Debug, Clone, Default)]
pub struct Registration {
    /// The chosen username (read only when the page asks for one).
    pub username: Option<String>,
    /// The password.
    pub password: String,
    /// The password again.
    pub password_again: String,
}

/// What submitting the registration form did.
#[derive(Debug, Clone, PartialEq)]
pub enum RegistrationOutcome {
    /// The user exists now.
    Registered {
        /// Its id.
        user_id: String,
        /// Its username.
        username: String,
        /// The invitation it answered.
        page: InvitePage,
    },
    /// Nothing was created; the form again, with what to fix.
    Refused {
        /// The form.
        page: InvitePage,
        /// What to fix, in plain words.
        problems: Vec<String>,
    },
    /// The invitation cannot be used (unknown, used or expired).
    Closed(InviteState),
}

impl Directory {
    /// U11: record an invitation per address and mail each its registration link, in one transaction.
    pub async fn invite_users(&self, caller: &Caller, req: InviteRequest) -> Result<InviteSummary> {
        caller.require(Permission::ACCOUNT_CREATE)?;
        let emails = check_emails(req.emails)?;
        let lang = match req.locale.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
            None => Lang::En,
            Some(l) => {
                Lang::of(l).ok_or_else(|| Error::bad(format!("locale must be fi, sv or en, got '{l}'")))?
            }
        };
        let subject = check_text("subject", req.subject, 255)?;
        let body_text = check_text("bodyText", req.body_text, 20_000)?;
        let code = caller.namespace_or_default(req.ns_code);
        let mut tx = self.write().await?;
        let ns = by_code(caller, tx.as_mut(), &code).await.map_err(|e| match e {
            Error::NotFound(m) => Error::BadRequest(m),
            other => other,
        })?;
        let groups = existing_groups(tx.as_mut(), &ns, req.groups).await?;
        let now = time::now_ms();
        let expires_ms = now + INVITE_DAYS * DAY_MS;
        for email in &emails {
            let token = crate::secrets::random_secret();
            let invite = Invite {
                id: id::new_id(),
                hash: self.secret_key.hash(&token),
                ns_code: ns.code.clone(),
                email: email.clone(),
                groups: groups.clone(),
                locale: lang.code().into(),
                invited_by: caller.id().to_string(),
                created_ms: now,
                expires_ms,
                used_ms: None,
                user_id: None,
            };
            tx.insert_invite(&invite).await?;
            let link = format!("{}/invite/{token}", self.public_url());
            let mail =
                invite_mail(lang, &ns, &link, &expiry(expires_ms), subject.as_deref(), body_text.as_deref());
            enqueue(
                tx.as_mut(),
                Channel::Email,
                email,
                Some(&mail.subject),
                Some(&mail.text),
                Some(&mail.html),
                Vec::new(),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(InviteSummary { ns_code: ns.code, invited: emails, expires: time::format_ms(expires_ms) })
    }

    /// The invitation a registration link carries (the public page).
    pub async fn open_invite(&self, token: &str) -> Result<InviteState> {
        let mut tx = self.read().await?;
        Ok(match self.usable_invite(tx.as_mut(), token).await? {
            Ok((_, ns, invite)) => InviteState::Open(page(&ns, &invite)),
            Err(closed) => closed,
        })
    }

    /// Register through an invitation: check the form against the namespace's policy,
    /// create the user (its invited email verified by `INVITE`) in the invitation's namespace
    /// and groups, and spend the invitation, in one transaction.
    pub async fn accept_invite(&self, token: &str, form: Registration) -> Result<RegistrationOutcome> {
        let (ns, invite) = match self.usable_invite(self.read().await?.as_mut(), token).await? {
            Ok((_, ns, invite)) => (ns, invite),
            Err(closed) => return Ok(RegistrationOutcome::Closed(closed)),
        };
        let page = page(&ns, &invite);
        let username = if page.asks_username {
            form.username.map(|u| u.trim().to_string()).filter(|u| !u.is_empty())
        } else {
            None
        };
        let mut problems = Vec::new();
        if page.asks_username && username.is_none() {
            problems.push("Choose a username.".to_string());
        }
        if form.password != form.password_again {
            problems.push("The two passwords differ.".to_string());
        }
        let emails = [invite.email.as_str()];
        let holder = Holder { username: username.as_deref().unwrap_or_default(), emails: &emails };
        let broken = check(&form.password, &page.requirements, &holder);
        problems.extend(broken.into_iter().map(|v| format!("The password {}.", v.message)));
        if !problems.is_empty() {
            return Ok(RegistrationOutcome::Refused { page, problems });
        }

        let changes = UserChanges {
            ns_code: Field::Value(invite.ns_code.clone()),
            username: username.map(Field::Value).unwrap_or_default(),
            emails: Field::Value(vec![EmailInput::Full {
                address: Some(invite.email.clone()),
                name: None,
                verified: Some(true),
                tags: None,
            }]),
            locale: Field::Value(invite.locale.clone()),
            password: Field::Value(form.password),
            ..Default::default()
        };
        let caller = system_caller();
        let refused = |e: Error, page: &InvitePage| match e {
            Error::BadRequest(m) | Error::Conflict(m) => {
                Ok(RegistrationOutcome::Refused { page: page.clone(), problems: vec![m] })
            }
            other => Err(other),
        };
        let mut new = match self.prepare_user(&caller, changes, Door::Invite).await {
            Ok(new) => new,
            Err(e) => return refused(e, &page),
        };
        if let Some(e) = new.user.emails.first_mut() {
            e.verified_by = Some("INVITE".into());
        }

        let mut tx = self.write().await?;
        let invite = match self.usable_invite(tx.as_mut(), token).await? {
            Ok((_, _, invite)) => invite,
            Err(closed) => return Ok(RegistrationOutcome::Closed(closed)),
        };
        let mut groups = Vec::new();
        for g in &invite.groups {
            if tx.group(g).await?.is_some_and(|group| group.ns_code == invite.ns_code) {
                groups.push(g.clone());
            }
        }
        new.groups = groups;
        let user = match insert_new_user(tx.as_mut(), new).await {
            Ok(user) => user,
            Err(e) => return refused(e, &page),
        };
        if !tx.spend_invite(&invite.id, &user.id, time::now_ms()).await? {
            return Ok(RegistrationOutcome::Closed(InviteState::Used));
        }
        tx.commit().await?;
        Ok(RegistrationOutcome::Registered { user_id: user.id, username: user.username, page })
    }

    /// The open invitation `token` names, with its namespace; or why it is closed.
    async fn usable_invite(
        &self,
        tx: &mut dyn Tx,
        token: &str,
    ) -> Result<std::result::Result<((), Namespace, Invite), InviteState>> {
        if token.is_empty() || token.len() > 128 {
            return Ok(Err(InviteState::Unknown));
        }
        let invite = match tx.invite_by_hash(&self.secret_key.hash(token)).await? {
            Some(i) if self.secret_key.verify(token, &i.hash) => i,
            _ => return Ok(Err(InviteState::Unknown)),
        };
        if invite.used_ms.is_some() {
            return Ok(Err(InviteState::Used));
        }
        if invite.expires_ms <= time::now_ms() {
            return Ok(Err(InviteState::Expired));
        }
        match tx.namespace(&invite.ns_code).await? {
            Some(ns) if ns.code == invite.ns_code => Ok(Ok(((), ns, invite))),
            _ => Ok(Err(InviteState::Unknown)),
        }
    }
}

/// The caller an invitation acts as when the invited person registers: it may create
/// users in any namespace, and nothing is done with it but that.
fn system_caller() -> Caller {
    Caller::client(&ManagementClient {
        id: "invitation".into(),
        name: "invitation".into(),
        permissions: vec![Permission::ACCOUNT_CREATE],
        namespaces: None,
        default_namespace: None,
        created: String::new(),
    })
}

fn page(ns: &Namespace, invite: &Invite) -> InvitePage {
    InvitePage {
        email: invite.email.clone(),
        namespace: display_name(ns),
        locale: invite.locale.clone(),
        asks_username: ns.username_policy == UsernamePolicy::Manual,
        requirements: requirements(ns),
    }
}

fn display_name(ns: &Namespace) -> String {
    ns.name.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| ns.code.clone())
}

fn check_emails(emails: Vec<String>) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for e in emails {
        let e = e.trim().to_string();
        let plausible = e.len() <= 254
            && e.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty() && domain.contains('.') && !domain.contains('@') && !domain.starts_with('.')
            })
            && !e.chars().any(|c| c.is_whitespace() || c.is_control() || "<>,;\"".contains(c));
        if !plausible {
            return Err(Error::bad(format!("'{e}' is not an email address")));
        }
        if !out.iter().any(|o| o.eq_ignore_ascii_case(&e)) {
            out.push(e);
        }
    }
    if out.is_empty() {
        return Err(Error::bad("emails must list at least one address"));
    }
    if out.len() > MAX_INVITES {
        return Err(Error::bad(format!("at most {MAX_INVITES} addresses can be invited at once")));
    }
    Ok(out)
}

fn check_text(name: &str, value: Option<String>, max: usize) -> Result<Option<String>> {
    let Some(v) = value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty()) else { return Ok(None) };
    if v.chars().count() > max {
        return Err(Error::bad(format!("{name} is longer than {max} characters")));
    }
    if name == "subject" && v.chars().any(char::is_control) {
        return Err(Error::bad("subject must be one line"));
    }
    Ok(Some(v))
}

/// Group references (ids or names) as ids of groups of the namespace; an unknown one is a 400.
async fn existing_groups(tx: &mut dyn Tx, ns: &Namespace, refs: Vec<String>) -> Result<Vec<String>> {
    let mut ids: Vec<String> = Vec::new();
    for r in refs.into_iter().map(|r| r.trim().to_string()).filter(|r| !r.is_empty()) {
        let found = match tx.group(&r).await? {
            Some(g) if g.ns_code == ns.code => Some(g),
            _ => tx.group_by_name(&ns.code, &r).await?,
        };
        let group =
            found.ok_or_else(|| Error::bad(format!("group {r} not found in namespace {}", ns.code)))?;
        if !ids.contains(&group.id) {
            ids.push(group.id);
        }
    }
    Ok(ids)
}

fn invite_mail(
    lang: Lang,
    ns: &Namespace,
    link: &str,
    expires: &str,
    subject: Option<&str>,
    body_text: Option<&str>,
) -> Mail {
    let name = display_name(ns);
    let (default_subject, hello, ask, label, note) = match lang {
        Lang::Fi => (
            format!("Kutsu palveluun {name}"),
            "Hei,".to_string(),
            format!("sinut on kutsuttu luomaan tunnus palveluun {name}. Avaa tämä linkki ja valitse salasanasi:"),
            "Luo tunnus",
            format!("Kutsu toimii kerran ja vanhenee {expires}."),
        ),
        Lang::Sv => (
            format!("Inbjudan till {name}"),
            "Hej,".to_string(),
            format!("du har blivit inbjuden att skapa ett konto i {name}. Öppna den här länken och välj ditt lösenord:"),
            "Skapa konto",
            format!("Inbjudan fungerar en gång och går ut {expires}."),
        ),
        Lang::En => (
            format!("You are invited to {name}"),
            "Hello,".to_string(),
            format!("you have been invited to create an account in {name}. Open this link to choose your password:"),
            "Create your account",
            format!("The invitation works once and expires on {expires}."),
        ),
    };
    let subject = subject.map(str::to_string).unwrap_or(default_subject);
    match body_text {
        Some(body) => Mail {
            subject,
            text: format!(
                "{}\r\n\r\n{link}\r\n\r\n{note}\r\n",
                body.replace("\r\n", "\n").replace('\n', "\r\n")
            ),
            html: html_mail(
                lang,
                &body.split("\n\n").map(str::to_string).collect::<Vec<_>>(),
                link,
                label,
                &[note],
            ),
        },
        None => Mail {
            subject,
            text: format!("{hello}\r\n\r\n{ask}\r\n\r\n{link}\r\n\r\n{note}\r\n"),
            html: html_mail(lang, &[hello, ask], link, label, &[note]),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_and_deduplicated() {
        let ok = check_emails(vec![" a@x.fi ".into(), "A@X.FI".into(), "b@y.org".into()]).unwrap();
        assert_eq!(ok, vec!["a@x.fi", "b@y.org"]);
        assert!(check_emails(vec![]).is_err());
        for bad in ["nobody", "a@b", "a b@x.fi", "<a@x.fi>", "a@x.fi, b@x.fi"] {
            assert!(check_emails(vec![bad.into()]).is_err(), "{bad}");
        }
    }

    #[test]
    fn mails_carry_the_link_in_the_given_language() {
        let ns = Namespace { code: "acc".into(), name: Some("Acme".into()), ..Default::default() };
        let m = invite_mail(Lang::Fi, &ns, "https://h/invite/T", "2030-01-01 00:00 UTC", None, None);
        assert!(
            m.subject.contains("Acme")
                && m.text.contains("https://h/invite/T")
                && m.html.contains("https://h/invite/T")
        );
        assert!(m.text.contains("Hei"));
        let m = invite_mail(Lang::En, &ns, "https://h/invite/T", "x", Some("Join us"), Some("Hello <you>!"));
        assert_eq!(m.subject, "Join us");
        assert!(m.text.starts_with("Hello <you>!") && m.text.contains("https://h/invite/T"));
        assert!(m.html.contains("Hello &lt;you&gt;!"));
    }
}
