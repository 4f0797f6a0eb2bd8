//! The Management API v1 dialect (`/api/rest/v1`), as the `trivoreid` Python SDK speaks it.

mod access;
mod account;
mod groups;
mod messaging;
mod namespaces;
mod templates;
mod users;
mod verification;

use crate::dialect::{ApiResult, Dialect};
use crate::AppState;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portti_core::page::{Page, PageRequest, Sort};
use portti_core::Error;
use portti_service::ListRequest;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;

/// Base path of the dialect.
pub const BASE: &str = "/api/rest/v1";

/// The Management API v1 error shape: `{"errorMessage": ..., "statusCode": ...}`.
pub struct V1;

impl Dialect for V1 {
    fn error_response(error: &Error) -> Response {
        let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        error_body(status, error.to_string())
    }
}

/// An error response with this dialect's body.
pub fn error_body(status: StatusCode, message: String) -> Response {
    let body = ErrorBody { error_message: message, status_code: status.as_u16() };
    let challenge = "Basic realm=\"portti\", Bearer realm=\"portti\"";
    crate::dialect::with_error_headers((status, axum::Json(body)).into_response(), challenge)
}

/// The error body of the Management API.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// What went wrong.
    pub error_message: String,
    /// The HTTP status.
    pub status_code: u16,
}

/// A handler result in this dialect.
pub type V1Result<T> = ApiResult<T, V1>;
type Auth = crate::auth::Auth<V1>;
type AuthReading = crate::auth::AuthReading<V1>;
type Json<T> = crate::extract::Json<T, V1>;
type Query<T> = crate::extract::Query<T, V1>;
type PathId = crate::extract::PathId<V1>;

/// Paging, filtering and sorting of list endpoints (all optional).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// 0-based index of the first result (default 0).
    #[param(value_type = Option<u64>)]
    start_index: Option<String>,
    /// Page size (default 100, at most 500).
    #[param(value_type = Option<u32>)]
    count: Option<String>,
    /// Filter expression, e.g. `nsCode eq "demo"`.
    filter: Option<String>,
    /// Attribute to sort by.
    sort_by: Option<String>,
    /// `ascending` or `descending`.
    ascending: Option<String>,
    /// Namespaces only: `True` for every namespace the caller may see, `False` for the accessible ones.
    #[param(value_type = Option<bool>)]
    all: Option<String>,
}

impl ListParams {
    /// The service's list request.
    fn into_request(self) -> Result<ListRequest, Error> {
        let start = parse_number::<u64>("startIndex", self.start_index.as_deref())?.unwrap_or(0);
        let count = parse_number::<u32>("count", self.count.as_deref())?;
        let ascending = match self.ascending.as_deref().map(str::to_ascii_lowercase).as_deref() {
            None | Some("ascending") | Some("true") | Some("asc") => true,
            Some("descending") | Some("false") | Some("desc") => false,
            Some(other) => {
                return Err(Error::bad(format!(
                    "ascending must be 'ascending' or 'descending', got '{other}'"
                )))
            }
        };
        if let Some(all) = self.all.as_deref() {
            if !all.eq_ignore_ascii_case("true") && !all.eq_ignore_ascii_case("false") {
                return Err(Error::bad(format!("all must be True or False, got '{all}'")));
            }
        }
        let sort = self
            .sort_by
            .filter(|s| !s.trim().is_empty())
            .map(|by| Sort { by: by.trim().to_string(), ascending });
        Ok(ListRequest {
            filter: self.filter,
            page: PageRequest::new(start, count, sort),
            ..Default::default()
        })
    }
}

fn parse_number<T: std::str::FromStr>(name: &str, value: Option<&str>) -> Result<Option<T>, Error> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| Error::bad(format!("{name} must be a non-negative integer, got '{v}'"))),
    }
}

/// The list envelope: `resources` always present.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListEnvelope<T> {
    /// This page's items.
    pub resources: Vec<T>,
    /// Every match, ignoring paging.
    pub total_results: u64,
    /// 0-based index of the first item.
    pub start_index: u64,
    /// The effective page size.
    pub items_per_page: u32,
}

impl<T> From<Page<T>> for ListEnvelope<T> {
    fn from(p: Page<T>) -> Self {
        ListEnvelope {
            resources: p.items,
            total_results: p.total,
            start_index: p.start,
            items_per_page: p.count,
        }
    }
}

/// The absolute URL of a resource of this dialect.
fn location(state: &AppState, kind: &str, id: &str) -> String {
    format!("{}{BASE}/{kind}/{id}", state.public_url)
}

/// Every route of the dialect, documented.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(users::routes())
        .merge(namespaces::routes())
        .merge(groups::routes())
        .merge(account::routes())
        .merge(access::routes())
        .merge(messaging::routes())
        .merge(templates::routes())
        .merge(verification::routes())
}

/// `201 Created` with a JSON body.
fn created<T: Serialize>(body: T) -> (StatusCode, axum::Json<T>) {
    (StatusCode::CREATED, axum::Json(body))
}
