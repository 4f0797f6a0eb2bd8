//! `/Groups`: SCIM groups as the directory's groups, members being users and nested groups.

use super::error::{ScimError, ScimType};
use super::projection::project;
use super::resource::{list_error, meta, projection_of, ListParams};
use super::schema::{Kind, GROUP_SCHEMA};
use super::{
    if_match, not_modified, not_modified_response, parse_body, resource_response, Body, Ctx, Root, ScimResult,
};
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use portti_service::{GroupEdit, GroupRecord, MemberKind};
use serde_json::{json, Value};
use std::collections::HashMap;

/// A group record as a SCIM Group.
pub fn to_scim(r: &GroupRecord, root: &Root) -> Value {
    let g = &r.group;
    let members: Vec<Value> = r
        .members
        .iter()
        .map(|m| {
            let (kind, endpoint) = match m.kind {
                MemberKind::User => ("User", "Users"),
                MemberKind::Group => ("Group", "Groups"),
            };
            let mut v =
                json!({"value": m.id, "type": kind, "$ref": format!("{}/{endpoint}/{}", root.url, m.id)});
            // A group's display is its displayName; users have none of their own here.
            if m.kind == MemberKind::Group {
                v["display"] = json!(m.display);
            }
            v
        })
        .collect();
    let mut out = json!({
        "schemas": [GROUP_SCHEMA],
        "id": g.id,
        "displayName": g.name,
        "meta": meta(Kind::Group, root, &g.id, &g.meta, g.revision),
    });
    if let Some(e) = &g.external_id {
        out["externalId"] = json!(e);
    }
    if !members.is_empty() {
        out["members"] = Value::Array(members);
    }
    out
}

/// A SCIM Group (as sent, or as patched) as a whole-group change.
pub fn from_scim(body: &Value) -> ScimResult<GroupEdit> {
    let obj = body.as_object().ok_or_else(|| invalid("a Group must be a JSON object"))?;
    let get = |k: &str| -> &Value {
        obj.iter().find(|(n, _)| n.eq_ignore_ascii_case(k)).map(|(_, v)| v).unwrap_or(&Value::Null)
    };
    let name = match get("displayName") {
        Value::String(s) if !s.trim().is_empty() => s.trim().to_string(),
        Value::Null => return Err(invalid("displayName is required")),
        _ => return Err(invalid("displayName must be a non-empty string")),
    };
    let members = match get("members") {
        Value::Null => Vec::new(),
        Value::Array(list) => {
            let mut ids = Vec::new();
            for m in list {
                let id = m["value"].as_str().ok_or_else(|| invalid("every member needs a value (its id)"))?;
                if !ids.iter().any(|x| x == id) {
                    ids.push(id.to_string());
                }
            }
            ids
        }
        _ => return Err(invalid("members must be an array")),
    };
    let external_id = match get("externalId") {
        Value::Null => None,
        Value::String(s) => Some(s.clone()).filter(|s| !s.is_empty()),
        _ => return Err(invalid("externalId must be a string")),
    };
    Ok(GroupEdit { name: Some(name), members: Some(members), external_id })
}

fn invalid(detail: impl Into<String>) -> ScimError {
    ScimError::bad(ScimType::InvalidValue, detail)
}

/// Whether a request wants the members listed.
fn wants_members(attributes: &[String], excluded: &[String]) -> bool {
    let named = |list: &[String]| list.iter().any(|a| a.to_ascii_lowercase().starts_with("members"));
    if !attributes.is_empty() {
        return named(attributes);
    }
    !named(excluded)
}

fn written(status: StatusCode, r: &GroupRecord, ctx: &Ctx, q: &HashMap<String, String>) -> Response {
    let (attributes, excluded) = projection_of(q);
    let mut v = to_scim(r, &ctx.root);
    project(Kind::Group, &mut v, &attributes, &excluded);
    resource_response(status, &v)
}

async fn record_in(s: &AppState, ctx: &Ctx, with_members: bool) -> ScimResult<GroupRecord> {
    let r = s.dir.group_record(&ctx.caller, ctx.id(), with_members).await?;
    if r.group.ns_code != ctx.root.ns {
        return Err(ScimError::status(StatusCode::NOT_FOUND, format!("group {} not found", ctx.id())));
    }
    Ok(r)
}

/// List groups (members listed unless excluded).
#[utoipa::path(get, path = "/scim/v2/Groups", tag = "scim", 
    responses((status = 200, description = "A ListResponse of groups"), (status = 400, description = "invalidFilter")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn list(
    State(s): State<AppState>,
    ctx: Ctx,
    Query(q): Query<HashMap<String, String>>,
) -> ScimResult {
    run_list(&s, &ctx, ListParams::from_query(&q)?).await
}

/// Search groups with a SearchRequest body.
#[utoipa::path(post, path = "/scim/v2/Groups/.search", tag = "scim", 
    responses((status = 200, description = "A ListResponse of groups")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn search(State(s): State<AppState>, ctx: Ctx, Body(body): Body) -> ScimResult {
    run_list(&s, &ctx, ListParams::from_search(&parse_body(&body)?)?).await
}

async fn run_list(s: &AppState, ctx: &Ctx, params: ListParams) -> ScimResult {
    let (resources, total) = page(s, ctx, &params).await?;
    Ok(super::json(StatusCode::OK, &params.response(resources, total)))
}

/// A page of groups, projected, and how many match in all.
pub async fn page(s: &AppState, ctx: &Ctx, params: &ListParams) -> ScimResult<(Vec<Value>, u64)> {
    let req = params.request(Kind::Group, &ctx.root)?;
    let with_members = wants_members(&params.attributes, &params.excluded);
    let page = s.dir.group_records(&ctx.caller, req, with_members).await.map_err(list_error)?;
    let resources = page.items.iter().map(|r| to_scim(r, &ctx.root)).collect();
    Ok((params.project(Kind::Group, resources), page.total))
}

/// Create a group with members (users and groups of the namespace).
#[utoipa::path(post, path = "/scim/v2/Groups", tag = "scim", 
    responses((status = 201, description = "The group"), (status = 400, description = "invalidValue"), (status = 409, description = "uniqueness: the displayName is taken")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn create(
    State(s): State<AppState>,
    ctx: Ctx,
    Query(q): Query<HashMap<String, String>>,
    Body(body): Body,
) -> ScimResult {
    let r = create_group(&s, &ctx, &parse_body(&body)?).await?;
    Ok(written(StatusCode::CREATED, &r, &ctx, &q))
}

/// Create a group from a SCIM body in the request's namespace (shared with Bulk).
pub async fn create_group(s: &AppState, ctx: &Ctx, body: &Value) -> ScimResult<GroupRecord> {
    let edit = from_scim(body)?;
    Ok(s.dir.create_group_record(&ctx.caller, Some(ctx.root.ns.clone()), edit).await?)
}

/// Read a group.
#[utoipa::path(get, path = "/scim/v2/Groups/{id}", tag = "scim", params(("id" = String, Path, description = "Resource id")), 
    responses((status = 200, description = "The group"), (status = 304, description = "Not modified"), (status = 404, description = "No such group")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn read(
    State(s): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> ScimResult {
    let (attributes, excluded) = projection_of(&q);
    let r = record_in(&s, &ctx, wants_members(&attributes, &excluded)).await?;
    let version = super::etag(r.group.revision);
    if not_modified(&headers, &version) {
        return Ok(not_modified_response(&version));
    }
    Ok(written(StatusCode::OK, &r, &ctx, &q))
}

/// Replace a group and its members.
#[utoipa::path(put, path = "/scim/v2/Groups/{id}", tag = "scim", params(("id" = String, Path, description = "Resource id")), 
    responses((status = 200, description = "The group"), (status = 412, description = "The version in If-Match is stale")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn replace(
    State(s): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    Body(body): Body,
) -> ScimResult {
    let body = parse_body(&body)?;
    let r = replace_group(&s, &ctx, if_match(&headers)?, &body).await?;
    Ok(written(StatusCode::OK, &r, &ctx, &q))
}

/// Replace a group with a SCIM body (shared with Bulk).
pub async fn replace_group(
    s: &AppState,
    ctx: &Ctx,
    expected: Option<i64>,
    body: &Value,
) -> ScimResult<GroupRecord> {
    record_in(s, ctx, false).await?;
    if let Some(id) = body.get("id").and_then(Value::as_str) {
        if id != ctx.id() {
            return Err(ScimError::bad(ScimType::Mutability, "id cannot change"));
        }
    }
    s.dir.edit_group_record(&ctx.caller, ctx.id(), expected, |_| from_scim(body)).await
}

/// Apply a PatchOp, e.g. add members or remove `members[value eq \"…\"]`.
#[utoipa::path(patch, path = "/scim/v2/Groups/{id}", tag = "scim", params(("id" = String, Path, description = "Resource id")), 
    responses((status = 200, description = "The group"), (status = 412, description = "The version in If-Match is stale")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn modify(
    State(s): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    Body(body): Body,
) -> ScimResult {
    let body = parse_body(&body)?;
    let r = patch_group(&s, &ctx, if_match(&headers)?, &body).await?;
    Ok(written(StatusCode::OK, &r, &ctx, &q))
}

/// Apply a PatchOp message to a group (shared with Bulk).
pub async fn patch_group(
    s: &AppState,
    ctx: &Ctx,
    expected: Option<i64>,
    body: &Value,
) -> ScimResult<GroupRecord> {
    record_in(s, ctx, false).await?;
    let root = ctx.root.clone();
    let r = s
        .dir
        .edit_group_record(&ctx.caller, ctx.id(), expected, |current| {
            let mut doc = to_scim(current, &root);
            super::patch::apply(Kind::Group, &mut doc, body)?;
            from_scim(&doc)
        })
        .await?;
    Ok(r)
}

/// Delete a group.
#[utoipa::path(delete, path = "/scim/v2/Groups/{id}", tag = "scim", params(("id" = String, Path, description = "Resource id")), 
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such group")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn delete(State(s): State<AppState>, ctx: Ctx, headers: HeaderMap) -> ScimResult {
    delete_group(&s, &ctx, if_match(&headers)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Delete a group (shared with Bulk); with `If-Match`, only at that version.
pub async fn delete_group(s: &AppState, ctx: &Ctx, expected: Option<i64>) -> ScimResult<()> {
    record_in(s, ctx, false).await?;
    s.dir.delete_group_record(&ctx.caller, ctx.id(), expected).await?;
    Ok(())
}
