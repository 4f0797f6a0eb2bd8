//! `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9): trimming a resource's SCIM JSON.

use super::schema::{self, AttrDef, Kind, Resolved, Returned};
use serde_json::{Map, Value};

type Obj = Map<String, Value>;

/// Splits a comma-separated `attributes`/`excludedAttributes` list, trimming and skipping blanks.
pub fn parse_list(s: Option<&str>) -> Vec<String> {
    s.unwrap_or_default().split(',').map(str::trim).filter(|a| !a.is_empty()).map(String::from).collect()
}

/// Trims `resource` (canonical names, extensions under their URN keys) to the `attributes` asked
/// for, if any, plus those always returned (`schemas`, `id`), then drops the `excluded` ones
/// (never those always returned). Names are case-insensitive, may be `attr.sub` and may be
/// URN-prefixed; unknown names are ignored. `returned: never` attributes are always dropped.
pub fn project(kind: Kind, resource: &mut Value, attributes: &[String], excluded: &[String]) {
    let Some(root) = resource.as_object_mut() else {
        return;
    };
    strip_never(kind, root);
    strip_unrequested(kind, root, attributes);
    if !attributes.is_empty() {
        let selection: Vec<Resolved> =
            attributes.iter().filter_map(|a| schema::resolve(kind, a.trim())).collect();
        keep_only(kind, root, &selection);
    }
    for name in excluded {
        if let Some(r) = schema::resolve(kind, name.trim()) {
            exclude(root, r);
        }
    }
    tidy_extensions(kind, root);
}

/// Drops the attributes returned only on request (`returned: request`) that `attributes`
/// does not name.
fn strip_unrequested(kind: Kind, root: &mut Obj, attributes: &[String]) {
    let named: Vec<Resolved> = attributes.iter().filter_map(|a| schema::resolve(kind, a.trim())).collect();
    for ext in kind.extensions() {
        let Some(obj) = root.get_mut(ext.id).and_then(Value::as_object_mut) else { continue };
        for attr in ext.attributes.iter().filter(|a| a.returned == Returned::Request) {
            let asked = named
                .iter()
                .any(|r| r.schema == Some(ext.id) && (r.is_extension() || r.attr.name == attr.name));
            if !asked {
                obj.remove(attr.name);
            }
        }
    }
}

/// Removes extension objects left empty and lists in `schemas` exactly the core schema and
/// the extensions present.
fn tidy_extensions(kind: Kind, root: &mut Obj) {
    let mut present = vec![Value::String(kind.core().id.to_string())];
    for ext in kind.extensions() {
        match root.get(ext.id) {
            Some(Value::Object(o)) if !o.is_empty() => present.push(Value::String(ext.id.to_string())),
            Some(_) => {
                root.remove(ext.id);
            }
            None => {}
        }
    }
    if root.contains_key("schemas") {
        root.insert("schemas".into(), Value::Array(present));
    }
}

/// Drops every attribute (and sub-attribute) whose `returned` is `never`.
fn strip_never(kind: Kind, root: &mut Obj) {
    let core = schema::common_attributes().iter().chain(kind.core().attributes);
    strip_never_in(root, core);
    for ext in kind.extensions() {
        if let Some(obj) = root.get_mut(ext.id).and_then(Value::as_object_mut) {
            strip_never_in(obj, ext.attributes.iter());
        }
    }
}

fn strip_never_in<'a>(obj: &mut Obj, attrs: impl Iterator<Item = &'a AttrDef>) {
    for attr in attrs {
        if attr.returned == Returned::Never {
            obj.remove(attr.name);
            continue;
        }
        for sub in attr.sub_attributes.iter().filter(|s| s.returned == Returned::Never) {
            if let Some(v) = obj.get_mut(attr.name) {
                remove_sub(v, sub.name);
            }
        }
    }
}

/// Keeps `schemas`, the always-returned attributes and those selected.
fn keep_only(kind: Kind, root: &mut Obj, selection: &[Resolved]) {
    root.retain(|key, value| {
        if key == "schemas" {
            return true;
        }
        let Some(ext) = kind.extensions().iter().find(|e| e.id == key) else {
            let attr = schema::resolve(kind, key).filter(|r| r.schema.is_none() && r.sub.is_none());
            return attr.is_some_and(|r| keep_attr(selection, None, r.attr, value));
        };
        if selection.iter().any(|r| r.is_extension() && r.schema == Some(ext.id)) {
            return true;
        }
        let Some(obj) = value.as_object_mut() else {
            return false;
        };
        obj.retain(|k, v| ext.attr(k).is_some_and(|a| keep_attr(selection, Some(ext.id), a, v)));
        !obj.is_empty()
    });
}

/// Whether to keep `attr` (trimming it to the selected sub-attributes).
fn keep_attr(selection: &[Resolved], schema: Option<&str>, attr: &AttrDef, value: &mut Value) -> bool {
    if attr.returned == Returned::Always {
        return true;
    }
    let picks: Vec<Option<&AttrDef>> = selection
        .iter()
        .filter(|r| r.schema == schema && !r.is_extension() && r.attr.name == attr.name)
        .map(|r| r.sub)
        .collect();
    if picks.is_empty() {
        return false;
    }
    if picks.iter().any(Option::is_none) {
        return true;
    }
    let keep = |k: &String| {
        picks.iter().flatten().any(|s| s.name == k)
            || attr.sub(k).is_some_and(|s| s.returned == Returned::Always)
    };
    match value {
        Value::Object(obj) => {
            obj.retain(|k, _| keep(k));
            !obj.is_empty()
        }
        Value::Array(items) => {
            items.retain_mut(|item| match item.as_object_mut() {
                Some(obj) => {
                    obj.retain(|k, _| keep(k));
                    !obj.is_empty()
                }
                None => false,
            });
            !items.is_empty()
        }
        _ => false,
    }
}

/// Drops one excluded attribute or sub-attribute, unless it is always returned.
fn exclude(root: &mut Obj, r: Resolved) {
    if r.is_extension() {
        root.remove(r.attr.name);
        return;
    }
    let container = match r.schema {
        Some(urn) => match root.get_mut(urn).and_then(Value::as_object_mut) {
            Some(obj) => obj,
            None => return,
        },
        None => &mut *root,
    };
    match r.sub {
        None if r.attr.returned != Returned::Always => {
            container.remove(r.attr.name);
        }
        Some(sub) if sub.returned != Returned::Always => {
            let emptied = container.get_mut(r.attr.name).is_some_and(|v| remove_sub(v, sub.name));
            if emptied {
                container.remove(r.attr.name);
            }
        }
        _ => {}
    }
    if let Some(urn) = r.schema {
        if root.get(urn).and_then(Value::as_object).is_some_and(Obj::is_empty) {
            root.remove(urn);
        }
    }
}

/// Removes sub-attribute `name` from a complex value or from each element; true when nothing is left.
fn remove_sub(value: &mut Value, name: &str) -> bool {
    match value {
        Value::Object(obj) => {
            obj.remove(name);
            obj.is_empty()
        }
        Value::Array(items) => {
            items.retain_mut(|item| !remove_sub(item, name));
            items.is_empty()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::schema::{ENTERPRISE_SCHEMA, GROUP_SCHEMA, PORTTI_SCHEMA, USER_SCHEMA};
    use super::*;
    use serde_json::json;

    fn user() -> Value {
        json!({
            "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA, PORTTI_SCHEMA],
            "id": "u1",
            "externalId": "x1",
            "userName": "ann",
            "password": "secret",
            "name": {"givenName": "Ann", "familyName": "Lee"},
            "emails": [{"value": "a@w", "type": "work", "primary": true}, {"value": "a@h", "type": "home"}],
            "meta": {"resourceType": "User"},
            ENTERPRISE_SCHEMA: {"department": "R&D", "manager": {"value": "u2", "displayName": "Bo"}},
            PORTTI_SCHEMA: {"nsCode": "acme"},
        })
    }

    fn list(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn projected(attributes: &[&str], excluded: &[&str]) -> Value {
        let mut u = user();
        project(Kind::User, &mut u, &list(attributes), &list(excluded));
        u
    }

    #[test]
    fn parses_lists() {
        assert_eq!(
            parse_list(Some(" userName, name.givenName ,,emails ")),
            ["userName", "name.givenName", "emails"]
        );
        assert!(parse_list(None).is_empty());
        assert!(parse_list(Some(" , ")).is_empty());
    }

    #[test]
    fn password_is_never_returned() {
        let u = projected(&[], &[]);
        assert!(u.get("password").is_none());
        // nsCode is returned on request only, and its emptied extension goes with it.
        let mut expected = user();
        expected.as_object_mut().unwrap().remove("password");
        expected.as_object_mut().unwrap().remove(PORTTI_SCHEMA);
        expected["schemas"] = json!([USER_SCHEMA, ENTERPRISE_SCHEMA]);
        assert_eq!(u, expected);
        assert!(projected(&["password"], &[]).get("password").is_none());
    }

    #[test]
    fn attributes_keep_only_those_asked_and_always_returned() {
        let u = projected(&["USERNAME"], &[]);
        assert_eq!(u, json!({"schemas": [USER_SCHEMA], "id": "u1", "userName": "ann"}));
        let u = projected(&["name.givenName", "emails.value", "emails.TYPE"], &[]);
        assert_eq!(u["name"], json!({"givenName": "Ann"}));
        assert_eq!(u["emails"], json!([{"value": "a@w", "type": "work"}, {"value": "a@h", "type": "home"}]));
        assert!(u.get("userName").is_none() && u.get("meta").is_none());
        let u = projected(&["emails", "emails.value"], &[]);
        assert_eq!(u["emails"], user()["emails"]);
        let u = projected(&["nope", "externalId"], &[]);
        assert_eq!(u, json!({"schemas": [USER_SCHEMA], "id": "u1", "externalId": "x1"}));
    }

    #[test]
    fn attributes_with_extensions() {
        let u = projected(&[&format!("{ENTERPRISE_SCHEMA}:manager.value")], &[]);
        assert_eq!(u[ENTERPRISE_SCHEMA], json!({"manager": {"value": "u2"}}));
        assert!(u.get(PORTTI_SCHEMA).is_none());
        let u = projected(&[&PORTTI_SCHEMA.to_lowercase()], &[]);
        assert_eq!(u[PORTTI_SCHEMA], json!({"nsCode": "acme"}));
        assert!(u.get(ENTERPRISE_SCHEMA).is_none());
        let u = projected(&["urn:ietf:params:scim:schemas:core:2.0:User:userName"], &[]);
        assert_eq!(u["userName"], "ann");
    }

    #[test]
    fn excluded_attributes() {
        let u = projected(&[], &["emails", "name.familyName", "id", "schemas", "nope"]);
        assert!(u.get("emails").is_none());
        assert_eq!(u["name"], json!({"givenName": "Ann"}));
        assert_eq!(u["id"], "u1");
        let u = projected(
            &[],
            &["name.givenName", "name.familyName", "emails.type", "emails.value", "emails.primary"],
        );
        assert!(u.get("name").is_none() && u.get("emails").is_none());
        let u = projected(&[], &[ENTERPRISE_SCHEMA, &format!("{PORTTI_SCHEMA}:nsCode")]);
        assert!(u.get(ENTERPRISE_SCHEMA).is_none() && u.get(PORTTI_SCHEMA).is_none());
        let u = projected(&["userName", "emails"], &["emails"]);
        assert_eq!(u, json!({"schemas": [USER_SCHEMA], "id": "u1", "userName": "ann"}));
    }

    #[test]
    fn groups_without_members() {
        let mut g = json!({
            "schemas": [GROUP_SCHEMA], "id": "g1", "displayName": "Staff",
            "members": [{"value": "u1"}], "meta": {"resourceType": "Group"},
        });
        project(Kind::Group, &mut g, &[], &list(&["members"]));
        assert_eq!(
            g,
            json!({"schemas": [GROUP_SCHEMA], "id": "g1", "displayName": "Staff", "meta": {"resourceType": "Group"}})
        );
        project(Kind::Group, &mut g, &list(&["displayName", "userName"]), &[]);
        assert_eq!(g, json!({"schemas": [GROUP_SCHEMA], "id": "g1", "displayName": "Staff"}));
    }

    #[test]
    fn odd_resources_do_not_panic() {
        for mut v in [json!(null), json!([1]), json!({"name": 5, "emails": "x", ENTERPRISE_SCHEMA: 1})] {
            project(
                Kind::User,
                &mut v,
                &list(&["name.givenName", ENTERPRISE_SCHEMA]),
                &list(&["emails.value"]),
            );
            project(
                Kind::User,
                &mut v,
                &[],
                &list(&["name.givenName", &format!("{ENTERPRISE_SCHEMA}:department")]),
            );
        }
    }
}
