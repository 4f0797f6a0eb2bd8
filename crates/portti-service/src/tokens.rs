//! OAuth2 and OpenID Connect: issuing and checking tokens, signing users in with the
//! namespace's lockout policy, OIDC clients and long-lived API tokens.

use crate::secrets::random_secret;
use crate::{Caller, Directory, Reading};
use portti_core::model::{ApiToken, OidcClient, RefreshGrant, User, GRANTS};
use portti_core::{id, time, Error, Result};
use serde::Serialize;
use serde_json::{json, Value};

/// Scopes this server knows (`scopes_supported`).
pub const SCOPES: &[&str] = &[
    "openid",
    "profile",
    "email",
    "phone",
    "address",
    "https://oneportal.trivore.com/scope/users",
    "https://oneportal.trivore.com/scope/users.readonly",
    "https://oneportal.trivore.com/scope/groups",
    "https://oneportal.trivore.com/scope/groups.readonly",
    "https://oneportal.trivore.com/scope/namespace",
    "https://oneportal.trivore.com/scope/namespace.readonly",
    "https://oneportal.trivore.com/scope/profile.update",
    "https://oneportal.trivore.com/scope/email.update",
    "https://oneportal.trivore.com/scope/phone.update",
    "https://oneportal.trivore.com/scope/address.update",
    "https://oneportal.trivore.com/scope/email.verify",
    "https://oneportal.trivore.com/scope/sms.verify",
    "https://oneportal.trivore.com/scope/password",
    "https://oneportal.trivore.com/scope/consent",
    "https://oneportal.trivore.com/scope/consent.readonly",
    "https://oneportal.trivore.com/scope/user.invite",
    "https://oneportal.trivore.com/scope/user.custom.fields",
    "https://oneportal.trivore.com/scope/user.custom.fields.readonly",
    "https://oneportal.trivore.com/scope/accessrights",
    "https://oneportal.trivore.com/scope/accessrights.readonly",
];

const REFRESH_TTL_MS: i64 = 30 * 24 * 3600 * 1000;
const CLAIMS: &str = "https://oneportal.trivore.com/claims/";

/// How long access tokens live, and who issues them.
#[derive(Debug, Clone)]
pub struct TokenSettings {
    /// `iss` of every token (the public URL).
    pub issuer: String,
    /// Access-token lifetime in seconds.
    pub access_ttl_secs: i64,
}

impl Default for TokenSettings {
    fn default() -> Self {
        TokenSettings { issuer: "http://127.0.0.1:8080".into(), access_ttl_secs: 3600 }
    }
}

/// A token response: compact and flat, `access_token` first (the SDK splits it as text).
#[derive(Debug, Clone, Serialize)]
pub struct TokenResponse {
    /// The Bearer token.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until it expires.
    pub expires_in: i64,
    /// For renewing it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// An OpenID Connect ID token (scope `openid`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// The granted scope, space-separated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// An OAuth2 error (RFC 6749 §5.2).
#[derive(Debug, Clone, PartialEq)]
pub enum OAuthError {
    /// Client authentication failed (401).
    InvalidClient(String),
    /// The grant (password, refresh token) is invalid (400).
    InvalidGrant(String),
    /// A parameter is missing or wrong (400).
    InvalidRequest(String),
    /// The client may not use this grant (400).
    UnauthorizedClient(String),
    /// Not a grant this server knows (400).
    UnsupportedGrantType(String),
    /// Anything else (the store is down, ...).
    Server(Error),
}

impl From<Error> for OAuthError {
    fn from(e: Error) -> Self {
        OAuthError::Server(e)
    }
}

type OAuthResult<T> = std::result::Result<T, OAuthError>;

impl Directory {
    /// The JWK set of the signing key.
    pub fn jwks(&self) -> Value {
        self.signer.jwks()
    }

    /// `client_credentials`: a token that acts as the management client.
    pub async fn client_credentials_token(&self, id: &str, secret: &str) -> OAuthResult<TokenResponse> {
        let caller = self
            .authenticate_client(id, secret)
            .await
            .map_err(|_| OAuthError::InvalidClient("invalid client credentials".into()))?;
        let now = time::now_ms() / 1000;
        let ttl = self.tokens.access_ttl_secs;
        let claims = json!({"iss": self.tokens.issuer, "sub": caller.id(), "iat": now, "exp": now + ttl,
            "jti": id::new_id(), "typ": "client", "client_id": caller.id()});
        Ok(TokenResponse {
            access_token: self.signer.sign(&claims)?,
            token_type: "Bearer",
            expires_in: ttl,
            refresh_token: None,
            id_token: None,
            scope: None,
        })
    }

    /// The OIDC client these credentials belong to, if it may use `grant`.
    async fn oidc_client_for(&self, id: &str, secret: &str, grant: &str) -> OAuthResult<OidcClient> {
        let found = self.read().await?.oidc_client(id).await?;
        let client = match found {
            Some((c, hash)) if self.secret_key.verify(secret, &hash) => c,
            _ => return Err(OAuthError::InvalidClient("invalid client credentials".into())),
        };
        if !client.allows(grant) {
            return Err(OAuthError::UnauthorizedClient(format!("this client may not use the {grant} grant")));
        }
        Ok(client)
    }

    /// `password`: sign a user in for an OIDC client.
    pub async fn password_token(
        &self,
        client_id: &str,
        secret: &str,
        username: &str,
        password: &str,
        scope: Option<&str>,
    ) -> OAuthResult<TokenResponse> {
        let client = self.oidc_client_for(client_id, secret, "password").await?;
        let user = self.sign_in(&client, username, password).await?;
        self.user_tokens(&client, &user, &granted_scope(scope)).await
    }

    /// `refresh_token`: renew a user's tokens; the old refresh token is spent.
    pub async fn refresh_token(
        &self,
        client_id: &str,
        secret: &str,
        refresh: &str,
    ) -> OAuthResult<TokenResponse> {
        let client = self.oidc_client_for(client_id, secret, "refresh_token").await?;
        let mut tx = self.write().await?;
        let grant = tx.take_refresh(&self.secret_key.hash(refresh)).await?;
        tx.commit().await?;
        let invalid = || OAuthError::InvalidGrant("the refresh token is invalid or expired".into());
        let grant = grant
            .filter(|g| g.client_id == client.id && g.expires_ms > time::now_ms())
            .ok_or_else(invalid)?;
        let user =
            self.read().await?.user(&grant.user_id).await?.filter(|u| !u.locked).ok_or_else(invalid)?;
        self.user_tokens(&client, &user, &grant.scope).await
    }

    async fn user_tokens(&self, client: &OidcClient, user: &User, scope: &str) -> OAuthResult<TokenResponse> {
        let now = time::now_ms() / 1000;
        let ttl = self.tokens.access_ttl_secs;
        let access = json!({"iss": self.tokens.issuer, "sub": user.id, "iat": now, "exp": now + ttl,
            "jti": id::new_id(), "typ": "user", "client_id": client.id, "scope": scope});
        let id_token = scope.split(' ').any(|s| s == "openid").then(|| {
            json!({"iss": self.tokens.issuer, "sub": user.id, "aud": client.id, "iat": now, "exp": now + ttl,
                "auth_time": now, "preferred_username": user.username})
        });
        let refresh_token = if client.allows("refresh_token") {
            let token = random_secret();
            let grant = RefreshGrant {
                user_id: user.id.clone(),
                client_id: client.id.clone(),
                scope: scope.to_string(),
                expires_ms: time::now_ms() + REFRESH_TTL_MS,
            };
            let mut tx = self.write().await?;
            tx.insert_refresh(&self.secret_key.hash(&token), &grant).await?;
            tx.commit().await?;
            Some(token)
        } else {
            None
        };
        Ok(TokenResponse {
            access_token: self.signer.sign(&access)?,
            token_type: "Bearer",
            expires_in: ttl,
            refresh_token,
            id_token: id_token.map(|c| self.signer.sign(&c)).transpose()?,
            scope: Some(scope.to_string()),
        })
    }

    /// The caller a Bearer token acts as, read in `reading`; 401 for anything expired,
    /// tampered, foreign or revoked.
    pub async fn authenticate_bearer_in(&self, reading: &mut Reading, token: &str) -> Result<Caller> {
        let invalid = || Error::Unauthorized("invalid or expired token".into());
        let claims = self.signer.verify(token).ok_or_else(invalid)?;
        if claims["exp"].as_i64().is_none_or(|exp| exp <= time::now_ms() / 1000) {
            return Err(invalid());
        }
        let sub = claims["sub"].as_str().ok_or_else(invalid)?;
        let tx = reading.tx().await?;
        match claims["typ"].as_str() {
            Some("client") => Ok(Caller::client(&tx.client(sub).await?.ok_or_else(invalid)?.0)),
            Some("api") => {
                let jti = claims["jti"].as_str().ok_or_else(invalid)?;
                let token = tx
                    .api_token(jti)
                    .await?
                    .filter(|t| !t.revoked && t.client_id == sub)
                    .ok_or_else(invalid)?;
                Ok(Caller::client(&tx.client(&token.client_id).await?.ok_or_else(invalid)?.0))
            }
            Some("user") => {
                let user = tx.user(sub).await?.filter(|u| !u.locked).ok_or_else(invalid)?;
                Ok(Caller::end_user(&user))
            }
            _ => Err(invalid()),
        }
    }

    /// The OpenID Connect claims of the user a token stands for.
    pub async fn userinfo(&self, caller: &Caller) -> Result<Value> {
        let me =
            caller.only_user().ok_or_else(|| Error::Forbidden("userinfo needs a user's token".into()))?;
        let mut tx = self.read().await?;
        let user = tx.user(me).await?.ok_or_else(|| Error::not_found("user", me))?;
        let mut groups = Vec::new();
        for gid in &user.member_of {
            groups.extend(tx.group(gid).await?.map(|g| g.name));
        }
        Ok(claims_of(&user, groups))
    }

    /// Register an OIDC client; returns it with its secret, shown only now.
    pub async fn create_oidc_client(
        &self,
        name: &str,
        grants: Vec<String>,
        redirect_uris: Vec<String>,
        namespace: Option<String>,
    ) -> Result<(OidcClient, String)> {
        if name.trim().is_empty() {
            return Err(Error::bad("an OIDC client needs a name"));
        }
        if let Some(g) = grants.iter().find(|g| !GRANTS.contains(&g.as_str())) {
            return Err(Error::bad(format!("unknown grant {g}; known: {}", GRANTS.join(", "))));
        }
        if let Some(code) = &namespace {
            if self.read().await?.namespace(code).await?.filter(|n| &n.code == code).is_none() {
                return Err(Error::bad(format!("namespace {code} does not exist")));
            }
        }
        let grants = if grants.is_empty() { vec!["password".into(), "refresh_token".into()] } else { grants };
        let client = OidcClient {
            id: id::new_id(),
            name: name.trim().into(),
            grants,
            redirect_uris,
            namespace,
            created: time::format_ms(time::now_ms()),
        };
        let secret = random_secret();
        let mut tx = self.write().await?;
        tx.insert_oidc_client(&client, &self.secret_key.hash(&secret)).await?;
        tx.commit().await?;
        Ok((client, secret))
    }

    /// Every OIDC client.
    pub async fn list_oidc_clients(&self) -> Result<Vec<OidcClient>> {
        self.read().await?.oidc_clients().await
    }

    /// Remove an OIDC client.
    pub async fn delete_oidc_client(&self, id: &str) -> Result<()> {
        let mut tx = self.write().await?;
        if !tx.delete_oidc_client(id).await? {
            return Err(Error::not_found("OIDC client", id));
        }
        tx.commit().await
    }

    /// A long-lived API token for a management client; the token is shown only now.
    pub async fn create_api_token(&self, client_id: &str, ttl_days: u32) -> Result<(ApiToken, String)> {
        if self.read().await?.client(client_id).await?.is_none() {
            return Err(Error::not_found("client", client_id));
        }
        let now = time::now_ms();
        let token = ApiToken {
            id: id::new_id(),
            client_id: client_id.into(),
            created_ms: now,
            expires_ms: now + i64::from(ttl_days.clamp(1, 3650)) * 86_400_000,
            revoked: false,
        };
        let claims = json!({"iss": self.tokens.issuer, "sub": client_id, "iat": now / 1000,
            "exp": token.expires_ms / 1000, "jti": token.id, "typ": "api"});
        let jwt = self.signer.sign(&claims)?;
        let mut tx = self.write().await?;
        tx.insert_api_token(&token).await?;
        tx.commit().await?;
        Ok((token, jwt))
    }

    /// A client's API tokens.
    pub async fn list_api_tokens(&self, client_id: &str) -> Result<Vec<ApiToken>> {
        self.read().await?.api_tokens(client_id).await
    }

    /// Revoke an API token, named by its id or by the token itself.
    pub async fn revoke_api_token(&self, id_or_token: &str) -> Result<()> {
        let id = match self.signer.verify(id_or_token) {
            Some(claims) => claims["jti"].as_str().unwrap_or_default().to_string(),
            None => id_or_token.to_string(),
        };
        let mut tx = self.write().await?;
        if !tx.revoke_api_token(&id).await? {
            return Err(Error::not_found("API token", &id));
        }
        tx.commit().await
    }
}

/// The requested scopes this server knows, in the order asked (`openid` when none).
fn granted_scope(requested: Option<&str>) -> String {
    let known: Vec<&str> =
        requested.unwrap_or("").split_whitespace().filter(|s| SCOPES.contains(s)).collect();
    if known.is_empty() {
        "openid".into()
    } else {
        known.join(" ")
    }
}

/// OpenID Connect claims of a user (`sub` is its id).
fn claims_of(user: &User, groups: Vec<String>) -> Value {
    let mut c = serde_json::Map::new();
    let mut put = |k: &str, v: Value| {
        if !v.is_null() {
            c.insert(k.to_string(), v);
        }
    };
    put("sub", json!(user.id));
    put("preferred_username", json!(user.username));
    if let Some(e) = user.emails.first() {
        put("email", json!(e.address));
        put("email_verified", json!(e.verified));
    }
    if let Some(m) = user.mobiles.first() {
        put("phone_number", json!(m.number));
        put("phone_number_verified", json!(m.verified));
    }
    put("given_name", json!(user.name.given_name));
    put("family_name", json!(user.name.family_name));
    put("middle_name", json!(user.name.middle_name));
    put("locale", json!(user.locale));
    put("nickname", json!(user.nick_name));
    put("zoneinfo", json!(user.time_zone));
    if let Some(a) = user.addresses.first() {
        put(
            "address",
            json!({"street_address": a.street_address, "postal_code": a.postal_code,
            "locality": a.locality, "region": a.region, "country": a.country}),
        );
    }
    put(&format!("{CLAIMS}namespace"), json!(user.ns_code));
    put(&format!("{CLAIMS}groups"), json!(groups));
    put(&format!("{CLAIMS}consents"), serde_json::to_value(&user.consents).unwrap_or_default());
    put(&format!("{CLAIMS}minor"), json!(user.minor));
    Value::Object(c)
}
