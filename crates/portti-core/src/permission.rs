//! The permission catalogue: one vocabulary for management clients, users and roles.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

macro_rules! permissions {
    ($($name:ident => $desc:literal, [$($dep:ident),*];)*) => {
        /// A permission id, written on the wire exactly as the variant name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[allow(non_camel_case_types)]
        pub enum Permission { $($name),* }

        impl Permission {
            /// Every permission, in catalogue order.
            pub const ALL: &'static [Permission] = &[$(Permission::$name),*];

            /// The wire id, e.g. `ACCOUNT_VIEW`.
            pub fn as_str(self) -> &'static str {
                match self { $(Permission::$name => stringify!($name)),* }
            }

            /// What the permission allows, in one sentence.
            pub fn description(self) -> &'static str {
                match self { $(Permission::$name => $desc),* }
            }

            /// The permissions this one needs to be useful (granted along with it).
            pub fn dependencies(self) -> &'static [Permission] {
                match self { $(Permission::$name => &[$(Permission::$dep),*]),* }
            }
        }

        impl FromStr for Permission {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $(stringify!($name) => Ok(Permission::$name),)*
                    _ => Err(format!("unknown permission {s}")),
                }
            }
        }
    };
}

permissions! {
    NAMESPACE_VIEW => "Read namespaces and their policies.", [];
    NAMESPACE_CREATE => "Create namespaces.", [NAMESPACE_VIEW];
    NAMESPACE_MODIFY => "Change namespaces and their policies.", [NAMESPACE_VIEW];
    NAMESPACE_DELETE => "Delete empty namespaces.", [NAMESPACE_VIEW];
    ACCOUNT_VIEW => "Read user accounts, their custom fields, enterprise, legal and student data.", [];
    ACCOUNT_VIEW_PERSONAL_ID => "See personal identity codes uncensored.", [ACCOUNT_VIEW];
    ACCOUNT_CREATE => "Create user accounts.", [ACCOUNT_VIEW];
    ACCOUNT_MODIFY => "Change user accounts and their custom fields, enterprise, legal and student data.", [ACCOUNT_VIEW];
    ACCOUNT_DELETE => "Delete user accounts.", [ACCOUNT_VIEW];
    ACCOUNT_PASSWORD_CHANGE => "Set users' passwords.", [ACCOUNT_VIEW];
    ACCOUNT_STRONG_IDENTIFY => "Report strong identifications of users.", [ACCOUNT_VIEW];
    ACCOUNT_MIGRATE_NAMESPACE => "Move users to another namespace.", [ACCOUNT_VIEW, ACCOUNT_CREATE, ACCOUNT_DELETE];
    GROUP_VIEW => "Read groups.", [];
    GROUP_CREATE => "Create groups.", [GROUP_VIEW];
    GROUP_MODIFY => "Change groups and their nesting.", [GROUP_VIEW];
    GROUP_DELETE => "Delete groups.", [GROUP_VIEW];
    ACCESS_RIGHT_VIEW => "Read roles and users' permissions.", [];
    ACCESS_RIGHT_MODIFY => "Manage custom roles and grant users permissions and roles.", [ACCESS_RIGHT_VIEW];
    EMAIL_SEND => "Send email to addresses, users and group members, also from templates.", [];
    SMS_SEND => "Send text messages to numbers and users where the namespace allows it.", [];
    EMAIL_TEMPLATE_VIEW => "Read email templates.", [];
    EMAIL_TEMPLATE_MODIFY => "Create, change and delete email templates.", [EMAIL_TEMPLATE_VIEW];
}

impl Permission {
    /// The display group of the permission (the part of its id before the first `_`).
    pub fn group_id(self) -> &'static str {
        let id = self.as_str();
        match id.find('_') {
            Some(i) if id.starts_with("ACCESS_RIGHT") => &id[..i + 6],
            Some(i) => &id[..i],
            None => id,
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The permissions `granted` plus, transitively, everything they depend on.
pub fn with_dependencies(granted: &[Permission]) -> Vec<Permission> {
    let mut out: Vec<Permission> = Vec::new();
    let mut todo: Vec<Permission> = granted.to_vec();
    while let Some(p) = todo.pop() {
        if !out.contains(&p) {
            out.push(p);
            todo.extend_from_slice(p.dependencies());
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for p in Permission::ALL {
            assert_eq!(p.as_str().parse::<Permission>().unwrap(), *p);
        }
        assert!("NOPE".parse::<Permission>().is_err());
    }

    #[test]
    fn dependencies_are_closed() {
        let all = with_dependencies(&[Permission::ACCOUNT_VIEW_PERSONAL_ID]);
        assert_eq!(all, vec![Permission::ACCOUNT_VIEW, Permission::ACCOUNT_VIEW_PERSONAL_ID]);
    }
}
