//! Users: the people (and legal entities) of a namespace.

use super::{is_default, null_as_default, Meta};
use crate::field::Field;
use serde::{Deserialize, Serialize};

/// A user as stored and shown (the password hash lives elsewhere).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct User {
    /// Server-generated id.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Sign-in name, unique (case-insensitively) within the namespace.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub username: String,
    /// `PERSON` or `LEGAL_ENTITY`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_account_type: Option<String>,
    /// Namespace code; changed only by migration.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub ns_code: String,
    /// Email addresses, the primary first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<EmailAddress>,
    /// Mobile numbers, the primary first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mobiles: Vec<Mobile>,
    /// Postal addresses.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<Address>,
    /// Given, middle and family names.
    #[serde(skip_serializing_if = "is_default")]
    pub name: Names,
    /// Marketing and processing consents.
    pub consents: Consents,
    /// Ids of the groups the user belongs to.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub member_of: Vec<String>,
    /// Preferred locale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Preferred language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_language: Option<String>,
    /// IANA time zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// `TOTP`, `SMS` or `NONE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mfa_method: Option<String>,
    /// Nickname.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nick_name: Option<String>,
    /// Locked users cannot sign in.
    pub locked: bool,
    /// A legal minor.
    pub minor: bool,
    /// Main website.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub website_main: Option<String>,
    /// Auxiliary website.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub website_aux: Option<String>,
    /// Municipality code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domicile_code: Option<String>,
    /// Domicile classes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub domicile_classes: Vec<String>,
    /// Date of birth, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<String>,
    /// The last strong identification (read-only here).
    pub strong_identification: StrongIdentification,
    /// Special customer statuses.
    pub customer_group_info: CustomerGroupInfo,
    /// Server-managed metadata.
    #[serde(skip_serializing_if = "Meta::is_empty")]
    pub meta: Meta,
    /// Free-form gender.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    /// `FEMALE`, `MALE`, `OTHER` or `UNDISCLOSED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sex: Option<String>,
    /// ISO 3166-1 alpha-2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nationality: Option<String>,
    /// Salutation, e.g. `Mr.`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub salutation: Option<String>,
    /// Title, e.g. `Dr.`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// First name at birth.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_first_name: Option<String>,
    /// Middle name at birth.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_middle_name: Option<String>,
    /// Last name at birth.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_last_name: Option<String>,
    /// Place of birth (snake case on the wire, as the SDK writes it).
    #[serde(rename = "place_of_birth", alias = "placeOfBirth", skip_serializing_if = "is_default")]
    pub place_of_birth: PlaceOfBirth,
    /// Free tags.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Raised by every stored change (SCIM's `meta.version`); not part of any document.
    #[serde(skip)]
    pub revision: i64,
}

impl User {
    /// The primary (first) email address.
    pub fn primary_email(&self) -> Option<&str> {
        self.emails.first().map(|e| e.address.as_str())
    }
}

/// An email address of a user.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct EmailAddress {
    /// Label, e.g. `work`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The address.
    pub address: String,
    /// Whether it was verified.
    pub verified: bool,
    /// How it was verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified_by: Option<String>,
    /// When it was verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified_date_time: Option<String>,
    /// Tags (omitted when empty).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// A mobile number of a user.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct Mobile {
    /// Label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The number.
    pub number: String,
    /// Whether it was verified.
    pub verified: bool,
    /// How it was verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified_by: Option<String>,
    /// When it was verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified_date_time: Option<String>,
    /// Tags (omitted when empty).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

macro_rules! optional_strings {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $field:ident),* $(, [$($extra:tt)*])? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "camelCase", default)]
        pub struct $name {
            $($(#[$fdoc])* #[serde(skip_serializing_if = "Option::is_none")] pub $field: Option<String>,)*
            $($($extra)*)?
        }
    };
}

optional_strings!(
    /// A postal address.
    Address {
        /// Address name.
        address_name,
        /// Label, e.g. `home`.
        name,
        /// Country.
        country,
        /// Locality.
        locality,
        /// Postal code.
        postal_code,
        /// Region.
        region,
        /// Street address.
        street_address,
        /// `PERMANENT` or `TEMPORARY`.
        r#type,
        /// Organisation.
        organisation,
        /// Source of the address.
        source,
        /// ISO 639-1 language.
        language,
        [
            /// Verified, when the client said so.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub verified: Option<bool>,
        ]
    }
);

optional_strings!(
    /// Given, middle and family names.
    Names {
        /// Given name.
        given_name,
        /// Middle name.
        middle_name,
        /// Family name.
        family_name
    }
);

optional_strings!(
    /// Place of birth.
    PlaceOfBirth {
        /// Country.
        country,
        /// Locality.
        locality,
        /// Region.
        region
    }
);

/// Marketing and processing consents; all eight always shown.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct Consents {
    /// By post.
    #[serde(deserialize_with = "null_as_default")]
    pub marketing_post: bool,
    /// By email.
    #[serde(deserialize_with = "null_as_default")]
    pub marketing_email: bool,
    /// By phone.
    #[serde(deserialize_with = "null_as_default")]
    pub marketing_phone: bool,
    /// By mobile message.
    #[serde(deserialize_with = "null_as_default")]
    pub marketing_mobile_message: bool,
    /// By push notification.
    #[serde(deserialize_with = "null_as_default")]
    pub marketing_push_notification: bool,
    /// Other marketing.
    #[serde(deserialize_with = "null_as_default")]
    pub marketing_other: bool,
    /// Locationing.
    #[serde(deserialize_with = "null_as_default")]
    pub locationing: bool,
    /// Profiling.
    #[serde(deserialize_with = "null_as_default")]
    pub profiling: bool,
}

/// A strong identification: the user's summary, or one history entry (which has an `id`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct StrongIdentification {
    /// History entry id (entries only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `IN_PERSON`, `SUOMI_FI`, `SUOMI_FI_VALTUUDET`, `USER_API`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Documents used.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identification_documents: Vec<String>,
    /// Other explanation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_explanation: Option<String>,
    /// Personal identity code (censored for callers without `ACCOUNT_VIEW_PERSONAL_ID`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub personal_id: Option<String>,
    /// Remarks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
    /// Who identified the user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    /// Last identification.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// First identification.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_time: Option<String>,
    /// Number of identifications.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    /// Whether the user was ever strongly identified.
    #[serde(deserialize_with = "null_as_default")]
    pub identified: bool,
}

/// Special customer statuses entered by customer service.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct CustomerGroupInfo {
    /// A student.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub student: Option<bool>,
    /// Student identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub student_identifier: Option<String>,
    /// Student status valid from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub student_valid_from: Option<String>,
    /// Student status valid to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub student_valid_to: Option<String>,
    /// When the student status was updated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub student_updated: Option<String>,
    /// A senior.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub senior: Option<bool>,
    /// Senior identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub senior_identifier: Option<String>,
    /// When the senior status was updated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub senior_updated: Option<String>,
    /// Has disabilities.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabilities: Option<bool>,
    /// Disabilities identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabilities_identifier: Option<String>,
    /// When the disabilities status was updated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabilities_updated: Option<String>,
    /// Computed: a student right now (read-only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub student_valid_now: Option<bool>,
}

/// An email in a request: a plain string or an object whose members may be `null`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged, expecting = "an email address as a string or an object with an address")]
pub enum EmailInput {
    /// `"a@example.com"`.
    Plain(String),
    /// `{"address": ..., "name": ..., "verified": ..., "tags": ...}`.
    Full {
        /// The address.
        address: Option<String>,
        /// Label.
        #[serde(default)]
        name: Option<String>,
        /// Verified flag (`null` is false).
        #[serde(default)]
        verified: Option<bool>,
        /// Tags.
        #[serde(default)]
        tags: Option<Vec<String>>,
    },
}

/// A mobile number in a request: a plain string or an object whose members may be `null`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged, expecting = "a mobile number as a string or an object with a number")]
pub enum MobileInput {
    /// `"+358401234567"`.
    Plain(String),
    /// `{"number": ..., "name": ..., "verified": ..., "tags": ...}`.
    Full {
        /// The number.
        number: Option<String>,
        /// Label.
        #[serde(default)]
        name: Option<String>,
        /// Verified flag (`null` is false).
        #[serde(default)]
        verified: Option<bool>,
        /// Tags.
        #[serde(default)]
        tags: Option<Vec<String>>,
    },
}

/// A create or full-object update request for a user: every writable field, each
/// absent, `null` or a value. Read-only members of the body are not modelled, so they are ignored.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UserChanges {
    pub username: Field<String>,
    pub user_account_type: Field<String>,
    pub ns_code: Field<String>,
    pub emails: Field<Vec<EmailInput>>,
    /// The seed's single-address shape (`"email": "..."`), used when `emails` is not given.
    pub email: Field<String>,
    pub mobiles: Field<Vec<MobileInput>>,
    pub addresses: Field<Vec<Address>>,
    pub name: Field<Names>,
    /// The seed's spelling of `name`, used when `name` is not given.
    pub names: Field<Names>,
    pub consents: Field<Consents>,
    /// Group ids or names.
    pub member_of: Field<Vec<String>>,
    pub locale: Field<String>,
    pub preferred_language: Field<String>,
    pub time_zone: Field<String>,
    pub mfa_method: Field<String>,
    pub nick_name: Field<String>,
    pub locked: Field<bool>,
    pub minor: Field<bool>,
    pub website_main: Field<String>,
    pub website_aux: Field<String>,
    pub domicile_code: Field<String>,
    pub domicile_classes: Field<Vec<String>>,
    pub date_of_birth: Field<String>,
    pub customer_group_info: Field<CustomerGroupInfo>,
    pub gender: Field<String>,
    pub sex: Field<String>,
    pub nationality: Field<String>,
    pub salutation: Field<String>,
    pub title: Field<String>,
    pub birth_first_name: Field<String>,
    pub birth_middle_name: Field<String>,
    pub birth_last_name: Field<String>,
    #[serde(rename = "place_of_birth", alias = "placeOfBirth")]
    pub place_of_birth: Field<PlaceOfBirth>,
    pub tags: Field<Vec<String>>,
    /// Write-only; only on create.
    pub password: Field<String>,
}

impl UserChanges {
    /// Apply every writable field except `username`, `nsCode`, `memberOf` and `password`
    /// (which need the service's decisions) to `user`. `now` stamps newly verified addresses.
    pub fn apply(self, user: &mut User, now: &str) -> crate::Result<()> {
        let emails = match (self.emails, self.email) {
            (Field::Absent | Field::Null, Field::Value(one)) => Field::Value(vec![EmailInput::Plain(one)]),
            (emails, _) => emails,
        };
        if let Some(list) = field_list(emails) {
            user.emails = merge_emails(&user.emails, list, now)?;
        }
        if let Some(list) = field_list(self.mobiles) {
            user.mobiles = merge_mobiles(&user.mobiles, list, now)?;
        }
        let name = match (self.name, self.names) {
            (Field::Absent, names) => names,
            (name, _) => name,
        };
        name.apply_or_default(&mut user.name);
        self.addresses.apply_or_default(&mut user.addresses);
        self.consents.apply_or_default(&mut user.consents);
        self.user_account_type.apply_to(&mut user.user_account_type);
        self.locale.apply_to(&mut user.locale);
        self.preferred_language.apply_to(&mut user.preferred_language);
        self.time_zone.apply_to(&mut user.time_zone);
        self.mfa_method.apply_to(&mut user.mfa_method);
        self.nick_name.apply_to(&mut user.nick_name);
        self.locked.apply_required(&mut user.locked);
        self.minor.apply_required(&mut user.minor);
        self.website_main.apply_to(&mut user.website_main);
        self.website_aux.apply_to(&mut user.website_aux);
        self.domicile_code.apply_to(&mut user.domicile_code);
        self.domicile_classes.apply_or_default(&mut user.domicile_classes);
        self.date_of_birth.apply_to(&mut user.date_of_birth);
        self.gender.apply_to(&mut user.gender);
        self.sex.apply_to(&mut user.sex);
        self.nationality.apply_to(&mut user.nationality);
        self.salutation.apply_to(&mut user.salutation);
        self.title.apply_to(&mut user.title);
        self.birth_first_name.apply_to(&mut user.birth_first_name);
        self.birth_middle_name.apply_to(&mut user.birth_middle_name);
        self.birth_last_name.apply_to(&mut user.birth_last_name);
        self.place_of_birth.apply_or_default(&mut user.place_of_birth);
        self.tags.apply_or_default(&mut user.tags);
        if let Field::Value(mut info) = self.customer_group_info {
            info.student_valid_now = user.customer_group_info.student_valid_now;
            user.customer_group_info = info;
        } else if let Field::Null = self.customer_group_info {
            user.customer_group_info = CustomerGroupInfo::default();
        }
        Ok(())
    }
}

/// `Some(list)` when the field replaces the stored list (`null` empties it).
fn field_list<T>(field: Field<Vec<T>>) -> Option<Vec<T>> {
    match field {
        Field::Absent => None,
        Field::Null => Some(Vec::new()),
        Field::Value(v) => Some(v),
    }
}

/// Whether `s` is plausibly an email address: `local@domain`, no whitespace.
pub fn is_plausible_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !s.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

/// The new email list; unchanged addresses keep their stored verification.
fn merge_emails(
    stored: &[EmailAddress],
    input: Vec<EmailInput>,
    now: &str,
) -> crate::Result<Vec<EmailAddress>> {
    let mut out: Vec<EmailAddress> = Vec::with_capacity(input.len());
    for item in input {
        let (address, name, verified, tags) = match item {
            EmailInput::Plain(a) => (Some(a), None, None, None),
            EmailInput::Full { address, name, verified, tags } => (address, name, verified, tags),
        };
        let address = address.map(|a| a.trim().to_string()).unwrap_or_default();
        if !is_plausible_email(&address) {
            return Err(crate::Error::bad(format!("'{address}' is not an email address")));
        }
        if out.iter().any(|e| e.address.eq_ignore_ascii_case(&address)) {
            return Err(crate::Error::bad(format!("email address {address} is listed twice")));
        }
        let previous = stored.iter().find(|e| e.address.eq_ignore_ascii_case(&address));
        let stored = previous.map(|p| (p.verified, &p.verified_by, &p.verified_date_time));
        let (verified, verified_by, verified_date_time) = verification(stored, verified, now);
        let tags = tags.unwrap_or_default();
        out.push(EmailAddress { name, address, verified, verified_by, verified_date_time, tags });
    }
    Ok(out)
}

/// Verification of an address in a new list: an address already stored keeps its stored
/// verification; a new one is verified only when the (management) caller says so.
fn verification(
    stored: Option<(bool, &Option<String>, &Option<String>)>,
    supplied: Option<bool>,
    now: &str,
) -> (bool, Option<String>, Option<String>) {
    match stored {
        Some((verified, by, at)) => (verified, by.clone(), at.clone()),
        None if supplied == Some(true) => (true, Some("ADMIN".into()), Some(now.to_string())),
        None => (false, None, None),
    }
}

/// The new mobile list; unchanged numbers keep their stored verification.
fn merge_mobiles(stored: &[Mobile], input: Vec<MobileInput>, now: &str) -> crate::Result<Vec<Mobile>> {
    let mut out: Vec<Mobile> = Vec::with_capacity(input.len());
    for item in input {
        let (number, name, verified, tags) = match item {
            MobileInput::Plain(n) => (Some(n), None, None, None),
            MobileInput::Full { number, name, verified, tags } => (number, name, verified, tags),
        };
        let number = number.map(|n| n.trim().to_string()).unwrap_or_default();
        if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit() || "+-() ".contains(c)) {
            return Err(crate::Error::bad(format!("'{number}' is not a mobile number")));
        }
        if out.iter().any(|m| m.number == number) {
            return Err(crate::Error::bad(format!("mobile number {number} is listed twice")));
        }
        let previous = stored.iter().find(|m| m.number == number);
        let stored = previous.map(|p| (p.verified, &p.verified_by, &p.verified_date_time));
        let (verified, verified_by, verified_date_time) = verification(stored, verified, now);
        let tags = tags.unwrap_or_default();
        out.push(Mobile { name, number, verified, verified_by, verified_date_time, tags });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changes(json: &str) -> UserChanges {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn sdk_shaped_body_applies_and_serialises_without_nulls() {
        let body = r#"{"id":null,"username":null,"nsCode":"x","emails":[{"address":"a@x.fi","verified":null,"tags":null,"name":null}],
            "mobiles":[{"number":"+358401234567","verified":false,"tags":[],"name":null}],"addresses":[],
            "name":{"givenName":"Ann","middleName":null,"familyName":null},"consents":{"marketingEmail":true,"profiling":null},
            "meta":{"created":null},"strongIdentification":{"identified":null},"place_of_birth":{"country":null},"locked":false,"tags":[]}"#;
        let mut user = User::default();
        changes(body).apply(&mut user, "now").unwrap();
        let out = serde_json::to_value(&user).unwrap();
        assert_eq!(out["emails"], serde_json::json!([{"address":"a@x.fi","verified":false}]));
        assert_eq!(out["mobiles"], serde_json::json!([{"number":"+358401234567","verified":false}]));
        assert_eq!(out["name"], serde_json::json!({"givenName":"Ann"}));
        assert_eq!(out["consents"]["marketingEmail"], true);
        assert!(out.get("place_of_birth").is_none());
        assert!(!out.to_string().contains("null"));
    }

    #[test]
    fn absent_keeps_null_clears_and_verification_survives() {
        let mut user = User { nick_name: Some("A".into()), locale: Some("fi".into()), ..Default::default() };
        user.emails.push(EmailAddress { address: "a@x.fi".into(), verified: true, ..Default::default() });
        changes(r#"{"locale":null,"emails":["A@x.fi","b@x.fi"],"locked":null}"#)
            .apply(&mut user, "now")
            .unwrap();
        assert_eq!(user.nick_name.as_deref(), Some("A"));
        assert_eq!(user.locale, None);
        assert!(user.emails[0].verified);
        assert!(!user.emails[1].verified);
    }

    #[test]
    fn seed_shape_is_accepted() {
        let mut user = User::default();
        changes(
            r#"{"username":"john.doe","email":"john@t5,fi","names":{"givenName":"John","familyName":"Doe"}}"#,
        )
        .apply(&mut user, "now")
        .unwrap();
        assert_eq!(user.primary_email(), Some("john@t5,fi"));
        assert_eq!(user.name.family_name.as_deref(), Some("Doe"));
    }

    #[test]
    fn bad_addresses_are_refused() {
        let mut user = User::default();
        assert!(changes(r#"{"emails":["nope"]}"#).apply(&mut user, "now").is_err());
        assert!(changes(r#"{"emails":[{"address":null}]}"#).apply(&mut user, "now").is_err());
        assert!(changes(r#"{"mobiles":["call me"]}"#).apply(&mut user, "now").is_err());
        assert!(serde_json::from_str::<UserChanges>(r#"{"locked":"yes"}"#).is_err());
    }
}
