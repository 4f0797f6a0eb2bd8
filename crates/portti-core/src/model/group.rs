//! Groups: named sets of users inside a namespace, nestable.

use super::Meta;
use crate::field::Field;
use serde::{Deserialize, Serialize};

/// A group as stored and shown.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct Group {
    /// Server-generated id.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Unique within the namespace.
    pub name: String,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The namespace; immutable.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub ns_code: String,
    /// Refuses users as members.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disallow_users: Option<bool>,
    /// Refuses contacts as members.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disallow_contacts: Option<bool>,
    /// Refuses groups as members.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disallow_groups: Option<bool>,
    /// Ids of the parent groups.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub member_of: Vec<String>,
    /// Server-managed metadata.
    #[serde(skip_serializing_if = "Meta::is_empty")]
    pub meta: Meta,
    /// The provisioning client's own id for the group (SCIM `externalId`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Raised by every stored change, memberships included (SCIM's `meta.version`).
    #[serde(skip)]
    pub revision: i64,
}

/// A create or full-object update request for a group.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GroupChanges {
    /// New name.
    pub name: Field<String>,
    /// New description.
    pub description: Field<String>,
    /// The namespace (used only on create).
    pub ns_code: Field<String>,
    /// See [`Group::disallow_users`].
    pub disallow_users: Field<bool>,
    /// See [`Group::disallow_contacts`].
    pub disallow_contacts: Field<bool>,
    /// See [`Group::disallow_groups`].
    pub disallow_groups: Field<bool>,
    /// Parent group ids.
    pub member_of: Field<Vec<String>>,
}

impl GroupChanges {
    /// Apply every writable field but `memberOf` (resolved by the service) to `group`.
    pub fn apply(self, group: &mut Group) -> Field<Vec<String>> {
        self.name.apply_required(&mut group.name);
        self.description.apply_to(&mut group.description);
        self.disallow_users.apply_to(&mut group.disallow_users);
        self.disallow_contacts.apply_to(&mut group.disallow_contacts);
        self.disallow_groups.apply_to(&mut group.disallow_groups);
        self.member_of
    }
}
