//! Access rights: `/permission`, `/role/builtin`, `/role/custom`, and each user's
//! permissions and roles (`/user/{id}/permissions/…`, `/user/{id}/roles/…`).

use super::{created, location, Auth, Json, ListEnvelope, ListParams, PathId, Query, V1Result};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use portti_core::model::{CustomRole, ListChange};
use portti_core::permission::Permission;
use portti_core::role::BuiltinRole;
use portti_core::Error;
use portti_service::{Grants, RoleChanges};
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_permissions))
        .routes(routes!(get_permission))
        .routes(routes!(list_builtin_roles))
        .routes(routes!(list_roles, create_role))
        .routes(routes!(get_role, update_role, delete_role))
        .routes(routes!(get_custom_permissions, update_custom_permissions))
        .routes(routes!(get_effective_permissions))
        .routes(routes!(get_builtin_roles, update_builtin_roles))
        .routes(routes!(get_custom_roles, update_custom_roles))
}

/// A permission of the catalogue.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PermissionInfo {
    /// Permission id.
    id: Permission,
    /// What it allows.
    name: &'static str,
    /// Permissions granted along with it.
    dependencies: &'static [Permission],
    /// Display group.
    group_id: &'static str,
}

fn info(p: Permission) -> PermissionInfo {
    PermissionInfo { id: p, name: p.description(), dependencies: p.dependencies(), group_id: p.group_id() }
}

/// The permission catalogue (a bare array).
#[utoipa::path(get, path = "/api/rest/v1/permission", tag = "access rights",
    responses((status = 200, description = "Every permission", body = Vec<PermissionInfo>)), security(("basic" = []), ("bearer" = [])))]
async fn list_permissions(
    State(s): State<AppState>,
    auth: Auth,
) -> V1Result<axum::Json<Vec<PermissionInfo>>> {
    Ok(axum::Json(s.dir.permissions(&auth.0)?.iter().map(|p| info(*p)).collect()))
}

/// One permission.
#[utoipa::path(get, path = "/api/rest/v1/permission/{id}", tag = "access rights",
    params(("id" = String, Path, description = "Permission id")),
    responses((status = 200, description = "The permission", body = PermissionInfo)), security(("basic" = []), ("bearer" = [])))]
async fn get_permission(
    State(s): State<AppState>,
    auth: Auth,
    id: PathId,
) -> V1Result<axum::Json<PermissionInfo>> {
    s.dir.permissions(&auth.0)?;
    let p: Permission = id.0.parse().map_err(|_| Error::not_found("permission", &id.0))?;
    Ok(axum::Json(info(p)))
}

/// The built-in roles (a bare array).
#[utoipa::path(get, path = "/api/rest/v1/role/builtin", tag = "access rights",
    responses((status = 200, description = "Every built-in role", body = Vec<BuiltinRole>)), security(("basic" = []), ("bearer" = [])))]
async fn list_builtin_roles(State(s): State<AppState>, auth: Auth) -> V1Result<axum::Json<Vec<BuiltinRole>>> {
    Ok(axum::Json(s.dir.builtin_roles(&auth.0)?))
}

fn shown(s: &AppState, mut role: CustomRole) -> CustomRole {
    role.meta.location = Some(location(s, "role/custom", &role.id));
    role
}

/// List custom roles.
#[utoipa::path(get, path = "/api/rest/v1/role/custom", tag = "access rights", params(ListParams),
    responses((status = 200, description = "A page of custom roles", body = ListEnvelope<CustomRole>)), security(("basic" = []), ("bearer" = [])))]
async fn list_roles(
    State(s): State<AppState>,
    auth: Auth,
    q: Query<ListParams>,
) -> V1Result<axum::Json<ListEnvelope<CustomRole>>> {
    let page = s.dir.list_roles(&auth.0, q.into_inner().into_request()?).await?;
    Ok(axum::Json(page.map(|r| shown(&s, r)).into()))
}

/// Create a custom role.
#[utoipa::path(post, path = "/api/rest/v1/role/custom", tag = "access rights", request_body = CustomRole,
    responses((status = 201, description = "The new role", body = CustomRole)), security(("basic" = []), ("bearer" = [])))]
async fn create_role(
    State(s): State<AppState>,
    auth: Auth,
    body: Json<RoleChanges>,
) -> V1Result<(StatusCode, axum::Json<CustomRole>)> {
    Ok(created(shown(&s, s.dir.create_role(&auth.0, body.into_inner()).await?)))
}

/// Read a custom role.
#[utoipa::path(get, path = "/api/rest/v1/role/custom/{id}", tag = "access rights", params(("id" = String, Path, description = "Role id")),
    responses((status = 200, description = "The role", body = CustomRole)), security(("basic" = []), ("bearer" = [])))]
async fn get_role(State(s): State<AppState>, auth: Auth, id: PathId) -> V1Result<axum::Json<CustomRole>> {
    Ok(axum::Json(shown(&s, s.dir.role(&auth.0, &id.0).await?)))
}

/// Update a custom role with a full object.
#[utoipa::path(put, path = "/api/rest/v1/role/custom/{id}", tag = "access rights", params(("id" = String, Path, description = "Role id")),
    request_body = CustomRole, responses((status = 200, description = "The updated role", body = CustomRole)), security(("basic" = []), ("bearer" = [])))]
async fn update_role(
    State(s): State<AppState>,
    auth: Auth,
    id: PathId,
    body: Json<RoleChanges>,
) -> V1Result<axum::Json<CustomRole>> {
    Ok(axum::Json(shown(&s, s.dir.update_role(&auth.0, &id.0, body.into_inner()).await?)))
}

/// Delete a custom role.
#[utoipa::path(delete, path = "/api/rest/v1/role/custom/{id}", tag = "access rights", params(("id" = String, Path, description = "Role id")),
    responses((status = 204, description = "Deleted")), security(("basic" = []), ("bearer" = [])))]
async fn delete_role(State(s): State<AppState>, auth: Auth, id: PathId) -> V1Result<StatusCode> {
    s.dir.delete_role(&auth.0, &id.0).await?;
    Ok(StatusCode::NO_CONTENT)
}

macro_rules! grants {
    ($get:ident, $put:ident, $path:literal, $which:expr, $what:literal) => {
        #[doc = concat!("The user's ", $what, " (a bare array of ids).")]
        #[utoipa::path(get, path = $path, tag = "access rights", params(("id" = String, Path, description = "User id")),
            responses((status = 200, description = "Ids", body = Vec<String>)), security(("basic" = []), ("bearer" = [])))]
        async fn $get(State(s): State<AppState>, auth: Auth, id: PathId) -> V1Result<axum::Json<Vec<String>>> {
            Ok(axum::Json(s.dir.user_grants(&auth.0, &id.0, $which).await?))
        }

        #[doc = concat!("Add to and remove from the user's ", $what, "; answers the resulting array.")]
        #[utoipa::path(put, path = $path, tag = "access rights", params(("id" = String, Path, description = "User id")),
            request_body = ListChange, responses((status = 200, description = "Ids", body = Vec<String>)), security(("basic" = []), ("bearer" = [])))]
        async fn $put(State(s): State<AppState>, auth: Auth, id: PathId, body: Json<ListChange>) -> V1Result<axum::Json<Vec<String>>> {
            Ok(axum::Json(s.dir.update_user_grants(&auth.0, &id.0, $which, body.into_inner()).await?))
        }
    };
}

grants!(
    get_custom_permissions,
    update_custom_permissions,
    "/api/rest/v1/user/{id}/permissions/custom",
    Grants::Permissions,
    "custom permissions"
);
grants!(
    get_builtin_roles,
    update_builtin_roles,
    "/api/rest/v1/user/{id}/roles/builtin",
    Grants::BuiltinRoles,
    "built-in roles"
);
grants!(
    get_custom_roles,
    update_custom_roles,
    "/api/rest/v1/user/{id}/roles/custom",
    Grants::CustomRoles,
    "custom roles"
);

/// Everything the user may do, dependencies included (a bare array).
#[utoipa::path(get, path = "/api/rest/v1/user/{id}/permissions/effective", tag = "access rights",
    params(("id" = String, Path, description = "User id")),
    responses((status = 200, description = "Permission ids", body = Vec<Permission>)), security(("basic" = []), ("bearer" = [])))]
async fn get_effective_permissions(
    State(s): State<AppState>,
    auth: Auth,
    id: PathId,
) -> V1Result<axum::Json<Vec<Permission>>> {
    Ok(axum::Json(s.dir.effective_permissions(&auth.0, &id.0).await?))
}
