//! Accounts: the users of the caller's service (its default namespace) as the Accounts API
//! sees them, each with a role in the service and a role in each of its groups.
//!
//! Accounts are users: every rule of creating, changing and deleting users applies, and
//! each operation here is one transaction that also keeps the roles beside the user.

use crate::namespaces::by_code;
use crate::users::{delete_user_in, insert_new_user, update_user_in};
use crate::{Caller, Directory, Reading};
use portti_core::field::Field;
use portti_core::filter::{AttrPath, CompareOp, Filter, Value as Literal};
use portti_core::model::{Door, EmailInput, Namespace, User, UserChanges, UserFacets};
use portti_core::page::PageRequest;
use portti_core::permission::Permission;
use portti_core::username::UsernamePolicy;
use portti_core::{Error, Result};
use portti_store::{Query, Scope, Tx};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// The page size when a list names none.
pub const DEFAULT_LIMIT: u32 = 50;
/// The largest page a list answers; larger requests are clamped.
pub const MAX_LIMIT: u32 = 100;
/// The longest search term accepted.
const MAX_SEARCH_LEN: usize = 1000;

/// A role in the service or in a group. The Accounts API knows two, by id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AccountRole {
    /// `"0"`: an ordinary user (the default).
    #[default]
    User,
    /// `"1"`: an administrator.
    Administrator,
}

impl AccountRole {
    /// Every role, in id order.
    pub const ALL: [AccountRole; 2] = [AccountRole::User, AccountRole::Administrator];

    /// The role's id on the wire.
    pub fn id(self) -> &'static str {
        match self {
            AccountRole::User => "0",
            AccountRole::Administrator => "1",
        }
    }

    /// The role's display name.
    pub fn name(self) -> &'static str {
        match self {
            AccountRole::User => "User",
            AccountRole::Administrator => "Administrator",
        }
    }

    /// The role with this id; 400 naming `what` when there is none.
    pub fn from_id(id: &str, what: &str) -> Result<Self> {
        let id = id.trim();
        Self::ALL.into_iter().find(|r| r.id() == id).ok_or_else(|| {
            Error::bad(format!("unknown {what} '{id}': use \"0\" (User) or \"1\" (Administrator)"))
        })
    }

    /// A stored role id; anything unknown reads as the default.
    fn stored(id: Option<&str>) -> Self {
        id.and_then(|id| Self::from_id(id, "role").ok()).unwrap_or_default()
    }
}

/// An account: a user of the service with its roles.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    /// The user id.
    pub id: String,
    /// The username.
    pub login: String,
    /// The primary email address.
    pub email: Option<String>,
    /// The preferred language (ISO 639-1).
    pub language: Option<String>,
    /// Not locked.
    pub active: bool,
    /// The role in the service.
    pub role: AccountRole,
    /// The groups of the service the account belongs to, in membership order.
    pub memberships: Vec<Membership>,
    /// When the user was created.
    pub created: Option<String>,
    /// When the user last changed.
    pub modified: Option<String>,
    /// The last successful authentication.
    pub last_authenticated: Option<String>,
    /// Which door created the user (`0` when unknown: the admin console).
    pub provisioning_id: i64,
}

/// A group membership with the member's role in the group.
#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    /// The group id.
    pub group_id: String,
    /// The group name.
    pub group_name: String,
    /// The member's role in the group.
    pub role: AccountRole,
}

/// The writable fields of an account, for a create or a full replace.
#[derive(Debug, Clone, Default)]
pub struct AccountChanges {
    /// The username: on create, absent means the namespace's username policy makes one;
    /// on replace, absent keeps it.
    pub login: Option<String>,
    /// The primary email address; on replace it takes the first place and the others stay.
    pub email: Option<String>,
    /// ISO 639-1: two lowercase letters.
    pub language: Option<String>,
    /// Not locked (default true).
    pub active: Option<bool>,
    /// A role id (default `"0"`).
    pub role: Option<String>,
    /// Group memberships (default none).
    pub memberships: Option<Vec<MembershipChange>>,
}

/// A requested membership.
#[derive(Debug, Clone, Default)]
pub struct MembershipChange {
    /// A group id in the service or, failing that, a group name in it.
    pub group: Option<String>,
    /// A role id (default `"0"`).
    pub role: Option<String>,
}

/// A list request: a 0-based page and its size, and optional search terms.
#[derive(Debug, Clone, Default)]
pub struct AccountSearch {
    /// 0-based page number.
    pub page: u64,
    /// Page size (default [`DEFAULT_LIMIT`], clamped to [`MAX_LIMIT`]).
    pub limit: Option<u64>,
    /// Exact username, case-insensitively.
    pub login: Option<String>,
    /// Exact email address (any of the account's), case-insensitively.
    pub email: Option<String>,
    /// Part of the username, an email address, the given or the family name.
    pub q: Option<String>,
}

/// One page of accounts.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountPage {
    /// The page number.
    pub page: u64,
    /// The effective page size.
    pub limit: u32,
    /// Whether a later page has accounts.
    pub has_more: bool,
    /// The accounts of this page, in creation order.
    pub accounts: Vec<Account>,
}

impl Directory {
    /// A page of the service's accounts, in creation order.
    pub async fn list_accounts(&self, caller: &Caller, search: AccountSearch) -> Result<AccountPage> {
        caller.require(Permission::ACCOUNT_VIEW)?;
        let limit = effective_limit(search.limit)?;
        let filter = search_filter(&search)?;
        let start = search.page.saturating_mul(u64::from(limit));
        let mut tx = self.read().await?;
        let ns = service(caller, tx.as_mut()).await?;
        let filter = match caller.only_user() {
            Some(me) => Some(and(filter, compare("id", CompareOp::Eq, me))),
            None => filter,
        };
        let query = Query {
            filter,
            scope: Scope::Namespaces(vec![ns.code]),
            page: PageRequest::new(start, Some(limit), None),
            text_case: Default::default(),
        };
        let page = tx.find_users(&query).await?;
        let has_more = page.total > start.saturating_add(page.items.len() as u64);
        let mut names = GroupNames::default();
        let mut accounts = Vec::with_capacity(page.items.len());
        for user in page.items {
            accounts.push(load(tx.as_mut(), &mut names, user).await?);
        }
        Ok(AccountPage { page: search.page, limit, has_more, accounts })
    }

    /// An account of the service by id, read in `reading`.
    pub async fn account_in(&self, reading: &mut Reading, caller: &Caller, id: &str) -> Result<Account> {
        caller.require(Permission::ACCOUNT_VIEW)?;
        let tx = reading.tx().await?;
        let ns = service(caller, &mut *tx).await?;
        let user = in_service(caller, &mut *tx, &ns, id).await?;
        load(tx, &mut GroupNames::default(), user).await
    }

    /// Create an account in the service, as a user that came in through the Accounts API.
    pub async fn create_account(&self, caller: &Caller, changes: AccountChanges) -> Result<Account> {
        caller.require(Permission::ACCOUNT_CREATE)?;
        let role = role(changes.role.as_deref(), "role.id")?;
        let user_changes = UserChanges {
            ns_code: Field::Value(caller.default_namespace().to_string()),
            username: present(changes.login).map_or(Field::Absent, Field::Value),
            email: present(changes.email).map_or(Field::Absent, Field::Value),
            preferred_language: language(changes.language)?.map_or(Field::Absent, Field::Value),
            locked: Field::Value(!changes.active.unwrap_or(true)),
            ..Default::default()
        };
        let mut new = self.prepare_user(caller, user_changes, Door::AccountsApi).await?;
        let mut tx = self.write().await?;
        let ns = service(caller, tx.as_mut()).await?;
        if new.user.username.is_empty() && ns.username_policy == UsernamePolicy::Manual {
            return Err(Error::bad(format!(
                "login is required: service {} has username policy MANUAL",
                ns.code
            )));
        }
        let memberships = resolve(tx.as_mut(), &ns, changes.memberships.unwrap_or_default()).await?;
        new.groups = memberships.iter().map(|m| m.group_id.clone()).collect();
        new.facets.service_role = Some(role.id().into());
        new.facets.group_roles = group_roles(&memberships);
        let facets = new.facets.clone();
        let user = insert_new_user(tx.as_mut(), new).await?;
        tx.commit().await?;
        Ok(account(user, &facets, memberships))
    }

    /// Replace the writable fields of an account of the service: absent ones get their
    /// defaults, except the login, which keeps its value.
    pub async fn update_account(
        &self,
        caller: &Caller,
        id: &str,
        changes: AccountChanges,
    ) -> Result<Account> {
        caller.require(Permission::ACCOUNT_MODIFY)?;
        let role = role(changes.role.as_deref(), "role.id")?;
        let language = language(changes.language)?;
        let mut tx = self.write().await?;
        let ns = service(caller, tx.as_mut()).await?;
        let current = in_service(caller, tx.as_mut(), &ns, id).await?;
        let memberships = resolve(tx.as_mut(), &ns, changes.memberships.unwrap_or_default()).await?;
        let user_changes = UserChanges {
            username: present(changes.login).map_or(Field::Absent, Field::Value),
            emails: Field::Value(with_primary(&current, present(changes.email))),
            preferred_language: language.map_or(Field::Null, Field::Value),
            locked: Field::Value(!changes.active.unwrap_or(true)),
            member_of: Field::Value(memberships.iter().map(|m| m.group_id.clone()).collect()),
            ..Default::default()
        };
        let user = update_user_in(caller, tx.as_mut(), id, user_changes).await?;
        let mut facets = tx.facets(id).await?;
        facets.service_role = Some(role.id().into());
        facets.group_roles = group_roles(&memberships);
        tx.put_facets(id, &facets).await?;
        tx.commit().await?;
        Ok(account(user, &facets, memberships))
    }

    /// Delete an account of the service as its namespace's delete mode says.
    pub async fn delete_account(&self, caller: &Caller, id: &str) -> Result<()> {
        caller.require(Permission::ACCOUNT_DELETE)?;
        let mut tx = self.write().await?;
        let ns = service(caller, tx.as_mut()).await?;
        in_service(caller, tx.as_mut(), &ns, id).await?;
        delete_user_in(caller, tx.as_mut(), id).await?;
        tx.commit().await
    }
}

/// The caller's service: its default namespace (404 when it cannot reach it).
async fn service(caller: &Caller, tx: &mut dyn Tx) -> Result<Namespace> {
    by_code(caller, tx, caller.default_namespace()).await
}

/// The user, or 404 when it does not exist, lies outside the service or is not the
/// caller's to see.
async fn in_service(caller: &Caller, tx: &mut dyn Tx, ns: &Namespace, id: &str) -> Result<User> {
    match tx.user(id).await? {
        Some(user) if user.ns_code == ns.code && caller.sees_user(&user.id) => Ok(user),
        _ => Err(Error::not_found("account", id)),
    }
}

/// The page size a request asks for, clamped.
fn effective_limit(limit: Option<u64>) -> Result<u32> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(0) => Err(Error::bad(format!("limit must be between 1 and {MAX_LIMIT}, got 0"))),
        Some(n) => Ok(n.min(u64::from(MAX_LIMIT)) as u32),
    }
}

/// The filter of the search terms (all must match), built as an AST.
fn search_filter(search: &AccountSearch) -> Result<Option<Filter>> {
    let term = |name: &str, value: &Option<String>| -> Result<Option<String>> {
        match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            Some(v) if v.chars().count() > MAX_SEARCH_LEN => {
                Err(Error::bad(format!("{name} is longer than {MAX_SEARCH_LEN} characters")))
            }
            v => Ok(v.map(str::to_string)),
        }
    };
    let mut all = Vec::new();
    if let Some(login) = term("login", &search.login)? {
        all.push(compare("username", CompareOp::Eq, &login));
    }
    if let Some(email) = term("email", &search.email)? {
        all.push(compare("emails", CompareOp::Eq, &email));
    }
    if let Some(q) = term("q", &search.q)? {
        let any = ["username", "emails", "name.givenName", "name.familyName"]
            .into_iter()
            .map(|attr| compare(attr, CompareOp::Co, &q))
            .reduce(|a, b| Filter::Or(Box::new(a), Box::new(b)));
        all.extend(any);
    }
    Ok(all.into_iter().reduce(|a, b| Filter::And(Box::new(a), Box::new(b))))
}

/// `extra`, and `filter` when there is one.
fn and(filter: Option<Filter>, extra: Filter) -> Filter {
    match filter {
        Some(f) => Filter::And(Box::new(f), Box::new(extra)),
        None => extra,
    }
}

fn compare(attr: &str, op: CompareOp, value: &str) -> Filter {
    Filter::Compare {
        path: AttrPath(attr.split('.').map(str::to_string).collect()),
        op,
        value: Literal::Str(value.to_string()),
    }
}

/// A role id as given, or the default.
fn role(id: Option<&str>, what: &str) -> Result<AccountRole> {
    id.map_or(Ok(AccountRole::default()), |id| AccountRole::from_id(id, what))
}

/// A language must be ISO 639-1: two lowercase letters. Empty means none.
fn language(given: Option<String>) -> Result<Option<String>> {
    match present(given) {
        Some(l) if l.len() == 2 && l.bytes().all(|b| b.is_ascii_lowercase()) => Ok(Some(l)),
        Some(l) => Err(Error::bad(format!(
            "language must be an ISO 639-1 code of two lowercase letters, like \"fr\"; got '{l}'"
        ))),
        None => Ok(None),
    }
}

/// A trimmed text, unless empty.
fn present(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty())
}

/// The user's email list with `primary` in first place (or the first removed when
/// `None`); the other addresses keep their labels, tags and verification.
fn with_primary(user: &User, primary: Option<String>) -> Vec<EmailInput> {
    let keep = |e: &portti_core::model::EmailAddress| EmailInput::Full {
        address: Some(e.address.clone()),
        name: e.name.clone(),
        verified: Some(e.verified),
        tags: Some(e.tags.clone()),
    };
    let mut list = Vec::with_capacity(user.emails.len() + 1);
    if let Some(address) = &primary {
        match user.emails.first() {
            Some(first) if first.address.eq_ignore_ascii_case(address) => list.push(EmailInput::Full {
                address: Some(address.clone()),
                name: first.name.clone(),
                verified: Some(first.verified),
                tags: Some(first.tags.clone()),
            }),
            _ => list.push(EmailInput::Plain(address.clone())),
        }
    }
    let others = user.emails.iter().skip(1);
    list.extend(
        others.filter(|e| primary.as_ref().is_none_or(|p| !e.address.eq_ignore_ascii_case(p))).map(keep),
    );
    list
}

/// Requested memberships as groups of the service; unknown groups and roles are 400.
/// A group listed twice with the same role counts once.
async fn resolve(
    tx: &mut dyn Tx,
    ns: &Namespace,
    requested: Vec<MembershipChange>,
) -> Result<Vec<Membership>> {
    let mut out: Vec<Membership> = Vec::with_capacity(requested.len());
    for (i, m) in requested.into_iter().enumerate() {
        let reference =
            present(m.group).ok_or_else(|| Error::bad(format!("memberships[{i}].group.id is required")))?;
        let role = role(m.role.as_deref(), &format!("memberships[{i}].role.id"))?;
        let group = match tx.group(&reference).await? {
            Some(g) if g.ns_code == ns.code => Some(g),
            _ => tx.group_by_name(&ns.code, &reference).await?,
        };
        let group = group.ok_or_else(|| {
            Error::bad(format!("memberships[{i}].group.id: no group '{reference}' in service {}", ns.code))
        })?;
        match out.iter().find(|o| o.group_id == group.id) {
            Some(o) if o.role == role => {}
            Some(_) => {
                return Err(Error::bad(format!(
                    "memberships: group '{reference}' is listed twice with different roles"
                )))
            }
            None => out.push(Membership { group_id: group.id, group_name: group.name, role }),
        }
    }
    Ok(out)
}

/// The per-group roles kept beside the user.
fn group_roles(memberships: &[Membership]) -> Map<String, Value> {
    memberships.iter().map(|m| (m.group_id.clone(), Value::String(m.role.id().into()))).collect()
}

/// Group names already read in this transaction, by id.
type GroupNames = HashMap<String, String>;

/// The account of a stored user: its facets and the names of its groups.
async fn load(tx: &mut dyn Tx, names: &mut GroupNames, user: User) -> Result<Account> {
    let facets = tx.facets(&user.id).await?;
    let mut memberships = Vec::with_capacity(user.member_of.len());
    for group_id in &user.member_of {
        let group_name = match names.get(group_id) {
            Some(name) => name.clone(),
            None => {
                let name = tx.group(group_id).await?.map_or_else(|| group_id.clone(), |g| g.name);
                names.insert(group_id.clone(), name.clone());
                name
            }
        };
        let role = AccountRole::stored(facets.group_roles.get(group_id).and_then(Value::as_str));
        memberships.push(Membership { group_id: group_id.clone(), group_name, role });
    }
    Ok(account(user, &facets, memberships))
}

fn account(user: User, facets: &UserFacets, memberships: Vec<Membership>) -> Account {
    Account {
        email: user.primary_email().map(str::to_string),
        id: user.id,
        login: user.username,
        language: user.preferred_language,
        active: !user.locked,
        role: AccountRole::stored(facets.service_role.as_deref()),
        memberships,
        created: user.meta.created,
        modified: user.meta.last_modified,
        last_authenticated: facets.last_authenticated.clone(),
        provisioning_id: facets.provisioning_id.unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use portti_core::model::EmailAddress;

    #[test]
    fn roles_by_id() {
        assert_eq!(AccountRole::from_id("1", "role.id").unwrap(), AccountRole::Administrator);
        assert_eq!(AccountRole::from_id(" 0 ", "role.id").unwrap().name(), "User");
        let e = AccountRole::from_id("2", "role.id").unwrap_err();
        assert!(e.to_string().contains("role.id '2'"), "{e}");
        assert_eq!(AccountRole::stored(Some("junk")), AccountRole::User);
        assert_eq!(AccountRole::stored(None), AccountRole::User);
    }

    #[test]
    fn limits_and_languages() {
        assert_eq!(effective_limit(None).unwrap(), 50);
        assert_eq!(effective_limit(Some(1000)).unwrap(), 100);
        assert_eq!(effective_limit(Some(7)).unwrap(), 7);
        assert!(effective_limit(Some(0)).is_err());
        assert_eq!(language(Some("fr".into())).unwrap().as_deref(), Some("fr"));
        assert_eq!(language(Some(" ".into())).unwrap(), None);
        for bad in ["FR", "fra", "f", "f1", "é1"] {
            assert!(language(Some(bad.into())).is_err(), "{bad}");
        }
    }

    #[test]
    fn search_terms_become_one_filter() {
        let s = AccountSearch { login: Some("Ann".into()), q: Some("x".into()), ..Default::default() };
        match search_filter(&s).unwrap() {
            Some(Filter::And(a, b)) => {
                assert_eq!(*a, compare("username", CompareOp::Eq, "Ann"));
                assert!(matches!(*b, Filter::Or(..)));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(search_filter(&AccountSearch::default()).unwrap(), None);
        let blank = AccountSearch { email: Some("  ".into()), ..Default::default() };
        assert_eq!(search_filter(&blank).unwrap(), None);
        let long = AccountSearch { q: Some("x".repeat(MAX_SEARCH_LEN + 1)), ..Default::default() };
        assert!(search_filter(&long).is_err());
    }

    #[test]
    fn primary_email_is_replaced_and_others_kept() {
        let email = |a: &str, verified| EmailAddress { address: a.into(), verified, ..Default::default() };
        let user = User { emails: vec![email("a@x.fi", true), email("b@x.fi", false)], ..Default::default() };
        let addresses = |list: Vec<EmailInput>| -> Vec<String> {
            list.into_iter()
                .map(|e| match e {
                    EmailInput::Plain(a) => a,
                    EmailInput::Full { address, .. } => address.unwrap(),
                })
                .collect()
        };
        assert_eq!(addresses(with_primary(&user, Some("c@x.fi".into()))), ["c@x.fi", "b@x.fi"]);
        assert_eq!(addresses(with_primary(&user, Some("B@x.fi".into()))), ["B@x.fi"]);
        assert_eq!(addresses(with_primary(&user, Some("A@X.FI".into()))), ["A@X.FI", "b@x.fi"]);
        assert_eq!(addresses(with_primary(&user, None)), ["b@x.fi"]);
        assert!(with_primary(&User::default(), None).is_empty());
    }
}
