//! The attributes of each resource that filters and sorts may name, with their types and shapes.
//!
//! A store compiles filters from these descriptions: it may serve some attributes from
//! indexed columns and the rest from the resource's JSON document, at the path given here.

/// The value type of an attribute, which decides how filter values are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrType {
    /// Compared case-sensitively.
    Text,
    /// Compared case-insensitively (usernames, email addresses).
    CiText,
    /// `true`/`false` (also the strings `"true"`/`"false"`); absent counts as false.
    Bool,
    /// A whole number.
    Int,
    /// An ISO-8601 instant, compared as a point in time.
    Instant,
}

/// Where an attribute lives in the resource's JSON document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One value at this path.
    Scalar(&'static [&'static str]),
    /// An array of scalars at this path; a comparison matches when any element does.
    List(&'static [&'static str]),
    /// A member of each object of an array; a comparison matches when any element does.
    InArray {
        /// The array's key.
        array: &'static str,
        /// The member's path inside each element.
        field: &'static [&'static str],
    },
}

/// One filterable attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attr {
    /// The dotted name used in filters, e.g. `name.givenName`.
    pub name: &'static str,
    /// Its value type.
    pub ty: AttrType,
    /// Where it lives.
    pub shape: Shape,
}

impl Attr {
    /// Whether it may be used to sort (single-valued attributes only).
    pub fn sortable(&self) -> bool {
        matches!(self.shape, Shape::Scalar(_))
    }
}

/// The kinds of resource that can be listed with filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// Users.
    User,
    /// Namespaces.
    Namespace,
    /// Groups.
    Group,
    /// Custom roles.
    CustomRole,
    /// Strong-identification history entries.
    StrongIdentification,
    /// Email templates.
    EmailTemplate,
}

impl Resource {
    /// Every attribute of the resource.
    pub fn attrs(self) -> &'static [Attr] {
        match self {
            Resource::User => USER,
            Resource::Namespace => NAMESPACE,
            Resource::Group => GROUP,
            Resource::CustomRole => CUSTOM_ROLE,
            Resource::StrongIdentification => STRONG_ID,
            Resource::EmailTemplate => EMAIL_TEMPLATE,
        }
    }

    /// The key of a user's custom field named in a filter (`customFields.shoeSize` → `shoeSize`).
    /// Keys are limited to `A-Z a-z 0-9 _ - $` so they can be spelled in JSON paths.
    pub fn custom_field(self, name: &str) -> Option<&str> {
        let key = name.strip_prefix("customFields.")?;
        let ok = self == Resource::User
            && !key.is_empty()
            && key.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-$".contains(&b));
        ok.then_some(key)
    }

    /// The attribute with this dotted name (names are case-sensitive).
    pub fn attr(self, name: &str) -> Option<&'static Attr> {
        self.attrs().iter().find(|a| a.name == name)
    }

    /// The attribute, or a 400 naming the unknown one.
    pub fn require(self, name: &str) -> crate::Result<&'static Attr> {
        self.attr(name)
            .ok_or_else(|| crate::Error::bad(format!("unknown attribute '{name}' in filter or sort")))
    }
}

macro_rules! attrs {
    ($($name:literal : $ty:ident $shape:ident $($path:literal)|* $(@ $array:literal)?;)*) => {
        &[$(attrs!(@one $name, $ty, $shape, [$($path),*] $(, $array)?)),*]
    };
    (@one $name:literal, $ty:ident, scalar, [$($p:literal),*]) => {
        Attr { name: $name, ty: AttrType::$ty, shape: Shape::Scalar(&[$($p),*]) }
    };
    (@one $name:literal, $ty:ident, list, [$($p:literal),*]) => {
        Attr { name: $name, ty: AttrType::$ty, shape: Shape::List(&[$($p),*]) }
    };
    (@one $name:literal, $ty:ident, each, [$($p:literal),*], $array:literal) => {
        Attr { name: $name, ty: AttrType::$ty, shape: Shape::InArray { array: $array, field: &[$($p),*] } }
    };
}

#[cfg(test)]
const META: [Attr; 2] = [
    Attr { name: "meta.created", ty: AttrType::Instant, shape: Shape::Scalar(&["meta", "created"]) },
    Attr {
        name: "meta.lastModified",
        ty: AttrType::Instant,
        shape: Shape::Scalar(&["meta", "lastModified"]),
    },
];

static USER: &[Attr] = attrs! {
    "id": Text scalar "id";
    "username": CiText scalar "username";
    "userAccountType": Text scalar "userAccountType";
    "nsCode": Text scalar "nsCode";
    "emails": CiText each "address" @ "emails";
    "emails.address": CiText each "address" @ "emails";
    "emails.name": Text each "name" @ "emails";
    "emails.verified": Bool each "verified" @ "emails";
    "mobiles": Text each "number" @ "mobiles";
    "mobiles.number": Text each "number" @ "mobiles";
    "mobiles.name": Text each "name" @ "mobiles";
    "mobiles.verified": Bool each "verified" @ "mobiles";
    "addresses": Text each "streetAddress" @ "addresses";
    "addresses.addressName": Text each "addressName" @ "addresses";
    "addresses.name": Text each "name" @ "addresses";
    "addresses.country": Text each "country" @ "addresses";
    "addresses.locality": Text each "locality" @ "addresses";
    "addresses.postalCode": Text each "postalCode" @ "addresses";
    "addresses.region": Text each "region" @ "addresses";
    "addresses.streetAddress": Text each "streetAddress" @ "addresses";
    "addresses.type": Text each "type" @ "addresses";
    "name.givenName": Text scalar "name" | "givenName";
    "name.middleName": Text scalar "name" | "middleName";
    "name.familyName": Text scalar "name" | "familyName";
    "consents.marketingPost": Bool scalar "consents" | "marketingPost";
    "consents.marketingEmail": Bool scalar "consents" | "marketingEmail";
    "consents.marketingPhone": Bool scalar "consents" | "marketingPhone";
    "consents.marketingMobileMessage": Bool scalar "consents" | "marketingMobileMessage";
    "consents.marketingPushNotification": Bool scalar "consents" | "marketingPushNotification";
    "consents.marketingOther": Bool scalar "consents" | "marketingOther";
    "consents.locationing": Bool scalar "consents" | "locationing";
    "consents.profiling": Bool scalar "consents" | "profiling";
    "memberOf": Text list "memberOf";
    "locale": Text scalar "locale";
    "preferredLanguage": Text scalar "preferredLanguage";
    "timeZone": Text scalar "timeZone";
    "mfaMethod": Text scalar "mfaMethod";
    "nickName": Text scalar "nickName";
    "locked": Bool scalar "locked";
    "minor": Bool scalar "minor";
    "websiteMain": Text scalar "websiteMain";
    "websiteAux": Text scalar "websiteAux";
    "domicileCode": Text scalar "domicileCode";
    "domicileClasses": Text list "domicileClasses";
    "dateOfBirth": Text scalar "dateOfBirth";
    "strongIdentification.identified": Bool scalar "strongIdentification" | "identified";
    "strongIdentification.method": Text scalar "strongIdentification" | "method";
    "strongIdentification.time": Instant scalar "strongIdentification" | "time";
    "strongIdentification.count": Int scalar "strongIdentification" | "count";
    "customerGroupInfo.student": Bool scalar "customerGroupInfo" | "student";
    "customerGroupInfo.senior": Bool scalar "customerGroupInfo" | "senior";
    "customerGroupInfo.disabilities": Bool scalar "customerGroupInfo" | "disabilities";
    "customerGroupInfo.studentIdentifier": Text scalar "customerGroupInfo" | "studentIdentifier";
    "gender": Text scalar "gender";
    "sex": Text scalar "sex";
    "nationality": Text scalar "nationality";
    "salutation": Text scalar "salutation";
    "title": Text scalar "title";
    "birthFirstName": Text scalar "birthFirstName";
    "birthMiddleName": Text scalar "birthMiddleName";
    "birthLastName": Text scalar "birthLastName";
    "place_of_birth.country": Text scalar "place_of_birth" | "country";
    "place_of_birth.locality": Text scalar "place_of_birth" | "locality";
    "place_of_birth.region": Text scalar "place_of_birth" | "region";
    "tags": Text list "tags";
    "meta.created": Instant scalar "meta" | "created";
    "meta.lastModified": Instant scalar "meta" | "lastModified";
    "externalId": Text scalar "provisioned" | "externalId";
    "displayName": Text scalar "provisioned" | "displayName";
    "userType": Text scalar "provisioned" | "userType";
    "enterpriseUser.employeeNumber": Text scalar "provisioned" | "enterprise" | "employeeNumber";
    "enterpriseUser.costCenter": Text scalar "provisioned" | "enterprise" | "costCenter";
    "enterpriseUser.organization": Text scalar "provisioned" | "enterprise" | "organization";
    "enterpriseUser.division": Text scalar "provisioned" | "enterprise" | "division";
    "enterpriseUser.department": Text scalar "provisioned" | "enterprise" | "department";
    "enterpriseUser.manager": Text scalar "provisioned" | "enterprise" | "manager" | "value";
};

static NAMESPACE: &[Attr] = attrs! {
    "id": Text scalar "id";
    "code": Text scalar "code";
    "name": Text scalar "name";
    "shortName": Text scalar "shortName";
    "usernamePolicy": Text scalar "usernamePolicy";
    "commMethodMaxQty": Int scalar "commMethodMaxQty";
    "duplicateNicknamesAllowed": Bool scalar "duplicateNicknamesAllowed";
    "validFrom": Instant scalar "validFrom";
    "validTo": Instant scalar "validTo";
    "smsSettings.enabled": Bool scalar "smsSettings" | "enabled";
    "smsSettings.defaultRegion": Text scalar "smsSettings" | "defaultRegion";
    "meta.created": Instant scalar "meta" | "created";
    "meta.lastModified": Instant scalar "meta" | "lastModified";
};

static GROUP: &[Attr] = attrs! {
    "id": Text scalar "id";
    "name": Text scalar "name";
    "description": Text scalar "description";
    "nsCode": Text scalar "nsCode";
    "disallowUsers": Bool scalar "disallowUsers";
    "disallowContacts": Bool scalar "disallowContacts";
    "disallowGroups": Bool scalar "disallowGroups";
    "memberOf": Text list "memberOf";
    "members": Text list "members";
    "externalId": Text scalar "externalId";
    "meta.created": Instant scalar "meta" | "created";
    "meta.lastModified": Instant scalar "meta" | "lastModified";
};

static CUSTOM_ROLE: &[Attr] = attrs! {
    "id": Text scalar "id";
    "name": Text scalar "name";
    "nsCode": Text scalar "nsCode";
    "permissions": Text list "permissions";
    "memberOf": Text list "memberOf";
    "members": Text list "members";
    "externalId": Text scalar "externalId";
    "meta.created": Instant scalar "meta" | "created";
    "meta.lastModified": Instant scalar "meta" | "lastModified";
};

static STRONG_ID: &[Attr] = attrs! {
    "id": Text scalar "id";
    "method": Text scalar "method";
    "identifier": Text scalar "identifier";
    "remarks": Text scalar "remarks";
    "personalId": Text scalar "personalId";
    "otherExplanation": Text scalar "otherExplanation";
    "time": Instant scalar "time";
};

static EMAIL_TEMPLATE: &[Attr] = attrs! {
    "id": Text scalar "id";
    "name": Text scalar "name";
    "description": Text scalar "description";
    "templateEngine": Text scalar "templateEngine";
    "defaultLocale": Text scalar "defaultLocale";
    "defaultTimeZone": Text scalar "defaultTimeZone";
    "namespaceIds": Text list "namespaceIds";
    "meta.created": Instant scalar "meta" | "created";
    "meta.lastModified": Instant scalar "meta" | "lastModified";
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_paths_match_names() {
        let all = [
            Resource::User,
            Resource::Namespace,
            Resource::Group,
            Resource::CustomRole,
            Resource::StrongIdentification,
            Resource::EmailTemplate,
        ];
        for res in all {
            let attrs = res.attrs();
            for (i, a) in attrs.iter().enumerate() {
                assert!(attrs[i + 1..].iter().all(|b| b.name != a.name), "{}", a.name);
                // Attributes kept beside the document (the provisioned facet) have their own paths.
                if let Shape::Scalar(path) = a.shape {
                    if path[0] != "provisioned" {
                        assert_eq!(path.join("."), a.name);
                    }
                }
            }
        }
        for res in [Resource::User, Resource::Namespace, Resource::Group, Resource::CustomRole] {
            for m in META {
                assert_eq!(res.attr(m.name), Some(&m));
            }
        }
        assert_eq!(Resource::User.custom_field("customFields.shoe_size"), Some("shoe_size"));
        assert_eq!(Resource::User.custom_field("customFields.a'b"), None);
        assert_eq!(Resource::Group.custom_field("customFields.a"), None);
    }

    #[test]
    fn unknown_attribute_is_a_bad_request() {
        assert!(Resource::User.require("password").is_err());
        assert!(Resource::User.require("Username").is_err());
        assert_eq!(Resource::User.require("emails.address").unwrap().ty, AttrType::CiText);
    }
}
