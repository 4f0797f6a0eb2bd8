//! Access rights: the permission catalogue, built-in and custom roles, and what each user holds.

use crate::namespaces::by_code;
use crate::users::reachable;
use crate::{query, Caller, Directory, ListRequest};
use portti_core::field::Field;
use portti_core::model::{CustomRole, ListChange, Meta, UserFacets};
use portti_core::page::Page;
use portti_core::permission::{with_dependencies, Permission};
use portti_core::role::{builtin_role, builtin_roles, BuiltinRole};
use portti_core::{id, time, Error, Result};
use portti_store::Tx;
use serde::Deserialize;

/// A create or full-object update request for a custom role.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RoleChanges {
    /// Name, unique within the namespace.
    pub name: Field<String>,
    /// Permission ids.
    pub permissions: Field<Vec<String>>,
    /// The namespace (create only).
    pub ns_code: Field<String>,
    /// Ids of the groups whose members get the role.
    pub member_of: Field<Vec<String>>,
}

/// Which of a user's access-right lists an operation concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grants {
    /// Permissions given directly.
    Permissions,
    /// Built-in roles.
    BuiltinRoles,
    /// Custom roles.
    CustomRoles,
}

impl Directory {
    /// The permission catalogue.
    pub fn permissions(&self, caller: &Caller) -> Result<&'static [Permission]> {
        caller.require(Permission::ACCESS_RIGHT_VIEW)?;
        Ok(Permission::ALL)
    }

    /// Every built-in role.
    pub fn builtin_roles(&self, caller: &Caller) -> Result<Vec<BuiltinRole>> {
        caller.require(Permission::ACCESS_RIGHT_VIEW)?;
        Ok(builtin_roles())
    }

    /// A page of the custom roles the caller may see.
    pub async fn list_roles(&self, caller: &Caller, req: ListRequest) -> Result<Page<CustomRole>> {
        caller.require(Permission::ACCESS_RIGHT_VIEW)?;
        self.read().await?.find_roles(&query(caller, req)?).await
    }

    /// A custom role by id.
    pub async fn role(&self, caller: &Caller, id: &str) -> Result<CustomRole> {
        caller.require(Permission::ACCESS_RIGHT_VIEW)?;
        reachable_role(caller, self.read().await?.as_mut(), id).await
    }

    /// Create a custom role in a namespace the caller reaches.
    pub async fn create_role(&self, caller: &Caller, mut changes: RoleChanges) -> Result<CustomRole> {
        caller.require(Permission::ACCESS_RIGHT_MODIFY)?;
        let code = caller.namespace_or_default(std::mem::take(&mut changes.ns_code).value());
        let now = time::format_ms(time::now_ms());
        let mut tx = self.write().await?;
        let ns = by_code(caller, tx.as_mut(), &code).await?;
        let mut role = CustomRole { id: id::new_id(), ns_code: ns.code, ..Default::default() };
        apply_role(tx.as_mut(), &mut role, changes).await?;
        role.meta = Meta { created: Some(now.clone()), last_modified: Some(now), location: None };
        tx.insert_role(&role).await?;
        tx.commit().await?;
        Ok(role)
    }

    /// Apply a full-object update to a custom role (its namespace never changes).
    pub async fn update_role(
        &self,
        caller: &Caller,
        id: &str,
        mut changes: RoleChanges,
    ) -> Result<CustomRole> {
        caller.require(Permission::ACCESS_RIGHT_MODIFY)?;
        let mut tx = self.write().await?;
        let mut role = reachable_role(caller, tx.as_mut(), id).await?;
        if let Field::Value(code) = std::mem::take(&mut changes.ns_code) {
            if code != role.ns_code {
                return Err(Error::bad(format!(
                    "role {id} belongs to namespace {}; nsCode cannot change",
                    role.ns_code
                )));
            }
        }
        apply_role(tx.as_mut(), &mut role, changes).await?;
        role.meta.last_modified = Some(time::format_ms(time::now_ms()));
        tx.update_role(&role).await?;
        tx.commit().await?;
        Ok(role)
    }

    /// Delete a custom role; users holding it lose it.
    pub async fn delete_role(&self, caller: &Caller, id: &str) -> Result<()> {
        caller.require(Permission::ACCESS_RIGHT_MODIFY)?;
        let mut tx = self.write().await?;
        reachable_role(caller, tx.as_mut(), id).await?;
        tx.delete_role(id).await?;
        tx.commit().await
    }

    /// One of a user's access-right lists.
    pub async fn user_grants(&self, caller: &Caller, id: &str, which: Grants) -> Result<Vec<String>> {
        caller.require(Permission::ACCESS_RIGHT_VIEW)?;
        let mut tx = self.read().await?;
        reachable(caller, tx.as_mut(), id).await?;
        let mut facets = tx.facets(id).await?;
        Ok(std::mem::take(list(&mut facets, which)))
    }

    /// Add to and remove from one of a user's access-right lists; unknown ids are a 400.
    pub async fn update_user_grants(
        &self,
        caller: &Caller,
        id: &str,
        which: Grants,
        change: ListChange,
    ) -> Result<Vec<String>> {
        caller.require(Permission::ACCESS_RIGHT_MODIFY)?;
        let mut tx = self.write().await?;
        let user = reachable(caller, tx.as_mut(), id).await?;
        let mut facets = tx.facets(id).await?;
        for grant in &change.add {
            check_grant(tx.as_mut(), which, grant, &user.ns_code).await?;
        }
        for grant in change.remove.iter().filter(|g| !list(&mut facets, which).contains(g)) {
            check_grant(tx.as_mut(), which, grant, &user.ns_code).await?;
        }
        change.apply(list(&mut facets, which));
        tx.put_facets(id, &facets).await?;
        tx.commit().await?;
        Ok(std::mem::take(list(&mut facets, which)))
    }

    /// Everything the user may do: its permissions, those of its built-in roles and of its
    /// custom roles (given directly or through its groups), and their dependencies.
    pub async fn effective_permissions(&self, caller: &Caller, id: &str) -> Result<Vec<Permission>> {
        caller.require(Permission::ACCESS_RIGHT_VIEW)?;
        let mut tx = self.read().await?;
        let user = reachable(caller, tx.as_mut(), id).await?;
        let facets = tx.facets(id).await?;
        let mut granted: Vec<Permission> =
            facets.custom_permissions.iter().filter_map(|p| p.parse().ok()).collect();
        for role in facets.builtin_roles.iter().filter_map(|r| builtin_role(r)) {
            granted.extend(role.permissions);
        }
        let mut roles: Vec<CustomRole> = Vec::new();
        for rid in &facets.custom_roles {
            roles.extend(tx.role(rid).await?);
        }
        roles.extend(tx.roles_of_groups(&user.member_of).await?);
        for role in roles.iter().filter(|r| r.ns_code == user.ns_code) {
            granted.extend(role.permissions.iter().copied());
        }
        Ok(with_dependencies(&granted))
    }
}

fn list(facets: &mut UserFacets, which: Grants) -> &mut Vec<String> {
    match which {
        Grants::Permissions => &mut facets.custom_permissions,
        Grants::BuiltinRoles => &mut facets.builtin_roles,
        Grants::CustomRoles => &mut facets.custom_roles,
    }
}

async fn check_grant(tx: &mut dyn Tx, which: Grants, grant: &str, ns_code: &str) -> Result<()> {
    let known = match which {
        Grants::Permissions => grant.parse::<Permission>().is_ok(),
        Grants::BuiltinRoles => builtin_role(grant).is_some(),
        Grants::CustomRoles => tx.role(grant).await?.is_some_and(|r| r.ns_code == ns_code),
    };
    if known {
        Ok(())
    } else {
        let what = match which {
            Grants::Permissions => "permission",
            Grants::BuiltinRoles => "built-in role",
            Grants::CustomRoles => "custom role in the user's namespace",
        };
        Err(Error::bad(format!("unknown {what} '{grant}'")))
    }
}

/// The role, or 404 when it does not exist or lies outside the caller's namespaces.
async fn reachable_role(caller: &Caller, tx: &mut dyn Tx, id: &str) -> Result<CustomRole> {
    match tx.role(id).await? {
        Some(r) if caller.reaches(&r.ns_code) => Ok(r),
        _ => Err(Error::not_found("role", id)),
    }
}

async fn apply_role(tx: &mut dyn Tx, role: &mut CustomRole, changes: RoleChanges) -> Result<()> {
    changes.name.apply_required(&mut role.name);
    role.name = role.name.trim().to_string();
    if role.name.is_empty() || role.name.len() > 255 {
        return Err(Error::bad("a role needs a name of 1-255 characters"));
    }
    match changes.permissions {
        Field::Value(ids) => {
            role.permissions = ids
                .iter()
                .map(|p| p.parse::<Permission>().map_err(|_| Error::bad(format!("unknown permission '{p}'"))))
                .collect::<Result<_>>()?;
        }
        Field::Null => role.permissions.clear(),
        Field::Absent => {}
    }
    if let Some(groups) = match changes.member_of {
        Field::Value(g) => Some(g),
        Field::Null => Some(Vec::new()),
        Field::Absent => None,
    } {
        role.member_of.clear();
        for gid in groups {
            match tx.group(&gid).await? {
                Some(g) if g.ns_code == role.ns_code => {
                    if !role.member_of.contains(&g.id) {
                        role.member_of.push(g.id)
                    }
                }
                _ => return Err(Error::bad(format!("group {gid} not found in namespace {}", role.ns_code))),
            }
        }
    }
    Ok(())
}
