//! SCIM filters and sort keys, translated to the directory's attribute names: the
//! store then compiles them as it compiles every other dialect's filters.

use super::error::{ScimError, ScimType};
use super::schema::{Kind, ENTERPRISE_SCHEMA};
use portti_core::filter::{AttrPath, CompareOp, Filter, Value};

/// The filter over SCIM attribute names as the same filter over directory names.
pub fn translate(kind: Kind, filter: Filter) -> Result<Filter, ScimError> {
    Ok(match filter {
        Filter::And(a, b) => Filter::And(Box::new(translate(kind, *a)?), Box::new(translate(kind, *b)?)),
        Filter::Or(a, b) => Filter::Or(Box::new(translate(kind, *a)?), Box::new(translate(kind, *b)?)),
        Filter::Not(a) => Filter::Not(Box::new(translate(kind, *a)?)),
        Filter::Present(path) => {
            let name = scim_name(&path);
            if kind == Kind::User && name.eq_ignore_ascii_case("active") {
                Filter::Present(dir_path("id"))
            } else {
                Filter::Present(dir_path(&attribute(kind, &name, None)?))
            }
        }
        Filter::Compare { path, op, value } => {
            let name = scim_name(&path);
            if kind == Kind::User && name.eq_ignore_ascii_case("active") {
                active(op, value)?
            } else {
                Filter::Compare { path: dir_path(&attribute(kind, &name, None)?), op, value }
            }
        }
        Filter::ValuePath { path, filter } => {
            let array = scim_name(&path);
            if kind == Kind::Group && array.eq_ignore_ascii_case("members") {
                // A group's members are ids: `members[value eq "…"]` is `members eq "…"`.
                return inner_names(kind, &array, *filter);
            }
            let (dir_array, inner) = value_path(kind, &array, *filter)?;
            Filter::ValuePath { path: dir_path(dir_array), filter: Box::new(inner) }
        }
    })
}

/// A sort key's directory name (single-valued attributes only).
pub fn sort_key(kind: Kind, name: &str) -> Result<String, ScimError> {
    let name = strip_urn(name);
    if kind == Kind::User && name.eq_ignore_ascii_case("active") {
        return Ok("locked".into());
    }
    attribute(kind, &name, None)
        .map_err(|_| ScimError::bad(ScimType::InvalidValue, format!("cannot sort by '{name}'")))
}

fn dir_path(name: &str) -> AttrPath {
    AttrPath(name.split('.').map(str::to_string).collect())
}

/// The attribute path as written, without a schema URN prefix.
fn scim_name(path: &AttrPath) -> String {
    strip_urn(&path.dotted())
}

/// The attribute without its schema URN (`urn:…:2.0:User:name.givenName` → `name.givenName`);
/// the enterprise extension's attributes come out as `enterprise:department`.
fn strip_urn(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    if !lower.starts_with("urn:") {
        return name.to_string();
    }
    let Some(i) = name.rfind(':') else { return name.to_string() };
    let attr = &name[i + 1..];
    if lower[..i].eq_ignore_ascii_case(ENTERPRISE_SCHEMA) {
        format!("enterprise:{attr}")
    } else {
        attr.to_string()
    }
}

fn unsupported(name: &str) -> ScimError {
    ScimError::bad(ScimType::InvalidFilter, format!("cannot filter on attribute '{name}'"))
}

/// `active eq true` is `locked eq false`.
fn active(op: CompareOp, value: Value) -> Result<Filter, ScimError> {
    let flag = match &value {
        Value::Bool(b) => *b,
        Value::Str(s) if s.eq_ignore_ascii_case("true") => true,
        Value::Str(s) if s.eq_ignore_ascii_case("false") => false,
        _ => return Err(ScimError::bad(ScimType::InvalidFilter, "active compares with true or false")),
    };
    if !matches!(op, CompareOp::Eq | CompareOp::Ne) {
        return Err(ScimError::bad(ScimType::InvalidFilter, "active supports only eq and ne"));
    }
    Ok(Filter::Compare { path: dir_path("locked"), op, value: Value::Bool(!flag) })
}

/// The directory name of a (sub-)attribute; `array` when inside a value path.
fn attribute(kind: Kind, name: &str, array: Option<&str>) -> Result<String, ScimError> {
    let key = name.to_ascii_lowercase();
    let full = match array {
        Some(a) => format!("{}.{key}", a.to_ascii_lowercase()),
        None => key,
    };
    let found = match kind {
        Kind::User => USER_NAMES.iter().find(|(scim, _)| *scim == full),
        Kind::Group => GROUP_NAMES.iter().find(|(scim, _)| *scim == full),
    };
    found.map(|(_, dir)| dir.to_string()).ok_or_else(|| unsupported(name))
}

/// `emails[type eq "work"]`: the directory's array and the inner filter over its members.
fn value_path(kind: Kind, array: &str, inner: Filter) -> Result<(&'static str, Filter), ScimError> {
    let dir = match (kind, array.to_ascii_lowercase().as_str()) {
        (Kind::User, "emails") => "emails",
        (Kind::User, "phonenumbers") => "mobiles",
        (Kind::User, "addresses") => "addresses",
        _ => return Err(unsupported(array)),
    };
    Ok((dir, inner_names(kind, array, inner)?))
}

fn inner_names(kind: Kind, array: &str, f: Filter) -> Result<Filter, ScimError> {
    let sub = |path: &AttrPath| -> Result<AttrPath, ScimError> {
        let full = attribute(kind, &path.dotted(), Some(array))?;
        let member = full.split_once('.').map(|(_, m)| m.to_string()).unwrap_or(full);
        Ok(dir_path(&member))
    };
    Ok(match f {
        Filter::And(a, b) => {
            Filter::And(Box::new(inner_names(kind, array, *a)?), Box::new(inner_names(kind, array, *b)?))
        }
        Filter::Or(a, b) => {
            Filter::Or(Box::new(inner_names(kind, array, *a)?), Box::new(inner_names(kind, array, *b)?))
        }
        Filter::Not(a) => Filter::Not(Box::new(inner_names(kind, array, *a)?)),
        Filter::Present(p) => Filter::Present(sub(&p)?),
        Filter::Compare { path, op, value } => Filter::Compare { path: sub(&path)?, op, value },
        Filter::ValuePath { path, .. } => return Err(unsupported(&path.dotted())),
    })
}

/// SCIM user attributes (lowercase) and the directory's names for them.
const USER_NAMES: &[(&str, &str)] = &[
    ("id", "id"),
    ("username", "username"),
    ("externalid", "externalId"),
    ("displayname", "displayName"),
    ("nickname", "nickName"),
    ("title", "title"),
    ("locale", "locale"),
    ("preferredlanguage", "preferredLanguage"),
    ("timezone", "timeZone"),
    ("profileurl", "websiteMain"),
    ("name.givenname", "name.givenName"),
    ("name.familyname", "name.familyName"),
    ("name.middlename", "name.middleName"),
    ("name.honorificprefix", "salutation"),
    ("emails", "emails.address"),
    ("emails.value", "emails.address"),
    ("emails.type", "emails.name"),
    ("phonenumbers", "mobiles.number"),
    ("phonenumbers.value", "mobiles.number"),
    ("phonenumbers.type", "mobiles.name"),
    ("addresses", "addresses.streetAddress"),
    ("addresses.streetaddress", "addresses.streetAddress"),
    ("addresses.locality", "addresses.locality"),
    ("addresses.region", "addresses.region"),
    ("addresses.postalcode", "addresses.postalCode"),
    ("addresses.country", "addresses.country"),
    ("addresses.type", "addresses.name"),
    ("groups", "memberOf"),
    ("groups.value", "memberOf"),
    ("meta.created", "meta.created"),
    ("meta.lastmodified", "meta.lastModified"),
    ("nscode", "nsCode"),
    ("usertype", "userType"),
    ("enterprise:employeenumber", "enterpriseUser.employeeNumber"),
    ("enterprise:costcenter", "enterpriseUser.costCenter"),
    ("enterprise:organization", "enterpriseUser.organization"),
    ("enterprise:division", "enterpriseUser.division"),
    ("enterprise:department", "enterpriseUser.department"),
    ("enterprise:manager", "enterpriseUser.manager"),
    ("enterprise:manager.value", "enterpriseUser.manager"),
    ("consents.marketingpost", "consents.marketingPost"),
    ("consents.marketingemail", "consents.marketingEmail"),
    ("consents.marketingphone", "consents.marketingPhone"),
    ("consents.marketingmobilemessage", "consents.marketingMobileMessage"),
    ("consents.marketingpushnotification", "consents.marketingPushNotification"),
    ("consents.marketingother", "consents.marketingOther"),
    ("consents.locationing", "consents.locationing"),
    ("consents.profiling", "consents.profiling"),
    ("strongidentification.identified", "strongIdentification.identified"),
    ("strongidentification.method", "strongIdentification.method"),
    ("strongidentification.count", "strongIdentification.count"),
    ("strongidentification.time", "strongIdentification.time"),
];

/// SCIM group attributes (lowercase) and the directory's names for them.
const GROUP_NAMES: &[(&str, &str)] = &[
    ("id", "id"),
    ("externalid", "externalId"),
    ("displayname", "name"),
    ("members", "members"),
    ("members.value", "members"),
    ("meta.created", "meta.created"),
    ("meta.lastmodified", "meta.lastModified"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use portti_core::filter::parse;

    fn tr(kind: Kind, f: &str) -> Result<Filter, ScimError> {
        translate(kind, parse(f).unwrap())
    }

    #[test]
    fn names_map_to_the_directory() {
        assert_eq!(tr(Kind::User, r#"userName eq "ann""#).unwrap(), parse(r#"username eq "ann""#).unwrap());
        assert_eq!(tr(Kind::User, "active eq true").unwrap(), parse("locked eq false").unwrap());
        assert_eq!(
            tr(Kind::User, r#"emails[type eq "work" and value co "@x"]"#).unwrap(),
            parse(r#"emails[name eq "work" and address co "@x"]"#).unwrap()
        );
        assert_eq!(tr(Kind::Group, r#"displayName eq "x""#).unwrap(), parse(r#"name eq "x""#).unwrap());
        assert_eq!(
            tr(Kind::User, r#"name.FAMILYNAME sw "S""#).unwrap(),
            parse(r#"name.familyName sw "S""#).unwrap()
        );
    }

    #[test]
    fn unknown_names_are_invalid_filters() {
        let e = tr(Kind::User, r#"nope eq "x""#).unwrap_err();
        assert_eq!(e.scim_type, Some(ScimType::InvalidFilter));
        assert_eq!(tr(Kind::Group, r#"members[value eq "x"]"#).unwrap(), parse(r#"members eq "x""#).unwrap());
        assert!(tr(Kind::Group, r#"members[type eq "User"]"#).is_err());
        assert!(tr(Kind::User, r#"emails[nope eq "x"]"#).is_err());
    }

    #[test]
    fn urn_prefixes_are_dropped() {
        assert_eq!(
            sort_key(Kind::User, "urn:ietf:params:scim:schemas:core:2.0:User:userName").unwrap(),
            "username"
        );
    }
}
