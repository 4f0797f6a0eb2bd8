//! The SCIM schemas Portti serves (RFC 7643 §4, §7, §8.7), attribute path resolution, and the discovery documents.

use serde_json::{json, Value};

/// The core User schema.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The core Group schema.
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// The enterprise User extension (RFC 7643 §4.3).
pub const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// Portti's own User extension.
pub const PORTTI_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:portti:2.0:User";
/// The list response message.
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// The PATCH request message.
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// The bulk request message.
pub const BULK_REQUEST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
/// The bulk response message.
pub const BULK_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
/// The search (POST `.search`) request message.
pub const SEARCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
/// The service provider configuration resource.
pub const SPC_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
/// The resource type resource.
pub const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
/// The schema resource.
pub const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// Most operations accepted in one bulk request or PATCH.
pub const MAX_OPERATIONS: usize = 1000;
/// Largest bulk request body accepted, in bytes.
pub const MAX_PAYLOAD: usize = 1_048_576;
/// Most resources returned by one query.
pub const MAX_RESULTS: usize = 1000;

/// A resource type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `/Users`
    User,
    /// `/Groups`
    Group,
}

impl Kind {
    /// The endpoint's path segment, `"Users"` or `"Groups"`.
    pub fn endpoint(self) -> &'static str {
        match self {
            Kind::User => "Users",
            Kind::Group => "Groups",
        }
    }

    /// The resource type's name, `"User"` or `"Group"`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::User => "User",
            Kind::Group => "Group",
        }
    }

    /// The core schema.
    pub fn core(self) -> &'static SchemaDef {
        match self {
            Kind::User => &USER,
            Kind::Group => &GROUP,
        }
    }

    /// The extension schemas the resource type may carry.
    pub fn extensions(self) -> &'static [&'static SchemaDef] {
        match self {
            Kind::User => &USER_EXTENSIONS,
            Kind::Group => &[],
        }
    }

    /// The resource type by name (`"User"`/`"Group"`, any case).
    pub fn from_name(name: &str) -> Option<Kind> {
        [Kind::User, Kind::Group].into_iter().find(|k| k.name().eq_ignore_ascii_case(name))
    }
}

/// An attribute's data type (RFC 7643 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrType {
    /// `string`
    String,
    /// `boolean`
    Boolean,
    /// `decimal`
    #[allow(dead_code)] // RFC 7643 vocabulary no Portti attribute uses
    Decimal,
    /// `integer`
    Integer,
    /// `dateTime`
    DateTime,
    /// `binary`
    #[allow(dead_code)] // RFC 7643 vocabulary no Portti attribute uses
    Binary,
    /// `reference`
    Reference,
    /// `complex`
    Complex,
}

impl AttrType {
    /// The type's name as written in a schema.
    pub fn as_str(self) -> &'static str {
        match self {
            AttrType::String => "string",
            AttrType::Boolean => "boolean",
            AttrType::Decimal => "decimal",
            AttrType::Integer => "integer",
            AttrType::DateTime => "dateTime",
            AttrType::Binary => "binary",
            AttrType::Reference => "reference",
            AttrType::Complex => "complex",
        }
    }
}

/// Whether and how an attribute may be changed (RFC 7643 §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    /// Set by the server only.
    ReadOnly,
    /// Freely changed.
    ReadWrite,
    /// Set once, when it had no value, then never changed.
    Immutable,
    /// Set but never returned.
    WriteOnly,
}

impl Mutability {
    /// The keyword as written in a schema.
    pub fn as_str(self) -> &'static str {
        match self {
            Mutability::ReadOnly => "readOnly",
            Mutability::ReadWrite => "readWrite",
            Mutability::Immutable => "immutable",
            Mutability::WriteOnly => "writeOnly",
        }
    }
}

/// When an attribute is returned (RFC 7643 §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returned {
    /// Always, whatever `attributes`/`excludedAttributes` say.
    Always,
    /// Never.
    Never,
    /// Unless excluded.
    Default,
    /// Only when asked for.
    #[allow(dead_code)] // RFC 7643 vocabulary no Portti attribute uses
    Request,
}

impl Returned {
    /// The keyword as written in a schema.
    pub fn as_str(self) -> &'static str {
        match self {
            Returned::Always => "always",
            Returned::Never => "never",
            Returned::Default => "default",
            Returned::Request => "request",
        }
    }
}

/// Whether an attribute's values must be unique (RFC 7643 §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uniqueness {
    /// No uniqueness.
    None,
    /// Unique within the tenant.
    Server,
    /// Globally unique.
    #[allow(dead_code)] // RFC 7643 vocabulary no Portti attribute uses
    Global,
}

impl Uniqueness {
    /// The keyword as written in a schema.
    pub fn as_str(self) -> &'static str {
        match self {
            Uniqueness::None => "none",
            Uniqueness::Server => "server",
            Uniqueness::Global => "global",
        }
    }
}

/// One attribute's definition (RFC 7643 §7).
#[derive(Debug, Clone, PartialEq)]
pub struct AttrDef {
    /// The canonical name.
    pub name: &'static str,
    /// The data type.
    pub ty: AttrType,
    /// Whether the value is an array.
    pub multi_valued: bool,
    /// Whether a value is required.
    pub required: bool,
    /// Whether string comparisons are case-sensitive.
    pub case_exact: bool,
    /// Whether and how it may be changed.
    pub mutability: Mutability,
    /// When it is returned.
    pub returned: Returned,
    /// Whether values must be unique.
    pub uniqueness: Uniqueness,
    /// The sub-attributes of a complex attribute.
    pub sub_attributes: &'static [AttrDef],
    /// Suggested values, e.g. `work`/`home` for `emails.type`.
    pub canonical_values: &'static [&'static str],
    /// What a reference may point at.
    pub reference_types: &'static [&'static str],
    /// What it is, for a human.
    pub description: &'static str,
}

impl AttrDef {
    /// A single-valued, optional, read-write, case-insensitive attribute.
    const fn new(name: &'static str, ty: AttrType, description: &'static str) -> Self {
        AttrDef {
            name,
            ty,
            multi_valued: false,
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            sub_attributes: &[],
            canonical_values: &[],
            reference_types: &[],
            description,
        }
    }

    const fn multi(mut self) -> Self {
        self.multi_valued = true;
        self
    }

    const fn required(mut self) -> Self {
        self.required = true;
        self
    }

    const fn exact(mut self) -> Self {
        self.case_exact = true;
        self
    }

    const fn mutability(mut self, m: Mutability) -> Self {
        self.mutability = m;
        self
    }

    const fn read_only(self) -> Self {
        self.mutability(Mutability::ReadOnly)
    }

    const fn returned(mut self, r: Returned) -> Self {
        self.returned = r;
        self
    }

    const fn unique(mut self) -> Self {
        self.uniqueness = Uniqueness::Server;
        self
    }

    const fn subs(mut self, subs: &'static [AttrDef]) -> Self {
        self.sub_attributes = subs;
        self
    }

    const fn canonical(mut self, values: &'static [&'static str]) -> Self {
        self.canonical_values = values;
        self
    }

    const fn refs(mut self, types: &'static [&'static str]) -> Self {
        self.reference_types = types;
        self
    }

    /// The sub-attribute named `name` (any case).
    pub fn sub(&self, name: &str) -> Option<&'static AttrDef> {
        self.sub_attributes.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// Whether it is complex.
    pub fn is_complex(&self) -> bool {
        self.ty == AttrType::Complex
    }

    /// The attribute as a schema document's attribute object.
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "name": self.name,
            "type": self.ty.as_str(),
            "multiValued": self.multi_valued,
            "description": self.description,
            "required": self.required,
            "caseExact": self.case_exact,
            "mutability": self.mutability.as_str(),
            "returned": self.returned.as_str(),
            "uniqueness": self.uniqueness.as_str(),
        });
        if self.is_complex() {
            v["subAttributes"] = self.sub_attributes.iter().map(AttrDef::to_json).collect();
        }
        if !self.canonical_values.is_empty() {
            v["canonicalValues"] = json!(self.canonical_values);
        }
        if self.ty == AttrType::Reference {
            v["referenceTypes"] = json!(self.reference_types);
        }
        v
    }
}

/// A schema: its URN, name and attributes.
#[derive(Debug, PartialEq)]
pub struct SchemaDef {
    /// The schema's URN.
    pub id: &'static str,
    /// Its name.
    pub name: &'static str,
    /// What it is, for a human.
    pub description: &'static str,
    /// Its attributes (without the common `id`, `externalId` and `meta` for core schemas).
    pub attributes: &'static [AttrDef],
    /// The whole extension seen as one complex attribute named by its URN.
    pub as_attr: AttrDef,
}

impl SchemaDef {
    /// The attribute named `name` (any case).
    pub fn attr(&self, name: &str) -> Option<&'static AttrDef> {
        self.attributes.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// Whether this is a core schema (as opposed to an extension).
    pub fn is_core(&self) -> bool {
        self.id == USER_SCHEMA || self.id == GROUP_SCHEMA
    }

    /// The schema as a `/Schemas` resource, under the SCIM root `base`.
    pub fn to_json(&self, base: &str) -> Value {
        json!({
            "schemas": [SCHEMA_SCHEMA],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": self.attributes.iter().map(AttrDef::to_json).collect::<Vec<_>>(),
            "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{}", self.id)},
        })
    }
}

use AttrType::{Boolean, Complex, DateTime, Integer, Reference, String as Str};

const fn s(name: &'static str, description: &'static str) -> AttrDef {
    AttrDef::new(name, Str, description)
}

const fn b(name: &'static str, description: &'static str) -> AttrDef {
    AttrDef::new(name, Boolean, description)
}

const fn c(name: &'static str, subs: &'static [AttrDef], description: &'static str) -> AttrDef {
    AttrDef::new(name, Complex, description).subs(subs)
}

// ---------------------------------------------------------------------------
// Common attributes (RFC 7643 §3.1)

static META_SUBS: [AttrDef; 5] = [
    s("resourceType", "The name of the resource type.").exact().read_only(),
    AttrDef::new("created", DateTime, "When the resource was added.").read_only(),
    AttrDef::new("lastModified", DateTime, "When the resource was last changed.").read_only(),
    AttrDef::new("location", Reference, "The resource's URI.").exact().read_only().refs(&["uri"]),
    s("version", "The resource's version (its entity tag).").exact().read_only(),
];

/// `id`, `externalId` and `meta`, common to all resources.
static COMMON: [AttrDef; 3] = [
    s("id", "The resource's unique identifier, issued by Portti.")
        .exact()
        .read_only()
        .returned(Returned::Always)
        .unique(),
    s("externalId", "The provisioning client's identifier for the resource.").exact(),
    c("meta", &META_SUBS, "Resource metadata.").read_only(),
];

// ---------------------------------------------------------------------------
// User (RFC 7643 §4.1, §8.7.1)

static NAME_SUBS: [AttrDef; 6] = [
    s("formatted", "The full name, formatted for display."),
    s("familyName", "The family name."),
    s("givenName", "The given name."),
    s("middleName", "The middle name(s)."),
    s("honorificPrefix", "The honorific prefix, e.g. 'Ms.'."),
    s("honorificSuffix", "The honorific suffix, e.g. 'III'."),
];

// Only what the directory keeps: no `display` of emails and numbers, no `formatted` or
// `primary` of addresses.
static EMAIL_SUBS: [AttrDef; 3] = [
    s("value", "The email address."),
    s("type", "The kind of address.").canonical(&["work", "home", "other"]),
    b("primary", "Whether this is the preferred address."),
];

static PHONE_SUBS: [AttrDef; 3] = [
    s("value", "The phone number."),
    s("type", "The kind of number.").canonical(&["work", "home", "mobile", "fax", "pager", "other"]),
    b("primary", "Whether this is the preferred number."),
];

static ADDRESS_SUBS: [AttrDef; 6] = [
    s("streetAddress", "The street address."),
    s("locality", "The city or locality."),
    s("region", "The state or region."),
    s("postalCode", "The postal code."),
    s("country", "The country, as an ISO 3166-1 alpha-2 code."),
    s("type", "The kind of address.").canonical(&["work", "home", "other"]),
];

static USER_GROUP_SUBS: [AttrDef; 4] = [
    s("value", "The group's id.").read_only(),
    AttrDef::new("$ref", Reference, "The group's URI.").read_only().refs(&["Group"]),
    s("display", "The group's display name.").read_only(),
    s("type", "Whether membership is direct or inherited.").read_only().canonical(&["direct", "indirect"]),
];

static USER_ATTRS: [AttrDef; 16] = [
    s("userName", "The unique identifier the user signs in with.").required().unique(),
    c("name", &NAME_SUBS, "The components of the user's name."),
    s("displayName", "The name displayed for the user."),
    s("nickName", "The casual name of the user."),
    AttrDef::new("profileUrl", Reference, "A URI of the user's online profile.").refs(&["external"]),
    s("title", "The user's title, e.g. 'Vice President'."),
    s("userType", "The relationship between the organisation and the user."),
    s("preferredLanguage", "The user's preferred written or spoken language."),
    s("locale", "The user's default location, for localisation."),
    s("timezone", "The user's time zone, in IANA format."),
    b("active", "Whether the user may sign in."),
    s("password", "The user's cleartext password, to set it.")
        .mutability(Mutability::WriteOnly)
        .returned(Returned::Never),
    c("emails", &EMAIL_SUBS, "The user's email addresses.").multi(),
    c("phoneNumbers", &PHONE_SUBS, "The user's phone numbers.").multi(),
    c("addresses", &ADDRESS_SUBS, "The user's physical mailing addresses.").multi(),
    c("groups", &USER_GROUP_SUBS, "The groups the user belongs to.").multi().read_only(),
];

// ---------------------------------------------------------------------------
// Group (RFC 7643 §4.2, §8.7.1)

static MEMBER_SUBS: [AttrDef; 4] = [
    s("value", "The member's id.").exact().mutability(Mutability::Immutable),
    AttrDef::new("$ref", Reference, "The member's URI.")
        .mutability(Mutability::Immutable)
        .refs(&["User", "Group"]),
    s("display", "The member's display name.").read_only(),
    s("type", "The kind of member.").mutability(Mutability::Immutable).canonical(&["User", "Group"]),
];

static GROUP_ATTRS: [AttrDef; 2] = [
    s("displayName", "The group's name.").required(),
    c("members", &MEMBER_SUBS, "The group's members.").multi(),
];

// ---------------------------------------------------------------------------
// Enterprise User (RFC 7643 §4.3)

static MANAGER_SUBS: [AttrDef; 3] = [
    s("value", "The manager's id."),
    AttrDef::new("$ref", Reference, "The manager's URI.").refs(&["User"]),
    s("displayName", "The manager's display name.").read_only(),
];

static ENTERPRISE_ATTRS: [AttrDef; 6] = [
    s("employeeNumber", "The user's employee number."),
    s("costCenter", "The user's cost center."),
    s("organization", "The user's organisation."),
    s("division", "The user's division."),
    s("department", "The user's department."),
    c("manager", &MANAGER_SUBS, "The user's manager."),
];

// ---------------------------------------------------------------------------
// Portti User extension

static CUSTOM_FIELD_SUBS: [AttrDef; 2] =
    [s("name", "The field's name.").required().exact(), s("value", "The field's value.")];

static CONSENT_SUBS: [AttrDef; 8] = [
    b("marketingPost", "Consent to marketing by post."),
    b("marketingEmail", "Consent to marketing by email."),
    b("marketingPhone", "Consent to marketing by phone."),
    b("marketingMobileMessage", "Consent to marketing by mobile messages."),
    b("marketingPushNotification", "Consent to marketing by push notifications."),
    b("marketingOther", "Consent to other marketing."),
    b("locationing", "Consent to locationing."),
    b("profiling", "Consent to profiling."),
];

static STRONG_ID_SUBS: [AttrDef; 6] = [
    b("identified", "Whether the user is strongly identified.").read_only(),
    AttrDef::new("count", Integer, "How many times the user has been strongly identified.").read_only(),
    AttrDef::new("time", DateTime, "When the user was last strongly identified.").read_only(),
    AttrDef::new("firstTime", DateTime, "When the user was first strongly identified.").read_only(),
    s("method", "How the user was last strongly identified.").read_only(),
    s("identifier", "The identifier of the last strong identification.").read_only(),
];

static PORTTI_ATTRS: [AttrDef; 4] = [
    s("nsCode", "The code of the user's namespace (returned when asked for).")
        .read_only()
        .returned(Returned::Request),
    c("customFields", &CUSTOM_FIELD_SUBS, "The user's custom fields, as name/value pairs.").multi(),
    c("consents", &CONSENT_SUBS, "The user's marketing and profiling consents."),
    c("strongIdentification", &STRONG_ID_SUBS, "The user's strong identification.").read_only(),
];

// ---------------------------------------------------------------------------
// Schemas

const fn schema(
    id: &'static str,
    name: &'static str,
    description: &'static str,
    attributes: &'static [AttrDef],
) -> SchemaDef {
    SchemaDef { id, name, description, attributes, as_attr: c(id, attributes, description) }
}

static USER: SchemaDef = schema(USER_SCHEMA, "User", "User Account", &USER_ATTRS);
static GROUP: SchemaDef = schema(GROUP_SCHEMA, "Group", "Group", &GROUP_ATTRS);
static ENTERPRISE: SchemaDef =
    schema(ENTERPRISE_SCHEMA, "EnterpriseUser", "Enterprise User", &ENTERPRISE_ATTRS);
static PORTTI: SchemaDef = schema(PORTTI_SCHEMA, "PorttiUser", "Portti user", &PORTTI_ATTRS);

/// The User extensions.
static USER_EXTENSIONS: [&SchemaDef; 2] = [&ENTERPRISE, &PORTTI];

/// Every schema served at `/Schemas`.
static ALL: [&SchemaDef; 4] = [&USER, &GROUP, &ENTERPRISE, &PORTTI];

/// The common attributes (`id`, `externalId`, `meta`) every resource has.
pub fn common_attributes() -> &'static [AttrDef] {
    &COMMON
}

/// The schema with URN `id` (any case).
pub fn schema_def(id: &str) -> Option<&'static SchemaDef> {
    ALL.iter().copied().find(|s| s.id.eq_ignore_ascii_case(id))
}

// ---------------------------------------------------------------------------
// Resolution

/// A resolved attribute path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Resolved {
    /// The URN of the extension holding the attribute; `None` for core (and common) attributes.
    pub schema: Option<&'static str>,
    /// The attribute; for a bare extension URN, the extension's [`SchemaDef::as_attr`].
    pub attr: &'static AttrDef,
    /// The sub-attribute, for `attr.sub` paths.
    pub sub: Option<&'static AttrDef>,
}

impl Resolved {
    /// Whether the path named a whole extension object (e.g. the enterprise URN itself).
    pub fn is_extension(&self) -> bool {
        self.schema.is_some_and(|urn| urn == self.attr.name)
    }
}

/// `rest` of `path` after the prefix `prefix` (ASCII case-insensitive), if it has it.
fn strip_prefix_ci<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    let head = path.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &path[prefix.len()..])
}

/// Resolves a path such as `userName`, `name.givenName`, `emails.value`,
/// `urn:…:enterprise:2.0:User:manager.value` or a bare extension URN, case-insensitively.
pub fn resolve(kind: Kind, path: &str) -> Option<Resolved> {
    let core = kind.core();
    for ext in kind.extensions() {
        if path.eq_ignore_ascii_case(ext.id) {
            return Some(Resolved { schema: Some(ext.id), attr: &ext.as_attr, sub: None });
        }
        if let Some(rest) = strip_prefix_ci(path, ext.id).and_then(|r| r.strip_prefix(':')) {
            return resolve_in(ext, rest);
        }
    }
    let rest = strip_prefix_ci(path, core.id).and_then(|r| r.strip_prefix(':')).unwrap_or(path);
    resolve_in(core, rest)
}

/// Resolves `attr` or `attr.sub` within an extension, or within the core schema and common attributes.
fn resolve_in(schema: &'static SchemaDef, rest: &str) -> Option<Resolved> {
    let (name, sub) = match rest.split_once('.') {
        Some((name, sub)) => (name, Some(sub)),
        None => (rest, None),
    };
    let common = || COMMON.iter().find(|a| a.name.eq_ignore_ascii_case(name));
    let attr = if schema.is_core() { common().or_else(|| schema.attr(name))? } else { schema.attr(name)? };
    let sub = match sub {
        Some(sub) => Some(attr.sub(sub)?),
        None => None,
    };
    let schema = (!schema.is_core()).then_some(schema.id);
    Some(Resolved { schema, attr, sub })
}

// ---------------------------------------------------------------------------
// Discovery documents

/// All `/Schemas` resources.
pub fn schemas_json(base: &str) -> Vec<Value> {
    ALL.iter().map(|s| s.to_json(base)).collect()
}

/// The `/Schemas/{id}` resource.
pub fn schema_json(base: &str, id: &str) -> Option<Value> {
    schema_def(id).map(|s| s.to_json(base))
}

/// All `/ResourceTypes` resources.
pub fn resource_types_json(base: &str) -> Vec<Value> {
    [Kind::User, Kind::Group].into_iter().map(|k| resource_type(base, k)).collect()
}

/// The `/ResourceTypes/{name}` resource.
pub fn resource_type_json(base: &str, name: &str) -> Option<Value> {
    Kind::from_name(name).map(|k| resource_type(base, k))
}

fn resource_type(base: &str, kind: Kind) -> Value {
    let mut v = json!({
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": kind.name(),
        "name": kind.name(),
        "endpoint": format!("/{}", kind.endpoint()),
        "description": kind.core().description,
        "schema": kind.core().id,
        "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/{}", kind.name())},
    });
    if !kind.extensions().is_empty() {
        let exts: Vec<Value> =
            kind.extensions().iter().map(|e| json!({"schema": e.id, "required": false})).collect();
        v["schemaExtensions"] = Value::Array(exts);
    }
    v
}

/// The `/ServiceProviderConfig` resource.
pub fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": [SPC_SCHEMA],
        "patch": {"supported": true},
        "bulk": {"supported": true, "maxOperations": MAX_OPERATIONS, "maxPayloadSize": MAX_PAYLOAD},
        "filter": {"supported": true, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": true},
        "sort": {"supported": true},
        "etag": {"supported": true},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "OAuth Bearer Token",
                "description": "Authentication with an OAuth 2.0 bearer token.",
                "specUri": "https://www.rfc-editor.org/info/rfc6750",
                "primary": true,
            },
            {
                "type": "httpbasic",
                "name": "HTTP Basic",
                "description": "Authentication with a client id and secret, HTTP Basic.",
                "specUri": "https://www.rfc-editor.org/info/rfc7617",
                "primary": false,
            },
        ],
        "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig")},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Resolved {
        /// The dotted canonical path, URN-prefixed for extension attributes.
        pub fn canonical(&self) -> String {
            let mut out = match self.schema {
                Some(urn) if !self.is_extension() => format!("{urn}:{}", self.attr.name),
                _ => self.attr.name.to_string(),
            };
            if let Some(sub) = self.sub {
                out.push('.');
                out.push_str(sub.name);
            }
            out
        }
    }

    fn canon(kind: Kind, path: &str) -> Option<String> {
        resolve(kind, path).map(|r| r.canonical())
    }

    #[test]
    fn resolves_core_paths_case_insensitively() {
        assert_eq!(canon(Kind::User, "USERNAME").as_deref(), Some("userName"));
        assert_eq!(canon(Kind::User, "name.givenname").as_deref(), Some("name.givenName"));
        assert_eq!(canon(Kind::User, "emails.Value").as_deref(), Some("emails.value"));
        assert_eq!(canon(Kind::User, "id").as_deref(), Some("id"));
        assert_eq!(canon(Kind::User, "meta.lastModified").as_deref(), Some("meta.lastModified"));
        assert_eq!(canon(Kind::Group, "members.value").as_deref(), Some("members.value"));
        assert_eq!(canon(Kind::Group, "members.$ref").as_deref(), Some("members.$ref"));
        let r = resolve(Kind::User, "name.givenName").unwrap();
        assert_eq!(r.schema, None);
        assert_eq!(r.attr.name, "name");
        assert_eq!(r.sub.map(|s| s.name), Some("givenName"));
    }

    #[test]
    fn resolves_urn_prefixed_paths() {
        let p = "urn:ietf:params:scim:schemas:core:2.0:User:name.givenName";
        assert_eq!(canon(Kind::User, p).as_deref(), Some("name.givenName"));
        let p = "URN:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value";
        let r = resolve(Kind::User, p).unwrap();
        assert_eq!(r.schema, Some(ENTERPRISE_SCHEMA));
        assert_eq!((r.attr.name, r.sub.map(|s| s.name)), ("manager", Some("value")));
        assert!(!r.is_extension());
        assert_eq!(r.canonical(), format!("{ENTERPRISE_SCHEMA}:manager.value"));
        let p = format!("{ENTERPRISE_SCHEMA}:employeeNumber");
        assert_eq!(resolve(Kind::User, &p).unwrap().attr.name, "employeeNumber");
        let p = format!("{PORTTI_SCHEMA}:consents.profiling");
        assert_eq!(resolve(Kind::User, &p).unwrap().sub.unwrap().ty, AttrType::Boolean);
        let p = format!("{GROUP_SCHEMA}:displayName");
        assert_eq!(canon(Kind::Group, &p).as_deref(), Some("displayName"));
    }

    #[test]
    fn resolves_bare_extension_urns() {
        let r = resolve(Kind::User, &ENTERPRISE_SCHEMA.to_lowercase()).unwrap();
        assert!(r.is_extension());
        assert_eq!(r.attr.name, ENTERPRISE_SCHEMA);
        assert!(r.attr.sub("department").is_some());
        assert!(resolve(Kind::User, PORTTI_SCHEMA).unwrap().is_extension());
        assert!(resolve(Kind::Group, ENTERPRISE_SCHEMA).is_none());
        assert!(resolve(Kind::User, USER_SCHEMA).is_none());
    }

    #[test]
    fn rejects_unknown_paths() {
        for bad in [
            "",
            "nope",
            "name.nope",
            "name.givenName.x",
            "userName.x",
            "members",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:userName",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:Userx",
            "urn:ietf:params:scim:schemas:core:2.0:Group:userName",
            "ää",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:Usä",
            "emails[type eq \"work\"]",
        ] {
            assert!(resolve(Kind::User, bad).is_none(), "{bad}");
        }
        assert!(resolve(Kind::Group, "userName").is_none());
        assert!(resolve(Kind::Group, "emails").is_none());
    }

    #[test]
    fn attribute_characteristics() {
        let a = |p: &str| resolve(Kind::User, p).unwrap();
        assert_eq!(a("id").attr.returned, Returned::Always);
        assert!(a("id").attr.case_exact);
        assert!(a("externalId").attr.case_exact);
        assert!(a("userName").attr.required);
        assert_eq!(a("userName").attr.uniqueness, Uniqueness::Server);
        assert_eq!(a("password").attr.returned, Returned::Never);
        assert_eq!(a("password").attr.mutability, Mutability::WriteOnly);
        assert_eq!(a("groups").attr.mutability, Mutability::ReadOnly);
        assert!(a("emails").attr.multi_valued);
        assert_eq!(a("phoneNumbers.type").sub.unwrap().canonical_values.len(), 6);
        let g = resolve(Kind::Group, "members.value").unwrap();
        assert_eq!(g.sub.unwrap().mutability, Mutability::Immutable);
        assert!(resolve(Kind::Group, "displayName").unwrap().attr.required);
        let p = resolve(Kind::User, &format!("{PORTTI_SCHEMA}:customFields.name")).unwrap();
        assert!(p.attr.multi_valued && p.sub.unwrap().required && p.sub.unwrap().case_exact);
        let p = resolve(Kind::User, &format!("{PORTTI_SCHEMA}:nsCode")).unwrap();
        assert_eq!(p.attr.mutability, Mutability::ReadOnly);
    }

    #[test]
    fn schema_documents() {
        let base = "http://h/scim/v2/acme";
        let all = schemas_json(base);
        assert_eq!(all.len(), 4);
        let user = schema_json(base, USER_SCHEMA).unwrap();
        assert_eq!(user["schemas"][0], SCHEMA_SCHEMA);
        assert_eq!(user["meta"]["location"], format!("{base}/Schemas/{USER_SCHEMA}"));
        assert_eq!(user["meta"]["resourceType"], "Schema");
        let attrs = user["attributes"].as_array().unwrap();
        let emails = attrs.iter().find(|a| a["name"] == "emails").unwrap();
        assert_eq!(emails["multiValued"], true);
        assert_eq!(emails["subAttributes"][1]["canonicalValues"], json!(["work", "home", "other"]));
        let profile = attrs.iter().find(|a| a["name"] == "profileUrl").unwrap();
        assert_eq!(profile["referenceTypes"], json!(["external"]));
        assert!(profile.get("subAttributes").is_none());
        assert!(attrs.iter().all(|a| a["name"] != "id"));
        let portti = schema_json(base, &PORTTI_SCHEMA.to_uppercase()).unwrap();
        assert_eq!(portti["name"], "PorttiUser");
        assert!(schema_json(base, "urn:nope").is_none());
    }

    #[test]
    fn resource_types_and_config() {
        let base = "http://h/scim/v2/acme";
        let types = resource_types_json(base);
        assert_eq!(types.len(), 2);
        let user = resource_type_json(base, "user").unwrap();
        assert_eq!(user["endpoint"], "/Users");
        assert_eq!(user["schema"], USER_SCHEMA);
        assert_eq!(user["schemaExtensions"][0], json!({"schema": ENTERPRISE_SCHEMA, "required": false}));
        assert_eq!(user["schemaExtensions"][1]["schema"], PORTTI_SCHEMA);
        assert_eq!(user["meta"]["location"], format!("{base}/ResourceTypes/User"));
        let group = resource_type_json(base, "Group").unwrap();
        assert!(group.get("schemaExtensions").is_none());
        assert!(resource_type_json(base, "Device").is_none());
        let spc = service_provider_config(base);
        assert_eq!(spc["bulk"]["maxOperations"], 1000);
        assert_eq!(spc["bulk"]["maxPayloadSize"], 1_048_576);
        assert_eq!(spc["filter"]["maxResults"], 1000);
        assert_eq!(spc["authenticationSchemes"][1]["type"], "httpbasic");
        assert_eq!(spc["meta"]["location"], format!("{base}/ServiceProviderConfig"));
    }

    #[test]
    fn kinds() {
        assert_eq!(Kind::User.endpoint(), "Users");
        assert_eq!(Kind::Group.name(), "Group");
        assert_eq!(Kind::Group.core().id, GROUP_SCHEMA);
        assert_eq!(Kind::User.extensions().len(), 2);
        assert!(Kind::Group.extensions().is_empty());
    }
}
