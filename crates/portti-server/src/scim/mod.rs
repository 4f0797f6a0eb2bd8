//! The SCIM 2.0 dialect (RFC 7643, RFC 7644) at `/scim/v2` (the client's default
//! namespace) and `/scim/v2/{nsCode}`: a mapping of Users and Groups onto the directory,
//! with discovery, filters, PATCH, ETags and Bulk. It holds no rules of its own.

mod bulk;
mod discovery;
mod error;
mod filter;
mod groups;
mod patch;
mod projection;
mod resource;
mod schema;
mod search;
mod users;

use crate::dialect::Dialect;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
pub use error::{ScimError, ScimType};
use portti_core::Error;
use portti_service::Caller;
use serde_json::Value;
use std::collections::HashMap;

/// The SCIM media type.
pub const MEDIA_TYPE: &str = "application/scim+json";
/// Base path of the dialect.
pub const BASE: &str = "/scim/v2";

/// The SCIM error shape for failures outside the handlers (authentication).
pub struct Scim;

impl Dialect for Scim {
    fn error_response(error: &Error) -> Response {
        ScimError::from_directory(error, ScimType::InvalidValue).into_response()
    }
}

type Auth = crate::auth::Auth<Scim>;
type ScimResult<T = Response> = Result<T, ScimError>;

/// The OpenAPI description of the dialect (under `/scim/v2`; `/scim/v2/{nsCode}/…` works alike).
#[derive(utoipa::OpenApi)]
#[openapi(
    tags((name = "scim", description = "SCIM 2.0 (RFC 7643, RFC 7644) at `/scim/v2` (the client's default \
        namespace) and `/scim/v2/{nsCode}` (every path below works under both); `application/scim+json`; \
        errors in the SCIM Error schema with `scimType`")),
    paths(
        discovery::service_provider_config, discovery::schemas, discovery::schema, discovery::resource_types,
        discovery::resource_type, users::list, users::search, users::create, users::read, users::me,
        users::replace, users::modify, users::delete, groups::list, groups::search, groups::create,
        groups::read, groups::replace, groups::modify, groups::delete, search::search_root, bulk::bulk
    )
)]
pub struct ScimDoc;

/// Every route, under both bases.
pub fn routes() -> Router<AppState> {
    let mut router = Router::new();
    for base in [BASE.to_string(), format!("{BASE}/{{ns}}")] {
        router = router
            .route(&format!("{base}/ServiceProviderConfig"), get(discovery::service_provider_config))
            .route(&format!("{base}/Schemas"), get(discovery::schemas))
            .route(&format!("{base}/Schemas/{{id}}"), get(discovery::schema))
            .route(&format!("{base}/ResourceTypes"), get(discovery::resource_types))
            .route(&format!("{base}/ResourceTypes/{{id}}"), get(discovery::resource_type))
            .route(&format!("{base}/Users"), get(users::list).post(users::create))
            .route(&format!("{base}/Users/.search"), post(users::search))
            .route(
                &format!("{base}/Users/{{id}}"),
                get(users::read).put(users::replace).patch(users::modify).delete(users::delete),
            )
            .route(&format!("{base}/Groups"), get(groups::list).post(groups::create))
            .route(&format!("{base}/Groups/.search"), post(groups::search))
            .route(
                &format!("{base}/Groups/{{id}}"),
                get(groups::read).put(groups::replace).patch(groups::modify).delete(groups::delete),
            )
            .route(&format!("{base}/Me"), get(users::me))
            .route(&format!("{base}/.search"), post(search::search_root))
            .route(&format!("{base}/Bulk"), post(bulk::bulk))
    }
    router
}

/// Where a request works: the namespace and the SCIM root's absolute URL.
#[derive(Debug, Clone)]
pub struct Root {
    /// The namespace code.
    pub ns: String,
    /// `{public url}/scim/v2[/{ns}]`.
    pub url: String,
}

/// The authenticated caller and the namespace its request works in: the path's
/// `{ns}`, else the caller's default namespace (404 when the caller does not reach it).
pub struct Ctx {
    /// Who calls.
    pub caller: Caller,
    /// Where.
    pub root: Root,
    /// The `{id}` of the path, if any.
    pub id: Option<String>,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let params: Path<HashMap<String, String>> =
            Path::from_request_parts(parts, state).await.unwrap_or_else(|_| Path(HashMap::new()));
        let Auth { 0: caller, .. } =
            Auth::from_request_parts(parts, state).await.map_err(|e| e.into_response())?;
        let given = params.get("ns").cloned();
        let url = match &given {
            Some(ns) => format!("{}{BASE}/{ns}", state.public_url),
            None => format!("{}{BASE}", state.public_url),
        };
        let ns = caller.namespace_or_default(given);
        if !caller.reaches(&ns) {
            let e = ScimError::status(StatusCode::NOT_FOUND, format!("namespace {ns} not found"));
            return Err(e.into_response());
        }
        Ok(Ctx { caller, root: Root { ns, url }, id: params.get("id").cloned() })
    }
}

impl Ctx {
    /// The path's resource id.
    pub fn id(&self) -> &str {
        self.id.as_deref().unwrap_or_default()
    }
}

/// A request body, refused in the SCIM error shape when it is too large or unreadable.
pub struct Body(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ScimError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Bytes::from_request(req, state).await.map(Body).map_err(|e| {
            let status = e.status();
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                ScimError::status(
                    status,
                    format!("the request body is larger than {} bytes", schema::MAX_PAYLOAD),
                )
            } else {
                ScimError::status(status, e.body_text())
            }
        })
    }
}

/// Parse a request body as JSON (`invalidSyntax` when it is not an object).
pub fn parse_body(body: &[u8]) -> ScimResult<Value> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| ScimError::bad(ScimType::InvalidSyntax, format!("the body is not valid JSON: {e}")))?;
    if !v.is_object() {
        return Err(ScimError::bad(ScimType::InvalidSyntax, "the body must be a JSON object"));
    }
    Ok(v)
}

/// A SCIM JSON response.
pub fn json(status: StatusCode, body: &Value) -> Response {
    let mut resp = (status, axum::Json(body)).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE));
    resp
}

/// A resource response with its `ETag` (and `Location` on 201).
pub fn resource_response(status: StatusCode, body: &Value) -> Response {
    let mut resp = json(status, body);
    let meta = &body["meta"];
    if let Some(v) = meta["version"].as_str().and_then(|v| HeaderValue::from_str(v).ok()) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    if status == StatusCode::CREATED {
        if let Some(l) = meta["location"].as_str().and_then(|l| HeaderValue::from_str(l).ok()) {
            resp.headers_mut().insert(header::LOCATION, l);
        }
    }
    resp
}

/// The ETag of a revision.
pub fn etag(revision: i64) -> String {
    format!("W/\"{revision}\"")
}

/// The revision an `If-Match` header demands: `None` without one or for `*`; a version
/// that is no ETag of ours can never match (412).
pub fn if_match(headers: &HeaderMap) -> ScimResult<Option<i64>> {
    let Some(value) = headers.get(header::IF_MATCH) else { return Ok(None) };
    let text = value.to_str().unwrap_or_default().trim();
    if text == "*" {
        return Ok(None);
    }
    Ok(Some(revision_of(text).unwrap_or(-1)))
}

/// The revision in an ETag (`W/"3"` or `"3"`).
pub fn revision_of(tag: &str) -> Option<i64> {
    tag.trim().trim_start_matches("W/").trim_matches('"').parse().ok()
}

/// Whether `If-None-Match` names the current version (answer 304).
pub fn not_modified(headers: &HeaderMap, version: &str) -> bool {
    let Some(value) = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let current = revision_of(version);
    value.split(',').any(|t| t.trim() == "*" || (current.is_some() && revision_of(t) == current))
}

/// 304 with the ETag.
pub fn not_modified_response(version: &str) -> Response {
    let mut resp = StatusCode::NOT_MODIFIED.into_response();
    if let Ok(v) = HeaderValue::from_str(version) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp
}
