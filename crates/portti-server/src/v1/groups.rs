//! `/group`: list, create, read, update, delete groups, and their nested groups.

use super::{created, location, Auth, Json, ListEnvelope, ListParams, PathId, Query, V1Result};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use portti_core::model::{Group, GroupChanges};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_groups, create_group))
        .routes(routes!(get_group, update_group, delete_group))
        .routes(routes!(nested_groups))
}

fn shown(state: &AppState, mut g: Group) -> Group {
    g.meta.location = Some(location(state, "group", &g.id));
    g
}

/// List the groups the caller may see.
#[utoipa::path(get, path = "/api/rest/v1/group", tag = "groups", params(ListParams),
    responses((status = 200, description = "A page of groups", body = ListEnvelope<Group>)), security(("basic" = []), ("bearer" = [])))]
async fn list_groups(
    State(s): State<AppState>,
    auth: Auth,
    q: Query<ListParams>,
) -> V1Result<axum::Json<ListEnvelope<Group>>> {
    let page = s.dir.list_groups(&auth.0, q.into_inner().into_request()?).await?;
    Ok(axum::Json(page.map(|g| shown(&s, g)).into()))
}

/// Create a group; `memberOf` names its parent groups.
#[utoipa::path(post, path = "/api/rest/v1/group", tag = "groups", request_body = Group,
    responses((status = 201, description = "The new group", body = Group), (status = 409, description = "Name taken", body = super::ErrorBody)),
    security(("basic" = []), ("bearer" = [])))]
async fn create_group(
    State(s): State<AppState>,
    auth: Auth,
    body: Json<GroupChanges>,
) -> V1Result<(StatusCode, axum::Json<Group>)> {
    Ok(created(shown(&s, s.dir.create_group(&auth.0, body.into_inner()).await?)))
}

/// Read a group.
#[utoipa::path(get, path = "/api/rest/v1/group/{id}", tag = "groups", params(("id" = String, Path, description = "Group id")),
    responses((status = 200, description = "The group", body = Group)), security(("basic" = []), ("bearer" = [])))]
async fn get_group(State(s): State<AppState>, auth: Auth, id: PathId) -> V1Result<axum::Json<Group>> {
    Ok(axum::Json(shown(&s, s.dir.group(&auth.0, &id.0).await?)))
}

/// Update a group with a full object; the path id wins over the body's.
#[utoipa::path(put, path = "/api/rest/v1/group/{id}", tag = "groups", params(("id" = String, Path, description = "Group id")),
    request_body = Group, responses((status = 200, description = "The updated group", body = Group)), security(("basic" = []), ("bearer" = [])))]
async fn update_group(
    State(s): State<AppState>,
    auth: Auth,
    id: PathId,
    body: Json<GroupChanges>,
) -> V1Result<axum::Json<Group>> {
    Ok(axum::Json(shown(&s, s.dir.update_group(&auth.0, &id.0, body.into_inner()).await?)))
}

/// Delete a group; it leaves every user's and group's `memberOf`.
#[utoipa::path(delete, path = "/api/rest/v1/group/{id}", tag = "groups", params(("id" = String, Path, description = "Group id")),
    responses((status = 204, description = "Deleted")), security(("basic" = []), ("bearer" = [])))]
async fn delete_group(State(s): State<AppState>, auth: Auth, id: PathId) -> V1Result<StatusCode> {
    s.dir.delete_group(&auth.0, &id.0).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every group nested under this one, transitively (a bare array).
#[utoipa::path(get, path = "/api/rest/v1/group/{id}/nested", tag = "groups", params(("id" = String, Path, description = "Group id")),
    responses((status = 200, description = "The nested groups", body = Vec<Group>)), security(("basic" = []), ("bearer" = [])))]
async fn nested_groups(
    State(s): State<AppState>,
    auth: Auth,
    id: PathId,
) -> V1Result<axum::Json<Vec<Group>>> {
    let groups = s.dir.nested_groups(&auth.0, &id.0).await?;
    Ok(axum::Json(groups.into_iter().map(|g| shown(&s, g)).collect()))
}
