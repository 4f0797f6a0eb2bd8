//! `POST /.search` at the root (RFC 7644 §3.4.3): users, then groups, in one list; a
//! filter that names what only one of them has searches that one.

use super::resource::ListParams;
use super::schema::Kind;
use super::{groups, parse_body, users, Body, Ctx, ScimResult};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;

/// Search users and groups at once.
#[utoipa::path(post, path = "/scim/v2/.search", tag = "scim", 
    responses((status = 200, description = "A ListResponse of users, then groups")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn search_root(State(s): State<AppState>, ctx: Ctx, Body(body): Body) -> ScimResult {
    let params = ListParams::from_search(&parse_body(&body)?)?;
    let users_ok = params.request(Kind::User, &ctx.root);
    let groups_ok = params.request(Kind::Group, &ctx.root);
    if let (Err(e), Err(_)) = (&users_ok, &groups_ok) {
        return Err(e.clone());
    }
    let (mut resources, mut total) = (Vec::new(), 0);
    if users_ok.is_ok() {
        let (found, all) = users::page(&s, &ctx, &params).await?;
        resources = found;
        total = all;
    }
    if groups_ok.is_ok() {
        let left = params.count().saturating_sub(resources.len() as u32);
        let start = (params.start_index() - 1).saturating_sub(total) + 1;
        let (found, all) = groups::page(&s, &ctx, &params.window(start, left)).await?;
        resources.extend(found);
        total += all;
    }
    Ok(super::json(StatusCode::OK, &params.response(resources, total)))
}
