//! Namespaces: the tenants of the directory, each with its policies.

use super::{is_default, null_as_default, Meta};
use crate::field::Field;
use crate::username::UsernamePolicy;
use serde::{Deserialize, Serialize};

/// A namespace as stored and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct Namespace {
    /// Server-generated id.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Unique code, used in paths and as `nsCode`; immutable.
    pub code: String,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Short display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub short_name: Option<String>,
    /// How usernames are made when a create request names none.
    pub username_policy: UsernamePolicy,
    /// Maximum number of emails, and of mobiles, per user.
    pub comm_method_max_qty: u32,
    /// Whether two users may share a nickname.
    pub duplicate_nicknames_allowed: bool,
    /// Start of validity (set to the creation time when not given), echoed as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    /// End of validity, echoed as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<String>,
    /// SMS settings.
    pub sms_settings: SmsSettings,
    /// Password, lockout and verification policy of the namespace's users.
    pub default_group_policy: DefaultGroupPolicy,
    /// Read-only for the API.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorisation_restricted_mode: Option<bool>,
    /// Server-managed metadata.
    #[serde(skip_serializing_if = "Meta::is_empty")]
    pub meta: Meta,
}

impl Default for Namespace {
    fn default() -> Self {
        Namespace {
            id: String::new(),
            code: String::new(),
            name: None,
            short_name: None,
            username_policy: UsernamePolicy::EightNumbers,
            comm_method_max_qty: 2,
            duplicate_nicknames_allowed: false,
            valid_from: None,
            valid_to: None,
            sms_settings: SmsSettings::default(),
            default_group_policy: DefaultGroupPolicy::default(),
            authorisation_restricted_mode: None,
            meta: Meta::default(),
        }
    }
}

/// SMS settings of a namespace.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct SmsSettings {
    /// SMS sending enabled.
    #[serde(deserialize_with = "null_as_default")]
    pub enabled: bool,
    /// Custom SMS through the API allowed.
    #[serde(deserialize_with = "null_as_default")]
    pub custom_enabled: bool,
    /// Alphanumeric sender, at most 11 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_originator: Option<String>,
    /// Two-letter region for national phone numbers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_region: Option<String>,
}

/// Options of the password-reset page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct ResetPasswordOptions {
    /// Hide namespace information.
    #[serde(deserialize_with = "null_as_default")]
    pub namespace_info_hidden: bool,
    /// The hiding option is enabled.
    #[serde(deserialize_with = "null_as_default")]
    pub namespace_info_hidden_enabled: bool,
    /// Every field enabled.
    #[serde(deserialize_with = "null_as_default")]
    pub all_fields_enabled: bool,
}

/// One allowed or refused login address range.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct LoginIpRule {
    /// Address range.
    pub cidr: String,
    /// Allowed or refused.
    #[serde(deserialize_with = "null_as_default")]
    pub allowed: bool,
}

macro_rules! policy {
    ($($(#[$doc:meta])* $field:ident : $ty:ty = $default:expr,)*) => {
        /// A namespace's default policy for its users (passwords, lockout, verification, locale).
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "camelCase", default)]
        pub struct DefaultGroupPolicy {
            $($(#[$doc])* #[serde(skip_serializing_if = "Option::is_none")] pub $field: Option<$ty>,)*
            /// Login address rules.
            #[serde(skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_default")]
            pub login_allowed_ip_rules: Vec<LoginIpRule>,
            /// Blacklisted login targets.
            #[serde(skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_default")]
            pub login_target_blacklist: Vec<String>,
            /// Password-reset page options.
            #[serde(skip_serializing_if = "is_default", deserialize_with = "null_as_default")]
            pub reset_password_options: ResetPasswordOptions,
        }

        impl Default for DefaultGroupPolicy {
            fn default() -> Self {
                DefaultGroupPolicy {
                    $($field: $default,)*
                    login_allowed_ip_rules: Vec::new(),
                    login_target_blacklist: Vec::new(),
                    reset_password_options: ResetPasswordOptions::default(),
                }
            }
        }
    };
}

policy! {
    /// Policy name.
    policy_name: String = Some("Default".into()),
    /// Policy description.
    policy_description: String = None,
    /// Days of inactivity before an account is considered inactive.
    inactivity_time: i64 = None,
    /// Preferred locale.
    preferred_locale: String = None,
    /// `INHERIT`, `BROWSER`, `H_MM_SS_COLON_SEPARATOR`.
    preferred_time_format: String = Some("INHERIT".into()),
    /// `INHERIT`, `BROWSER`, `YYYY_MM_DD`, `D_M_YYYY`, `D_MON_YYYY`.
    preferred_date_format: String = Some("INHERIT".into()),
    /// How display names are built.
    display_name_format: String = Some("FIRSTNAME_LASTNAME".into()),
    /// Time zone.
    time_zone: String = None,
    /// Minimum password length.
    min_pw_length: i64 = Some(8),
    /// Character classes a password needs (lower, upper, digit, special). The default asks for
    /// none beyond one (NIST SP 800-63B): every password the SDK generates must pass.
    min_char_classes: i64 = Some(1),
    /// Maximum password age in days (0: no limit).
    pw_max_age: i64 = Some(0),
    /// Previous passwords remembered.
    pw_history_saved: i64 = Some(0),
    /// Failed logins that lock the account.
    incorrect_login_attempts_thresh: i64 = Some(5),
    /// Window for counting failed logins, in seconds.
    incorrect_login_time_win: i64 = Some(900),
    /// Lockout duration, in seconds.
    incorrect_login_lockout_time: i64 = Some(900),
    /// Longest alphabetic, numeric or keyboard sequence allowed (8 by default, so random
    /// passwords practically never trip it).
    max_pw_sequence_length: i64 = Some(8),
    /// Longest run of one repeated character allowed.
    max_consecutive_identical_chars: i64 = Some(2),
    /// Where data is kept.
    data_store_country: String = None,
    /// Passwords may not contain the username.
    password_user_name_rule_enforced: bool = Some(true),
    /// Passwords may not be common words.
    password_dictionary_rule_enforced: bool = Some(true),
    /// Cisco group policy name.
    cisco_group_policy: String = None,
    /// Two-factor options, as human-readable text.
    two_factor_auth_options: String = None,
    /// Days an email verification link lives when the request names none.
    email_verify_link_expire_days: i64 = Some(7),
    /// Mobile verification required.
    mobile_verification_required: bool = Some(false),
    /// Persistent login allowed.
    persistent_login_allowed: bool = Some(true),
    /// `ALLOWED` or `DISALLOWED`.
    email_login_allowed: String = Some("ALLOWED".into()),
    /// `ALLOWED` or `DISALLOWED`.
    mobile_login_allowed: String = Some("ALLOWED".into()),
    /// SMS verification attempts per day.
    mobile_verification_attempts_per_day: i64 = Some(5),
    /// Strong identification needed to download personal data.
    strong_id_required_for_my_data_download: bool = Some(false),
    /// Verifying an email unlocks a locked user.
    email_verification_unlocks_user: bool = Some(false),
    /// Users may upload an image.
    user_image_allowed: bool = Some(true),
    /// `HARD_DELETE` or `SOFT_DELETE`.
    delete_mode: String = Some("HARD_DELETE".into()),
    /// Hide soft-deleted users.
    hide_on_soft_delete: bool = Some(false),
}

/// A create or full-object update request for a namespace.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NamespaceChanges {
    /// Code (create only; immutable afterwards).
    pub code: Field<String>,
    /// Display name.
    pub name: Field<String>,
    /// Short display name.
    pub short_name: Field<String>,
    /// Username policy.
    pub username_policy: Field<UsernamePolicy>,
    /// Maximum emails and mobiles per user.
    pub comm_method_max_qty: Field<u32>,
    /// Nicknames may repeat.
    pub duplicate_nicknames_allowed: Field<bool>,
    /// Start of validity.
    pub valid_from: Field<String>,
    /// End of validity.
    pub valid_to: Field<String>,
    /// SMS settings (replaces the stored ones).
    pub sms_settings: Field<SmsSettings>,
    /// Policy keys to change (the others keep their values). The SDK never sends it.
    pub default_group_policy: Field<serde_json::Value>,
}

impl NamespaceChanges {
    /// Apply every writable field to `ns` (mandatory fields keep their value on `null`).
    pub fn apply(self, ns: &mut Namespace) -> crate::Result<()> {
        if let Field::Value(patch) = self.default_group_policy {
            ns.default_group_policy = merge_policy(&ns.default_group_policy, patch)?;
        }
        self.name.apply_required_opt(&mut ns.name);
        self.short_name.apply_to(&mut ns.short_name);
        self.username_policy.apply_required(&mut ns.username_policy);
        self.comm_method_max_qty.apply_required(&mut ns.comm_method_max_qty);
        self.duplicate_nicknames_allowed.apply_required(&mut ns.duplicate_nicknames_allowed);
        self.valid_from.apply_required_opt(&mut ns.valid_from);
        self.valid_to.apply_to(&mut ns.valid_to);
        self.sms_settings.apply_or_default(&mut ns.sms_settings);
        Ok(())
    }
}

/// The policy with the keys of `patch` replaced; a wrong type or value is a 400.
fn merge_policy(policy: &DefaultGroupPolicy, patch: serde_json::Value) -> crate::Result<DefaultGroupPolicy> {
    let serde_json::Value::Object(patch) = patch else {
        return Err(crate::Error::bad("defaultGroupPolicy must be an object"));
    };
    let mut merged = serde_json::to_value(policy).map_err(|e| crate::Error::Internal(e.to_string()))?;
    if let Some(map) = merged.as_object_mut() {
        map.extend(patch.into_iter().filter(|(_, v)| !v.is_null()));
    }
    let merged: DefaultGroupPolicy = serde_json::from_value(merged)
        .map_err(|e| crate::Error::bad(format!("invalid defaultGroupPolicy: {e}")))?;
    const CHOICES: [(&str, &[&str]); 3] = [
        ("deleteMode", &["HARD_DELETE", "SOFT_DELETE"]),
        ("emailLoginAllowed", &["ALLOWED", "DISALLOWED"]),
        ("mobileLoginAllowed", &["ALLOWED", "DISALLOWED"]),
    ];
    check_ranges(&merged)?;
    let values = [&merged.delete_mode, &merged.email_login_allowed, &merged.mobile_login_allowed];
    for ((name, allowed), value) in CHOICES.iter().zip(values) {
        if value.as_deref().is_some_and(|v| !allowed.contains(&v)) {
            return Err(crate::Error::bad(format!("{name} must be one of {}", allowed.join(", "))));
        }
    }
    Ok(merged)
}

/// Counts and lengths of a policy are within sense.
fn check_ranges(p: &DefaultGroupPolicy) -> crate::Result<()> {
    let limits: [(&str, Option<i64>, i64); 12] = [
        ("minPwLength", p.min_pw_length, crate::password::MAX_LENGTH as i64),
        ("minCharClasses", p.min_char_classes, 4),
        ("pwMaxAge", p.pw_max_age, 36_500),
        ("pwHistorySaved", p.pw_history_saved, 100),
        ("incorrectLoginAttemptsThresh", p.incorrect_login_attempts_thresh, 1_000),
        ("incorrectLoginTimeWin", p.incorrect_login_time_win, 525_600),
        ("incorrectLoginLockoutTime", p.incorrect_login_lockout_time, 525_600),
        ("maxPwSequenceLength", p.max_pw_sequence_length, crate::password::MAX_LENGTH as i64),
        (
            "maxConsecutiveIdenticalChars",
            p.max_consecutive_identical_chars,
            crate::password::MAX_LENGTH as i64,
        ),
        ("emailVerifyLinkExpireDays", p.email_verify_link_expire_days, 3_650),
        ("mobileVerificationAttemptsPerDay", p.mobile_verification_attempts_per_day, 1_000),
        ("inactivityTime", p.inactivity_time, i64::MAX),
    ];
    for (name, value, max) in limits {
        if value.is_some_and(|v| !(0..=max).contains(&v)) {
            return Err(crate::Error::bad(format!("{name} must be between 0 and {max}")));
        }
    }
    Ok(())
}
