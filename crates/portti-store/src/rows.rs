//! Between domain values and stored rows: documents hold what columns don't.

use portti_core::model::{Group, ManagementClient, Meta, Namespace, User};
use portti_core::time::parse_ms;
use portti_core::{Error, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Keys kept in columns or related tables, so left out of each document.
const USER_COLUMNS: &[&str] = &["id", "username", "nsCode", "memberOf", "meta"];
const GROUP_COLUMNS: &[&str] = &["id", "name", "nsCode", "memberOf", "meta"];
const NAMESPACE_COLUMNS: &[&str] = &["id", "code", "meta"];

/// The JSON document of a value without the keys stored in columns.
pub fn doc<T: Serialize>(value: &T, columns: &[&str]) -> Result<String> {
    let mut v = serde_json::to_value(value).map_err(internal)?;
    if let Some(map) = v.as_object_mut() {
        for key in columns {
            map.remove(*key);
        }
    }
    serde_json::to_string(&v).map_err(internal)
}

pub fn parse_doc<T: DeserializeOwned>(doc: &str) -> Result<T> {
    serde_json::from_str(doc).map_err(|e| Error::Internal(format!("stored document is unreadable: {e}")))
}

fn internal(e: serde_json::Error) -> Error {
    Error::Internal(format!("cannot encode document: {e}"))
}

/// Creation and modification times of a value's meta, in epoch ms.
pub fn meta_ms(meta: &Meta) -> (i64, i64) {
    let now = portti_core::time::now_ms();
    let created = meta.created.as_deref().and_then(parse_ms).unwrap_or(now);
    let modified = meta.last_modified.as_deref().and_then(parse_ms).unwrap_or(created);
    (created, modified)
}

/// A JSON array of ids (from an aggregate), as a list.
pub fn id_list(json: Option<&str>) -> Result<Vec<String>> {
    match json {
        None | Some("") => Ok(Vec::new()),
        Some(s) => parse_doc(s),
    }
}

/// The stored document of a user.
pub fn user_doc(user: &User) -> Result<String> {
    doc(user, USER_COLUMNS)
}

/// The stored document of a group.
pub fn group_doc(group: &Group) -> Result<String> {
    doc(group, GROUP_COLUMNS)
}

/// The stored document of a namespace.
pub fn namespace_doc(ns: &Namespace) -> Result<String> {
    doc(ns, NAMESPACE_COLUMNS)
}

/// The stored document of a custom role.
pub fn role_doc(role: &portti_core::model::CustomRole) -> Result<String> {
    doc(role, &["id", "name", "nsCode", "memberOf", "meta"])
}

/// The stored document of a client (everything but the secret hash).
pub fn client_doc(client: &ManagementClient) -> Result<String> {
    doc(client, &[])
}

/// A user from its row.
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub ns_code: String,
    pub doc: String,
    pub created_ms: i64,
    pub modified_ms: i64,
    pub member_of: Option<String>,
    pub revision: i64,
}

impl UserRow {
    /// The domain user.
    pub fn into_user(self) -> Result<User> {
        let mut user: User = parse_doc(&self.doc)?;
        user.id = self.id;
        user.username = self.username;
        user.ns_code = self.ns_code;
        user.member_of = id_list(self.member_of.as_deref())?;
        user.meta = Meta::from_ms(self.created_ms, self.modified_ms);
        user.revision = self.revision;
        Ok(user)
    }
}

/// A group from its row.
pub struct GroupRow {
    pub id: String,
    pub name: String,
    pub ns_code: String,
    pub doc: String,
    pub created_ms: i64,
    pub modified_ms: i64,
    pub member_of: Option<String>,
    pub revision: i64,
}

impl GroupRow {
    /// The domain group.
    pub fn into_group(self) -> Result<Group> {
        let mut group: Group = parse_doc(&self.doc)?;
        group.id = self.id;
        group.name = self.name;
        group.ns_code = self.ns_code;
        group.member_of = id_list(self.member_of.as_deref())?;
        group.meta = Meta::from_ms(self.created_ms, self.modified_ms);
        group.revision = self.revision;
        Ok(group)
    }
}

/// A namespace from its row.
pub fn namespace_from(
    id: String,
    code: String,
    doc: &str,
    created_ms: i64,
    modified_ms: i64,
) -> Result<Namespace> {
    let mut ns: Namespace = parse_doc(doc)?;
    ns.id = id;
    ns.code = code;
    ns.meta = Meta::from_ms(created_ms, modified_ms);
    Ok(ns)
}

/// A client from its document.
pub fn client_from(doc: &str) -> Result<ManagementClient> {
    parse_doc(doc)
}
