//! `/accounts`: list, create, read, replace, delete the accounts of the caller's service.

use super::wire::{AccountBody, AccountList, AccountView, ListParams};
use super::{AccountsResult, Auth, AuthReading, ErrorBody, Json, PathId, Query, BASE};
use crate::AppState;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_accounts, create_account)).routes(routes!(
        get_account,
        update_account,
        delete_account
    ))
}

/// List the accounts of the service, oldest first. Keep asking for `page + 1` while
/// `hasMore` is true.
#[utoipa::path(get, path = "/auth/v1/customer/services/accounts", tag = "accounts", params(ListParams),
    responses((status = 200, description = "A page of accounts", body = AccountList),
        (status = 400, description = "Bad paging or search", body = ErrorBody)),
    security(("bearer" = []), ("basic" = [])))]
async fn list_accounts(
    State(s): State<AppState>,
    auth: Auth,
    q: Query<ListParams>,
) -> AccountsResult<axum::Json<AccountList>> {
    let page = s.dir.list_accounts(&auth.0, q.into_inner().into_search()?).await?;
    Ok(axum::Json(page.into()))
}

/// Create an account in the service. Groups of `memberships` must exist in the service
/// (by id, else by name); roles are `"0"` User and `"1"` Administrator.
#[utoipa::path(post, path = "/auth/v1/customer/services/accounts", tag = "accounts",
    request_body = AccountBody, responses((status = 201, description = "The new account", body = AccountView),
        (status = 400, description = "Bad input, unknown group or role", body = ErrorBody),
        (status = 409, description = "The login is taken", body = ErrorBody)),
    security(("bearer" = []), ("basic" = [])))]
async fn create_account(
    State(s): State<AppState>,
    auth: Auth,
    body: Json<AccountBody>,
) -> AccountsResult<Response> {
    let account = s.dir.create_account(&auth.0, body.into_inner().into_changes()?).await?;
    let location = format!("{}{BASE}/{}", s.public_url, account.id);
    let mut resp = (StatusCode::CREATED, axum::Json(AccountView::from(account))).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}

/// Read an account of the service.
#[utoipa::path(get, path = "/auth/v1/customer/services/accounts/{id}", tag = "accounts",
    params(("id" = String, Path, description = "Account id")),
    responses((status = 200, description = "The account", body = AccountView),
        (status = 404, description = "No such account in the service", body = ErrorBody)),
    security(("bearer" = []), ("basic" = [])))]
async fn get_account(
    State(s): State<AppState>,
    auth: AuthReading,
    id: PathId,
) -> AccountsResult<axum::Json<AccountView>> {
    let (caller, mut reading) = (auth.0, auth.1);
    Ok(axum::Json(s.dir.account_in(&mut reading, &caller, &id.0).await?.into()))
}

/// Replace the writable fields of an account: absent ones get their defaults (no
/// language, active, role `"0"`, no memberships), except `login`, which stays. `email`
/// replaces the primary address; other addresses stay.
#[utoipa::path(put, path = "/auth/v1/customer/services/accounts/{id}", tag = "accounts",
    params(("id" = String, Path, description = "Account id")), request_body = AccountBody,
    responses((status = 200, description = "The account as replaced", body = AccountView),
        (status = 400, description = "Bad input, unknown group or role", body = ErrorBody),
        (status = 404, description = "No such account in the service", body = ErrorBody),
        (status = 409, description = "The login is taken", body = ErrorBody)),
    security(("bearer" = []), ("basic" = [])))]
async fn update_account(
    State(s): State<AppState>,
    auth: Auth,
    id: PathId,
    body: Json<AccountBody>,
) -> AccountsResult<axum::Json<AccountView>> {
    let changes = body.into_inner().into_changes()?;
    Ok(axum::Json(s.dir.update_account(&auth.0, &id.0, changes).await?.into()))
}

/// Delete an account, as the service's delete mode says (hard, or soft: locked and kept).
#[utoipa::path(delete, path = "/auth/v1/customer/services/accounts/{id}", tag = "accounts",
    params(("id" = String, Path, description = "Account id")),
    responses((status = 204, description = "Deleted"),
        (status = 404, description = "No such account in the service", body = ErrorBody)),
    security(("bearer" = []), ("basic" = [])))]
async fn delete_account(State(s): State<AppState>, auth: Auth, id: PathId) -> AccountsResult<StatusCode> {
    s.dir.delete_account(&auth.0, &id.0).await?;
    Ok(StatusCode::NO_CONTENT)
}
