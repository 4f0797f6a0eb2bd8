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

/// The OAuth2 grants an OIDC client may use.
pub const GRANTS: &[&str] = &["password", "authorization_code", "refresh_token", "client_credentials"];

/// An OIDC client: an application its users sign in to (its secret is stored only hashed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OidcClient {
    /// The client id.
    pub id: String,
    /// A name for operators.
    pub name: String,
    /// Allowed grant types (see [`GRANTS`]).
    pub grants: Vec<String>,
    /// Allowed redirect URIs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub redirect_uris: Vec<String>,
    /// The namespace whose users sign in here; `None`: any namespace (usernames must then be unambiguous).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// When it was created.
    pub created: String,
}

impl OidcClient {
    /// Whether the client may use the grant.
    pub fn allows(&self, grant: &str) -> bool {
        self.grants.iter().any(|g| g == grant)
    }
}

/// A long-lived API token of a management client (the token itself is never stored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiToken {
    /// Token id (the JWT's `jti`).
    pub id: String,
    /// The client it acts as.
    pub client_id: String,
    /// Created, epoch ms.
    pub created_ms: i64,
    /// Expires, epoch ms.
    pub expires_ms: i64,
    /// Revoked tokens are refused.
    pub revoked: bool,
}

/// What a refresh token (stored as its hash) lets its holder renew.
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshGrant {
    /// The user.
    pub user_id: String,
    /// The OIDC client it was issued to.
    pub client_id: String,
    /// Granted scope.
    pub scope: String,
    /// Expires, epoch ms.
    pub expires_ms: i64,
}
