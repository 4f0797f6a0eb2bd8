//! The OpenID Connect provider: discovery, the token endpoint, userinfo and the key set.

use crate::v1::V1;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use portti_service::{OAuthError, TokenResponse, SCOPES};
use serde_json::{json, Value};
use std::collections::HashMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(discovery))
        .routes(routes!(token))
        .routes(routes!(userinfo))
        .routes(routes!(jwks))
}

/// OpenID Connect discovery.
#[utoipa::path(get, path = "/.well-known/openid-configuration", tag = "openid",
    responses((status = 200, description = "Provider metadata")))]
async fn discovery(State(s): State<AppState>) -> axum::Json<Value> {
    let base = &s.public_url;
    axum::Json(json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/openid/auth"),
        "token_endpoint": format!("{base}/openid/token"),
        "userinfo_endpoint": format!("{base}/openid/userinfo"),
        "jwks_uri": format!("{base}/openid/jwks"),
        "scopes_supported": SCOPES,
        "grant_types_supported": ["password", "refresh_token", "client_credentials"],
        "response_types_supported": [],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "claims_supported": ["sub", "preferred_username", "email", "email_verified", "phone_number",
            "phone_number_verified", "given_name", "family_name", "locale", "nickname", "zoneinfo", "address"],
    }))
}

/// The token endpoint: `client_credentials` (management clients), `password` and
/// `refresh_token` (OIDC clients). Parameters may come in the form body or the query
/// string (as the `trivoreid` SDK sends them); the answer is compact, flat JSON.
#[utoipa::path(post, path = "/openid/token", tag = "openid",
    responses((status = 200, description = "Tokens"), (status = 400, description = "OAuth2 error"), (status = 401, description = "Bad client credentials")))]
async fn token(
    State(s): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut params = query;
    if let Ok(form) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body) {
        params.extend(form);
    }
    match issue(&s, &params, &headers).await {
        Ok(tokens) => {
            let mut resp = axum::Json(tokens).into_response();
            resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            resp.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
            resp
        }
        Err(e) => oauth_error(e),
    }
}

async fn issue(
    s: &AppState,
    p: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<TokenResponse, OAuthError> {
    let param = |k: &str| p.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let required = |k: &str| param(k).ok_or_else(|| OAuthError::InvalidRequest(format!("{k} is required")));
    let (id, secret) = client_credentials(headers, p)?;
    match required("grant_type")? {
        "client_credentials" => s.dir.client_credentials_token(&id, &secret).await,
        "password" => {
            let (user, pw) = (required("username")?, required("password")?);
            s.dir.password_token(&id, &secret, user, pw, param("scope")).await
        }
        "refresh_token" => s.dir.refresh_token(&id, &secret, required("refresh_token")?).await,
        other => Err(OAuthError::UnsupportedGrantType(format!("unsupported grant_type {other}"))),
    }
}

/// Client credentials from HTTP Basic, else from `client_id`/`client_secret` parameters.
fn client_credentials(
    headers: &HeaderMap,
    p: &HashMap<String, String>,
) -> Result<(String, String), OAuthError> {
    let basic = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    if let Some(h) = basic {
        return crate::auth::basic_credentials(h)
            .map_err(|_| OAuthError::InvalidClient("malformed client credentials".into()));
    }
    match (p.get("client_id"), p.get("client_secret")) {
        (Some(id), Some(secret)) => Ok((id.clone(), secret.clone())),
        _ => Err(OAuthError::InvalidClient("client authentication required".into())),
    }
}

/// An OAuth2 error body that also carries the SDK's `errorMessage`.
fn oauth_error(e: OAuthError) -> Response {
    let (status, code, text) = match e {
        OAuthError::InvalidClient(m) => (StatusCode::UNAUTHORIZED, "invalid_client", m),
        OAuthError::InvalidGrant(m) => (StatusCode::BAD_REQUEST, "invalid_grant", m),
        OAuthError::InvalidRequest(m) => (StatusCode::BAD_REQUEST, "invalid_request", m),
        OAuthError::UnauthorizedClient(m) => (StatusCode::BAD_REQUEST, "unauthorized_client", m),
        OAuthError::UnsupportedGrantType(m) => (StatusCode::BAD_REQUEST, "unsupported_grant_type", m),
        OAuthError::Server(e) => {
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let code = if status == StatusCode::SERVICE_UNAVAILABLE {
                "temporarily_unavailable"
            } else {
                "server_error"
            };
            (status, code, e.to_string())
        }
    };
    let body = json!({"error": code, "error_description": text, "errorMessage": text, "statusCode": status.as_u16()});
    let mut resp = (status, axum::Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        resp.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"portti\""));
    }
    resp
}

/// The claims of the user whose Bearer token this is (`sub` is the user id).
#[utoipa::path(get, path = "/openid/userinfo", tag = "openid",
    responses((status = 200, description = "Claims"), (status = 401, description = "No valid user token")))]
async fn userinfo(
    State(s): State<AppState>,
    auth: crate::auth::Auth<V1>,
) -> crate::dialect::ApiResult<axum::Json<Value>, V1> {
    Ok(axum::Json(s.dir.userinfo(&auth.0).await?))
}

/// The public keys tokens are signed with.
#[utoipa::path(get, path = "/openid/jwks", tag = "openid", responses((status = 200, description = "JWK set")))]
async fn jwks(State(s): State<AppState>) -> axum::Json<Value> {
    axum::Json(s.dir.jwks())
}
