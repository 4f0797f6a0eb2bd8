//! PATCH (RFC 7644 §3.5.2): applying a PatchOp message's operations to a resource's SCIM JSON.

use super::error::{ScimError, ScimType};
use super::schema::{self, AttrDef, AttrType, Kind, Mutability, Resolved, MAX_OPERATIONS, PATCH_SCHEMA};
use axum::http::StatusCode;
use portti_core::filter::{self, AttrPath, CompareOp, Filter, Value as Lit};
use serde_json::{Map, Value};

type Result<T = ()> = std::result::Result<T, ScimError>;
type Obj = Map<String, Value>;

/// A PATCH operation's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Replace,
    Remove,
}

impl Op {
    fn parse(name: &str) -> Option<Op> {
        [("add", Op::Add), ("replace", Op::Replace), ("remove", Op::Remove)]
            .into_iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, op)| op)
    }
}

/// A parsed PATCH path: the attribute (and sub-attribute), and the value filter of `attr[filter]`.
#[derive(Debug)]
struct Target {
    at: Resolved,
    filter: Option<Filter>,
}

fn bad(t: ScimType, detail: impl Into<String>) -> ScimError {
    ScimError::bad(t, detail)
}

/// Applies the PatchOp message `body` to `resource`, the resource's full current representation
/// (canonical attribute names, extensions under their URN keys), in order. On error the
/// resource is left half-changed: discard it.
pub fn apply(kind: Kind, resource: &mut Value, body: &Value) -> Result {
    if !resource.is_object() {
        return Err(ScimError::status(StatusCode::INTERNAL_SERVER_ERROR, "the resource is not an object"));
    }
    for (i, op) in operations(body)?.iter().enumerate() {
        apply_one(kind, resource, op).map_err(|mut e| {
            e.detail = format!("operation {}: {}", i + 1, e.detail);
            e
        })?;
    }
    normalise(kind, resource);
    Ok(())
}

/// A member of `obj` by name, any case.
fn member<'a>(obj: &'a Obj, name: &str) -> Option<&'a Value> {
    obj.get(name).or_else(|| obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v))
}

/// The message's `Operations`, checked.
fn operations(body: &Value) -> Result<&Vec<Value>> {
    let Some(obj) = body.as_object() else {
        return Err(bad(ScimType::InvalidSyntax, "the PATCH body must be a JSON object"));
    };
    if let Some(schemas) = member(obj, "schemas") {
        let ok = schemas.as_array().is_some_and(|a| {
            a.iter().any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(PATCH_SCHEMA)))
        });
        if !ok {
            return Err(bad(ScimType::InvalidSyntax, format!("schemas must be [\"{PATCH_SCHEMA}\"]")));
        }
    }
    let ops = match member(obj, "Operations") {
        Some(Value::Array(ops)) if !ops.is_empty() => ops,
        _ => return Err(bad(ScimType::InvalidSyntax, "Operations must be a non-empty array")),
    };
    if ops.len() > MAX_OPERATIONS {
        let detail = format!("at most {MAX_OPERATIONS} operations are accepted");
        return Err(ScimError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            scim_type: Some(ScimType::TooMany),
            detail,
        });
    }
    Ok(ops)
}

fn apply_one(kind: Kind, res: &mut Value, op: &Value) -> Result {
    let Some(obj) = op.as_object() else {
        return Err(bad(ScimType::InvalidSyntax, "an operation must be a JSON object"));
    };
    let name = member(obj, "op").and_then(Value::as_str).unwrap_or_default();
    let Some(kind_of_op) = Op::parse(name) else {
        return Err(bad(ScimType::InvalidSyntax, format!("unknown op {name:?}: use add, replace or remove")));
    };
    let path = match member(obj, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(p)) if p.trim().is_empty() => None,
        Some(Value::String(p)) => Some(p.as_str()),
        Some(_) => return Err(bad(ScimType::InvalidPath, "path must be a string")),
    };
    let value = member(obj, "value");
    match (path, kind_of_op) {
        (None, Op::Remove) => Err(bad(ScimType::NoTarget, "remove needs a path")),
        (None, op) => apply_object(kind, res, op, value),
        (Some(p), op) => apply_target(kind, res, op, &parse_path(kind, p)?, value),
    }
}

/// A path-less add or replace: each member of the value object is a path and its value.
fn apply_object(kind: Kind, res: &mut Value, op: Op, value: Option<&Value>) -> Result {
    match value {
        Some(Value::Object(members)) => {
            for (key, v) in members.iter().filter(|(k, _)| !k.eq_ignore_ascii_case("schemas")) {
                apply_target(kind, res, op, &parse_path(kind, key)?, Some(v))?;
            }
            Ok(())
        }
        Some(Value::Array(items)) if items.iter().all(Value::is_object) => {
            items.iter().try_for_each(|item| apply_object(kind, res, op, Some(item)))
        }
        _ => Err(bad(ScimType::InvalidValue, "without a path, the value must be an object")),
    }
}

/// Parses `attrPath`, `attrPath[valFilter]` or `attrPath[valFilter].subAttr`, optionally URN-prefixed.
fn parse_path(kind: Kind, path: &str) -> Result<Target> {
    let path = path.trim();
    let unknown = || bad(ScimType::InvalidPath, format!("no attribute {path:?}"));
    let Some(open) = path.find('[') else {
        return Ok(Target { at: schema::resolve(kind, path).ok_or_else(unknown)?, filter: None });
    };
    let Some(close) = path.rfind(']').filter(|&c| c > open) else {
        return Err(bad(ScimType::InvalidPath, format!("unclosed '[' in path {path:?}")));
    };
    let at = schema::resolve(kind, path[..open].trim()).ok_or_else(unknown)?;
    if at.sub.is_some() || at.is_extension() || !at.attr.multi_valued || !at.attr.is_complex() {
        let detail = format!("{path:?}: a value filter needs a multi-valued complex attribute");
        return Err(bad(ScimType::InvalidPath, detail));
    }
    let sub = match &path[close + 1..] {
        "" => None,
        tail => Some(tail.strip_prefix('.').and_then(|s| at.attr.sub(s)).ok_or_else(unknown)?),
    };
    let filter = filter::parse(&path[open + 1..close])
        .map_err(|e| bad(ScimType::InvalidFilter, format!("in path {path:?}: {e}")))?;
    check_filter(&filter, at.attr)?;
    Ok(Target { at: Resolved { sub, ..at }, filter: Some(filter) })
}

/// Checks that a value filter names only sub-attributes of `attr`.
fn check_filter(f: &Filter, attr: &AttrDef) -> Result {
    let check = |p: &AttrPath| match sub_of(attr, p) {
        Some(_) => Ok(()),
        None => Err(bad(ScimType::InvalidFilter, format!("{} has no sub-attribute {p}", attr.name))),
    };
    match f {
        Filter::And(a, b) | Filter::Or(a, b) => check_filter(a, attr).and(check_filter(b, attr)),
        Filter::Not(a) => check_filter(a, attr),
        Filter::Present(p) | Filter::Compare { path: p, .. } => check(p),
        Filter::ValuePath { .. } => Err(bad(ScimType::InvalidFilter, "value filters cannot be nested")),
    }
}

/// The sub-attribute a filter path names: `type`, or `emails.type` inside `emails[...]`.
fn sub_of(attr: &AttrDef, p: &AttrPath) -> Option<&'static AttrDef> {
    match p.segments() {
        [name] => attr.sub(name),
        [parent, name] if parent.eq_ignore_ascii_case(attr.name) => attr.sub(name),
        _ => None,
    }
}

fn apply_target(kind: Kind, res: &mut Value, op: Op, t: &Target, value: Option<&Value>) -> Result {
    let (op, value) = match (op, value) {
        (Op::Remove, v) => (Op::Remove, v.filter(|v| !v.is_null())),
        (_, None) => return Err(bad(ScimType::InvalidValue, "add and replace need a value")),
        (_, Some(Value::Null)) => (Op::Remove, None),
        (Op::Replace, Some(Value::Array(a))) if a.is_empty() && t.at.sub.is_none() => (Op::Remove, None),
        (Op::Add, Some(Value::Array(a))) if a.is_empty() => return Ok(()),
        (op, v) => (op, v),
    };
    if t.at.is_extension() {
        return apply_extension(kind, res, op, t.at, value);
    }
    let Some(map) = container(res, t.at.schema, op != Op::Remove) else {
        return Ok(());
    };
    let attr = t.at.attr;
    match (&t.filter, t.at.sub) {
        (None, None) => whole(map, op, attr, value),
        (None, Some(sub)) => each_sub(map, op, attr, sub, value),
        (Some(f), None) => filtered(map, op, attr, f, value),
        (Some(f), Some(sub)) => filtered_sub(map, op, attr, f, sub, value),
    }
}

/// The object holding an attribute: the resource, or its extension object (created if asked).
fn container<'a>(res: &'a mut Value, schema: Option<&str>, create: bool) -> Option<&'a mut Obj> {
    let root = res.as_object_mut()?;
    let Some(urn) = schema else {
        return Some(root);
    };
    if !create && !root.get(urn).is_some_and(Value::is_object) {
        return None;
    }
    let slot = root.entry(urn).or_insert_with(|| Value::Object(Obj::new()));
    if !slot.is_object() {
        *slot = Value::Object(Obj::new());
    }
    slot.as_object_mut()
}

/// An op on a whole extension object (its URN as the path or as a key of a path-less value).
fn apply_extension(kind: Kind, res: &mut Value, op: Op, at: Resolved, value: Option<&Value>) -> Result {
    let urn = at.attr.name;
    match (op, value) {
        (Op::Remove, _) => {
            let ext = res.get_mut(urn).and_then(Value::as_object_mut);
            if let Some(ext) = ext {
                ext.retain(|k, _| at.attr.sub(k).is_some_and(|a| a.mutability == Mutability::ReadOnly));
            }
            Ok(())
        }
        (_, Some(Value::Object(members))) => {
            for (key, v) in members.iter().filter(|(k, _)| !k.eq_ignore_ascii_case("schemas")) {
                apply_target(kind, res, op, &parse_path(kind, &format!("{urn}:{key}"))?, Some(v))?;
            }
            Ok(())
        }
        _ => Err(bad(ScimType::InvalidValue, format!("the value of {urn} must be an object"))),
    }
}

// ---------------------------------------------------------------------------
// Operations on one attribute

/// `attr` (no filter, no sub-attribute).
fn whole(map: &mut Obj, op: Op, attr: &AttrDef, value: Option<&Value>) -> Result {
    if op == Op::Remove {
        return match value {
            Some(v) if attr.multi_valued => remove_values(map, attr, v),
            _ => remove_attr(map, attr),
        };
    }
    let v = coerce_attr(attr, value.unwrap_or(&Value::Null))?;
    let current = map.get(attr.name);
    match attr.mutability {
        Mutability::ReadOnly => return unchanged(attr, current, &v),
        Mutability::Immutable if current.is_some() => return unchanged(attr, current, &v),
        _ => {}
    }
    match v {
        Value::Array(items) if op == Op::Replace => replace_all(map, attr, items),
        Value::Array(items) => add_items(map, attr, items),
        Value::Object(members) => merge(object_slot(map, attr.name), attr, members),
        v => {
            map.insert(attr.name.to_string(), v);
            Ok(())
        }
    }
}

/// Ok when a read-only or immutable attribute would keep its value (clients echo them).
fn unchanged(attr: &AttrDef, current: Option<&Value>, new: &Value) -> Result {
    let same = match (current, new) {
        (Some(Value::Array(cur)), Value::Array(items)) => items.iter().all(|i| cur.contains(i)),
        (Some(cur), new) => cur == new,
        (None, _) => false,
    };
    if same {
        return Ok(());
    }
    Err(bad(ScimType::Mutability, format!("{} is {}", attr.name, attr.mutability.as_str())))
}

fn remove_attr(map: &mut Obj, attr: &AttrDef) -> Result {
    if attr.required {
        return Err(bad(ScimType::InvalidValue, format!("{} is required", attr.name)));
    }
    if !map.contains_key(attr.name) {
        return Ok(());
    }
    writable(attr)?;
    map.remove(attr.name);
    Ok(())
}

/// Mutability error unless `attr` may be changed.
fn writable(attr: &AttrDef) -> Result {
    match attr.mutability {
        Mutability::ReadOnly | Mutability::Immutable => {
            Err(bad(ScimType::Mutability, format!("{} is {}", attr.name, attr.mutability.as_str())))
        }
        _ => Ok(()),
    }
}

/// Removes the given values from a multi-valued attribute (Entra ID's member removal).
fn remove_values(map: &mut Obj, attr: &AttrDef, value: &Value) -> Result {
    let Value::Array(items) = coerce_attr(attr, value)? else {
        return Ok(());
    };
    let Some(arr) = map.get_mut(attr.name).and_then(Value::as_array_mut) else {
        return Ok(());
    };
    let before = arr.len();
    arr.retain(|e| !items.iter().any(|i| same_element(attr, e, i)));
    if arr.len() != before {
        writable(attr)?;
    }
    if arr.is_empty() {
        map.remove(attr.name);
    }
    Ok(())
}

fn replace_all(map: &mut Obj, attr: &AttrDef, mut items: Vec<Value>) -> Result {
    for item in &mut items {
        strip_read_only(attr, item);
        check_required(attr, item)?;
    }
    let changed: Vec<usize> = (0..items.len()).collect();
    fix_primary(&mut items, &changed)?;
    map.insert(attr.name.to_string(), Value::Array(items));
    Ok(())
}

/// Appends each item not yet present; one already present (same identity) is merged into.
fn add_items(map: &mut Obj, attr: &AttrDef, items: Vec<Value>) -> Result {
    let arr = array_slot(map, attr.name);
    let mut changed = Vec::new();
    for mut item in items {
        strip_read_only(attr, &mut item);
        match arr.iter().position(|e| same_element(attr, e, &item)) {
            Some(i) => {
                merge_element(&mut arr[i], attr, item)?;
                changed.push(i);
            }
            None => {
                check_required(attr, &item)?;
                arr.push(item);
                changed.push(arr.len() - 1);
            }
        }
    }
    fix_primary(arr, &changed)
}

/// `attr.sub`: on a single complex attribute, or on every element of a multi-valued one.
fn each_sub(map: &mut Obj, op: Op, attr: &AttrDef, sub: &AttrDef, value: Option<&Value>) -> Result {
    let new = new_sub_value(op, sub, value)?;
    if op == Op::Remove && !map.contains_key(attr.name) {
        return if sub.required { Err(required(attr, sub)) } else { Ok(()) };
    }
    if !attr.multi_valued {
        return write_sub(object_slot(map, attr.name), attr, sub, new);
    }
    let arr = array_slot(map, attr.name);
    if arr.is_empty() && new.is_some() {
        arr.push(Value::Object(Obj::new()));
    }
    for el in arr.iter_mut() {
        write_sub(element_obj(el), attr, sub, new.clone())?;
    }
    let all: Vec<usize> = (0..arr.len()).collect();
    fix_primary(arr, &all)?;
    drop_if_empty(map, attr.name);
    Ok(())
}

/// `attr[filter]`.
fn filtered(map: &mut Obj, op: Op, attr: &AttrDef, f: &Filter, value: Option<&Value>) -> Result {
    let idx = matching(map, attr, f);
    if op == Op::Remove {
        if idx.is_empty() {
            return Ok(());
        }
        writable(attr)?;
        let arr = array_slot(map, attr.name);
        let mut i = 0;
        arr.retain(|_| {
            i += 1;
            !idx.contains(&(i - 1))
        });
        drop_if_empty(map, attr.name);
        return Ok(());
    }
    let mut el = coerce_one_element(attr, value.unwrap_or(&Value::Null))?;
    if attr.mutability == Mutability::ReadOnly {
        return Err(bad(ScimType::Mutability, format!("{} is readOnly", attr.name)));
    }
    strip_read_only(attr, &mut el);
    let arr = array_slot(map, attr.name);
    if idx.is_empty() {
        return match op {
            Op::Add => push_new(arr, attr, f, el),
            _ => Err(no_target(attr, f)),
        };
    }
    for &i in &idx {
        if op == Op::Replace {
            check_immutable(attr, &arr[i], &el)?;
            arr[i] = el.clone();
        } else {
            merge_element(&mut arr[i], attr, el.clone())?;
        }
    }
    fix_primary(arr, &idx)
}

/// `attr[filter].sub`.
fn filtered_sub(
    map: &mut Obj,
    op: Op,
    attr: &AttrDef,
    f: &Filter,
    sub: &AttrDef,
    value: Option<&Value>,
) -> Result {
    let new = new_sub_value(op, sub, value)?;
    let idx = matching(map, attr, f);
    if idx.is_empty() {
        return match (op, new) {
            (Op::Remove, _) => Ok(()),
            (Op::Add, Some(v)) if attr.mutability != Mutability::ReadOnly => {
                let mut el = Obj::new();
                el.insert(sub.name.to_string(), v);
                push_new(array_slot(map, attr.name), attr, f, Value::Object(el))
            }
            _ => Err(no_target(attr, f)),
        };
    }
    let arr = array_slot(map, attr.name);
    for &i in &idx {
        write_sub(element_obj(&mut arr[i]), attr, sub, new.clone())?;
    }
    fix_primary(arr, &idx)?;
    drop_if_empty(map, attr.name);
    Ok(())
}

fn no_target(attr: &AttrDef, f: &Filter) -> ScimError {
    bad(ScimType::NoTarget, format!("no value of {} matches the filter ({})", attr.name, describe(f)))
}

fn describe(f: &Filter) -> String {
    match f {
        Filter::And(a, b) => format!("{} and {}", describe(a), describe(b)),
        Filter::Or(a, b) => format!("{} or {}", describe(a), describe(b)),
        Filter::Not(a) => format!("not ({})", describe(a)),
        Filter::Present(p) => format!("{p} pr"),
        Filter::Compare { path, op, value } => format!("{path} {} {}", op.as_str(), describe_literal(value)),
        Filter::ValuePath { path, filter } => format!("{path}[{}]", describe(filter)),
    }
}

fn describe_literal(v: &Lit) -> String {
    match v {
        Lit::Str(s) => format!("{s:?}"),
        Lit::Int(i) => i.to_string(),
        Lit::Dec(d) => d.to_string(),
        Lit::Bool(b) => b.to_string(),
        Lit::Null => "null".to_string(),
    }
}

/// Adds a new element made of the filter's `eq` constraints (Entra ID's
/// `emails[type eq "work"].value` on a user without a work email) and `el`.
fn push_new(arr: &mut Vec<Value>, attr: &AttrDef, f: &Filter, el: Value) -> Result {
    let Some(mut base) = eq_constraints(f, attr) else {
        return Err(no_target(attr, f));
    };
    if let Value::Object(members) = el {
        base.extend(members);
    }
    let el = Value::Object(base);
    check_required(attr, &el)?;
    arr.push(el);
    let last = arr.len() - 1;
    fix_primary(arr, &[last])
}

/// The sub-attribute values a filter of `eq`s joined by `and` pins down.
fn eq_constraints(f: &Filter, attr: &AttrDef) -> Option<Obj> {
    match f {
        Filter::Compare { path, op: CompareOp::Eq, value } => {
            let sub = sub_of(attr, path)?;
            let v = coerce_single(sub, &literal_json(value)?).ok()?;
            Some(Obj::from_iter([(sub.name.to_string(), v)]))
        }
        Filter::And(a, b) => {
            let mut m = eq_constraints(a, attr)?;
            m.extend(eq_constraints(b, attr)?);
            Some(m)
        }
        _ => None,
    }
}

fn literal_json(v: &Lit) -> Option<Value> {
    match v {
        Lit::Str(s) => Some(Value::String(s.clone())),
        Lit::Int(i) => Some(Value::from(*i)),
        Lit::Dec(d) => serde_json::Number::from_f64(*d).map(Value::Number),
        Lit::Bool(b) => Some(Value::Bool(*b)),
        Lit::Null => None,
    }
}

// ---------------------------------------------------------------------------
// Element helpers

fn new_sub_value(op: Op, sub: &AttrDef, value: Option<&Value>) -> Result<Option<Value>> {
    match (op, value) {
        (Op::Remove, _) | (_, None) => Ok(None),
        (_, Some(v)) => coerce_single(sub, v).map(Some),
    }
}

fn required(attr: &AttrDef, sub: &AttrDef) -> ScimError {
    bad(ScimType::InvalidValue, format!("{}.{} is required", attr.name, sub.name))
}

/// Sets (`Some`) or removes (`None`) a sub-attribute of one complex value, minding mutability.
fn write_sub(obj: &mut Obj, attr: &AttrDef, sub: &AttrDef, new: Option<Value>) -> Result {
    let current = obj.get(sub.name).filter(|v| !v.is_null());
    if current == new.as_ref() {
        return Ok(());
    }
    if attr.mutability == Mutability::ReadOnly || sub.mutability == Mutability::ReadOnly {
        return Err(bad(ScimType::Mutability, format!("{}.{} is readOnly", attr.name, sub.name)));
    }
    if sub.mutability == Mutability::Immutable && current.is_some() {
        return Err(bad(ScimType::Mutability, format!("{}.{} is immutable", attr.name, sub.name)));
    }
    match new {
        Some(v) => obj.insert(sub.name.to_string(), v),
        None if sub.required => return Err(required(attr, sub)),
        None => obj.remove(sub.name),
    };
    Ok(())
}

/// Merges a complex value's sub-attributes into `target`; read-only ones given are ignored.
fn merge(target: &mut Obj, attr: &AttrDef, members: Obj) -> Result {
    for (k, v) in members {
        match attr.sub(&k) {
            Some(sub) if sub.mutability != Mutability::ReadOnly => write_sub(target, attr, sub, Some(v))?,
            _ => {}
        }
    }
    Ok(())
}

fn merge_element(el: &mut Value, attr: &AttrDef, item: Value) -> Result {
    match item {
        Value::Object(members) => merge(element_obj(el), attr, members),
        other => {
            *el = other;
            Ok(())
        }
    }
}

/// Mutability error if `new` changes an immutable sub-attribute `old` has.
fn check_immutable(attr: &AttrDef, old: &Value, new: &Value) -> Result {
    for sub in attr.sub_attributes.iter().filter(|s| s.mutability == Mutability::Immutable) {
        let (o, n) = (old.get(sub.name), new.get(sub.name));
        if o.is_some_and(|o| !o.is_null()) && n.is_some() && o != n {
            return Err(bad(ScimType::Mutability, format!("{}.{} is immutable", attr.name, sub.name)));
        }
    }
    Ok(())
}

fn strip_read_only(attr: &AttrDef, item: &mut Value) {
    if let Some(obj) = item.as_object_mut() {
        obj.retain(|k, _| attr.sub(k).is_none_or(|s| s.mutability != Mutability::ReadOnly));
    }
}

fn check_required(attr: &AttrDef, item: &Value) -> Result {
    if !attr.is_complex() {
        return Ok(());
    }
    match attr.sub_attributes.iter().find(|s| s.required && item.get(s.name).is_none_or(Value::is_null)) {
        Some(sub) => Err(required(attr, sub)),
        None => Ok(()),
    }
}

/// Whether two elements are the same value: by their identifying sub-attribute (the first
/// required one, else `value`) when the new one has it, else by equality.
fn same_element(attr: &AttrDef, a: &Value, b: &Value) -> bool {
    let key = attr.sub_attributes.iter().find(|s| s.required).or_else(|| attr.sub("value"));
    match key.and_then(|k| Some((k, b.get(k.name)?))) {
        Some((k, bv)) => a.get(k.name).is_some_and(|av| json_eq(av, bv, k.case_exact)),
        None => a == b,
    }
}

fn json_eq(a: &Value, b: &Value, case_exact: bool) -> bool {
    match (a, b) {
        (Value::String(a), Value::String(b)) if !case_exact => a.to_lowercase() == b.to_lowercase(),
        _ => a == b,
    }
}

/// The indices of the elements of `attr` matching `f`.
fn matching(map: &Obj, attr: &AttrDef, f: &Filter) -> Vec<usize> {
    let Some(arr) = map.get(attr.name).and_then(Value::as_array) else {
        return Vec::new();
    };
    arr.iter().enumerate().filter(|(_, e)| matches(f, e, attr)).map(|(i, _)| i).collect()
}

/// At most one element may be primary: when a changed one is, the others stop being.
fn fix_primary(arr: &mut [Value], changed: &[usize]) -> Result {
    let mut winners: Vec<usize> = changed.iter().copied().filter(|&i| is_primary(arr.get(i))).collect();
    winners.sort_unstable();
    winners.dedup();
    if winners.len() > 1 {
        return Err(bad(ScimType::InvalidValue, "at most one value may be primary"));
    }
    if let Some(&w) = winners.first() {
        for (i, el) in arr.iter_mut().enumerate() {
            if i != w && is_primary(Some(el)) {
                if let Some(obj) = el.as_object_mut() {
                    obj.remove("primary");
                }
            }
        }
    }
    Ok(())
}

fn is_primary(el: Option<&Value>) -> bool {
    el.and_then(|e| e.get("primary")) == Some(&Value::Bool(true))
}

fn object_slot<'a>(map: &'a mut Obj, name: &str) -> &'a mut Obj {
    element_obj(map.entry(name).or_insert_with(|| Value::Object(Obj::new())))
}

fn array_slot<'a>(map: &'a mut Obj, name: &str) -> &'a mut Vec<Value> {
    let slot = map.entry(name).or_insert_with(|| Value::Array(Vec::new()));
    if !slot.is_array() {
        *slot = Value::Array(Vec::new());
    }
    match slot {
        Value::Array(a) => a,
        _ => unreachable!("just made an array"),
    }
}

/// The value as an object, replacing whatever else it was.
fn element_obj(el: &mut Value) -> &mut Obj {
    if !el.is_object() {
        *el = Value::Object(Obj::new());
    }
    match el {
        Value::Object(o) => o,
        _ => unreachable!("just made an object"),
    }
}

fn drop_if_empty(map: &mut Obj, name: &str) {
    if map.get(name).and_then(Value::as_array).is_some_and(Vec::is_empty) {
        map.remove(name);
    }
}

// ---------------------------------------------------------------------------
// Values against the schema

/// A whole attribute's value: an array of elements for a multi-valued one (a single value is
/// wrapped, nulls dropped), else one value.
fn coerce_attr(attr: &AttrDef, v: &Value) -> Result<Value> {
    if !attr.multi_valued {
        return coerce_single(attr, v);
    }
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    let items = items.into_iter().filter(|i| !i.is_null()).map(|i| coerce_single(attr, i));
    Ok(Value::Array(items.collect::<Result<_>>()?))
}

/// One element for `attr[filter]`: an object, or an array holding just one.
fn coerce_one_element(attr: &AttrDef, v: &Value) -> Result<Value> {
    match v {
        Value::Array(a) if a.len() == 1 => coerce_single(attr, &a[0]),
        Value::Array(_) => Err(bad(ScimType::InvalidValue, format!("give one value of {}", attr.name))),
        v => coerce_single(attr, v),
    }
}

/// One value of `attr`'s type, with sub-attribute names made canonical and string booleans read.
fn coerce_single(attr: &AttrDef, v: &Value) -> Result<Value> {
    let wrong = || {
        let what = if attr.multi_valued { "each value of" } else { "the value of" };
        bad(ScimType::InvalidValue, format!("{what} {} must be a {}", attr.name, attr.ty.as_str()))
    };
    match (attr.ty, v) {
        (AttrType::Complex, Value::Object(members)) => coerce_complex(attr, members).map(Value::Object),
        (AttrType::Boolean, Value::Bool(_)) => Ok(v.clone()),
        (AttrType::Boolean, Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(wrong()),
        },
        (AttrType::Integer, Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(v.clone()),
        (AttrType::Decimal, Value::Number(_)) => Ok(v.clone()),
        (
            AttrType::String | AttrType::Reference | AttrType::DateTime | AttrType::Binary,
            Value::String(_),
        ) => Ok(v.clone()),
        _ => Err(wrong()),
    }
}

fn coerce_complex(attr: &AttrDef, members: &Obj) -> Result<Obj> {
    let mut out = Obj::new();
    for (k, v) in members.iter().filter(|(_, v)| !v.is_null()) {
        let Some(sub) = attr.sub(k) else {
            return Err(bad(ScimType::InvalidValue, format!("{} has no sub-attribute {k:?}", attr.name)));
        };
        out.insert(sub.name.to_string(), coerce_single(sub, v)?);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Value filters

/// Whether one element of the multi-valued attribute `attr` matches the value filter `filter`
/// (whose paths name `attr`'s sub-attributes; `value` is the element itself when it is not an
/// object). Strings compare case-insensitively unless the sub-attribute is caseExact; booleans and
/// numbers by value; dateTimes as strings. A missing sub-attribute matches only `ne` and `eq null`.
pub fn matches(filter: &Filter, element: &Value, attr: &AttrDef) -> bool {
    match filter {
        Filter::And(a, b) => matches(a, element, attr) && matches(b, element, attr),
        Filter::Or(a, b) => matches(a, element, attr) || matches(b, element, attr),
        Filter::Not(a) => !matches(a, element, attr),
        Filter::Present(p) => lookup(element, attr, p).1.is_some_and(present),
        Filter::Compare { path, op, value } => {
            let (def, actual) = lookup(element, attr, path);
            compare(def.is_some_and(|d| d.case_exact), actual, *op, value)
        }
        Filter::ValuePath { .. } => false,
    }
}

/// The sub-attribute a filter path names, and the element's value of it.
fn lookup<'a>(
    element: &'a Value,
    attr: &AttrDef,
    p: &AttrPath,
) -> (Option<&'static AttrDef>, Option<&'a Value>) {
    let def = sub_of(attr, p);
    let value = match (element, p.segments().last()) {
        (Value::Object(obj), Some(name)) => member(obj, def.map_or(name.as_str(), |d| d.name)),
        (v, Some(name)) if name.eq_ignore_ascii_case("value") => Some(v),
        _ => None,
    };
    (def, value.filter(|v| !v.is_null()))
}

fn present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}

fn compare(case_exact: bool, actual: Option<&Value>, op: CompareOp, lit: &Lit) -> bool {
    let Some(actual) = actual else {
        return matches!((op, lit), (CompareOp::Ne, _) | (CompareOp::Eq, Lit::Null));
    };
    match (lit, actual) {
        (Lit::Null, _) => op == CompareOp::Ne,
        (Lit::Str(s), Value::String(a)) => compare_str(a, s, op, case_exact),
        (Lit::Bool(b), a) => match bool_of(a) {
            Some(a) => (op == CompareOp::Eq && a == *b) || (op == CompareOp::Ne && a != *b),
            None => op == CompareOp::Ne,
        },
        (Lit::Int(i), Value::Number(n)) => compare_num(n.as_f64(), *i as f64, op),
        (Lit::Dec(d), Value::Number(n)) => compare_num(n.as_f64(), *d, op),
        _ => op == CompareOp::Ne,
    }
}

fn bool_of(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

fn compare_str(actual: &str, lit: &str, op: CompareOp, case_exact: bool) -> bool {
    let (a, l) = if case_exact {
        (actual.to_string(), lit.to_string())
    } else {
        (actual.to_lowercase(), lit.to_lowercase())
    };
    match op {
        CompareOp::Eq => a == l,
        CompareOp::Ne => a != l,
        CompareOp::Co => a.contains(&l),
        CompareOp::Sw => a.starts_with(&l),
        CompareOp::Ew => a.ends_with(&l),
        CompareOp::Gt => a > l,
        CompareOp::Ge => a >= l,
        CompareOp::Lt => a < l,
        CompareOp::Le => a <= l,
    }
}

fn compare_num(actual: Option<f64>, lit: f64, op: CompareOp) -> bool {
    let Some(a) = actual else {
        return op == CompareOp::Ne;
    };
    match op {
        CompareOp::Eq => a == lit,
        CompareOp::Ne => a != lit,
        CompareOp::Gt => a > lit,
        CompareOp::Ge => a >= lit,
        CompareOp::Lt => a < lit,
        CompareOp::Le => a <= lit,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

// ---------------------------------------------------------------------------
// Normalisation

/// Drops nulls and emptied arrays/objects, and lists in `schemas` exactly the extensions present.
fn normalise(kind: Kind, res: &mut Value) {
    let Some(root) = res.as_object_mut() else {
        return;
    };
    root.retain(|k, v| k == "schemas" || !prune(v));
    let mut schemas: Vec<Value> = match root.get("schemas") {
        Some(Value::Array(a)) => a.clone(),
        _ => vec![Value::from(kind.core().id)],
    };
    for ext in kind.extensions() {
        let here = root.get(ext.id).is_some_and(|v| v.as_object().is_some_and(|o| !o.is_empty()));
        let listed = schemas.iter().any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(ext.id)));
        if here && !listed {
            schemas.push(Value::from(ext.id));
        } else if !here && listed {
            schemas.retain(|s| !s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(ext.id)));
        }
    }
    root.insert("schemas".to_string(), Value::Array(schemas));
}

/// Prunes nulls and empty containers inside `v`; true when `v` itself is now empty or null.
fn prune(v: &mut Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(items) => {
            items.retain_mut(|i| !prune(i));
            items.is_empty()
        }
        Value::Object(members) => {
            members.retain(|_, m| !prune(m));
            members.is_empty()
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
            "schemas": [USER_SCHEMA, PORTTI_SCHEMA],
            "id": "u1",
            "userName": "ann",
            "name": {"givenName": "Ann", "familyName": "Lee"},
            "active": true,
            "emails": [
                {"value": "ann@work.example", "type": "work", "primary": true},
                {"value": "ann@home.example", "type": "home"}
            ],
            "meta": {"resourceType": "User", "version": "W/\"3\""},
            PORTTI_SCHEMA: {"nsCode": "acme", "consents": {"profiling": false}},
        })
    }

    fn group() -> Value {
        json!({
            "schemas": [GROUP_SCHEMA],
            "id": "g1",
            "displayName": "Staff",
            "members": [{"value": "u1", "display": "Ann"}, {"value": "u2"}],
            "meta": {"resourceType": "Group"},
        })
    }

    fn msg(ops: Value) -> Value {
        json!({"schemas": [PATCH_SCHEMA], "Operations": ops})
    }

    fn patch(kind: Kind, mut res: Value, ops: Value) -> std::result::Result<Value, ScimError> {
        apply(kind, &mut res, &msg(ops)).map(|()| res)
    }

    fn ok_user(ops: Value) -> Value {
        patch(Kind::User, user(), ops).unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn err_user(ops: Value) -> ScimType {
        patch(Kind::User, user(), ops).err().and_then(|e| e.scim_type).expect("an error")
    }

    fn ok_group(ops: Value) -> Value {
        patch(Kind::Group, group(), ops).unwrap_or_else(|e| panic!("{e:?}"))
    }

    #[test]
    fn message_checks() {
        let mut u = user();
        let t = |body: Value, u: &mut Value| apply(Kind::User, u, &body).err().and_then(|e| e.scim_type);
        assert_eq!(t(json!([]), &mut u), Some(ScimType::InvalidSyntax));
        assert_eq!(t(json!({"Operations": []}), &mut u), Some(ScimType::InvalidSyntax));
        assert_eq!(
            t(json!({"schemas": ["urn:x"], "Operations": [{"op": "add"}]}), &mut u),
            Some(ScimType::InvalidSyntax)
        );
        assert_eq!(
            t(json!({"Operations": [{"op": "move", "path": "x"}]}), &mut u),
            Some(ScimType::InvalidSyntax)
        );
        assert_eq!(t(json!({"Operations": [1]}), &mut u), Some(ScimType::InvalidSyntax));
        let body = json!({"Operations": [{"op": "replace", "path": "title", "value": "Boss"}]});
        assert_eq!(t(body, &mut u), None, "schemas may be missing");
        assert_eq!(u["title"], "Boss");
        let many: Vec<Value> =
            (0..1001).map(|_| json!({"op": "add", "path": "title", "value": "x"})).collect();
        let e = apply(Kind::User, &mut user(), &msg(json!(many))).unwrap_err();
        assert_eq!((e.status, e.scim_type), (StatusCode::PAYLOAD_TOO_LARGE, Some(ScimType::TooMany)));
        let e = apply(Kind::User, &mut user(), &msg(json!([{"op": "add", "path": "nope", "value": 1}])));
        assert!(e.unwrap_err().detail.starts_with("operation 1: "));
    }

    #[test]
    fn okta_deactivate_and_rename() {
        let u = ok_user(json!([{"op": "replace", "value": {"active": false}}]));
        assert_eq!(u["active"], false);
        let g = ok_group(json!([{"op": "replace", "value": {"id": "g1", "displayName": "Everyone"}}]));
        assert_eq!(g["displayName"], "Everyone");
        let g = ok_group(json!([
            {"op": "remove", "path": "members[value eq \"u2\"]"},
            {"op": "add", "path": "members", "value": [{"value": "u3", "display": "Cy"}]}
        ]));
        assert_eq!(g["members"], json!([{"value": "u1", "display": "Ann"}, {"value": "u3"}]));
    }

    #[test]
    fn entra_user_operations() {
        let u = ok_user(json!([
            {"op": "Replace", "path": "name.givenName", "value": "Anna"},
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "anna@work.example"},
            {"op": "Add", "value": {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "R&D"}},
            {"op": "Add", "value": {"name.familyName": "Li", "displayName": "Anna Li"}},
            {"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+358401234567"},
        ]));
        assert_eq!(u["name"], json!({"givenName": "Anna", "familyName": "Li"}));
        assert_eq!(u["active"], false);
        assert_eq!(u["emails"][0], json!({"value": "anna@work.example", "type": "work", "primary": true}));
        assert_eq!(u["emails"].as_array().unwrap().len(), 2);
        assert_eq!(u[ENTERPRISE_SCHEMA], json!({"department": "R&D"}));
        assert_eq!(u["schemas"], json!([USER_SCHEMA, PORTTI_SCHEMA, ENTERPRISE_SCHEMA]));
        assert_eq!(u["displayName"], "Anna Li");
        assert_eq!(u["phoneNumbers"], json!([{"type": "mobile", "value": "+358401234567"}]));
        let u = ok_user(json!([{"op": "Replace", "path": "active", "value": "True"}]));
        assert_eq!(u["active"], true);
        assert_eq!(
            err_user(json!([{"op": "Replace", "path": "active", "value": "yes"}])),
            ScimType::InvalidValue
        );
    }

    #[test]
    fn entra_group_members() {
        let g = ok_group(json!([{"op": "Add", "path": "members", "value": [{"value": "u3"}]}]));
        assert_eq!(g["members"].as_array().unwrap().len(), 3);
        let g = ok_group(json!([{"op": "Add", "path": "members", "value": [{"value": "u1"}]}]));
        assert_eq!(g["members"], group()["members"], "adding a member twice changes nothing");
        let g =
            ok_group(json!([{"op": "add", "path": "members", "value": [{"value": "u1", "display": "X"}]}]));
        assert_eq!(g["members"], group()["members"], "display is read-only and ignored");
        let e = patch(
            Kind::Group,
            group(),
            json!([{"op": "replace", "path": "members[value eq \"x\"]", "value": {}}]),
        );
        assert_eq!(
            e.unwrap_err().detail,
            "operation 1: no value of members matches the filter (value eq \"x\")"
        );
        let g = ok_group(json!([{"op": "Remove", "path": "members", "value": [{"value": "u1"}]}]));
        assert_eq!(g["members"], json!([{"value": "u2"}]));
        let g = ok_group(
            json!([{"op": "Remove", "path": "members", "value": [{"value": "u1"}, {"value": "u2"}]}]),
        );
        assert!(g.get("members").is_none());
        let g = ok_group(json!([{"op": "remove", "path": "members"}]));
        assert!(g.get("members").is_none());
        let g = ok_group(json!([{"op": "replace", "path": "members", "value": [{"value": "u9"}]}]));
        assert_eq!(g["members"], json!([{"value": "u9"}]));
        let g = ok_group(json!([{"op": "Remove", "path": "members", "value": [{"value": "nobody"}]}]));
        assert_eq!(g["members"], group()["members"]);
    }

    #[test]
    fn group_member_value_is_immutable() {
        let e = patch(
            Kind::Group,
            group(),
            json!([{"op": "replace", "path": "members[value eq \"u1\"].value", "value": "u5"}]),
        );
        assert_eq!(e.unwrap_err().scim_type, Some(ScimType::Mutability));
        let e = patch(
            Kind::Group,
            group(),
            json!([{"op": "replace", "path": "members[value eq \"u1\"]", "value": {"value": "u5"}}]),
        );
        assert_eq!(e.unwrap_err().scim_type, Some(ScimType::Mutability));
        let g = ok_group(json!([{"op": "replace", "path": "members[value eq \"u1\"].value", "value": "u1"}]));
        assert_eq!(g["members"], group()["members"]);
        let e = patch(Kind::Group, group(), json!([{"op": "remove", "path": "displayName"}]));
        assert_eq!(e.unwrap_err().scim_type, Some(ScimType::InvalidValue));
    }

    #[test]
    fn add_semantics() {
        let u = ok_user(
            json!([{"op": "add", "path": "emails", "value": {"value": "x@y.example", "type": "other"}}]),
        );
        assert_eq!(u["emails"].as_array().unwrap().len(), 3, "a single value is wrapped");
        let u = ok_user(
            json!([{"op": "add", "path": "emails", "value": [{"value": "ANN@HOME.example", "type": "other"}]}]),
        );
        assert_eq!(
            u["emails"][1],
            json!({"value": "ANN@HOME.example", "type": "other"}),
            "same value merges"
        );
        let u = ok_user(json!([{"op": "add", "path": "name", "value": {"middleName": "Q"}}]));
        assert_eq!(u["name"], json!({"givenName": "Ann", "familyName": "Lee", "middleName": "Q"}));
        let u = ok_user(json!([{"op": "add", "path": "nickName", "value": "annie"}]));
        assert_eq!(u["nickName"], "annie");
        let u =
            ok_user(json!([{"op": "add", "value": {"emails": [{"value": "new@x.example"}], "title": "Dr"}}]));
        assert_eq!(u["emails"].as_array().unwrap().len(), 3);
        assert_eq!(u["title"], "Dr");
    }

    #[test]
    fn replace_semantics() {
        let u = ok_user(json!([{"op": "replace", "path": "emails", "value": [{"value": "only@x.example"}]}]));
        assert_eq!(u["emails"], json!([{"value": "only@x.example"}]));
        let u = ok_user(json!([{"op": "replace", "value": {"emails": [{"value": "only@x.example"}]}}]));
        assert_eq!(u["emails"], json!([{"value": "only@x.example"}]));
        let u = ok_user(json!([{"op": "replace", "path": "name", "value": {"givenName": "Bo"}}]));
        assert_eq!(u["name"], json!({"givenName": "Bo", "familyName": "Lee"}), "complex replace merges");
        let u = ok_user(json!([{"op": "replace", "path": "title", "value": "CEO"}]));
        assert_eq!(u["title"], "CEO", "replacing an absent attribute adds it");
        let u = ok_user(
            json!([{"op": "replace", "path": "emails[type eq \"home\"]", "value": {"value": "h@x.example", "type": "home"}}]),
        );
        assert_eq!(u["emails"][1], json!({"value": "h@x.example", "type": "home"}));
        let u = ok_user(json!([{"op": "replace", "path": "emails[type eq \"home\"].value", "value": "h@h"}]));
        assert_eq!(u["emails"][1]["value"], "h@h");
        assert_eq!(
            err_user(json!([{"op": "replace", "path": "emails[type eq \"other\"].value", "value": "a@b"}])),
            ScimType::NoTarget
        );
        assert_eq!(
            err_user(
                json!([{"op": "replace", "path": "emails[type eq \"other\"]", "value": {"value": "a@b"}}])
            ),
            ScimType::NoTarget
        );
        let u = ok_user(json!([{"op": "replace", "path": "title", "value": null}]));
        assert!(u.get("title").is_none());
        let u = ok_user(json!([{"op": "replace", "path": "emails", "value": []}]));
        assert!(u.get("emails").is_none());
    }

    #[test]
    fn remove_semantics() {
        assert_eq!(err_user(json!([{"op": "remove"}])), ScimType::NoTarget);
        let u =
            ok_user(json!([{"op": "remove", "path": "name.givenName"}, {"op": "remove", "path": "title"}]));
        assert_eq!(u["name"], json!({"familyName": "Lee"}));
        let u = ok_user(json!([{"op": "remove", "path": "name"}]));
        assert!(u.get("name").is_none());
        let u = ok_user(json!([{"op": "remove", "path": "emails[type eq \"work\"]"}]));
        assert_eq!(u["emails"], json!([{"value": "ann@home.example", "type": "home"}]));
        let u = ok_user(json!([{"op": "remove", "path": "emails[type eq \"nope\"]"}]));
        assert_eq!(u["emails"], user()["emails"], "no match is a no-op");
        let u = ok_user(json!([{"op": "remove", "path": "emails[type eq \"work\"].primary"}]));
        assert_eq!(u["emails"][0], json!({"value": "ann@work.example", "type": "work"}));
        let u = ok_user(json!([{"op": "remove", "path": "emails.type"}]));
        assert_eq!(u["emails"][1], json!({"value": "ann@home.example"}));
        let u = ok_user(
            json!([{"op": "remove", "path": "name.givenName"}, {"op": "remove", "path": "name.familyName"}]),
        );
        assert!(u.get("name").is_none(), "an emptied complex attribute is dropped");
        assert_eq!(err_user(json!([{"op": "remove", "path": "userName"}])), ScimType::InvalidValue);
        assert_eq!(
            err_user(json!([{"op": "replace", "path": "userName", "value": null}])),
            ScimType::InvalidValue
        );
    }

    #[test]
    fn primary_is_unique() {
        let u = ok_user(
            json!([{"op": "add", "path": "emails", "value": [{"value": "n@x.example", "primary": true}]}]),
        );
        let primaries: Vec<&Value> =
            u["emails"].as_array().unwrap().iter().filter(|e| e["primary"] == true).collect();
        assert_eq!(primaries, vec![&json!({"value": "n@x.example", "primary": true})]);
        let u =
            ok_user(json!([{"op": "replace", "path": "emails[type eq \"home\"].primary", "value": true}]));
        assert_eq!(u["emails"][0], json!({"value": "ann@work.example", "type": "work"}));
        assert_eq!(u["emails"][1]["primary"], true);
        let two = json!([{"value": "a@x", "primary": true}, {"value": "b@x", "primary": true}]);
        assert_eq!(
            err_user(json!([{"op": "replace", "path": "emails", "value": two}])),
            ScimType::InvalidValue
        );
    }

    #[test]
    fn read_only_attributes() {
        let u =
            ok_user(json!([{"op": "replace", "value": {"id": "u1", "schemas": ["x"], "userName": "ann2"}}]));
        assert_eq!(u["userName"], "ann2");
        assert_eq!(u["schemas"], user()["schemas"]);
        assert_eq!(err_user(json!([{"op": "replace", "path": "id", "value": "u2"}])), ScimType::Mutability);
        assert_eq!(err_user(json!([{"op": "remove", "path": "id"}])), ScimType::Mutability);
        assert_eq!(
            err_user(json!([{"op": "replace", "path": "meta.version", "value": "x"}])),
            ScimType::Mutability
        );
        assert_eq!(
            err_user(json!([{"op": "add", "path": "groups", "value": [{"value": "g1"}]}])),
            ScimType::Mutability
        );
        let ns = format!("{PORTTI_SCHEMA}:nsCode");
        assert_eq!(err_user(json!([{"op": "replace", "path": ns, "value": "other"}])), ScimType::Mutability);
        ok_user(json!([{"op": "replace", "path": ns, "value": "acme"}]));
        let si = format!("{PORTTI_SCHEMA}:strongIdentification.identified");
        assert_eq!(err_user(json!([{"op": "add", "path": si, "value": true}])), ScimType::Mutability);
        let mgr = json!({"value": "u9", "displayName": "ignored"});
        let u = ok_user(json!([{"op": "add", "path": format!("{ENTERPRISE_SCHEMA}:manager"), "value": mgr}]));
        assert_eq!(
            u[ENTERPRISE_SCHEMA]["manager"],
            json!({"value": "u9"}),
            "read-only sub-attributes are ignored"
        );
    }

    #[test]
    fn extensions() {
        let ent = json!({"employeeNumber": "42", "manager": {"value": "u7"}});
        let u = ok_user(json!([{"op": "replace", "path": ENTERPRISE_SCHEMA, "value": ent}]));
        assert_eq!(u[ENTERPRISE_SCHEMA], json!({"employeeNumber": "42", "manager": {"value": "u7"}}));
        let u = ok_user(
            json!([{"op": "add", "value": {ENTERPRISE_SCHEMA: {"costCenter": "CC1"}, "title": "X"}}]),
        );
        assert_eq!(u[ENTERPRISE_SCHEMA], json!({"costCenter": "CC1"}));
        let path = format!("{ENTERPRISE_SCHEMA}:manager.value");
        let u = ok_user(json!([{"op": "add", "path": path, "value": "u8"}]));
        assert_eq!(u[ENTERPRISE_SCHEMA]["manager"]["value"], "u8");
        let u = ok_user(json!([
            {"op": "add", "value": {format!("{ENTERPRISE_SCHEMA}:department"): "D"}},
            {"op": "remove", "path": format!("{ENTERPRISE_SCHEMA}:department")}
        ]));
        assert!(u.get(ENTERPRISE_SCHEMA).is_none());
        assert_eq!(u["schemas"], json!([USER_SCHEMA, PORTTI_SCHEMA]));
        let u = ok_user(json!([{"op": "remove", "path": PORTTI_SCHEMA}]));
        assert_eq!(u[PORTTI_SCHEMA], json!({"nsCode": "acme"}), "read-only members stay");
        let path = format!("{PORTTI_SCHEMA}:consents.marketingEmail");
        let u = ok_user(json!([{"op": "replace", "path": path, "value": "true"}]));
        assert_eq!(u[PORTTI_SCHEMA]["consents"], json!({"profiling": false, "marketingEmail": true}));
        let core = "urn:ietf:params:scim:schemas:core:2.0:User:name.givenName";
        assert_eq!(ok_user(json!([{"op": "replace", "path": core, "value": "Z"}]))["name"]["givenName"], "Z");
        assert_eq!(
            err_user(json!([{"op": "replace", "path": ENTERPRISE_SCHEMA, "value": 1}])),
            ScimType::InvalidValue
        );
        let bad = json!({ENTERPRISE_SCHEMA: {"nope": 1}});
        assert_eq!(err_user(json!([{"op": "add", "value": bad}])), ScimType::InvalidPath);
    }

    #[test]
    fn custom_fields() {
        let path = format!("{PORTTI_SCHEMA}:customFields");
        let u = ok_user(
            json!([{"op": "add", "path": path, "value": [{"name": "shoe", "value": "42"}, {"name": "hat", "value": "7"}]}]),
        );
        assert_eq!(u[PORTTI_SCHEMA]["customFields"].as_array().unwrap().len(), 2);
        let u = patch(
            Kind::User,
            u,
            json!([{"op": "add", "path": path, "value": [{"name": "shoe", "value": "43"}]}]),
        )
        .unwrap();
        assert_eq!(u[PORTTI_SCHEMA]["customFields"][0], json!({"name": "shoe", "value": "43"}));
        let p = format!("{path}[name eq \"hat\"].value");
        let u = patch(Kind::User, u, json!([{"op": "replace", "path": p, "value": "8"}])).unwrap();
        assert_eq!(u[PORTTI_SCHEMA]["customFields"][1], json!({"name": "hat", "value": "8"}));
        let p = format!("{path}[name eq \"Hat\"]");
        let u2 = patch(Kind::User, u.clone(), json!([{"op": "remove", "path": p}])).unwrap();
        assert_eq!(u2[PORTTI_SCHEMA]["customFields"].as_array().unwrap().len(), 2, "name is caseExact");
        let p = format!("{path}[name eq \"new\"].value");
        let u = patch(Kind::User, u, json!([{"op": "add", "path": p, "value": "v"}])).unwrap();
        assert_eq!(u[PORTTI_SCHEMA]["customFields"][2], json!({"name": "new", "value": "v"}));
        assert_eq!(
            err_user(json!([{"op": "add", "path": path, "value": [{"value": "x"}]}])),
            ScimType::InvalidValue
        );
    }

    #[test]
    fn paths_and_values_are_checked() {
        for (path, want) in [
            ("nope", ScimType::InvalidPath),
            ("name.nope", ScimType::InvalidPath),
            ("emails[type eq \"work\"", ScimType::InvalidPath),
            ("emails[type eq \"work\"]value", ScimType::InvalidPath),
            ("emails[type eq \"work\"].nope", ScimType::InvalidPath),
            ("name[givenName eq \"x\"]", ScimType::InvalidPath),
            ("emails.value[type eq \"x\"]", ScimType::InvalidPath),
            ("emails[type eq]", ScimType::InvalidFilter),
            ("emails[nope eq \"x\"]", ScimType::InvalidFilter),
            ("emails[type[value pr]]", ScimType::InvalidFilter),
            ("ä[]]]", ScimType::InvalidPath),
            ("]emails[", ScimType::InvalidPath),
        ] {
            assert_eq!(err_user(json!([{"op": "add", "path": path, "value": "x"}])), want, "{path}");
        }
        for (path, value) in [
            ("active", json!(1)),
            ("title", json!(["x"])),
            ("title", json!(5)),
            ("name", json!("x")),
            ("name", json!({"givenName": 5})),
            ("emails", json!(["x@y"])),
            ("emails", json!([{"value": "a", "bogus": 1}])),
        ] {
            assert_eq!(
                err_user(json!([{"op": "add", "path": path, "value": value}])),
                ScimType::InvalidValue,
                "{path}"
            );
        }
        assert_eq!(err_user(json!([{"op": "add", "path": "title"}])), ScimType::InvalidValue);
        assert_eq!(err_user(json!([{"op": "add", "value": "x"}])), ScimType::InvalidValue);
        assert_eq!(err_user(json!([{"op": "add", "path": 5, "value": "x"}])), ScimType::InvalidPath);
        let u = ok_user(json!([{"OP": "ADD", "PATH": "NAME.GIVENNAME", "VALUE": "Q"}]));
        assert_eq!(u["name"]["givenName"], "Q");
        let u =
            ok_user(json!([{"op": "add", "path": "emails", "value": [{"VALUE": "c@x", "Type": "other"}]}]));
        assert_eq!(u["emails"][2], json!({"value": "c@x", "type": "other"}));
    }

    #[test]
    fn value_filter_matching() {
        let attr = schema::resolve(Kind::User, "emails").unwrap().attr;
        let el = json!({"value": "Ann@Work.example", "type": "work", "primary": true});
        let m = |f: &str| matches(&filter::parse(f).unwrap(), &el, attr);
        assert!(m(r#"type eq "WORK""#));
        assert!(m(r#"type eq "work" and value co "@work""#));
        assert!(m(r#"value sw "ann" and value ew ".EXAMPLE""#));
        assert!(m("primary eq true"));
        assert!(!m("primary eq false"));
        assert!(m("primary ne false"));
        assert!(m("value pr"));
        assert!(!m("display pr"));
        assert!(m("display eq null"));
        assert!(m(r#"display ne "x""#));
        assert!(!m(r#"display eq "x""#));
        assert!(m(r#"not (type eq "home")"#));
        assert!(m(r#"type eq "home" or type eq "work""#));
        assert!(m(r#"type gt "home" and type lt "x""#));
        assert!(m(r#"emails.type eq "work""#));
        assert!(!m(r#"primary eq "true" and type co 1"#));
        let members = schema::resolve(Kind::Group, "members").unwrap().attr;
        let el = json!({"value": "AbC"});
        assert!(matches(&filter::parse(r#"value eq "AbC""#).unwrap(), &el, members));
        assert!(!matches(&filter::parse(r#"value eq "abc""#).unwrap(), &el, members), "caseExact");
        let strong = schema::resolve(Kind::User, &format!("{PORTTI_SCHEMA}:strongIdentification")).unwrap();
        let el = json!({"count": 3, "time": "2024-01-02T00:00:00Z"});
        let m = |f: &str| matches(&filter::parse(f).unwrap(), &el, strong.attr);
        assert!(m("count gt 2") && m("count le 3") && m("count eq 3.0") && !m("count lt 3"));
        assert!(m(r#"time gt "2024-01-01T00:00:00Z""#));
        assert!(!m(r#"count co "3""#));
    }

    #[test]
    fn never_panics_on_odd_input() {
        let odd = [
            json!(null),
            json!("x"),
            json!([1, 2]),
            json!({"a": [{}]}),
            json!([{"value": null}]),
            json!({"givenName": null}),
            json!([[{"value": "x"}]]),
        ];
        let paths = [
            json!(null),
            json!("emails"),
            json!("emails[value pr]"),
            json!("emails[value pr].type"),
            json!("name"),
            json!("name.givenName"),
            json!("members"),
            json!(ENTERPRISE_SCHEMA),
            json!("groups"),
            json!("meta"),
            json!("emails[value pr].primary"),
            json!("[]"),
            json!("."),
            json!(":"),
            json!("urn:"),
        ];
        for kind in [Kind::User, Kind::Group] {
            for op in ["add", "replace", "remove"] {
                for path in &paths {
                    for value in &odd {
                        let base = if kind == Kind::User { user() } else { group() };
                        let _ = patch(kind, base, json!([{"op": op, "path": path, "value": value}]));
                    }
                }
            }
        }
        let mut weird = json!({"schemas": 5, "emails": "x", "name": 3, ENTERPRISE_SCHEMA: 7});
        let ops = json!([
            {"op": "add", "path": "emails[type eq \"w\"].value", "value": "a"},
            {"op": "add", "path": "name.givenName", "value": "a"},
            {"op": "add", "path": format!("{ENTERPRISE_SCHEMA}:department"), "value": "a"}
        ]);
        apply(Kind::User, &mut weird, &msg(ops)).unwrap();
        assert_eq!(weird["schemas"], json!([USER_SCHEMA, ENTERPRISE_SCHEMA]));
        assert!(apply(Kind::User, &mut json!([]), &msg(json!([{"op": "add", "value": {}}]))).is_err());
    }
}
