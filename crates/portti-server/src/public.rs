//! The pages people reach from the links the server sends: verification links
//! (`/verify/email/{token}`, `/verify/sms/{token}`) and invitations (`/invite/{token}`).
//! No authentication (the token is the proof); small self-contained HTML, nothing loaded
//! from elsewhere. Tokens are secrets, so the request log shows these paths without them
//! ([`RedactedSpan`]).

use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use portti_core::model::VerificationKind;
use portti_core::password::PasswordRequirements;
use portti_service::{InvitePage, InviteState, LinkOutcome, Registration, RegistrationOutcome};
use serde::Deserialize;
use std::borrow::Cow;
use tower_http::trace::MakeSpan;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(verify_email_link))
        .routes(routes!(verify_sms_link))
        .routes(routes!(invite_form, accept_invite))
}

/// Follow an email verification link: the address becomes verified (`verifiedBy`
/// `EMAIL_LINK`; a locked user is unlocked when the namespace's policy has
/// `emailVerificationUnlocksUser`), then 303 to the request's `returnURL` or a confirmation
/// page. A used or expired link answers 410, an unknown one 404, each with a page saying so.
#[utoipa::path(get, path = "/verify/email/{token}", tag = "users",
    params(("token" = String, Path, description = "The token from the mailed link")),
    responses((status = 200, description = "Verified: a confirmation page", content_type = "text/html"),
        (status = 303, description = "Verified: on to the returnURL"),
        (status = 404, description = "No such link", content_type = "text/html"),
        (status = 410, description = "The link was used already or expired", content_type = "text/html")))]
async fn verify_email_link(State(s): State<AppState>, method: Method, Path(token): Path<String>) -> Response {
    follow(&s, method, VerificationKind::EmailLink, &token).await
}

/// Follow an SMS verification link: the number becomes verified (`verifiedBy` `SMS_LINK`),
/// then as for email links.
#[utoipa::path(get, path = "/verify/sms/{token}", tag = "users",
    params(("token" = String, Path, description = "The token from the texted link")),
    responses((status = 200, description = "Verified: a confirmation page", content_type = "text/html"),
        (status = 303, description = "Verified: on to the returnURL"),
        (status = 404, description = "No such link", content_type = "text/html"),
        (status = 410, description = "The link was used already or expired", content_type = "text/html")))]
async fn verify_sms_link(State(s): State<AppState>, method: Method, Path(token): Path<String>) -> Response {
    follow(&s, method, VerificationKind::SmsLink, &token).await
}

async fn follow(s: &AppState, method: Method, kind: VerificationKind, token: &str) -> Response {
    if method == Method::HEAD {
        // Link checkers probe with HEAD; only a real visit spends the link.
        return html(StatusCode::OK, "en", "Verification", "<p>Open this link in a browser to verify.</p>");
    }
    let what = if kind.is_email() { "email address" } else { "phone number" };
    match s.dir.follow_verification_link(kind, token).await {
        Ok(LinkOutcome::Verified { target, return_url }) => {
            if let Some(location) = return_url.and_then(|u| HeaderValue::from_str(&u).ok()) {
                let mut resp = StatusCode::SEE_OTHER.into_response();
                resp.headers_mut().insert(header::LOCATION, location);
                return with_page_headers(resp);
            }
            let body =
                format!("<p><strong>{}</strong> is now verified. You can close this page.</p>", esc(&target));
            html(StatusCode::OK, "en", &format!("Your {what} is verified"), &body)
        }
        Ok(LinkOutcome::Unknown) => html(
            StatusCode::NOT_FOUND,
            "en",
            "Link not found",
            "<p>This verification link is not valid. Check that you opened the whole link from the \
             message, or ask for a new one.</p>",
        ),
        Ok(LinkOutcome::Used) => html(
            StatusCode::GONE,
            "en",
            "Link already used",
            &format!("<p>This link has verified the {what} already; a link works only once.</p>"),
        ),
        Ok(LinkOutcome::Expired) => html(
            StatusCode::GONE,
            "en",
            "Link expired",
            "<p>This verification link has expired. Ask for a new one.</p>",
        ),
        Ok(LinkOutcome::AddressGone) => html(
            StatusCode::GONE,
            "en",
            "Link no longer valid",
            &format!("<p>The {what} this link was sent to is no longer on the account.</p>"),
        ),
        Err(e) => failure(&e),
    }
}

/// The registration page of an invitation: the invited address, a password field (twice),
/// a username field when the namespace's username policy is `MANUAL`, and the password rules.
/// A used or expired invitation answers 410, an unknown one 404.
#[utoipa::path(get, path = "/invite/{token}", tag = "users",
    params(("token" = String, Path, description = "The token from the invitation mail")),
    responses((status = 200, description = "The registration form", content_type = "text/html"),
        (status = 404, description = "No such invitation", content_type = "text/html"),
        (status = 410, description = "The invitation was used already or expired", content_type = "text/html")))]
async fn invite_form(State(s): State<AppState>, Path(token): Path<String>) -> Response {
    match s.dir.open_invite(&token).await {
        Ok(InviteState::Open(page)) => form(StatusCode::OK, &page, None, &[]),
        Ok(closed) => closed_invite(&closed),
        Err(e) => failure(&e),
    }
}

/// The registration form's fields (`application/x-www-form-urlencoded`).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
struct RegistrationForm {
    /// Asked only when the namespace's username policy is `MANUAL`.
    username: Option<String>,
    /// The password.
    password: Option<String>,
    /// The password again.
    password2: Option<String>,
}

/// Register through an invitation: the password is checked against the namespace's policy
/// (400 and the form again, naming the rules broken), then the user is created in the
/// invitation's namespace and groups, the invited address verified (`verifiedBy` `INVITE`),
/// and the invitation is spent (200, a confirmation page). A used or expired invitation
/// answers 410.
#[utoipa::path(post, path = "/invite/{token}", tag = "users",
    params(("token" = String, Path, description = "The token from the invitation mail")),
    request_body(content = RegistrationForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "Registered: a confirmation page", content_type = "text/html"),
        (status = 400, description = "The form again, with what to fix", content_type = "text/html"),
        (status = 404, description = "No such invitation", content_type = "text/html"),
        (status = 410, description = "The invitation was used already or expired", content_type = "text/html")))]
async fn accept_invite(State(s): State<AppState>, Path(token): Path<String>, body: Bytes) -> Response {
    let fields: RegistrationForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let username = fields.username.clone();
    let reg = Registration {
        username: fields.username,
        password: fields.password.unwrap_or_default(),
        password_again: fields.password2.unwrap_or_default(),
    };
    match s.dir.accept_invite(&token, reg).await {
        Ok(RegistrationOutcome::Registered { username, page, .. }) => {
            let t = texts(&page.locale);
            let body = format!(
                "<p>{}</p><p>{}: <strong>{}</strong><br>{}: <strong>{}</strong></p>",
                esc(t.registered),
                esc(t.username),
                esc(&username),
                esc(t.email),
                esc(&page.email)
            );
            html(StatusCode::OK, &page.locale, t.welcome, &body)
        }
        Ok(RegistrationOutcome::Refused { page, problems }) => {
            form(StatusCode::BAD_REQUEST, &page, username.as_deref(), &problems)
        }
        Ok(RegistrationOutcome::Closed(closed)) => closed_invite(&closed),
        Err(e) => failure(&e),
    }
}

fn closed_invite(state: &InviteState) -> Response {
    match state {
        InviteState::Used => html(
            StatusCode::GONE,
            "en",
            "Invitation already used",
            "<p>This invitation has been used already: an invitation works only once. \
             Sign in with the account it created, or ask for a new invitation.</p>",
        ),
        InviteState::Expired => html(
            StatusCode::GONE,
            "en",
            "Invitation expired",
            "<p>This invitation has expired. Ask the person who invited you for a new one.</p>",
        ),
        _ => html(
            StatusCode::NOT_FOUND,
            "en",
            "Invitation not found",
            "<p>This invitation link is not valid. Check that you opened the whole link from the mail.</p>",
        ),
    }
}

/// A store fault while handling a page: a page too, never a JSON body.
fn failure(e: &portti_core::Error) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status.is_server_error() {
        tracing::error!(status = status.as_u16(), error = %e, "a public page failed");
    }
    html(
        status,
        "en",
        "Something went wrong",
        &format!("<p>{}</p><p>Please try again shortly.</p>", esc(&e.to_string())),
    )
}

/// The words of the registration pages.
struct Texts {
    title: &'static str,
    intro: &'static str,
    email: &'static str,
    username: &'static str,
    password: &'static str,
    password2: &'static str,
    submit: &'static str,
    rules: &'static str,
    fix: &'static str,
    welcome: &'static str,
    registered: &'static str,
}

fn texts(locale: &str) -> &'static Texts {
    const FI: Texts = Texts {
        title: "Luo tunnus",
        intro: "Sinut on kutsuttu palveluun",
        email: "Sähköposti",
        username: "Käyttäjätunnus",
        password: "Salasana",
        password2: "Salasana uudelleen",
        submit: "Luo tunnus",
        rules: "Salasanan vaatimukset",
        fix: "Korjaa nämä",
        welcome: "Tervetuloa",
        registered: "Tunnuksesi on luotu. Voit nyt kirjautua sisään.",
    };
    const SV: Texts = Texts {
        title: "Skapa konto",
        intro: "Du har blivit inbjuden till",
        email: "E-post",
        username: "Användarnamn",
        password: "Lösenord",
        password2: "Lösenord igen",
        submit: "Skapa konto",
        rules: "Krav på lösenordet",
        fix: "Rätta till detta",
        welcome: "Välkommen",
        registered: "Ditt konto har skapats. Du kan nu logga in.",
    };
    const EN: Texts = Texts {
        title: "Create your account",
        intro: "You have been invited to",
        email: "Email",
        username: "Username",
        password: "Password",
        password2: "Password again",
        submit: "Create account",
        rules: "The password must meet these rules",
        fix: "Please fix these",
        welcome: "Welcome",
        registered: "Your account is ready. You can sign in now.",
    };
    match locale {
        "fi" => &FI,
        "sv" => &SV,
        _ => &EN,
    }
}

/// The password rules in words.
fn rules(locale: &str, r: &PasswordRequirements) -> Vec<String> {
    let (len, kinds, repeat, seq, name, dict) = match locale {
        "fi" => (
            "Vähintään {} merkkiä",
            "Vähintään {} merkkityyppiä: pienet kirjaimet, isot kirjaimet, numerot, muut merkit",
            "Sama merkki enintään {} kertaa peräkkäin",
            "Ei yli {} merkin sarjoja, kuten abc tai 123",
            "Ei saa sisältää käyttäjätunnusta tai sähköpostiosoitetta",
            "Ei saa olla yleisesti käytetty salasana",
        ),
        "sv" => (
            "Minst {} tecken",
            "Minst {} sorters tecken: små bokstäver, stora bokstäver, siffror, andra tecken",
            "Samma tecken högst {} gånger i rad",
            "Inga sekvenser som abc eller 123 längre än {} tecken",
            "Får inte innehålla ditt användarnamn eller din e-postadress",
            "Får inte vara ett vanligt lösenord",
        ),
        _ => (
            "At least {} characters",
            "Characters of at least {} kinds: lowercase, uppercase, digits, others",
            "No character more than {} times in a row",
            "No runs like abc or 123 longer than {} characters",
            "Must not contain your username or email address",
            "Must not be a commonly used password",
        ),
    };
    let mut out = Vec::new();
    let fill = |t: &str, n: u32| t.replace("{}", &n.to_string());
    if r.min_length > 0 {
        out.push(fill(len, r.min_length));
    }
    if r.number_of_characteristics > 1 {
        out.push(fill(kinds, r.number_of_characteristics));
    }
    if r.repeat_character_length > 0 {
        out.push(fill(repeat, r.repeat_character_length));
    }
    let sequence =
        [r.alphabetical_sequence_max_length, r.numerical_sequence_max_length, r.qwerty_sequence_max_length]
            .into_iter()
            .filter(|n| *n > 0)
            .min();
    if let Some(n) = sequence {
        out.push(fill(seq, n));
    }
    if r.username_forbidden {
        out.push(name.to_string());
    }
    if r.dictionary_check {
        out.push(dict.to_string());
    }
    out
}

/// The registration form; `username` refills the field after a refusal (passwords never).
fn form(status: StatusCode, page: &InvitePage, username: Option<&str>, problems: &[String]) -> Response {
    let t = texts(&page.locale);
    let list =
        |items: &[String]| -> String { items.iter().map(|i| format!("<li>{}</li>", esc(i))).collect() };
    let mut body = format!("<p>{} <strong>{}</strong>.</p>", esc(t.intro), esc(&page.namespace));
    if !problems.is_empty() {
        body += &format!(
            "<div class=\"problems\" role=\"alert\"><p>{}:</p><ul>{}</ul></div>",
            esc(t.fix),
            list(problems)
        );
    }
    body += "<form method=\"post\" autocomplete=\"off\">";
    body += &format!(
        "<label>{}<input type=\"email\" value=\"{}\" readonly></label>",
        esc(t.email),
        esc(&page.email)
    );
    if page.asks_username {
        body += &format!(
            "<label>{}<input name=\"username\" required maxlength=\"255\" autocomplete=\"username\" value=\"{}\"></label>",
            esc(t.username),
            esc(username.unwrap_or_default())
        );
    }
    body += &format!(
        "<label>{}<input type=\"password\" name=\"password\" required autocomplete=\"new-password\"></label>\
         <label>{}<input type=\"password\" name=\"password2\" required autocomplete=\"new-password\"></label>",
        esc(t.password),
        esc(t.password2)
    );
    let rules = rules(&page.locale, &page.requirements);
    if !rules.is_empty() {
        body += &format!("<p class=\"rules\">{}:</p><ul class=\"rules\">{}</ul>", esc(t.rules), list(&rules));
    }
    body += &format!("<button type=\"submit\">{}</button></form>", esc(t.submit));
    html(status, &page.locale, t.title, &body)
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;line-height:1.5;color:#222;background:#f4f5f7;margin:0}\
main{max-width:32rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.1)}\
h1{font-size:1.4rem;margin-top:0}label{display:block;margin:.8rem 0}\
input{display:block;width:100%;box-sizing:border-box;padding:.5rem;margin-top:.2rem;font-size:1rem}\
button{margin-top:1rem;padding:.6rem 1.4rem;font-size:1rem;background:#1a5fb4;color:#fff;border:0;border-radius:4px}\
.problems{background:#fdecea;border-left:4px solid #c01c28;padding:.2rem 1rem}.rules{font-size:.9rem;color:#555}";

/// A small self-contained page.
fn html(status: StatusCode, lang: &str, title: &str, body: &str) -> Response {
    let page = format!(
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>{}</title><style>{STYLE}</style></head>\
         <body><main><h1>{}</h1>{body}</main></body></html>",
        esc(lang),
        esc(title),
        esc(title)
    );
    let mut resp = (status, page).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    with_page_headers(resp)
}

/// Headers of every public page: not cached, not framed, nothing loaded from elsewhere,
/// and the token-bearing URL not passed on as a referrer.
fn with_page_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    resp
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The request span of the HTTP trace, like tower-http's default but with the secrets of
/// link paths (verification and invitation tokens, SMS codes) blanked out.
#[derive(Debug, Clone, Copy, Default)]
pub struct RedactedSpan;

impl<B> MakeSpan<B> for RedactedSpan {
    fn make_span(&mut self, req: &Request<B>) -> tracing::Span {
        // Most servers log at info: then no span, and no URI formatted for it.
        if !tracing::level_enabled!(tracing::Level::DEBUG) {
            return tracing::Span::none();
        }
        let path = redact_path(req.uri().path());
        let uri = match req.uri().query() {
            Some(q) => format!("{path}?{q}"),
            None => path.into_owned(),
        };
        tracing::debug_span!("request", method = %req.method(), uri = %uri, version = ?req.version())
    }
}

/// `path` with the secret segments of link paths replaced by `…`.
pub fn redact_path(path: &str) -> Cow<'_, str> {
    for prefix in ["/verify/email/", "/verify/sms/", "/invite/"] {
        if path.len() > prefix.len() && path.starts_with(prefix) {
            return Cow::Owned(format!("{prefix}…"));
        }
    }
    const CHECK: &str = "/sms/verify/check/";
    if let Some(i) = path.find(CHECK) {
        if path.len() > i + CHECK.len() {
            return Cow::Owned(format!("{}…", &path[..i + CHECK.len()]));
        }
    }
    Cow::Borrowed(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_leave_the_logged_path() {
        assert_eq!(redact_path("/verify/email/abcDEF_-123"), "/verify/email/…");
        assert_eq!(redact_path("/verify/sms/abc"), "/verify/sms/…");
        assert_eq!(redact_path("/invite/abc"), "/invite/…");
        assert_eq!(
            redact_path("/api/rest/v1/user/5b0c/sms/verify/check/123456"),
            "/api/rest/v1/user/5b0c/sms/verify/check/…"
        );
        assert_eq!(redact_path("/api/rest/v1/invite/user"), "/api/rest/v1/invite/user");
        assert_eq!(redact_path("/api/rest/v1/user/5b0c"), "/api/rest/v1/user/5b0c");
        assert_eq!(redact_path("/invite/"), "/invite/");
    }

    #[test]
    fn rules_are_worded_per_language() {
        let r = PasswordRequirements {
            min_length: 8,
            max_length: 0,
            number_of_characteristics: 2,
            alphabetical_sequence_max_length: 5,
            numerical_sequence_max_length: 5,
            qwerty_sequence_max_length: 5,
            history_length: 0,
            repeat_character_length: 2,
            username_forbidden: true,
            dictionary_check: true,
        };
        let en = rules("en", &r);
        assert_eq!(en.len(), 6);
        assert_eq!(en[0], "At least 8 characters");
        assert!(rules("fi", &r)[0].contains("8 merkkiä"));
    }

    #[test]
    fn pages_escape_what_they_show() {
        assert_eq!(esc("<b a=\"x\">&'"), "&lt;b a=&quot;x&quot;&gt;&amp;&#39;");
    }
}
