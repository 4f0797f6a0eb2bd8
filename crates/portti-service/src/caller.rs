//! Who is calling, what they may do, and which namespaces they may reach.

use portti_core::model::ManagementClient;
use portti_core::permission::{with_dependencies, Permission};
use portti_core::{Error, Result};
use portti_store::Scope;

/// An authenticated caller of the management dialects.
#[derive(Debug, Clone)]
pub struct Caller {
    id: String,
    permissions: Vec<Permission>,
    namespaces: Option<Vec<String>>,
    default_namespace: Option<String>,
    /// For an end user's token: the only user it may see.
    only_user: Option<String>,
}

impl Caller {
    /// The caller a management client acts as.
    pub fn client(client: &ManagementClient) -> Self {
        Caller {
            id: client.id.clone(),
            permissions: with_dependencies(&client.permissions),
            namespaces: client.namespaces.clone(),
            default_namespace: client.default_namespace.clone(),
            only_user: None,
        }
    }

    /// The caller an end user's token acts as: it may read that user's own data only.
    pub fn end_user(user: &portti_core::model::User) -> Self {
        Caller {
            id: user.id.clone(),
            permissions: vec![Permission::ACCOUNT_VIEW],
            namespaces: Some(vec![user.ns_code.clone()]),
            default_namespace: Some(user.ns_code.clone()),
            only_user: Some(user.id.clone()),
        }
    }

    /// Whether the caller may see this user (an end user sees only itself).
    pub fn sees_user(&self, id: &str) -> bool {
        self.only_user.as_deref().is_none_or(|me| me == id)
    }

    /// The user an end user's token stands for.
    pub fn only_user(&self) -> Option<&str> {
        self.only_user.as_deref()
    }

    /// The client id (or, later, user id) of the caller.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Whether the caller holds the permission.
    pub fn has(&self, p: Permission) -> bool {
        self.permissions.contains(&p)
    }

    /// 403 naming the permission unless the caller holds it.
    pub fn require(&self, p: Permission) -> Result<()> {
        if self.has(p) {
            Ok(())
        } else {
            Err(Error::MissingPermission(p))
        }
    }

    /// Whether the caller may reach the namespace `code`.
    pub fn reaches(&self, code: &str) -> bool {
        self.namespaces.as_ref().is_none_or(|list| list.iter().any(|c| c == code))
    }

    /// Whether the caller reaches every namespace, present and future.
    pub fn unrestricted(&self) -> bool {
        self.namespaces.is_none()
    }

    /// The namespaces a list may show.
    pub fn scope(&self) -> Scope {
        match &self.namespaces {
            None => Scope::All,
            Some(list) => Scope::Namespaces(list.clone()),
        }
    }

    /// Where requests that name no namespace go.
    pub fn default_namespace(&self) -> &str {
        self.default_namespace.as_deref().unwrap_or(crate::DEFAULT_NAMESPACE)
    }

    /// The namespace code a request names, or the caller's default.
    pub fn namespace_or_default(&self, given: Option<String>) -> String {
        match given.map(|s| s.trim().to_string()) {
            Some(code) if !code.is_empty() => code,
            _ => self.default_namespace().to_string(),
        }
    }
}
