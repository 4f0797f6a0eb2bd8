//! The parts of a user kept beside its profile: enterprise, legal and student data,
//! custom fields, access rights, strong-identification history, password history.

use super::{null_as_default, Address, Meta};
use crate::permission::Permission;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

macro_rules! strings {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $field:ident),* $(,)? } $([$($extra:tt)*])?) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "camelCase", default)]
        pub struct $name {
            $($(#[$fdoc])* #[serde(skip_serializing_if = "Option::is_none")] pub $field: Option<String>,)*
            $($($extra)*)?
        }
    };
}

strings!(
    /// Contact details of one function of an enterprise.
    EnterpriseContactInfo { /** Phone. */ phone, /** Email. */ email, /** Website. */ website, /** Contact persons. */ contacts }
);

impl EnterpriseContactInfo {
    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

strings!(
    /// The enterprise a (legal-entity) user stands for.
    Enterprise {
        /// Business id, e.g. `1234567-8`.
        business_id,
        /// VAT id.
        vat_id,
        /// Trade name.
        trade_name,
        /// Domicile.
        domicile,
        /// LEI code.
        lei_code,
        /// Trade register number.
        trade_register_number,
        /// Tax identification number.
        tax_identification_number,
        /// D-U-N-S number.
        duns,
    }
    [
        /// Parallel trade names.
        #[serde(skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_default")]
        pub parallel_trade_names: Vec<String>,
        /// Auxiliary trade names.
        #[serde(skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_default")]
        pub auxiliary_trade_names: Vec<String>,
        /// General contact.
        #[serde(skip_serializing_if = "EnterpriseContactInfo::is_empty", deserialize_with = "null_as_default")]
        pub general: EnterpriseContactInfo,
        /// Sales contact.
        #[serde(skip_serializing_if = "EnterpriseContactInfo::is_empty", deserialize_with = "null_as_default")]
        pub sales: EnterpriseContactInfo,
        /// Service contact.
        #[serde(skip_serializing_if = "EnterpriseContactInfo::is_empty", deserialize_with = "null_as_default")]
        pub service: EnterpriseContactInfo,
        /// Customer support contact.
        #[serde(skip_serializing_if = "EnterpriseContactInfo::is_empty", deserialize_with = "null_as_default")]
        pub customer_support: EnterpriseContactInfo,
        /// Server-managed metadata.
        #[serde(skip_serializing_if = "Meta::is_empty", deserialize_with = "null_as_default")]
        pub meta: Meta,
    ]
);

/// Legal domicile: a municipality code and its names by language.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct LegalDomicile {
    /// Names by language code, e.g. `{"fi": "Helsinki"}`.
    #[serde(skip_serializing_if = "Map::is_empty", deserialize_with = "null_as_default")]
    #[schema(value_type = Object)]
    pub names: Map<String, Value>,
    /// Municipality code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

strings!(
    /// Student information from a population or student register.
    StudentInfo {
        /// Student status.
        state,
        /// Valid from.
        student_valid_from,
        /// Valid to.
        student_valid_to,
        /// When the information was updated.
        information_updated,
        /// The register's own state.
        remote_state,
        /// Why not a student.
        not_student_reason,
        /// When the query consent ends.
        query_consent_ends,
    }
);

strings!(
    /// Legal information of a user, normally from a population register.
    LegalInfo {
        /// First names.
        first_names,
        /// Last name.
        last_name,
        /// Calling name.
        calling_name,
        /// Email.
        email,
        /// Phone.
        phone,
        /// Personal identity code (censored without `ACCOUNT_VIEW_PERSONAL_ID`).
        personal_identity_code,
        /// Date of birth.
        date_of_birth,
        /// Date of death.
        date_of_death,
        /// When the data was last updated.
        last_updated_at,
    }
    [
        /// Legal domicile.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub domicile: Option<LegalDomicile>,
        /// Under a protection order.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub protection_order: Option<bool>,
        /// Legal addresses.
        #[serde(skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_default")]
        pub addresses: Vec<Address>,
        /// Student information.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub student_info: Option<StudentInfo>,
    ]
);

/// Student status values.
pub const STUDENT_STATES: &[&str] = &["FULL_TIME", "PART_TIME", "NOT_STUDENT", "FORBIDDEN", "UNKNOWN"];

/// A user's student state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct StudentState {
    /// `FULL_TIME`, `PART_TIME`, `NOT_STUDENT`, `FORBIDDEN` or `UNKNOWN`.
    pub state: String,
    /// Student from (date).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub student_from: Option<String>,
    /// Student to (date).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub student_to: Option<String>,
    /// When the state was updated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    /// False when the data may be stale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_query_success: Option<bool>,
    /// The last query's error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_query_error: Option<String>,
    /// Where the state came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl Default for StudentState {
    fn default() -> Self {
        StudentState {
            state: "UNKNOWN".into(),
            student_from: None,
            student_to: None,
            updated: None,
            last_query_success: None,
            last_query_error: None,
            source: None,
        }
    }
}

/// A namespace's role: a named bundle of permissions, given to users directly or
/// to every member of the groups in `memberOf`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct CustomRole {
    /// Server-generated id.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Unique within the namespace.
    pub name: String,
    /// Permissions the role grants.
    pub permissions: Vec<Permission>,
    /// The namespace.
    pub ns_code: String,
    /// Ids of the groups whose members have the role.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub member_of: Vec<String>,
    /// Server-managed metadata.
    #[serde(skip_serializing_if = "Meta::is_empty")]
    pub meta: Meta,
}

/// An add/remove change to a list of ids; either side may be `null`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ListChange {
    /// Ids to add.
    #[serde(deserialize_with = "null_as_default")]
    pub add: Vec<String>,
    /// Ids to remove (applied after `add`).
    #[serde(deserialize_with = "null_as_default")]
    pub remove: Vec<String>,
}

impl ListChange {
    /// Apply to `list`, keeping its order and never duplicating.
    pub fn apply(&self, list: &mut Vec<String>) {
        for a in &self.add {
            if !list.contains(a) {
                list.push(a.clone());
            }
        }
        list.retain(|x| !self.remove.contains(x));
    }
}

/// What is kept of a user beside its profile document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UserFacets {
    /// Arbitrary JSON per key.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub custom_fields: Map<String, Value>,
    /// Enterprise data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enterprise: Option<Enterprise>,
    /// Legal data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal: Option<LegalInfo>,
    /// Student state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub student: Option<StudentState>,
    /// Permissions granted directly.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub custom_permissions: Vec<String>,
    /// Built-in role ids.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub builtin_roles: Vec<String>,
    /// Custom role ids.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub custom_roles: Vec<String>,
    /// Hashes of previous passwords, newest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub password_history: Vec<String>,
    /// When the password was last set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_changed: Option<String>,
    /// When the user was soft-deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted: Option<String>,
    /// Which door created the user (see [`Door`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisioning_id: Option<i64>,
    /// The last successful authentication.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_authenticated: Option<String>,
    /// The user's role in its namespace's service (`"0"` user, `"1"` administrator).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_role: Option<String>,
    /// The user's role in each of its groups, by group id.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub group_roles: Map<String, Value>,
    /// Times (epoch ms) of recent failed sign-ins, for the lockout policy.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed_logins: Vec<i64>,
    /// Locked out of signing in until this time (epoch ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locked_out_until: Option<i64>,
    /// What provisioning clients (SCIM) keep about the user that the profile has no field
    /// for, by SCIM name (`externalId`, `displayName`, `userType`, `name`, `enterprise`),
    /// and how they wrote what it has (`unflagged`: lists sent without a primary;
    /// `consentsGiven`; `activeUnassigned`). `externalId` and `displayName` are filterable.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub provisioned: Map<String, Value>,
}

/// The door a user came in through, kept as its `provisioningId`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    /// The administration console (and the command line).
    AdminConsole = 0,
    /// The Accounts API.
    AccountsApi = 1,
    /// The Management API v1.
    ManagementApi = 2,
    /// SCIM 2.0.
    Scim = 3,
    /// A bulk import.
    Import = 4,
    /// An invitation accepted on its registration page.
    Invite = 5,
}

/// The outcome of a password change.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PasswordUpdateResult {
    /// Whether the password was set.
    pub success: bool,
    /// The rules it broke.
    pub validation_errors: Vec<crate::password::Violation>,
}

/// How to move a user to another namespace.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct NamespaceMigrationOptions {
    /// The target namespace.
    pub target_ns_code: Option<String>,
    /// Keep the same id.
    #[serde(deserialize_with = "true_unless_false")]
    pub keep_user_id: bool,
    /// Keep names, addresses, legal, customer-group and other profile data.
    #[serde(deserialize_with = "true_unless_false")]
    pub keep_profile: bool,
    /// Keep email addresses and their verification.
    #[serde(deserialize_with = "true_unless_false")]
    pub keep_emails: bool,
    /// Keep mobile numbers and their verification.
    #[serde(deserialize_with = "true_unless_false")]
    pub keep_mobiles: bool,
    /// Keep consents.
    #[serde(deserialize_with = "true_unless_false")]
    pub keep_consents: bool,
    /// Keep custom fields.
    #[serde(deserialize_with = "true_unless_false")]
    pub keep_custom_fields: bool,
    /// Keep the password (unless `userPassword` is given).
    #[serde(deserialize_with = "true_unless_false")]
    pub keep_password: bool,
    /// Re-create group membership by name in the target.
    #[serde(deserialize_with = "null_as_default")]
    pub keep_groups: bool,
    /// Username in the target (null: generate by the target's policy).
    pub username: Option<String>,
    /// New password (checked against the target's policy).
    pub user_password: Option<String>,
}

impl Default for NamespaceMigrationOptions {
    fn default() -> Self {
        NamespaceMigrationOptions {
            target_ns_code: None,
            keep_user_id: true,
            keep_profile: true,
            keep_emails: true,
            keep_mobiles: true,
            keep_consents: true,
            keep_custom_fields: true,
            keep_password: true,
            keep_groups: false,
            username: None,
            user_password: None,
        }
    }
}

fn true_unless_false<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(Option::<bool>::deserialize(d)?.unwrap_or(true))
}
