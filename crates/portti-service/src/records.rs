//! Whole users and groups for provisioning dialects (SCIM): a profile with what is kept
//! beside it, read and written at once under its revision, so that a read-modify-write
//! (PATCH, `If-Match`) never loses a concurrent change.

use crate::groups::reachable as reachable_group;
use crate::namespaces::by_code;
use crate::passwords::{requirements, set_password};
use crate::users::{delete_user_in, insert_new_user, reachable, update_user_in};
use crate::{Caller, Directory, ListRequest};
use portti_core::field::Field;
use portti_core::filter::{AttrPath, CompareOp, Filter, Value as FilterValue};
use portti_core::model::{Door, Group, GroupChanges, User, UserChanges};
use portti_core::page::{Page, PageRequest};
use portti_core::permission::Permission;
use portti_core::{time, Error, Result};
use portti_store::{Query, Revised, Scope, Tx};
use serde_json::{Map, Value};

/// A user with what provisioning dialects show beside its profile.
#[derive(Debug, Clone)]
pub struct UserRecord {
    /// The profile (its `revision` is the record's version).
    pub user: User,
    /// Custom fields.
    pub custom_fields: Map<String, Value>,
    /// What provisioning clients keep that the profile has no field for.
    pub provisioned: Map<String, Value>,
    /// The user's groups, with their names.
    pub groups: Vec<(String, String)>,
}

/// A change to a whole user.
#[derive(Debug, Default)]
pub struct UserEdit {
    /// Profile changes (v1 semantics: absent keeps, `null` clears).
    pub changes: UserChanges,
    /// New custom fields, replacing all.
    pub custom_fields: Option<Map<String, Value>>,
    /// New provisioned attributes, replacing all.
    pub provisioned: Option<Map<String, Value>>,
    /// A new password (checked against the namespace's policy).
    pub password: Option<String>,
}

/// Whether a group member is a user or a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberKind {
    /// A user.
    User,
    /// A nested group.
    Group,
}

/// A direct member of a group.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// The member's id.
    pub id: String,
    /// User or group.
    pub kind: MemberKind,
    /// Its username or group name.
    pub display: String,
}

/// A group with its direct members.
#[derive(Debug, Clone)]
pub struct GroupRecord {
    /// The group (its `revision` is the record's version).
    pub group: Group,
    /// Users and groups directly in it, users first; empty unless asked for.
    pub members: Vec<Member>,
}

/// A change to a whole group.
#[derive(Debug, Default)]
pub struct GroupEdit {
    /// A new name.
    pub name: Option<String>,
    /// The new member ids (users or groups of the group's namespace), replacing all.
    pub members: Option<Vec<String>>,
    /// The provisioning client's id for the group (always applied: `None` clears it).
    pub external_id: Option<String>,
}

/// Most members a group record lists (a larger group answers 400 rather than a partial list).
const MAX_MEMBERS: u32 = 100_000;

impl Directory {
    /// A user record by id.
    pub async fn user_record(&self, caller: &Caller, id: &str) -> Result<UserRecord> {
        caller.require(Permission::ACCOUNT_VIEW)?;
        let mut tx = self.read().await?;
        let user = reachable(caller, tx.as_mut(), id).await?;
        record_of(tx.as_mut(), caller, user).await
    }

    /// A page of user records.
    pub async fn user_records(&self, caller: &Caller, req: ListRequest) -> Result<Page<UserRecord>> {
        let page = self.list_users(caller, req).await?;
        let mut tx = self.read().await?;
        let mut items = Vec::with_capacity(page.items.len());
        for user in page.items {
            items.push(record_of(tx.as_mut(), caller, user).await?);
        }
        Ok(Page { items, total: page.total, start: page.start, count: page.count })
    }

    /// Create a user with everything kept beside it, in the caller's default namespace
    /// unless `changes.nsCode` names another.
    pub async fn create_user_record(
        &self,
        caller: &Caller,
        edit: UserEdit,
        door: Door,
    ) -> Result<UserRecord> {
        let UserEdit { mut changes, custom_fields, provisioned, password } = edit;
        if let Some(p) = password {
            changes.password = Field::Value(p);
        }
        let mut new = self.prepare_user(caller, changes, door).await?;
        new.facets.custom_fields = custom_fields.unwrap_or_default();
        new.facets.provisioned = provisioned.unwrap_or_default();
        let mut tx = self.write().await?;
        let user = insert_new_user(tx.as_mut(), new).await?;
        let user = tx.user(&user.id).await?.ok_or_else(|| Error::not_found("user", &user.id))?;
        let record = record_of(tx.as_mut(), caller, user).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Change a user as `edit` decides from its current record, under a lock: when
    /// `expected` is given and the user's revision differs, 412 and nothing changes.
    pub async fn edit_user_record<E: From<Error>>(
        &self,
        caller: &Caller,
        id: &str,
        expected: Option<i64>,
        edit: impl FnOnce(&UserRecord) -> Result<UserEdit, E>,
    ) -> Result<UserRecord, E> {
        caller.require(Permission::ACCOUNT_MODIFY)?;
        let mut tx = self.write().await?;
        lock(tx.as_mut(), Revised::User, id, expected).await?;
        let current = reachable(caller, tx.as_mut(), id).await?;
        let current = record_of(tx.as_mut(), caller, current).await?;
        let UserEdit { changes, custom_fields, provisioned, password } = edit(&current)?;
        let user = update_user_in(caller, tx.as_mut(), id, changes).await?;
        if let Some(p) = password {
            let ns = by_code(caller, tx.as_mut(), &user.ns_code).await?;
            caller.require(Permission::ACCOUNT_PASSWORD_CHANGE)?;
            let hash = self.hash_new_password(&ns, &user, &p).await?;
            set_password(tx.as_mut(), id, &hash, requirements(&ns).history_length).await?;
        }
        if custom_fields.is_some() || provisioned.is_some() {
            let mut facets = tx.facets(id).await?;
            if let Some(c) = custom_fields {
                facets.custom_fields = c;
            }
            if let Some(p) = provisioned {
                facets.provisioned = p;
            }
            tx.put_facets(id, &facets).await?;
        }
        let user = tx.user(id).await?.ok_or_else(|| Error::not_found("user", id))?;
        let record = record_of(tx.as_mut(), caller, user).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// A group record by id, with its members when `with_members`.
    pub async fn group_record(&self, caller: &Caller, id: &str, with_members: bool) -> Result<GroupRecord> {
        caller.require(Permission::GROUP_VIEW)?;
        let mut tx = self.read().await?;
        let group = reachable_group(caller, tx.as_mut(), id).await?;
        group_record_of(tx.as_mut(), group, with_members).await
    }

    /// A page of group records, with their members when `with_members`.
    pub async fn group_records(
        &self,
        caller: &Caller,
        req: ListRequest,
        with_members: bool,
    ) -> Result<Page<GroupRecord>> {
        let page = self.list_groups(caller, req).await?;
        let mut tx = self.read().await?;
        let mut items = Vec::with_capacity(page.items.len());
        for group in page.items {
            items.push(group_record_of(tx.as_mut(), group, with_members).await?);
        }
        Ok(Page { items, total: page.total, start: page.start, count: page.count })
    }

    /// Create a group in `ns_code` (the caller's default namespace when `None`) with members.
    pub async fn create_group_record(
        &self,
        caller: &Caller,
        ns_code: Option<String>,
        edit: GroupEdit,
    ) -> Result<GroupRecord> {
        caller.require(Permission::GROUP_CREATE)?;
        let name = edit.name.ok_or_else(|| Error::bad("a group needs a name"))?;
        let changes = GroupChanges {
            name: Field::Value(name),
            ns_code: Field::Value(caller.namespace_or_default(ns_code)),
            ..Default::default()
        };
        let mut group = self.create_group(caller, changes).await?;
        let mut tx = self.write().await?;
        if edit.external_id.is_some() {
            group.external_id = edit.external_id;
            tx.update_group(&group).await?;
        }
        if let Some(members) = edit.members {
            set_members(caller, tx.as_mut(), &group, members).await?;
        }
        let group = tx.group(&group.id).await?.ok_or_else(|| Error::not_found("group", &group.id))?;
        let record = group_record_of(tx.as_mut(), group, true).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Change a group as `edit` decides from its current record (members included), under
    /// a lock: when `expected` is given and the group's revision differs, 412.
    pub async fn edit_group_record<E: From<Error>>(
        &self,
        caller: &Caller,
        id: &str,
        expected: Option<i64>,
        edit: impl FnOnce(&GroupRecord) -> Result<GroupEdit, E>,
    ) -> Result<GroupRecord, E> {
        caller.require(Permission::GROUP_MODIFY)?;
        let mut tx = self.write().await?;
        lock(tx.as_mut(), Revised::Group, id, expected).await?;
        let group = reachable_group(caller, tx.as_mut(), id).await?;
        let current = group_record_of(tx.as_mut(), group.clone(), true).await?;
        let GroupEdit { name, members, external_id } = edit(&current)?;
        let name = name.map(|n| n.trim().to_string()).unwrap_or_else(|| group.name.clone());
        if name != group.name || external_id != group.external_id {
            let mut changed = group.clone();
            crate::groups::check_name(&name)?;
            changed.name = name;
            changed.external_id = external_id;
            changed.meta.last_modified = Some(time::format_ms(time::now_ms()));
            tx.update_group(&changed).await?;
        }
        if let Some(members) = members {
            set_members(caller, tx.as_mut(), &group, members).await?;
        }
        let group = tx.group(id).await?.ok_or_else(|| Error::not_found("group", id))?;
        let record = group_record_of(tx.as_mut(), group, true).await?;
        tx.commit().await?;
        Ok(record)
    }
}

impl Directory {
    /// Delete a user (as its namespace's policy says) if its revision is still `expected`
    /// (412 otherwise), compared under the lock the delete holds.
    pub async fn delete_user_record(&self, caller: &Caller, id: &str, expected: Option<i64>) -> Result<()> {
        caller.require(Permission::ACCOUNT_DELETE)?;
        let mut tx = self.write().await?;
        reachable(caller, tx.as_mut(), id).await?;
        lock(tx.as_mut(), Revised::User, id, expected).await?;
        delete_user_in(caller, tx.as_mut(), id).await?;
        tx.commit().await
    }

    /// Delete a group if its revision is still `expected` (412 otherwise), compared under
    /// the lock the delete holds.
    pub async fn delete_group_record(&self, caller: &Caller, id: &str, expected: Option<i64>) -> Result<()> {
        caller.require(Permission::GROUP_DELETE)?;
        let mut tx = self.write().await?;
        reachable_group(caller, tx.as_mut(), id).await?;
        lock(tx.as_mut(), Revised::Group, id, expected).await?;
        tx.delete_group(id).await?;
        tx.commit().await
    }
}

/// Lock the resource for this transaction; 412 when its revision is not `expected`,
/// 404 when it is gone.
async fn lock(tx: &mut dyn Tx, kind: Revised, id: &str, expected: Option<i64>) -> Result<()> {
    if tx.lock_revision(kind, id, expected).await? {
        return Ok(());
    }
    let exists = match kind {
        Revised::User => tx.user(id).await?.is_some(),
        Revised::Group => tx.group(id).await?.is_some(),
    };
    match (exists, expected) {
        (true, Some(v)) => Err(Error::PreconditionFailed(format!(
            "the resource changed since version {v}; read it again and retry"
        ))),
        _ => Err(Error::not_found(if kind == Revised::User { "user" } else { "group" }, id)),
    }
}

async fn record_of(tx: &mut dyn Tx, caller: &Caller, user: User) -> Result<UserRecord> {
    let facets = tx.facets(&user.id).await?;
    let mut groups = Vec::with_capacity(user.member_of.len());
    for gid in &user.member_of {
        if let Some(g) = tx.group(gid).await? {
            groups.push((g.id, g.name));
        }
    }
    Ok(UserRecord {
        user: crate::present::user(caller, user),
        custom_fields: facets.custom_fields,
        provisioned: facets.provisioned,
        groups,
    })
}

/// Every user or group whose `memberOf` holds `group_id`, in the group's namespace.
fn members_query(group: &Group) -> Query {
    let filter = Filter::Compare {
        path: AttrPath(vec!["memberOf".into()]),
        op: CompareOp::Eq,
        value: FilterValue::Str(group.id.clone()),
    };
    Query {
        filter: Some(filter),
        scope: Scope::Namespaces(vec![group.ns_code.clone()]),
        page: PageRequest { start: 0, count: MAX_MEMBERS, sort: None },
        text_case: Default::default(),
    }
}

async fn group_record_of(tx: &mut dyn Tx, group: Group, with_members: bool) -> Result<GroupRecord> {
    let mut members = Vec::new();
    if with_members {
        let q = members_query(&group);
        let users = tx.find_users(&q).await?;
        if users.total > u64::from(MAX_MEMBERS) {
            return Err(Error::bad(format!(
                "group {} has more than {MAX_MEMBERS} members to list",
                group.id
            )));
        }
        let kind = MemberKind::User;
        members.extend(users.items.into_iter().map(|u| Member { id: u.id, kind, display: u.username }));
        let groups = tx.find_groups(&q).await?;
        let kind = MemberKind::Group;
        members.extend(groups.items.into_iter().map(|g| Member { id: g.id, kind, display: g.name }));
    }
    Ok(GroupRecord { group, members })
}

/// Make exactly `wanted` (user and group ids) the direct members of `group`.
async fn set_members(caller: &Caller, tx: &mut dyn Tx, group: &Group, wanted: Vec<String>) -> Result<()> {
    let current = group_record_of(tx, group.clone(), true).await?.members;
    let now = time::format_ms(time::now_ms());
    for m in current.iter().filter(|m| !wanted.contains(&m.id)) {
        toggle_membership(tx, group, m.kind, &m.id, false, &now).await?;
    }
    for id in wanted.iter().filter(|w| !current.iter().any(|m| &m.id == *w)) {
        let kind = member_kind(caller, tx, group, id).await?;
        toggle_membership(tx, group, kind, id, true, &now).await?;
    }
    Ok(())
}

/// Whether `id` is a user or a group that may join `group`; 400 otherwise.
async fn member_kind(caller: &Caller, tx: &mut dyn Tx, group: &Group, id: &str) -> Result<MemberKind> {
    let refuse = || Error::bad(format!("member {id} is no user or group of namespace {}", group.ns_code));
    if let Some(u) = tx.user(id).await? {
        return if u.ns_code == group.ns_code && caller.reaches(&u.ns_code) {
            Ok(MemberKind::User)
        } else {
            Err(refuse())
        };
    }
    match tx.group(id).await? {
        Some(g) if g.id == group.id => Err(Error::bad("a group cannot be a member of itself")),
        Some(g) if g.ns_code == group.ns_code => {
            let below = tx.group_descendants(id).await?;
            if below.iter().any(|d| d.id == group.id) {
                return Err(Error::bad(format!("group {id} contains group {}: no cycles", group.id)));
            }
            Ok(MemberKind::Group)
        }
        _ => Err(refuse()),
    }
}

async fn toggle_membership(
    tx: &mut dyn Tx,
    group: &Group,
    kind: MemberKind,
    id: &str,
    join: bool,
    now: &str,
) -> Result<()> {
    let apply = |list: &mut Vec<String>| {
        list.retain(|g| g != &group.id);
        if join {
            list.push(group.id.clone());
        }
    };
    match kind {
        MemberKind::User => {
            let Some(mut u) = tx.user(id).await? else { return Ok(()) };
            apply(&mut u.member_of);
            u.meta.last_modified = Some(now.to_string());
            tx.update_user(&u).await
        }
        MemberKind::Group => {
            let Some(mut g) = tx.group(id).await? else { return Ok(()) };
            apply(&mut g.member_of);
            g.meta.last_modified = Some(now.to_string());
            tx.update_group(&g).await
        }
    }
}
