//! Users: create (with username policies and group resolution), read, list, update, delete.

use crate::groups::resolve_or_create;
use crate::namespaces::{by_code, reached};
use crate::{present, query, Caller, Directory, ListRequest, Reading};
use portti_core::field::Field;
use portti_core::filter::{AttrPath, CompareOp, Filter, Value};
use portti_core::model::{Door, Meta, Namespace, User, UserChanges, UserFacets};
use portti_core::page::Page;
use portti_core::permission::Permission;
use portti_core::username::UsernameSource;
use portti_core::{id, time, Error, Result};
use portti_store::{Tx, WholeUser};

/// How many generated usernames to try before giving up.
const USERNAME_ATTEMPTS: u32 = 20;

impl Directory {
    /// Create a user: the namespace defaults to the caller's, the username to the
    /// namespace's policy, and `memberOf` names become groups when missing. A password is
    /// checked against the namespace's policy.
    pub async fn create_user(&self, caller: &Caller, changes: UserChanges, door: Door) -> Result<User> {
        let mut new = self.prepare_user(caller, changes, door).await?;
        let user = if new.username.is_some() && new.groups.is_empty() {
            // Nothing to read in the write: the store may write it together with others.
            new.check(true)?;
            let (whole, ns) = new.into_whole();
            let user = whole.user.clone();
            self.store
                .insert_one_user(whole)
                .await
                .map_err(|e| claim_failed(e, true, &ns, &user.username))?;
            user
        } else {
            let mut tx = self.write().await?;
            let user = insert_new_user(tx.as_mut(), new).await?;
            tx.commit().await?;
            user
        };
        Ok(present::user(caller, user))
    }

    /// Check a create request and hash its password, before any write transaction opens.
    pub(crate) async fn prepare_user(
        &self,
        caller: &Caller,
        mut changes: UserChanges,
        door: Door,
    ) -> Result<NewUser> {
        caller.require(Permission::ACCOUNT_CREATE)?;
        let code = caller.namespace_or_default(std::mem::take(&mut changes.ns_code).value());
        let username = std::mem::take(&mut changes.username).value().map(|u| u.trim().to_string());
        let username = username.filter(|u| !u.is_empty());
        let groups = std::mem::take(&mut changes.member_of).value().unwrap_or_default();
        let password = std::mem::take(&mut changes.password).value().filter(|p| !p.is_empty());
        let now = time::format_ms(time::now_ms());
        let mut user = User { id: id::new_id(), ..Default::default() };
        changes.apply(&mut user, &now)?;
        user.user_account_type.get_or_insert_with(|| "PERSON".into());
        user.meta = Meta { created: Some(now.clone()), last_modified: Some(now.clone()), location: None };

        let ns = reached(caller, self.store.lookup_namespace(&code).await?, &code)?;
        check_limits(&ns, &user)?;
        user.username = username.clone().unwrap_or_default();
        let hash = match &password {
            Some(p) => Some(self.hash_new_password(&ns, &user, p).await?),
            None => None,
        };
        let facets = UserFacets {
            password_changed: hash.is_some().then(|| now.clone()),
            provisioning_id: Some(door as i64),
            ..Default::default()
        };
        Ok(NewUser { user, ns, username, groups, password, hash, facets, now })
    }

    /// A user by id.
    pub async fn user(&self, caller: &Caller, id: &str) -> Result<User> {
        self.user_in(&mut self.reading().await?, caller, id).await
    }

    /// [`Directory::user`], reading in `reading`.
    pub async fn user_in(&self, reading: &mut Reading, caller: &Caller, id: &str) -> Result<User> {
        caller.require(Permission::ACCOUNT_VIEW)?;
        Ok(present::user(caller, visible(caller, reading.user(id).await?, id)?))
    }

    /// A page of the users the caller may see.
    pub async fn list_users(&self, caller: &Caller, req: ListRequest) -> Result<Page<User>> {
        self.list_users_in(&mut self.reading().await?, caller, req).await
    }

    /// [`Directory::list_users`], reading in `reading`.
    pub async fn list_users_in(
        &self,
        reading: &mut Reading,
        caller: &Caller,
        req: ListRequest,
    ) -> Result<Page<User>> {
        caller.require(Permission::ACCOUNT_VIEW)?;
        let mut q = query(caller, req)?;
        if let Some(me) = caller.only_user() {
            let mine = Filter::Compare {
                path: AttrPath(vec!["id".into()]),
                op: CompareOp::Eq,
                value: Value::Str(me.into()),
            };
            q.filter = Some(match q.filter.take() {
                Some(f) => Filter::And(Box::new(f), Box::new(mine)),
                None => mine,
            });
        }
        Ok(reading.tx().await?.find_users(&q).await?.map(|u| present::user(caller, u)))
    }

    /// Apply a full-object update: absent keys keep their value, `null` clears optional
    /// ones, and server-managed fields never change.
    pub async fn update_user(&self, caller: &Caller, id: &str, changes: UserChanges) -> Result<User> {
        caller.require(Permission::ACCOUNT_MODIFY)?;
        let mut tx = self.write().await?;
        let user = update_user_in(caller, tx.as_mut(), id, changes).await?;
        tx.commit().await?;
        Ok(present::user(caller, user))
    }

    /// Delete a user as its namespace's `deleteMode` says: `HARD_DELETE` removes it;
    /// `SOFT_DELETE` locks it and keeps it (hidden when `hideOnSoftDelete`), so its username stays taken.
    pub async fn delete_user(&self, caller: &Caller, id: &str) -> Result<()> {
        caller.require(Permission::ACCOUNT_DELETE)?;
        let mut tx = self.write().await?;
        delete_user_in(caller, tx.as_mut(), id).await?;
        tx.commit().await
    }
}

/// A checked create request, ready for [`insert_new_user`]; callers may add to its facets.
pub(crate) struct NewUser {
    pub(crate) user: User,
    /// The namespace as read when checking the request (the insert's foreign key makes
    /// sure it still exists).
    ns: Namespace,
    username: Option<String>,
    /// Group ids or names; unknown names become groups.
    pub(crate) groups: Vec<String>,
    password: Option<String>,
    hash: Option<String>,
    /// Stored beside the user (`provisioningId` already set).
    pub(crate) facets: UserFacets,
    now: String,
}

impl NewUser {
    /// Take the username (`given` by the client, or generated) and check it and the password
    /// against the namespace's rules.
    fn check(&mut self, given: bool) -> Result<()> {
        self.user.username = self.username.clone().unwrap_or_default();
        if given {
            check_username(&self.user.username)?;
        }
        match &self.password {
            Some(p) => crate::passwords::check_username_rule(&self.ns, &self.user, p),
            None => Ok(()),
        }
    }

    /// The user to store (its groups already resolved into `memberOf`), and its namespace.
    fn into_whole(self) -> (WholeUser, Namespace) {
        let NewUser { mut user, ns, facets, hash, .. } = self;
        user.ns_code = ns.code.clone();
        (WholeUser { user, facets, password_hash: hash, hidden: false, history: Vec::new() }, ns)
    }
}

/// Insert a prepared user in `tx` (not committed): claim or generate its username and
/// resolve its groups. Returns the stored user.
pub(crate) async fn insert_new_user(tx: &mut dyn Tx, mut new: NewUser) -> Result<User> {
    // A given username is claimed by the insert itself (its unique index), in one statement.
    let given = new.username.is_some();
    if !given {
        new.user.ns_code = new.ns.code.clone();
        new.username = Some(generate_username(tx, &new.ns, &new.user).await?);
    }
    new.check(given)?;
    let groups = std::mem::take(&mut new.groups);
    new.user.member_of = resolve_or_create(tx, &new.ns.code, groups, &new.now).await?;
    let (whole, ns) = new.into_whole();
    let user = whole.user.clone();
    tx.insert_users(vec![whole]).await.map_err(|e| claim_failed(e, given, &ns, &user.username))?;
    Ok(user)
}

/// An insert's conflict, as the taken username when the client chose it.
fn claim_failed(e: Error, given: bool, ns: &Namespace, username: &str) -> Error {
    match e {
        Error::Conflict(_) if given => username_taken(ns, username),
        other => other,
    }
}

/// Apply a full-object update in `tx` (not committed); see [`Directory::update_user`].
pub(crate) async fn update_user_in(
    caller: &Caller,
    tx: &mut dyn Tx,
    id: &str,
    mut changes: UserChanges,
) -> Result<User> {
    caller.require(Permission::ACCOUNT_MODIFY)?;
    let username = std::mem::take(&mut changes.username).value();
    let groups = std::mem::take(&mut changes.member_of);
    let ns_code = std::mem::take(&mut changes.ns_code).value();
    changes.password = Field::Absent;
    let now = time::format_ms(time::now_ms());
    let mut user = reachable(caller, tx, id).await?;
    if ns_code.as_ref().is_some_and(|c| c != &user.ns_code) {
        return Err(Error::bad(format!(
            "user {id} is in namespace {}; use migratenamespace to move it",
            user.ns_code
        )));
    }
    let ns = by_code(caller, tx, &user.ns_code.clone()).await?;
    changes.apply(&mut user, &now)?;
    check_limits(&ns, &user)?;
    if let Some(given) = username.map(|u| u.trim().to_string()).filter(|u| !u.is_empty()) {
        if given.to_lowercase() != user.username.to_lowercase() {
            user.username = claim_username(tx, &ns, given).await?;
        } else {
            user.username = given;
        }
    }
    match groups {
        Field::Absent => {}
        Field::Null => user.member_of.clear(),
        Field::Value(list) => user.member_of = resolve_or_create(tx, &ns.code, list, &now).await?,
    }
    user.meta.last_modified = Some(now);
    tx.update_user(&user).await?;
    Ok(user)
}

/// Delete a user in `tx` (not committed); see [`Directory::delete_user`].
pub(crate) async fn delete_user_in(caller: &Caller, tx: &mut dyn Tx, id: &str) -> Result<()> {
    caller.require(Permission::ACCOUNT_DELETE)?;
    let mut user = reachable(caller, tx, id).await?;
    let ns = by_code(caller, tx, &user.ns_code.clone()).await?;
    let policy = &ns.default_group_policy;
    if policy.delete_mode.as_deref() == Some("SOFT_DELETE") {
        let now = time::format_ms(time::now_ms());
        user.locked = true;
        user.meta.last_modified = Some(now.clone());
        tx.update_user(&user).await?;
        let mut facets = tx.facets(id).await?;
        facets.deleted = Some(now);
        tx.put_facets(id, &facets).await?;
        if policy.hide_on_soft_delete == Some(true) {
            tx.hide_user(id).await?;
        }
        Ok(())
    } else {
        tx.delete_user(id).await
    }
}

/// The user, or 404 when it does not exist or lies outside the caller's namespaces.
pub(crate) async fn reachable(caller: &Caller, tx: &mut dyn Tx, id: &str) -> Result<User> {
    visible(caller, tx.user(id).await?, id)
}

/// The user `found` by `id`, if the caller may see it; 404 otherwise.
fn visible(caller: &Caller, found: Option<User>, id: &str) -> Result<User> {
    match found {
        Some(u) if caller.reaches(&u.ns_code) && caller.sees_user(&u.id) => Ok(u),
        _ => Err(Error::not_found("user", id)),
    }
}

pub(crate) fn check_limits(ns: &Namespace, user: &User) -> Result<()> {
    let max = ns.comm_method_max_qty as usize;
    if user.emails.len() > max || user.mobiles.len() > max {
        return Err(Error::bad(format!(
            "namespace {} allows at most {max} email addresses and {max} mobile numbers per user",
            ns.code
        )));
    }
    Ok(())
}

/// A client-given username, if well-formed and free in the namespace.
pub(crate) async fn claim_username(tx: &mut dyn Tx, ns: &Namespace, name: String) -> Result<String> {
    check_username(&name)?;
    if tx.username_taken(&ns.code, &name).await? {
        return Err(username_taken(ns, &name));
    }
    Ok(name)
}

/// A client-given (non-empty) username must be at most 255 printable characters.
pub(crate) fn check_username(name: &str) -> Result<()> {
    if name.chars().count() > 255 || name.chars().any(|c| c.is_control()) {
        return Err(Error::bad("a username is 1-255 printable characters"));
    }
    Ok(())
}

/// The conflict of a username already taken in the namespace.
pub(crate) fn username_taken(ns: &Namespace, name: &str) -> Error {
    Error::Conflict(format!("username {name} is already taken in namespace {}", ns.code))
}

/// A fresh username from the namespace's policy.
pub(crate) async fn generate_username(tx: &mut dyn Tx, ns: &Namespace, user: &User) -> Result<String> {
    generate_username_besides(tx, ns, user, &Default::default()).await
}

/// A fresh username from the namespace's policy, free in the store and not in `also_taken`
/// (lowercased names about to be stored in the same transaction).
pub(crate) async fn generate_username_besides(
    tx: &mut dyn Tx,
    ns: &Namespace,
    user: &User,
    also_taken: &std::collections::HashSet<String>,
) -> Result<String> {
    let source = UsernameSource { email: user.primary_email(), name: &user.name };
    for attempt in 0..USERNAME_ATTEMPTS {
        let candidate = ns.username_policy.generate(&source, attempt, &mut rand::thread_rng())?;
        if !also_taken.contains(&candidate.to_lowercase()) && !tx.username_taken(&ns.code, &candidate).await?
        {
            return Ok(candidate);
        }
    }
    Err(Error::Conflict(format!("no free username found in namespace {}; give one explicitly", ns.code)))
}
