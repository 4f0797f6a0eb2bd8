//! `/Bulk` (RFC 7644 §3.7): operations run in order, each as its own request would;
//! `bulkId:` references name resources created earlier in the same request.

use super::error::{ScimError, ScimType};
use super::schema::{BULK_REQUEST_SCHEMA, BULK_RESPONSE_SCHEMA, MAX_OPERATIONS, MAX_PAYLOAD};
use super::{etag, groups, json, revision_of, users, Body, Ctx, ScimResult};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// What one operation produced: its status, and the resource's location and version.
struct Outcome {
    status: StatusCode,
    id: Option<String>,
    version: Option<String>,
}

/// Run up to 1000 operations in order, `bulkId:` references resolved, stopping after `failOnErrors` errors.
#[utoipa::path(post, path = "/scim/v2/Bulk", tag = "scim", 
    responses((status = 200, description = "A BulkResponse"), (status = 413, description = "tooMany: too many operations or bytes")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn bulk(State(s): State<AppState>, ctx: Ctx, Body(body): Body) -> ScimResult {
    if body.len() > MAX_PAYLOAD {
        return Err(ScimError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            scim_type: Some(ScimType::TooMany),
            detail: format!("a bulk request may hold at most {MAX_PAYLOAD} bytes"),
        });
    }
    let body = super::parse_body(&body)?;
    let schemas = body["schemas"].as_array().cloned().unwrap_or_default();
    if !schemas.is_empty() && !schemas.iter().any(|s| s == BULK_REQUEST_SCHEMA) {
        return Err(ScimError::bad(
            ScimType::InvalidSyntax,
            format!("schemas must hold {BULK_REQUEST_SCHEMA}"),
        ));
    }
    let ops = body["Operations"]
        .as_array()
        .ok_or_else(|| ScimError::bad(ScimType::InvalidSyntax, "Operations must be an array"))?;
    if ops.len() > MAX_OPERATIONS {
        return Err(ScimError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            scim_type: Some(ScimType::TooMany),
            detail: format!("a bulk request may hold at most {MAX_OPERATIONS} operations"),
        });
    }
    let fail_on = match &body["failOnErrors"] {
        Value::Null => usize::MAX,
        v => v.as_u64().filter(|n| *n > 0).map(|n| n as usize).ok_or_else(|| {
            ScimError::bad(ScimType::InvalidValue, "failOnErrors must be a positive integer")
        })?,
    };
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut results = Vec::new();
    let mut errors = 0;
    for op in ops {
        let result = run(&s, &ctx, op, &ids).await;
        let bulk_id = op["bulkId"].as_str().map(str::to_string);
        let method = op["method"].as_str().unwrap_or_default().to_ascii_uppercase();
        let mut entry = Map::new();
        entry.insert("method".into(), json!(method));
        if let Some(b) = &bulk_id {
            entry.insert("bulkId".into(), json!(b));
        }
        match result {
            Ok(out) => {
                if let (Some(b), Some(id), "POST") = (&bulk_id, &out.id, method.as_str()) {
                    ids.insert(b.clone(), id.clone());
                }
                if let Some(id) = &out.id {
                    entry.insert("location".into(), json!(location(&ctx, op, id)));
                }
                if let Some(v) = out.version {
                    entry.insert("version".into(), json!(v));
                }
                entry.insert("status".into(), json!(out.status.as_u16().to_string()));
            }
            Err(e) => {
                errors += 1;
                entry.insert("status".into(), json!(e.status.as_u16().to_string()));
                entry.insert("response".into(), e.body());
            }
        }
        results.push(Value::Object(entry));
        if errors >= fail_on {
            break;
        }
    }
    Ok(json(StatusCode::OK, &json!({"schemas": [BULK_RESPONSE_SCHEMA], "Operations": results})))
}

/// The resource URL of an operation's result.
fn location(ctx: &Ctx, op: &Value, id: &str) -> String {
    let path = op["path"].as_str().unwrap_or_default();
    let endpoint = if path.trim_start_matches('/').starts_with("Groups") { "Groups" } else { "Users" };
    format!("{}/{endpoint}/{id}", ctx.root.url)
}

async fn run(s: &AppState, ctx: &Ctx, op: &Value, ids: &HashMap<String, String>) -> ScimResult<Outcome> {
    let method = op["method"].as_str().unwrap_or_default().to_ascii_uppercase();
    let path = op["path"]
        .as_str()
        .ok_or_else(|| ScimError::bad(ScimType::InvalidSyntax, "an operation needs a path"))?;
    let mut parts = path.trim_matches('/').splitn(2, '/');
    let endpoint = parts.next().unwrap_or_default();
    let id = parts.next().map(|id| resolve_id(id, ids)).transpose()?;
    let data = substitute(&op["data"], ids)?;
    let expected = op["version"].as_str().map(|v| revision_of(v).unwrap_or(-1));
    let sub = Ctx { caller: ctx.caller.clone(), root: ctx.root.clone(), id: id.clone() };
    let bad_path =
        || ScimError::bad(ScimType::InvalidPath, format!("{method} {path} is not a bulk operation"));
    let created = |id: String, rev: i64| Outcome {
        status: StatusCode::CREATED,
        id: Some(id),
        version: Some(etag(rev)),
    };
    let done =
        |id: String, rev: i64| Outcome { status: StatusCode::OK, id: Some(id), version: Some(etag(rev)) };
    Ok(match (method.as_str(), endpoint, &id) {
        ("POST", "Users", None) => {
            let r = users::create_user(s, &sub, &data).await?;
            created(r.user.id, r.user.revision)
        }
        ("POST", "Groups", None) => {
            let r = groups::create_group(s, &sub, &data).await?;
            created(r.group.id, r.group.revision)
        }
        ("PUT", "Users", Some(_)) => {
            let r = users::replace_user(s, &sub, expected, &data).await?;
            done(r.user.id, r.user.revision)
        }
        ("PUT", "Groups", Some(_)) => {
            let r = groups::replace_group(s, &sub, expected, &data).await?;
            done(r.group.id, r.group.revision)
        }
        ("PATCH", "Users", Some(_)) => {
            let r = users::patch_user(s, &sub, expected, &data).await?;
            done(r.user.id, r.user.revision)
        }
        ("PATCH", "Groups", Some(_)) => {
            let r = groups::patch_group(s, &sub, expected, &data).await?;
            done(r.group.id, r.group.revision)
        }
        ("DELETE", "Users", Some(id)) => {
            users::delete_user(s, &sub, expected).await?;
            Outcome { status: StatusCode::NO_CONTENT, id: Some(id.clone()), version: None }
        }
        ("DELETE", "Groups", Some(id)) => {
            groups::delete_group(s, &sub, expected).await?;
            Outcome { status: StatusCode::NO_CONTENT, id: Some(id.clone()), version: None }
        }
        _ => return Err(bad_path()),
    })
}

/// An id, or the id a `bulkId:` reference names.
fn resolve_id(id: &str, ids: &HashMap<String, String>) -> ScimResult<String> {
    match id.strip_prefix("bulkId:") {
        Some(b) => ids.get(b).cloned().ok_or_else(|| unresolved(b)),
        None => Ok(id.to_string()),
    }
}

fn unresolved(b: &str) -> ScimError {
    ScimError::bad(ScimType::InvalidValue, format!("bulkId {b} names no resource created before it"))
}

/// The data with every `"bulkId:…"` string replaced by the created resource's id.
fn substitute(v: &Value, ids: &HashMap<String, String>) -> ScimResult<Value> {
    Ok(match v {
        Value::String(s) if s.starts_with("bulkId:") => Value::String(resolve_id(s, ids)?),
        Value::Array(a) => Value::Array(a.iter().map(|x| substitute(x, ids)).collect::<ScimResult<_>>()?),
        Value::Object(m) => Value::Object(
            m.iter().map(|(k, x)| Ok((k.clone(), substitute(x, ids)?))).collect::<ScimResult<_>>()?,
        ),
        other => other.clone(),
    })
}
