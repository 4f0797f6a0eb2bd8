//! Built-in roles: fixed bundles of permissions that users can be given.

use crate::permission::Permission;
use serde::Serialize;

/// A built-in role as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BuiltinRole {
    /// Role id.
    pub id: &'static str,
    /// English name.
    pub name: &'static str,
    /// Permissions the role grants.
    pub permissions: Vec<Permission>,
}

/// Every built-in role.
pub fn builtin_roles() -> Vec<BuiltinRole> {
    use Permission::*;
    let of = |prefixes: &[&str]| -> Vec<Permission> {
        Permission::ALL
            .iter()
            .copied()
            .filter(|p| prefixes.iter().any(|x| p.as_str().starts_with(x)))
            .collect()
    };
    vec![
        BuiltinRole { id: "ADMINISTRATOR", name: "Administrator", permissions: Permission::ALL.to_vec() },
        BuiltinRole { id: "USER_MANAGER", name: "User manager", permissions: of(&["ACCOUNT_"]) },
        BuiltinRole { id: "GROUP_MANAGER", name: "Group manager", permissions: of(&["GROUP_"]) },
        BuiltinRole {
            id: "VIEWER",
            name: "Viewer",
            permissions: vec![NAMESPACE_VIEW, ACCOUNT_VIEW, GROUP_VIEW, ACCESS_RIGHT_VIEW],
        },
    ]
}

/// The built-in role with this id.
pub fn builtin_role(id: &str) -> Option<BuiltinRole> {
    builtin_roles().into_iter().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_known_by_id() {
        assert_eq!(builtin_role("ADMINISTRATOR").unwrap().permissions.len(), Permission::ALL.len());
        assert!(builtin_role("USER_MANAGER")
            .unwrap()
            .permissions
            .contains(&Permission::ACCOUNT_PASSWORD_CHANGE));
        assert!(builtin_role("nope").is_none());
    }
}
