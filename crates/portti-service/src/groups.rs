//! Groups: create, read, list, update, delete, nesting.

use crate::namespaces::by_code;
use crate::{in_write, query, Caller, Directory, ListRequest};
use portti_core::field::Field;
use portti_core::model::{Group, GroupChanges, Meta};
use portti_core::page::Page;
use portti_core::permission::Permission;
use portti_core::{id, time, Error, Result};
use portti_store::Tx;

impl Directory {
    /// Create a group in a namespace the caller reaches.
    pub async fn create_group(&self, caller: &Caller, mut changes: GroupChanges) -> Result<Group> {
        caller.require(Permission::GROUP_CREATE)?;
        let code = match std::mem::take(&mut changes.ns_code) {
            Field::Value(c) => c,
            _ => return Err(Error::bad("a group needs an nsCode")),
        };
        let now = time::format_ms(time::now_ms());
        let mut tx = self.write().await?;
        let ns = by_code(caller, tx.as_mut(), &code).await?;
        let mut group = Group { id: id::new_id(), ns_code: ns.code, ..Default::default() };
        let parents = changes.apply(&mut group);
        check_name(&group.name)?;
        group.member_of = resolve_parents(tx.as_mut(), &group, parents.value().unwrap_or_default()).await?;
        group.meta = Meta { created: Some(now.clone()), last_modified: Some(now), location: None };
        tx.insert_group(&group).await?;
        tx.commit().await?;
        Ok(group)
    }

    /// A group by id.
    pub async fn group(&self, caller: &Caller, id: &str) -> Result<Group> {
        caller.require(Permission::GROUP_VIEW)?;
        reachable(caller, self.read().await?.as_mut(), id).await
    }

    /// A page of the groups the caller may see.
    pub async fn list_groups(&self, caller: &Caller, req: ListRequest) -> Result<Page<Group>> {
        caller.require(Permission::GROUP_VIEW)?;
        let q = query(caller, req)?;
        self.read().await?.find_groups(&q).await
    }

    /// Apply a full-object update to a group (its namespace never changes).
    pub async fn update_group(&self, caller: &Caller, id: &str, mut changes: GroupChanges) -> Result<Group> {
        caller.require(Permission::GROUP_MODIFY)?;
        let mut tx = self.write().await?;
        let mut group = reachable(caller, tx.as_mut(), id).await?;
        if let Field::Value(code) = std::mem::take(&mut changes.ns_code) {
            if code != group.ns_code {
                return Err(Error::bad(format!(
                    "group {id} belongs to namespace {}; nsCode cannot change",
                    group.ns_code
                )));
            }
        }
        let parents = changes.apply(&mut group);
        check_name(&group.name)?;
        match parents {
            Field::Absent => {}
            Field::Null => group.member_of.clear(),
            Field::Value(list) => {
                group.member_of = resolve_parents(tx.as_mut(), &group, list).await?;
                let below = tx.group_descendants(&group.id).await?;
                if let Some(p) = group.member_of.iter().find(|p| below.iter().any(|g| &&g.id == p)) {
                    return Err(Error::bad(format!(
                        "group {p} is nested inside {id}, so it cannot be its parent"
                    )));
                }
            }
        }
        group.meta.last_modified = Some(time::format_ms(time::now_ms()));
        tx.update_group(&group).await?;
        tx.commit().await?;
        Ok(group)
    }

    /// Delete a group; it disappears from every user's and group's `memberOf`.
    pub async fn delete_group(&self, caller: &Caller, id: &str) -> Result<()> {
        caller.require(Permission::GROUP_DELETE)?;
        in_write!(self, |tx| {
            reachable(caller, tx.as_mut(), id).await?;
            tx.delete_group(id).await?
        });
        Ok(())
    }

    /// Every group nested under this one, transitively.
    pub async fn nested_groups(&self, caller: &Caller, id: &str) -> Result<Vec<Group>> {
        caller.require(Permission::GROUP_VIEW)?;
        let mut tx = self.read().await?;
        reachable(caller, tx.as_mut(), id).await?;
        tx.group_descendants(id).await
    }
}

/// The group, or 404 when it does not exist or lies outside the caller's namespaces.
pub(crate) async fn reachable(caller: &Caller, tx: &mut dyn Tx, id: &str) -> Result<Group> {
    match tx.group(id).await? {
        Some(g) if caller.reaches(&g.ns_code) => Ok(g),
        _ => Err(Error::not_found("group", id)),
    }
}

pub(crate) fn check_name(name: &str) -> Result<()> {
    if name.trim().is_empty() || name.len() > 255 || name.chars().any(char::is_control) {
        return Err(Error::bad("a group needs a name of 1-255 printable characters"));
    }
    Ok(())
}

/// Parent references (ids or names) as ids of groups in the same namespace.
async fn resolve_parents(tx: &mut dyn Tx, group: &Group, refs: Vec<String>) -> Result<Vec<String>> {
    let mut ids: Vec<String> = Vec::new();
    for r in refs {
        let found = match tx.group(&r).await? {
            Some(g) if g.ns_code == group.ns_code => Some(g),
            _ => tx.group_by_name(&group.ns_code, &r).await?,
        };
        let parent = found.ok_or_else(|| {
            Error::bad(format!("parent group {r} not found in namespace {}", group.ns_code))
        })?;
        if parent.id == group.id {
            return Err(Error::bad("a group cannot be its own parent"));
        }
        if !ids.contains(&parent.id) {
            ids.push(parent.id);
        }
    }
    Ok(ids)
}

/// Group references (ids or names) as ids in `ns_code`; unknown names become new groups.
pub(crate) async fn resolve_or_create(
    tx: &mut dyn Tx,
    ns_code: &str,
    refs: Vec<String>,
    now: &str,
) -> Result<Vec<String>> {
    let mut ids: Vec<String> = Vec::new();
    for r in refs {
        let r = r.trim().to_string();
        let existing = match tx.group(&r).await? {
            Some(g) if g.ns_code == ns_code => Some(g),
            _ => tx.group_by_name(ns_code, &r).await?,
        };
        let id = match existing {
            Some(g) => g.id,
            None => {
                check_name(&r)?;
                let meta =
                    Meta { created: Some(now.into()), last_modified: Some(now.into()), location: None };
                let g = Group {
                    id: id::new_id(),
                    name: r,
                    ns_code: ns_code.to_string(),
                    meta,
                    ..Default::default()
                };
                tx.ensure_group(&g).await?.id
            }
        };
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}
