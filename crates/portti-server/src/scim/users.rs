//! `/Users`: SCIM users as a mapping of the directory's users, with the enterprise
//! extension and Portti's own extension carrying what SCIM has no place for.

use super::error::{ScimError, ScimType};
use super::projection::project;
use super::resource::{list_error, meta, projection_of, ListParams};
use super::schema::{Kind, ENTERPRISE_SCHEMA, PORTTI_SCHEMA, USER_SCHEMA};
use super::{
    if_match, not_modified, not_modified_response, parse_body, resource_response, Body, Ctx, Root, ScimResult,
};
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use portti_core::model::{Door, UserChanges};
use portti_service::{UserEdit, UserRecord};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// The keys of the provisioned facet that hold SCIM core attributes.
const PROVISIONED_CORE: &[&str] = &["externalId", "displayName", "userType"];

/// A user record as a SCIM User.
pub fn to_scim(r: &UserRecord, root: &Root) -> Value {
    let u = &r.user;
    let p = &r.provisioned;
    let mut out = Map::new();
    let mut schemas = vec![json!(USER_SCHEMA)];
    out.insert("id".into(), json!(u.id));
    for key in PROVISIONED_CORE {
        if let Some(v) = p.get(*key).filter(|v| !v.is_null()) {
            out.insert((*key).into(), v.clone());
        }
    }
    out.insert("userName".into(), json!(u.username));
    let mut name = Map::new();
    put(&mut name, "givenName", &u.name.given_name);
    put(&mut name, "middleName", &u.name.middle_name);
    put(&mut name, "familyName", &u.name.family_name);
    put(&mut name, "honorificPrefix", &u.salutation);
    for key in ["formatted", "honorificSuffix"] {
        if let Some(v) = p.get("name").and_then(|n| n.get(key)).filter(|v| !v.is_null()) {
            name.insert(key.into(), v.clone());
        }
    }
    if !name.is_empty() {
        out.insert("name".into(), Value::Object(name));
    }
    put(&mut out, "nickName", &u.nick_name);
    put(&mut out, "title", &u.title);
    put(&mut out, "profileUrl", &u.website_main);
    put(&mut out, "preferredLanguage", &u.preferred_language);
    put(&mut out, "locale", &u.locale);
    put(&mut out, "timezone", &u.time_zone);
    // `active` left unassigned by a SCIM client stays unassigned while the user is unlocked.
    let unassigned = p.get("activeUnassigned").and_then(Value::as_bool) == Some(true);
    if u.locked || !unassigned {
        out.insert("active".into(), json!(!u.locked));
    }
    let first =
        |list: &str| p.get("unflagged").and_then(|f| f.get(list)).and_then(Value::as_bool) != Some(true);
    let emails: Vec<Value> = u
        .emails
        .iter()
        .enumerate()
        .map(|(i, e)| tagged(json!({"value": e.address, "primary": i == 0 && first("emails")}), &e.name))
        .collect();
    nonempty(&mut out, "emails", emails);
    let phones: Vec<Value> = u
        .mobiles
        .iter()
        .enumerate()
        .map(|(i, m)| tagged(json!({"value": m.number, "primary": i == 0 && first("phoneNumbers")}), &m.name))
        .collect();
    nonempty(&mut out, "phoneNumbers", phones);
    let addresses: Vec<Value> = u
        .addresses
        .iter()
        .map(|a| {
            let mut m = Map::new();
            put(&mut m, "streetAddress", &a.street_address);
            put(&mut m, "locality", &a.locality);
            put(&mut m, "region", &a.region);
            put(&mut m, "postalCode", &a.postal_code);
            put(&mut m, "country", &a.country);
            put(&mut m, "type", &a.name);
            Value::Object(m)
        })
        .collect();
    nonempty(&mut out, "addresses", addresses);
    let groups: Vec<Value> = r
        .groups
        .iter()
        .map(|(id, name)| {
            json!({"value": id, "display": name, "type": "direct", "$ref": format!("{}/Groups/{id}", root.url)})
        })
        .collect();
    nonempty(&mut out, "groups", groups);
    if let Some(Value::Object(e)) = p.get("enterprise") {
        if !e.is_empty() {
            schemas.push(json!(ENTERPRISE_SCHEMA));
            out.insert(ENTERPRISE_SCHEMA.into(), Value::Object(e.clone()));
        }
    }
    schemas.push(json!(PORTTI_SCHEMA));
    out.insert(PORTTI_SCHEMA.into(), portti_extension(r));
    out.insert("schemas".into(), Value::Array(schemas));
    out.insert("meta".into(), meta(Kind::User, root, &u.id, &u.meta, u.revision));
    Value::Object(out)
}

fn portti_extension(r: &UserRecord) -> Value {
    let u = &r.user;
    let mut ext = Map::new();
    ext.insert("nsCode".into(), json!(u.ns_code));
    let fields: Vec<Value> =
        r.custom_fields.iter().map(|(k, v)| json!({"name": k, "value": field_text(v)})).collect();
    nonempty(&mut ext, "customFields", fields);
    let given = r.provisioned.get("consentsGiven").and_then(Value::as_bool) == Some(true);
    if let Ok(Value::Object(c)) = serde_json::to_value(&u.consents) {
        if given || c.values().any(|v| v == &json!(true)) {
            ext.insert("consents".into(), Value::Object(c));
        }
    }
    let s = &u.strong_identification;
    if s.identified || s.count.is_some() {
        ext.insert("strongIdentification".into(), strong_id(s));
    }
    Value::Object(ext)
}

fn strong_id(s: &portti_core::model::StrongIdentification) -> Value {
    let mut sid = Map::new();
    sid.insert("identified".into(), json!(s.identified));
    if let Some(c) = s.count {
        sid.insert("count".into(), json!(c));
    }
    put(&mut sid, "time", &s.time);
    put(&mut sid, "firstTime", &s.first_time);
    put(&mut sid, "method", &s.method);
    put(&mut sid, "identifier", &s.identifier);
    Value::Object(sid)
}

/// A custom field's value as SCIM's string.
fn field_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn put(m: &mut Map<String, Value>, key: &str, v: &Option<String>) {
    if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
        m.insert(key.into(), json!(v));
    }
}

fn nonempty(m: &mut Map<String, Value>, key: &str, list: Vec<Value>) {
    if !list.is_empty() {
        m.insert(key.into(), Value::Array(list));
    }
}

fn tagged(mut v: Value, tag: &Option<String>) -> Value {
    if let Some(t) = tag.as_ref().filter(|t| !t.is_empty()) {
        v["type"] = json!(t);
    }
    v
}

/// A SCIM User (as sent by a client, or as patched) as a whole-user change: every
/// attribute SCIM maps is set or cleared; the directory's others stay as they are.
/// Portti's extension, when absent, is cleared if `whole` (a patched user, whose
/// extension was removed) and otherwise kept (clients that do not know it).
pub fn from_scim(body: &Value, current: Option<&UserRecord>, whole: bool) -> ScimResult<UserEdit> {
    let obj = body.as_object().ok_or_else(|| invalid("a User must be a JSON object"))?;
    let get = |k: &str| -> &Value {
        obj.iter().find(|(n, _)| n.eq_ignore_ascii_case(k)).map(|(_, v)| v).unwrap_or(&Value::Null)
    };
    let user_name = text(get("userName"), "userName")?
        .ok_or_else(|| ScimError::bad(ScimType::InvalidValue, "userName is required"))?;
    let name = get("name");
    if !name.is_null() && !name.is_object() {
        return Err(invalid("name must be an object"));
    }
    let sub = |k: &str| -> ScimResult<Option<String>> {
        let v =
            name.as_object().and_then(|n| n.iter().find(|(x, _)| x.eq_ignore_ascii_case(k))).map(|(_, v)| v);
        text(v.unwrap_or(&Value::Null), &format!("name.{k}"))
    };
    let active_given = !get("active").is_null();
    let active = match get("active") {
        Value::Null => true,
        Value::Bool(b) => *b,
        Value::String(s) if s.eq_ignore_ascii_case("true") => true,
        Value::String(s) if s.eq_ignore_ascii_case("false") => false,
        _ => return Err(invalid("active must be true or false")),
    };
    let (emails, emails_flagged) = multi(get("emails"), "emails", "address")?;
    let (mobiles, mobiles_flagged) = multi(get("phoneNumbers"), "phoneNumbers", "number")?;
    let v1 = json!({
        "username": user_name,
        "name": {
            "givenName": sub("givenName")?,
            "middleName": sub("middleName")?,
            "familyName": sub("familyName")?,
        },
        "salutation": sub("honorificPrefix")?,
        "nickName": text(get("nickName"), "nickName")?,
        "title": text(get("title"), "title")?,
        "websiteMain": text(get("profileUrl"), "profileUrl")?,
        "preferredLanguage": text(get("preferredLanguage"), "preferredLanguage")?,
        "locale": text(get("locale"), "locale")?,
        "timeZone": text(get("timezone"), "timezone")?,
        "locked": !active,
        "emails": emails,
        "mobiles": mobiles,
        "addresses": addresses(get("addresses"))?,
    });
    let mut changes: UserChanges =
        serde_json::from_value(v1).map_err(|e| invalid(format!("the user does not fit: {e}")))?;
    let mut provisioned = current.map(|c| c.provisioned.clone()).unwrap_or_default();
    let ext = match get(PORTTI_SCHEMA) {
        Value::Null if whole => &json!({}),
        other => other,
    };
    let (custom_fields, consents) = portti_input(ext, current)?;
    if !ext.is_null() {
        let given = consents.is_some();
        changes.consents = portti_core::field::Field::Value(consents.unwrap_or_default());
        provisioned.insert("consentsGiven".into(), json!(given));
    }
    let unflagged = json!({"emails": !emails_flagged, "phoneNumbers": !mobiles_flagged});
    // Only a PATCH that removes `active` leaves it unassigned; a new or replaced user without
    // one is active, and says so.
    provisioned.insert("activeUnassigned".into(), json!(whole && !active_given));
    provisioned.insert("unflagged".into(), unflagged);
    for key in PROVISIONED_CORE {
        match text(get(key), key)? {
            Some(v) => provisioned.insert((*key).into(), json!(v)),
            None => provisioned.remove(*key),
        };
    }
    let mut extra_name = Map::new();
    for key in ["formatted", "honorificSuffix"] {
        if let Some(v) = sub(key)? {
            extra_name.insert(key.into(), json!(v));
        }
    }
    set_or_remove(&mut provisioned, "name", extra_name);
    let mut enterprise = match get(ENTERPRISE_SCHEMA) {
        Value::Null => Map::new(),
        Value::Object(e) => e.clone(),
        _ => return Err(invalid("the enterprise extension must be an object")),
    };
    // `manager.displayName` is read-only: never kept from a client.
    if let Some(Value::Object(m)) = enterprise.get_mut("manager") {
        m.remove("displayName");
        if m.is_empty() {
            enterprise.remove("manager");
        }
    }
    set_or_remove(&mut provisioned, "enterprise", enterprise);
    let password = text(get("password"), "password")?;
    Ok(UserEdit { changes, custom_fields: Some(custom_fields), provisioned: Some(provisioned), password })
}

fn set_or_remove(m: &mut Map<String, Value>, key: &str, v: Map<String, Value>) {
    if v.is_empty() {
        m.remove(key);
    } else {
        m.insert(key.into(), Value::Object(v));
    }
}

fn invalid(detail: impl Into<String>) -> ScimError {
    ScimError::bad(ScimType::InvalidValue, detail)
}

fn text(v: &Value, name: &str) -> ScimResult<Option<String>> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        _ => Err(invalid(format!("{name} must be a string"))),
    }
}

/// `emails`/`phoneNumbers` as the directory's list, primary first; and whether one was
/// marked primary.
fn multi(v: &Value, name: &str, key: &str) -> ScimResult<(Value, bool)> {
    let list = match v {
        Value::Null => return Ok((json!([]), false)),
        Value::Array(a) => a,
        _ => return Err(invalid(format!("{name} must be an array"))),
    };
    let mut out: Vec<Value> = Vec::new();
    let mut flagged = false;
    for item in list {
        let value = text(&item["value"], &format!("{name}.value"))?
            .ok_or_else(|| invalid(format!("every one of {name} needs a value")))?;
        let kind = text(&item["type"], &format!("{name}.type"))?;
        let primary = match &item["primary"] {
            Value::Null => false,
            Value::Bool(b) => *b,
            _ => return Err(invalid(format!("{name}.primary must be a boolean"))),
        };
        let entry = json!({key: value, "name": kind});
        if primary && !flagged {
            flagged = true;
            out.insert(0, entry);
        } else {
            out.push(entry);
        }
    }
    Ok((Value::Array(out), flagged))
}

fn addresses(v: &Value) -> ScimResult<Value> {
    let list = match v {
        Value::Null => return Ok(json!([])),
        Value::Array(a) => a,
        _ => return Err(invalid("addresses must be an array")),
    };
    let mut out = Vec::new();
    for a in list {
        let f = |k: &str| text(&a[k], &format!("addresses.{k}"));
        out.push(json!({
            "streetAddress": f("streetAddress")?,
            "locality": f("locality")?,
            "region": f("region")?,
            "postalCode": f("postalCode")?,
            "country": f("country")?,
            "name": f("type")?,
        }));
    }
    Ok(Value::Array(out))
}

/// Custom fields (a value equal to the current one's text keeps its JSON type) and consents.
fn portti_input(
    ext: &Value,
    current: Option<&UserRecord>,
) -> ScimResult<(Map<String, Value>, Option<portti_core::model::Consents>)> {
    let mut fields = Map::new();
    if ext.is_null() {
        return Ok((current.map(|c| c.custom_fields.clone()).unwrap_or_default(), None));
    }
    match &ext["customFields"] {
        Value::Null => {}
        Value::Array(list) => {
            for f in list {
                let name = text(&f["name"], "customFields.name")?
                    .ok_or_else(|| invalid("every custom field needs a name"))?;
                let value = match &f["value"] {
                    Value::String(s) => s.clone(),
                    Value::Null => continue,
                    other => other.to_string(),
                };
                let kept = current
                    .and_then(|c| c.custom_fields.get(&name))
                    .filter(|old| field_text(old) == value)
                    .cloned();
                fields.insert(name, kept.unwrap_or(Value::String(value)));
            }
        }
        _ => return Err(invalid("customFields must be an array")),
    }
    let consents = match &ext["consents"] {
        Value::Null => None,
        c @ Value::Object(_) => {
            Some(serde_json::from_value(c.clone()).map_err(|e| invalid(format!("consents: {e}")))?)
        }
        _ => return Err(invalid("consents must be an object")),
    };
    Ok((fields, consents))
}

fn projected(mut v: Value, q: &HashMap<String, String>) -> Value {
    let (attributes, excluded) = projection_of(q);
    project(Kind::User, &mut v, &attributes, &excluded);
    v
}

/// The user as SCIM shows it, its manager's `displayName` looked up.
async fn render(s: &AppState, ctx: &Ctx, r: &UserRecord) -> Value {
    let mut v = to_scim(r, &ctx.root);
    let manager = v.get(ENTERPRISE_SCHEMA).and_then(|e| e.get("manager")).and_then(|m| m.get("value"));
    if let Some(id) = manager.and_then(Value::as_str).map(str::to_string) {
        if let Ok(m) = s.dir.user_record(&ctx.caller, &id).await {
            if let Some(name) = m.provisioned.get("displayName") {
                v[ENTERPRISE_SCHEMA]["manager"]["displayName"] = name.clone();
            }
        }
    }
    v
}

/// The record as the response of a write, projected as asked.
async fn written(
    s: &AppState,
    status: StatusCode,
    r: &UserRecord,
    ctx: &Ctx,
    q: &HashMap<String, String>,
) -> Response {
    resource_response(status, &projected(render(s, ctx, r).await, q))
}

/// The user, 404 unless it is in the namespace the request works in.
async fn record_in(s: &AppState, ctx: &Ctx) -> ScimResult<UserRecord> {
    let r = s.dir.user_record(&ctx.caller, ctx.id()).await?;
    if r.user.ns_code != ctx.root.ns {
        return Err(ScimError::status(StatusCode::NOT_FOUND, format!("user {} not found", ctx.id())));
    }
    Ok(r)
}

/// List users: `filter`, `sortBy`/`sortOrder`, 1-based `startIndex`, `count` (at most 1000), `attributes`/`excludedAttributes`.
#[utoipa::path(get, path = "/scim/v2/Users", tag = "scim", 
    responses((status = 200, description = "A ListResponse of users"), (status = 400, description = "invalidFilter, invalidValue")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn list(
    State(s): State<AppState>,
    ctx: Ctx,
    Query(q): Query<HashMap<String, String>>,
) -> ScimResult {
    run_list(&s, &ctx, ListParams::from_query(&q)?).await
}

/// Search users with a SearchRequest body (the list parameters as JSON).
#[utoipa::path(post, path = "/scim/v2/Users/.search", tag = "scim", 
    responses((status = 200, description = "A ListResponse of users"), (status = 400, description = "invalidFilter, invalidSyntax")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn search(State(s): State<AppState>, ctx: Ctx, Body(body): Body) -> ScimResult {
    run_list(&s, &ctx, ListParams::from_search(&parse_body(&body)?)?).await
}

async fn run_list(s: &AppState, ctx: &Ctx, params: ListParams) -> ScimResult {
    let (resources, total) = page(s, ctx, &params).await?;
    Ok(super::json(StatusCode::OK, &params.response(resources, total)))
}

/// A page of users, projected, and how many match in all.
pub async fn page(s: &AppState, ctx: &Ctx, params: &ListParams) -> ScimResult<(Vec<Value>, u64)> {
    let req = params.request(Kind::User, &ctx.root)?;
    let page = s.dir.user_records(&ctx.caller, req).await.map_err(list_error)?;
    let mut resources = Vec::with_capacity(page.items.len());
    for r in &page.items {
        resources.push(render(s, ctx, r).await);
    }
    Ok((params.project(Kind::User, resources), page.total))
}

/// Create a user (201 with `Location` and `ETag`).
#[utoipa::path(post, path = "/scim/v2/Users", tag = "scim", 
    responses((status = 201, description = "The user"), (status = 400, description = "invalidValue, invalidSyntax"), (status = 409, description = "uniqueness: the userName is taken")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn create(
    State(s): State<AppState>,
    ctx: Ctx,
    Query(q): Query<HashMap<String, String>>,
    Body(body): Body,
) -> ScimResult {
    let r = create_user(&s, &ctx, &parse_body(&body)?).await?;
    Ok(written(&s, StatusCode::CREATED, &r, &ctx, &q).await)
}

/// Create a user from a SCIM body in the request's namespace (shared with Bulk).
pub async fn create_user(s: &AppState, ctx: &Ctx, body: &Value) -> ScimResult<UserRecord> {
    let mut edit = from_scim(body, None, false)?;
    edit.changes.ns_code = portti_core::field::Field::Value(ctx.root.ns.clone());
    Ok(s.dir.create_user_record(&ctx.caller, edit, Door::Scim).await?)
}

/// Read a user; `If-None-Match` with its version answers 304.
#[utoipa::path(get, path = "/scim/v2/Users/{id}", tag = "scim", params(("id" = String, Path, description = "Resource id")), 
    responses((status = 200, description = "The user"), (status = 304, description = "Not modified"), (status = 404, description = "No such user in the namespace")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn read(
    State(s): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> ScimResult {
    let r = record_in(&s, &ctx).await?;
    let version = super::etag(r.user.revision);
    if not_modified(&headers, &version) {
        return Ok(not_modified_response(&version));
    }
    Ok(written(&s, StatusCode::OK, &r, &ctx, &q).await)
}

/// `/Me`: the user an end user's Bearer token stands for.
#[utoipa::path(get, path = "/scim/v2/Me", tag = "scim", 
    responses((status = 200, description = "The user"), (status = 501, description = "The caller is a client, not a user")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn me(
    State(s): State<AppState>,
    mut ctx: Ctx,
    headers: HeaderMap,
    q: Query<HashMap<String, String>>,
) -> ScimResult {
    let Some(me) = ctx.caller.only_user().map(str::to_string) else {
        let detail = "/Me answers for end users' Bearer tokens; this caller is a client";
        return Err(ScimError::status(StatusCode::NOT_IMPLEMENTED, detail));
    };
    ctx.id = Some(me);
    ctx.root.ns = s.dir.user_record(&ctx.caller, ctx.id()).await?.user.ns_code;
    read(State(s), ctx, headers, q).await
}

/// Replace a user (`If-Match` for optimistic concurrency).
#[utoipa::path(put, path = "/scim/v2/Users/{id}", tag = "scim", params(("id" = String, Path, description = "Resource id")), 
    responses((status = 200, description = "The user"), (status = 400, description = "invalidValue, mutability"), (status = 412, description = "The version in If-Match is stale")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn replace(
    State(s): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    Body(body): Body,
) -> ScimResult {
    let body = parse_body(&body)?;
    let r = replace_user(&s, &ctx, if_match(&headers)?, &body).await?;
    Ok(written(&s, StatusCode::OK, &r, &ctx, &q).await)
}

/// Replace a user with a SCIM body (shared with Bulk).
pub async fn replace_user(
    s: &AppState,
    ctx: &Ctx,
    expected: Option<i64>,
    body: &Value,
) -> ScimResult<UserRecord> {
    record_in(s, ctx).await?;
    if let Some(id) = body.get("id").and_then(Value::as_str) {
        if id != ctx.id() {
            return Err(ScimError::bad(ScimType::Mutability, "id cannot change"));
        }
    }
    let r = s
        .dir
        .edit_user_record(&ctx.caller, ctx.id(), expected, |current| from_scim(body, Some(current), false))
        .await?;
    Ok(r)
}

/// Apply a PatchOp (`add`/`replace`/`remove`, value paths, the Okta and Entra ID forms).
#[utoipa::path(patch, path = "/scim/v2/Users/{id}", tag = "scim", params(("id" = String, Path, description = "Resource id")), 
    responses((status = 200, description = "The user"), (status = 400, description = "invalidPath, noTarget, invalidValue, mutability"), (status = 412, description = "The version in If-Match is stale")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn modify(
    State(s): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    Body(body): Body,
) -> ScimResult {
    let body = parse_body(&body)?;
    let r = patch_user(&s, &ctx, if_match(&headers)?, &body).await?;
    Ok(written(&s, StatusCode::OK, &r, &ctx, &q).await)
}

/// Apply a PatchOp message to a user (shared with Bulk).
pub async fn patch_user(
    s: &AppState,
    ctx: &Ctx,
    expected: Option<i64>,
    body: &Value,
) -> ScimResult<UserRecord> {
    record_in(s, ctx).await?;
    let root = ctx.root.clone();
    let r = s
        .dir
        .edit_user_record(&ctx.caller, ctx.id(), expected, |current| {
            let mut doc = to_scim(current, &root);
            super::patch::apply(Kind::User, &mut doc, body)?;
            from_scim(&doc, Some(current), true)
        })
        .await?;
    Ok(r)
}

/// Delete a user (as the namespace's delete mode says).
#[utoipa::path(delete, path = "/scim/v2/Users/{id}", tag = "scim", params(("id" = String, Path, description = "Resource id")), 
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such user"), (status = 412, description = "The version in If-Match is stale")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn delete(State(s): State<AppState>, ctx: Ctx, headers: HeaderMap) -> ScimResult {
    delete_user(&s, &ctx, if_match(&headers)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Delete a user (shared with Bulk); with `If-Match`, only at that version.
pub async fn delete_user(s: &AppState, ctx: &Ctx, expected: Option<i64>) -> ScimResult<()> {
    record_in(s, ctx).await?;
    s.dir.delete_user_record(&ctx.caller, ctx.id(), expected).await?;
    Ok(())
}
