//! Sending on request: `email/send`, `user/{id}/email/send`, `group/{id}/email/send`,
//! `sms/send`, `user/{id}/sms/send` and `sms/regions`. Every message goes to the outbox.

use super::{Auth, Json, PathId, V1Result};
use crate::AppState;
use axum::extract::State;
use portti_core::model::{Email, SmsMessage, SmsResponse};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(send_email))
        .routes(routes!(send_email_to_user))
        .routes(routes!(send_email_to_group))
        .routes(routes!(send_sms))
        .routes(routes!(send_sms_to_user))
        .routes(routes!(sms_regions))
}

/// The empty JSON object the mail endpoints answer.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Sent {}

/// Mail everyone in `to`, `cc` and `bcc`: one outbox message per address (each once).
/// An all-null `from` means the server's sender. At least one of `html`/`text` is
/// required; attachments are base64.
#[utoipa::path(post, path = "/api/rest/v1/email/send", tag = "messaging", request_body = Email,
    responses((status = 200, description = "Queued in the outbox", body = Sent),
        (status = 400, description = "Invalid address, body or attachment; nothing was queued", body = super::ErrorBody)),
    security(("basic" = []), ("bearer" = [])))]
async fn send_email(State(s): State<AppState>, auth: Auth, body: Json<Email>) -> V1Result<axum::Json<Sent>> {
    s.dir.send_email(&auth.0, body.into_inner()).await?;
    Ok(axum::Json(Sent {}))
}

/// Mail a user at its primary address, plus any addresses in `to`, `cc` and `bcc`.
#[utoipa::path(post, path = "/api/rest/v1/user/{id}/email/send", tag = "messaging",
    params(("id" = String, Path, description = "User id")), request_body = Email,
    responses((status = 200, description = "Queued in the outbox", body = Sent),
        (status = 404, description = "No such user in the caller's namespaces", body = super::ErrorBody)),
    security(("basic" = []), ("bearer" = [])))]
async fn send_email_to_user(
    State(s): State<AppState>,
    auth: Auth,
    id: PathId,
    body: Json<Email>,
) -> V1Result<axum::Json<Sent>> {
    s.dir.send_email_to_user(&auth.0, &id.0, body.into_inner()).await?;
    Ok(axum::Json(Sent {}))
}

/// Mail every member of a group, members of its nested groups included, at each one's
/// primary address (each address once).
#[utoipa::path(post, path = "/api/rest/v1/group/{id}/email/send", tag = "messaging",
    params(("id" = String, Path, description = "Group id")), request_body = Email,
    responses((status = 200, description = "Queued in the outbox", body = Sent),
        (status = 404, description = "No such group in the caller's namespaces", body = super::ErrorBody)),
    security(("basic" = []), ("bearer" = [])))]
async fn send_email_to_group(
    State(s): State<AppState>,
    auth: Auth,
    id: PathId,
    body: Json<Email>,
) -> V1Result<axum::Json<Sent>> {
    s.dir.send_email_to_group(&auth.0, &id.0, body.into_inner()).await?;
    Ok(axum::Json(Sent {}))
}

/// Text a number, as the caller's default namespace allows (`smsSettings.enabled` and
/// `customEnabled`). National numbers are read in `toRegion`, else the namespace's
/// `defaultRegion`; the sender defaults to its `defaultOriginator`.
#[utoipa::path(post, path = "/api/rest/v1/sms/send", tag = "messaging", request_body = SmsMessage,
    responses((status = 200, description = "Queued in the outbox", body = SmsResponse),
        (status = 400, description = "Invalid number, sender or text", body = super::ErrorBody),
        (status = 403, description = "SMS not enabled in the namespace", body = super::ErrorBody)),
    security(("basic" = []), ("bearer" = [])))]
async fn send_sms(
    State(s): State<AppState>,
    auth: Auth,
    body: Json<SmsMessage>,
) -> V1Result<axum::Json<SmsResponse>> {
    Ok(axum::Json(s.dir.send_sms(&auth.0, body.into_inner()).await?))
}

/// Text a user's first mobile number, as the user's namespace allows; `to` is ignored.
#[utoipa::path(post, path = "/api/rest/v1/user/{id}/sms/send", tag = "messaging",
    params(("id" = String, Path, description = "User id")), request_body = SmsMessage,
    responses((status = 200, description = "Queued in the outbox", body = SmsResponse),
        (status = 403, description = "SMS not enabled in the user's namespace", body = super::ErrorBody),
        (status = 404, description = "No such user in the caller's namespaces", body = super::ErrorBody)),
    security(("basic" = []), ("bearer" = [])))]
async fn send_sms_to_user(
    State(s): State<AppState>,
    auth: Auth,
    id: PathId,
    body: Json<SmsMessage>,
) -> V1Result<axum::Json<SmsResponse>> {
    Ok(axum::Json(s.dir.send_sms_to_user(&auth.0, &id.0, body.into_inner()).await?))
}

/// The regions (ISO 3166 alpha-2) whose national numbers can be read: a bare array.
#[utoipa::path(get, path = "/api/rest/v1/sms/regions", tag = "messaging",
    responses((status = 200, description = "Supported regions", body = Vec<String>, example = json!(["EE", "FI", "SE"]))),
    security(("basic" = []), ("bearer" = [])))]
async fn sms_regions(_auth: Auth) -> V1Result<axum::Json<Vec<String>>> {
    Ok(axum::Json(portti_service::sms_regions()))
}
