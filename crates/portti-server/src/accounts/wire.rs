//! The Accounts API's JSON shapes, and their mapping to and from the service's types.

use portti_core::Error;
use portti_service::{Account, AccountChanges, AccountPage, AccountRole, AccountSearch, MembershipChange};
use serde::{Deserialize, Serialize};

/// An account as written by a client: every field optional, `null` as absent,
/// unknown and read-only fields ignored.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({
    "login": "TrustBuilderLogin", "email": "email@example.com", "language": "fr", "active": true,
    "role": {"id": "0"}, "memberships": [{"group": {"id": "1"}, "role": {"id": "0"}}]
}))]
pub struct AccountBody {
    /// Username; on create without one the service's username policy makes one; on
    /// replace without one it stays.
    login: Option<String>,
    /// Primary email address.
    email: Option<String>,
    /// Preferred language, ISO 639-1 (two lowercase letters).
    language: Option<String>,
    /// Whether the account may sign in (default true).
    active: Option<bool>,
    /// The role in the service: `"0"` User (default) or `"1"` Administrator.
    role: Option<Reference>,
    /// Group memberships of the service (default none).
    memberships: Option<Vec<MembershipBody>>,
}

/// `{"id": ...}`; a `name` beside it is ignored.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct Reference {
    /// The id, as a string (or a number).
    #[schema(value_type = Option<String>)]
    id: Option<WireId>,
}

/// A membership as written by a client.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct MembershipBody {
    /// The group: its id or, failing that, its name in the service.
    group: Option<Reference>,
    /// The role in the group: `"0"` User (default) or `"1"` Administrator.
    role: Option<Reference>,
}

/// An id written as a string or a number.
#[derive(Debug, Deserialize)]
#[serde(untagged, expecting = "an id as a string or a number")]
enum WireId {
    Text(String),
    Number(i64),
}

impl Reference {
    /// The id; 400 naming `field` when the object has none.
    fn id(self, field: &str) -> Result<String, Error> {
        match self.id {
            Some(WireId::Text(s)) => Ok(s),
            Some(WireId::Number(n)) => Ok(n.to_string()),
            None => Err(Error::bad(format!("{field}.id is required"))),
        }
    }
}

impl AccountBody {
    /// The service's change request.
    pub fn into_changes(self) -> Result<AccountChanges, Error> {
        let memberships = match self.memberships {
            None => None,
            Some(list) => Some(
                list.into_iter()
                    .enumerate()
                    .map(|(i, m)| {
                        let field = format!("memberships[{i}]");
                        let group = m.group.unwrap_or_default().id(&format!("{field}.group"))?;
                        let role = m.role.map(|r| r.id(&format!("{field}.role"))).transpose()?;
                        Ok(MembershipChange { group: Some(group), role })
                    })
                    .collect::<Result<Vec<_>, Error>>()?,
            ),
        };
        Ok(AccountChanges {
            login: self.login,
            email: self.email,
            language: self.language,
            active: self.active,
            role: self.role.map(|r| r.id("role")).transpose()?,
            memberships,
        })
    }
}

/// An account as shown: `null`s omitted.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    /// The account's id (the user id).
    id: String,
    /// Username.
    login: String,
    /// Primary email address.
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    /// Preferred language, ISO 639-1.
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<String>,
    /// Whether the account may sign in.
    active: bool,
    /// The role in the service.
    role: Named,
    /// Group memberships with the member's role in each group.
    memberships: Vec<MembershipView>,
    /// When the account was created (ISO-8601 UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    created_date: Option<String>,
    /// When it last changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    modified_date: Option<String>,
    /// The last successful authentication; omitted if never.
    #[serde(skip_serializing_if = "Option::is_none")]
    last_authenticated_date: Option<String>,
    /// Where the account was created: 0 admin console, 1 this API, 2 Management API v1,
    /// 3 SCIM, 4 import.
    provisioning_id: i64,
}

/// `{"id", "name"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Named {
    /// The id.
    id: String,
    /// The display name.
    name: String,
}

impl From<AccountRole> for Named {
    fn from(r: AccountRole) -> Self {
        Named { id: r.id().into(), name: r.name().into() }
    }
}

/// A membership as shown.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MembershipView {
    /// The group.
    group: Named,
    /// The member's role in the group.
    role: Named,
}

impl From<Account> for AccountView {
    fn from(a: Account) -> Self {
        AccountView {
            id: a.id,
            login: a.login,
            email: a.email,
            language: a.language,
            active: a.active,
            role: a.role.into(),
            memberships: a
                .memberships
                .into_iter()
                .map(|m| MembershipView {
                    group: Named { id: m.group_id, name: m.group_name },
                    role: m.role.into(),
                })
                .collect(),
            created_date: a.created,
            modified_date: a.modified,
            last_authenticated_date: a.last_authenticated,
            provisioning_id: a.provisioning_id,
        }
    }
}

/// A page of accounts, exactly the seed's envelope.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountList {
    /// The page number (0-based).
    page: u64,
    /// Accounts in `content`.
    size: usize,
    /// The effective page size (at most 100).
    limit: u32,
    /// Whether the next page has accounts.
    has_more: bool,
    /// This page's accounts.
    content: Vec<AccountView>,
}

impl From<AccountPage> for AccountList {
    fn from(p: AccountPage) -> Self {
        AccountList {
            page: p.page,
            size: p.accounts.len(),
            limit: p.limit,
            has_more: p.has_more,
            content: p.accounts.into_iter().map(AccountView::from).collect(),
        }
    }
}

/// Paging and search of the list (all optional).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// The requested page, 0-based (default 0).
    #[param(value_type = Option<u64>)]
    page: Option<String>,
    /// Accounts per page (default 50, at most 100; larger is clamped).
    #[param(value_type = Option<u32>)]
    limit: Option<String>,
    /// Exact login, case-insensitively.
    login: Option<String>,
    /// Exact email address, case-insensitively.
    email: Option<String>,
    /// Part of the login, an email address, the given or the family name.
    q: Option<String>,
}

impl ListParams {
    /// The service's search.
    pub fn into_search(self) -> Result<AccountSearch, Error> {
        Ok(AccountSearch {
            page: number("page", self.page.as_deref())?.unwrap_or(0),
            limit: number("limit", self.limit.as_deref())?,
            login: self.login,
            email: self.email,
            q: self.q,
        })
    }
}

fn number(name: &str, value: Option<&str>) -> Result<Option<u64>, Error> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| Error::bad(format!("{name} must be a non-negative integer, got '{v}'"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_body_maps_to_changes() {
        let body: AccountBody = serde_json::from_str(
            r#"{"login":"TrustBuilderLogin","email":"email@example.com","language":"fr","active":true,
                "role":{"id":"0"},"memberships":[{"group":{"id":"1"},"role":{"id":0}}],"createdDate":null}"#,
        )
        .unwrap();
        let c = body.into_changes().unwrap();
        assert_eq!(c.login.as_deref(), Some("TrustBuilderLogin"));
        assert_eq!(c.role.as_deref(), Some("0"));
        let m = &c.memberships.unwrap()[0];
        assert_eq!((m.group.as_deref(), m.role.as_deref()), (Some("1"), Some("0")));
    }

    #[test]
    fn references_need_ids() {
        let body: AccountBody = serde_json::from_str(r#"{"role":{"name":"User"}}"#).unwrap();
        assert!(body.into_changes().unwrap_err().to_string().contains("role.id is required"));
        let body: AccountBody = serde_json::from_str(r#"{"memberships":[{"role":{"id":"1"}}]}"#).unwrap();
        assert!(body.into_changes().unwrap_err().to_string().contains("memberships[0].group.id"));
        assert!(serde_json::from_str::<AccountBody>(r#"{"role":{"id":[1]}}"#).is_err());
    }

    #[test]
    fn numbers() {
        assert_eq!(number("page", Some(" 3 ")).unwrap(), Some(3));
        assert_eq!(number("page", Some("")).unwrap(), None);
        assert!(number("page", Some("-1")).is_err());
        assert!(number("limit", Some("ten")).is_err());
    }
}
