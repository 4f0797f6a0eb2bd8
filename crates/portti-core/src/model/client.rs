//! Management clients: machine credentials for the management dialects.

use crate::permission::Permission;
use serde::{Deserialize, Serialize};

/// A management client (its secret is stored only as a keyed hash, never here).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ManagementClient {
    /// The client id (HTTP Basic user name).
    pub id: String,
    /// A name for operators.
    pub name: String,
    /// Granted permissions.
    pub permissions: Vec<Permission>,
    /// Namespace codes it may reach; `None` means every namespace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespaces: Option<Vec<String>>,
    /// Where requests that name no namespace go.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_namespace: Option<String>,
    /// When it was created.
    pub created: String,
}

impl ManagementClient {
    /// Whether the client may reach the namespace `code`.
    pub fn reaches(&self, code: &str) -> bool {
        match &self.namespaces {
            None => true,
            Some(list) => list.iter().any(|c| c == code),
        }
    }
}
