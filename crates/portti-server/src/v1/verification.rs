//! Verifying a user's addresses and inviting new users: `/user/{id}/email/verify`,
//! `/user/{id}/sms/verify/send`, `/user/{id}/sms/verify/check/{code}`,
//! `/user/{id}/sms/verify/sendLink` and `/invite/user`. The links these send open the
//! public pages of [`crate::public`].

use super::{Auth, PathId, Query, V1Result, V1};
use crate::dialect::ApiError;
use crate::extract::BODY_LIMIT;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use portti_core::Error;
use portti_service::{InviteRequest, LinkRequest};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

type PathIds = crate::extract::PathIds<V1>;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(verify_email))
        .routes(routes!(send_sms_code))
        .routes(routes!(check_sms_code))
        .routes(routes!(send_sms_link))
        .routes(routes!(invite_users))
}

/// A JSON body that may also be empty (then every member is absent).
struct OptionalJson<T>(T);

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError<V1>;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Error::PayloadTooLarge(BODY_LIMIT)
            } else {
                Error::bad(format!("cannot read the request body: {e}"))
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(T::default()));
        }
        serde_json::from_slice(&bytes)
            .map(OptionalJson)
            .map_err(|e| Error::bad(format!("invalid JSON body: {e}")).into())
    }
}

/// A verification-link request (U7, U10); every member optional, `null` as absent.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
struct VerifyLinkBody {
    /// The address (U7) or number (U10) to verify; absent: the user's first. It must be one of the user's.
    value: Option<String>,
    /// Where the link's page redirects (303) after verifying; absent: a confirmation page.
    #[serde(rename = "returnURL", alias = "returnUrl")]
    return_url: Option<String>,
    /// Days the link works (1-3650); absent: the namespace's `emailVerifyLinkExpireDays`.
    expiration_days: Option<i64>,
    /// U7 only: an email template to render the mail with.
    email_template_id: Option<String>,
    /// U7 only: properties for that template.
    email_template_properties: Option<Map<String, Value>>,
}

impl From<VerifyLinkBody> for LinkRequest {
    fn from(b: VerifyLinkBody) -> Self {
        LinkRequest {
            value: b.value,
            return_url: b.return_url,
            expiration_days: b.expiration_days,
            email_template_id: b.email_template_id,
            email_template_properties: b.email_template_properties,
        }
    }
}

/// Mail a single-use link that verifies one of the user's email addresses (U7). Visiting
/// `{public URL}/verify/email/{token}` marks the address verified (`verifiedBy` `EMAIL_LINK`),
/// unlocks the user when the namespace's policy has `emailVerificationUnlocksUser`, and
/// redirects to `returnURL`. Needs `ACCOUNT_MODIFY`. A `value` that is not one of the user's
/// addresses is a 400.
#[utoipa::path(post, path = "/api/rest/v1/user/{id}/email/verify", tag = "users",
    params(("id" = String, Path, description = "User id")), request_body = VerifyLinkBody,
    responses((status = 204, description = "The mail is in the outbox"),
        (status = 400, description = "Not one of the user's addresses, or a bad option", body = super::ErrorBody),
        (status = 404, description = "No such user", body = super::ErrorBody)),
    security(("basic" = []), ("bearer" = [])))]
async fn verify_email(
    State(s): State<AppState>,
    auth: Auth,
    id: PathId,
    body: OptionalJson<VerifyLinkBody>,
) -> V1Result<StatusCode> {
    s.dir.send_email_verification(&auth.0, &id.0, body.0.into()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The number to send an SMS code to.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct MobileParam {
    /// One of the user's mobile numbers (compared in E.164 with the namespace's
    /// `smsSettings.defaultRegion`); absent: the user's first.
    mobile: Option<String>,
}

/// Text a six-digit code to one of the user's mobile numbers (U8); it works for 10 minutes
/// and replaces any earlier code. Sends and checks together are limited to the namespace's
/// `mobileVerificationAttemptsPerDay` per user in 24 hours (429 past it). Needs `ACCOUNT_MODIFY`.
#[utoipa::path(post, path = "/api/rest/v1/user/{id}/sms/verify/send", tag = "users",
    params(("id" = String, Path, description = "User id"), MobileParam),
    responses((status = 204, description = "The SMS is in the outbox"),
        (status = 400, description = "Not one of the user's numbers, or not a number an SMS can go to", body = super::ErrorBody),
        (status = 404, description = "No such user", body = super::ErrorBody),
        (status = 429, description = "The day's attempts are used up", body = super::ErrorBody)),
    security(("basic" = []), ("bearer" = [])))]
async fn send_sms_code(
    State(s): State<AppState>,
    auth: Auth,
    id: PathId,
    q: Query<MobileParam>,
) -> V1Result<StatusCode> {
    let mobile = q.into_inner().mobile.map(plus_restored);
    s.dir.send_sms_code(&auth.0, &id.0, mobile.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A `+` sent unencoded in a query string arrives as a space: `?mobile=+358…` means `+358…`.
fn plus_restored(mobile: String) -> String {
    match mobile.strip_prefix(' ') {
        Some(rest) if rest.trim_start().starts_with(|c: char| c.is_ascii_digit()) => {
            format!("+{}", rest.trim_start())
        }
        _ => mobile,
    }
}

/// Check an SMS code (U9): 200 when it is the user's current code (the number becomes
/// verified, `verifiedBy` `SMS_CODE`, and the code is spent); 404 when it is wrong,
/// expired, spent or was never sent. Every check counts toward the daily limit, and past
/// it every code is wrong until the window passes. Needs `ACCOUNT_MODIFY`.
#[utoipa::path(post, path = "/api/rest/v1/user/{id}/sms/verify/check/{code}", tag = "users",
    params(("id" = String, Path, description = "User id"), ("code" = String, Path, description = "The code from the SMS")),
    responses((status = 200, description = "Right: the number is verified"),
        (status = 404, description = "Wrong, expired, spent or never sent (or no such user)", body = super::ErrorBody)),
    security(("basic" = []), ("bearer" = [])))]
async fn check_sms_code(State(s): State<AppState>, auth: Auth, ids: PathIds) -> V1Result<StatusCode> {
    if s.dir.check_sms_code(&auth.0, &ids.0, &ids.1).await? {
        Ok(StatusCode::OK)
    } else {
        Err(Error::NotFound("the code is wrong, expired or already used".into()).into())
    }
}

/// Text a single-use link that verifies one of the user's mobile numbers (U10). Visiting
/// `{public URL}/verify/sms/{token}` marks the number verified (`verifiedBy` `SMS_LINK`) and
/// redirects to `returnURL`. Needs `ACCOUNT_MODIFY`.
#[utoipa::path(post, path = "/api/rest/v1/user/{id}/sms/verify/sendLink", tag = "users",
    params(("id" = String, Path, description = "User id")), request_body = VerifyLinkBody,
    responses((status = 204, description = "The SMS is in the outbox"),
        (status = 400, description = "Not one of the user's numbers, or a bad option", body = super::ErrorBody),
        (status = 404, description = "No such user", body = super::ErrorBody)),
    security(("basic" = []), ("bearer" = [])))]
async fn send_sms_link(
    State(s): State<AppState>,
    auth: Auth,
    id: PathId,
    body: OptionalJson<VerifyLinkBody>,
) -> V1Result<StatusCode> {
    s.dir.send_sms_verification_link(&auth.0, &id.0, body.0.into()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One string or a list of them.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Strings {
    One(String),
    Many(Vec<String>),
}

impl Strings {
    fn into_vec(self) -> Vec<String> {
        match self {
            Strings::One(s) => vec![s],
            Strings::Many(v) => v,
        }
    }
}

/// An invitation request (U11).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct InviteBody {
    /// Addresses to invite (a single string is accepted too).
    #[schema(value_type = Vec<String>)]
    emails: Option<Strings>,
    /// The namespace the new users join; absent: the caller's default namespace.
    ns_code: Option<String>,
    /// Groups (names or ids) of that namespace the new users join; each must exist.
    #[schema(value_type = Option<Vec<String>>)]
    groups: Option<Strings>,
    /// `fi`, `sv` or `en`: the language of the mail and the registration page (default `en`).
    locale: Option<String>,
    /// The mail's subject instead of the default one.
    subject: Option<String>,
    /// The mail's text instead of the default one; the link follows it.
    body_text: Option<String>,
}

/// What an invitation request did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct InviteResult {
    /// The namespace.
    ns_code: String,
    /// The addresses mailed.
    invited: Vec<String>,
    /// When the links stop working.
    expires: String,
}

/// Invite people by email (U11): each address gets a mail with a single-use link to
/// `{public URL}/invite/{token}`, valid 7 days, where they choose a password (and a username
/// when the namespace's policy is `MANUAL`) and become users of `nsCode` and `groups`, with
/// the invited address verified. Needs `ACCOUNT_CREATE`.
#[utoipa::path(post, path = "/api/rest/v1/invite/user", tag = "users", request_body = InviteBody,
    responses((status = 200, description = "The mails are in the outbox", body = InviteResult),
        (status = 400, description = "A bad address, an unknown namespace or group, a bad locale", body = super::ErrorBody)),
    security(("basic" = []), ("bearer" = [])))]
async fn invite_users(
    State(s): State<AppState>,
    auth: Auth,
    body: super::Json<InviteBody>,
) -> V1Result<axum::Json<InviteResult>> {
    let b = body.into_inner();
    let req = InviteRequest {
        emails: b.emails.map(Strings::into_vec).unwrap_or_default(),
        ns_code: b.ns_code,
        groups: b.groups.map(Strings::into_vec).unwrap_or_default(),
        locale: b.locale,
        subject: b.subject,
        body_text: b.body_text,
    };
    let done = s.dir.invite_users(&auth.0, req).await?;
    Ok(axum::Json(InviteResult { ns_code: done.ns_code, invited: done.invited, expires: done.expires }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unencoded_plus_comes_back() {
        assert_eq!(plus_restored(" 358401234567".into()), "+358401234567");
        assert_eq!(plus_restored("+358401234567".into()), "+358401234567");
        assert_eq!(plus_restored("0401234567".into()), "0401234567");
    }
}
