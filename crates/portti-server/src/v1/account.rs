//! What the user service keeps beside a user: `/user/{id}/customfields`, `/enterprise`,
//! `/legal`, `/password`, `/strongidentification`, `/student/state` and `/migratenamespace`.

use super::{users::shown, Auth, Json, ListEnvelope, ListParams, PathId, Query, V1Result, V1};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use portti_core::model::{
    Enterprise, LegalInfo, NamespaceMigrationOptions, PasswordUpdateResult, StrongIdentification,
    StudentState, User,
};
use portti_core::password::PasswordRequirements;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

type PathIds = crate::extract::PathIds<V1>;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_custom_fields, update_custom_fields, delete_custom_fields))
        .routes(routes!(get_enterprise, update_enterprise))
        .routes(routes!(get_legal, update_legal))
        .routes(routes!(password_requirements))
        .routes(routes!(change_password))
        .routes(routes!(get_strong_identification, report_strong_identification))
        .routes(routes!(strong_identification_history))
        .routes(routes!(strong_identification_entry))
        .routes(routes!(get_student_state, update_student_state))
        .routes(routes!(migrate_namespace))
}

/// The user's custom fields (`{}` when none).
#[utoipa::path(get, path = "/api/rest/v1/user/{id}/customfields", tag = "users", params(("id" = String, Path, description = "User id")),
    responses((status = 200, description = "A JSON object", body = Object)), security(("basic" = []), ("bearer" = [])))]
async fn get_custom_fields(
    State(s): State<AppState>,
    auth: Auth,
    id: PathId,
) -> V1Result<axum::Json<Map<String, Value>>> {
    Ok(axum::Json(s.dir.custom_fields(&auth.0, &id.0).await?))
}

/// Upsert custom fields (top-level keys); answers the resulting object.
#[utoipa::path(post, path = "/api/rest/v1/user/{id}/customfields", tag = "users", params(("id" = String, Path, description = "User id")),
    request_body = Object, responses((status = 200, description = "The resulting object", body = Object)), security(("basic" = []), ("bearer" = [])))]
async fn update_custom_fields(
    State(s): State<AppState>,
    auth: Auth,
    id: PathId,
    body: Json<Value>,
) -> V1Result<axum::Json<Map<String, Value>>> {
    Ok(axum::Json(s.dir.update_custom_fields(&auth.0, &id.0, body.into_inner()).await?))
}

/// Remove every custom field.
#[utoipa::path(delete, path = "/api/rest/v1/user/{id}/customfields", tag = "users", params(("id" = String, Path, description = "User id")),
    responses((status = 204, description = "Removed")), security(("basic" = []), ("bearer" = [])))]
async fn delete_custom_fields(State(s): State<AppState>, auth: Auth, id: PathId) -> V1Result<StatusCode> {
    s.dir.delete_custom_fields(&auth.0, &id.0).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The user's enterprise (`{}` when none).
#[utoipa::path(get, path = "/api/rest/v1/user/{id}/enterprise", tag = "users", params(("id" = String, Path, description = "User id")),
    responses((status = 200, description = "The enterprise", body = Enterprise)), security(("basic" = []), ("bearer" = [])))]
async fn get_enterprise(
    State(s): State<AppState>,
    auth: Auth,
    id: PathId,
) -> V1Result<axum::Json<Enterprise>> {
    Ok(axum::Json(s.dir.enterprise(&auth.0, &id.0).await?))
}

/// Replace the user's enterprise.
#[utoipa::path(put, path = "/api/rest/v1/user/{id}/enterprise", tag = "users", params(("id" = String, Path, description = "User id")),
    request_body = Enterprise, responses((status = 200, description = "The enterprise", body = Enterprise)), security(("basic" = []), ("bearer" = [])))]
async fn update_enterprise(
    State(s): State<AppState>,
    auth: Auth,
    id: PathId,
    body: Json<Enterprise>,
) -> V1Result<axum::Json<Enterprise>> {
    Ok(axum::Json(s.dir.update_enterprise(&auth.0, &id.0, body.into_inner()).await?))
}

/// The user's legal information (`{}` when none).
#[utoipa::path(get, path = "/api/rest/v1/user/{id}/legal", tag = "users", params(("id" = String, Path, description = "User id")),
    responses((status = 200, description = "Legal information", body = LegalInfo)), security(("basic" = []), ("bearer" = [])))]
async fn get_legal(State(s): State<AppState>, auth: Auth, id: PathId) -> V1Result<axum::Json<LegalInfo>> {
    Ok(axum::Json(s.dir.legal_info(&auth.0, &id.0).await?))
}

/// Replace the user's legal information (as a population register would).
#[utoipa::path(put, path = "/api/rest/v1/user/{id}/legal", tag = "users", params(("id" = String, Path, description = "User id")),
    request_body = LegalInfo, responses((status = 200, description = "Legal information", body = LegalInfo)), security(("basic" = []), ("bearer" = [])))]
async fn update_legal(
    State(s): State<AppState>,
    auth: Auth,
    id: PathId,
    body: Json<LegalInfo>,
) -> V1Result<axum::Json<LegalInfo>> {
    Ok(axum::Json(s.dir.update_legal_info(&auth.0, &id.0, body.into_inner()).await?))
}

/// What the user's namespace requires of passwords.
#[utoipa::path(get, path = "/api/rest/v1/user/{id}/password/requirements", tag = "users", params(("id" = String, Path, description = "User id")),
    responses((status = 200, description = "Requirements", body = PasswordRequirements)), security(("basic" = []), ("bearer" = [])))]
async fn password_requirements(
    State(s): State<AppState>,
    auth: Auth,
    id: PathId,
) -> V1Result<axum::Json<PasswordRequirements>> {
    Ok(axum::Json(s.dir.password_requirements(&auth.0, &id.0).await?))
}

/// A new password.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct NewPassword {
    /// The password.
    new_password: Option<String>,
}

/// Set the user's password; a weak one answers 200 with `success: false` and the broken rules.
#[utoipa::path(put, path = "/api/rest/v1/user/{id}/password", tag = "users", params(("id" = String, Path, description = "User id")),
    request_body = NewPassword, responses((status = 200, description = "The outcome", body = PasswordUpdateResult)), security(("basic" = []), ("bearer" = [])))]
async fn change_password(
    State(s): State<AppState>,
    auth: Auth,
    id: PathId,
    body: Json<NewPassword>,
) -> V1Result<axum::Json<PasswordUpdateResult>> {
    let password =
        body.into_inner().new_password.ok_or_else(|| portti_core::Error::bad("newPassword is required"))?;
    Ok(axum::Json(s.dir.change_password(&auth.0, &id.0, &password).await?))
}

/// The user's strong-identification summary.
#[utoipa::path(get, path = "/api/rest/v1/user/{id}/strongidentification", tag = "users", params(("id" = String, Path, description = "User id")),
    responses((status = 200, description = "The summary", body = StrongIdentification)), security(("basic" = []), ("bearer" = [])))]
async fn get_strong_identification(
    State(s): State<AppState>,
    auth: Auth,
    id: PathId,
) -> V1Result<axum::Json<StrongIdentification>> {
    Ok(axum::Json(s.dir.strong_identification(&auth.0, &id.0).await?))
}

/// A strong-identification report.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct Report {
    /// Personal identity code (not validated).
    personal_id: Option<String>,
    /// Remarks.
    remarks: Option<String>,
}

/// Record a strong identification; answers the updated summary.
#[utoipa::path(post, path = "/api/rest/v1/user/{id}/strongidentification", tag = "users", params(("id" = String, Path, description = "User id")),
    request_body = Report, responses((status = 200, description = "The summary", body = StrongIdentification)), security(("basic" = []), ("bearer" = [])))]
async fn report_strong_identification(
    State(s): State<AppState>,
    auth: Auth,
    id: PathId,
    body: Json<Report>,
) -> V1Result<axum::Json<StrongIdentification>> {
    let r = body.into_inner();
    Ok(axum::Json(s.dir.report_strong_identification(&auth.0, &id.0, r.personal_id, r.remarks).await?))
}

/// The user's strong-identification history (filter, paging, `sortBy`).
#[utoipa::path(get, path = "/api/rest/v1/user/{id}/strongidentification/history", tag = "users",
    params(("id" = String, Path, description = "User id"), ListParams),
    responses((status = 200, description = "A page of entries", body = ListEnvelope<StrongIdentification>)), security(("basic" = []), ("bearer" = [])))]
async fn strong_identification_history(
    State(s): State<AppState>,
    auth: Auth,
    id: PathId,
    q: Query<ListParams>,
) -> V1Result<axum::Json<ListEnvelope<StrongIdentification>>> {
    let page = s.dir.strong_identification_history(&auth.0, &id.0, q.into_inner().into_request()?).await?;
    Ok(axum::Json(page.into()))
}

/// One strong-identification history entry.
#[utoipa::path(get, path = "/api/rest/v1/user/{id}/strongidentification/history/{entryId}", tag = "users",
    params(("id" = String, Path, description = "User id"), ("entryId" = String, Path, description = "Entry id")),
    responses((status = 200, description = "The entry", body = StrongIdentification)), security(("basic" = []), ("bearer" = [])))]
async fn strong_identification_entry(
    State(s): State<AppState>,
    auth: Auth,
    ids: PathIds,
) -> V1Result<axum::Json<StrongIdentification>> {
    Ok(axum::Json(s.dir.strong_identification_entry(&auth.0, &ids.0, &ids.1).await?))
}

/// The user's student state (`UNKNOWN` when none).
#[utoipa::path(get, path = "/api/rest/v1/user/{id}/student/state", tag = "users", params(("id" = String, Path, description = "User id")),
    responses((status = 200, description = "The state", body = StudentState)), security(("basic" = []), ("bearer" = [])))]
async fn get_student_state(
    State(s): State<AppState>,
    auth: Auth,
    id: PathId,
) -> V1Result<axum::Json<StudentState>> {
    Ok(axum::Json(s.dir.student_state(&auth.0, &id.0).await?))
}

/// Set the user's student state (mirrored into `customerGroupInfo`).
#[utoipa::path(post, path = "/api/rest/v1/user/{id}/student/state", tag = "users", params(("id" = String, Path, description = "User id")),
    request_body = StudentState, responses((status = 200, description = "The state", body = StudentState)), security(("basic" = []), ("bearer" = [])))]
async fn update_student_state(
    State(s): State<AppState>,
    auth: Auth,
    id: PathId,
    body: Json<StudentState>,
) -> V1Result<axum::Json<StudentState>> {
    Ok(axum::Json(s.dir.update_student_state(&auth.0, &id.0, body.into_inner()).await?))
}

/// Move the user to another namespace; answers the user as it now exists there.
#[utoipa::path(post, path = "/api/rest/v1/user/{id}/migratenamespace", tag = "users", params(("id" = String, Path, description = "User id")),
    request_body = NamespaceMigrationOptions, responses((status = 200, description = "The moved user", body = User)), security(("basic" = []), ("bearer" = [])))]
async fn migrate_namespace(
    State(s): State<AppState>,
    auth: Auth,
    id: PathId,
    body: Json<NamespaceMigrationOptions>,
) -> V1Result<axum::Json<User>> {
    Ok(axum::Json(shown(&s, s.dir.migrate_namespace(&auth.0, &id.0, body.into_inner()).await?)))
}
