//! `/emailtemplate`: list, read and send from email templates (what the SDK can do), and
//! Portti's create, update and delete so that templates can be provisioned.

use super::{created, location, Auth, Json, ListEnvelope, ListParams, PathId, Query, V1Result};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use portti_core::model::{EmailTemplate, EmailTemplateChanges, SendMessageOptions};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_templates, create_template))
        .routes(routes!(get_template, update_template, delete_template))
        .routes(routes!(send_template))
}

fn shown(state: &AppState, mut t: EmailTemplate) -> EmailTemplate {
    t.meta.location = Some(location(state, "emailtemplate", &t.id));
    t
}

/// List the email templates serving the caller's namespaces (`namespaceIds`); a caller
/// reaching every namespace sees all. Filter and sort by `id`, `name`, `description`,
/// `templateEngine`, `defaultLocale`, `defaultTimeZone`, `namespaceIds`.
#[utoipa::path(get, path = "/api/rest/v1/emailtemplate", tag = "email templates", params(ListParams),
    responses((status = 200, description = "A page of templates", body = ListEnvelope<EmailTemplate>)),
    security(("basic" = []), ("bearer" = [])))]
async fn list_templates(
    State(s): State<AppState>,
    auth: Auth,
    q: Query<ListParams>,
) -> V1Result<axum::Json<ListEnvelope<EmailTemplate>>> {
    let page = s.dir.list_email_templates(&auth.0, q.into_inner().into_request()?).await?;
    Ok(axum::Json(page.map(|t| shown(&s, t)).into()))
}

/// Create an email template (Portti's addition; needs `EMAIL_TEMPLATE_MODIFY`).
/// `templateEngine` is `MUSTACHE` (default) or `HANDLEBARS`, both read as the same
/// Mustache subset: `{{key}}` (HTML-escaped in `htmlTemplate`), `{{{key}}}` (raw),
/// `{{#key}}…{{/key}}`, `{{^key}}…{{/key}}`, dotted names. `localeProperties` maps a locale
/// to properties; `namespaceIds` takes namespace ids or codes.
#[utoipa::path(post, path = "/api/rest/v1/emailtemplate", tag = "email templates", request_body = EmailTemplate,
    responses((status = 201, description = "The new template", body = EmailTemplate),
        (status = 400, description = "A template does not parse, or an unsupported engine", body = super::ErrorBody)),
    security(("basic" = []), ("bearer" = [])))]
async fn create_template(
    State(s): State<AppState>,
    auth: Auth,
    body: Json<EmailTemplateChanges>,
) -> V1Result<(StatusCode, axum::Json<EmailTemplate>)> {
    Ok(created(shown(&s, s.dir.create_email_template(&auth.0, body.into_inner()).await?)))
}

/// Read an email template.
#[utoipa::path(get, path = "/api/rest/v1/emailtemplate/{id}", tag = "email templates",
    params(("id" = String, Path, description = "Template id")),
    responses((status = 200, description = "The template", body = EmailTemplate)), security(("basic" = []), ("bearer" = [])))]
async fn get_template(
    State(s): State<AppState>,
    auth: Auth,
    id: PathId,
) -> V1Result<axum::Json<EmailTemplate>> {
    Ok(axum::Json(shown(&s, s.dir.email_template(&auth.0, &id.0).await?)))
}

/// Update an email template with a full object; absent keys keep their value (Portti's
/// addition; needs `EMAIL_TEMPLATE_MODIFY`).
#[utoipa::path(put, path = "/api/rest/v1/emailtemplate/{id}", tag = "email templates",
    params(("id" = String, Path, description = "Template id")), request_body = EmailTemplate,
    responses((status = 200, description = "The updated template", body = EmailTemplate)),
    security(("basic" = []), ("bearer" = [])))]
async fn update_template(
    State(s): State<AppState>,
    auth: Auth,
    id: PathId,
    body: Json<EmailTemplateChanges>,
) -> V1Result<axum::Json<EmailTemplate>> {
    Ok(axum::Json(shown(&s, s.dir.update_email_template(&auth.0, &id.0, body.into_inner()).await?)))
}

/// Delete an email template (Portti's addition; needs `EMAIL_TEMPLATE_MODIFY`).
#[utoipa::path(delete, path = "/api/rest/v1/emailtemplate/{id}", tag = "email templates",
    params(("id" = String, Path, description = "Template id")),
    responses((status = 204, description = "Deleted")), security(("basic" = []), ("bearer" = [])))]
async fn delete_template(State(s): State<AppState>, auth: Auth, id: PathId) -> V1Result<StatusCode> {
    s.dir.delete_email_template(&auth.0, &id.0).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Send a mail per recipient from a template. A recipient's address is its
/// `emailAddress`, else its user's primary address; its locale and time zone are its own,
/// else its user's, else the request's, else the template's; its properties are the
/// request's overlaid with its own (names without `.`). Templates also see `emailAddress`,
/// `locale`, `timeZone` and, for a `userId`, `user.*` (`user.name.givenName`, ...).
#[utoipa::path(post, path = "/api/rest/v1/emailtemplate/{id}/send", tag = "email templates",
    params(("id" = String, Path, description = "Template id")), request_body = SendMessageOptions,
    responses((status = 204, description = "Queued in the outbox"),
        (status = 404, description = "No such template or user", body = super::ErrorBody)),
    security(("basic" = []), ("bearer" = [])))]
async fn send_template(
    State(s): State<AppState>,
    auth: Auth,
    id: PathId,
    body: Json<SendMessageOptions>,
) -> V1Result<StatusCode> {
    s.dir.send_email_template(&auth.0, &id.0, body.into_inner()).await?;
    Ok(StatusCode::NO_CONTENT)
}
