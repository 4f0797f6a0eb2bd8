//! `/namespace`: list, create, read, update, delete namespaces (by id or code).

use super::{created, location, Auth, Json, ListEnvelope, ListParams, PathId, Query, V1Result};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use portti_core::model::{Namespace, NamespaceChanges};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_namespaces, create_namespace)).routes(routes!(
        get_namespace,
        update_namespace,
        delete_namespace
    ))
}

fn shown(state: &AppState, mut ns: Namespace) -> Namespace {
    ns.meta.location = Some(location(state, "namespace", &ns.id));
    ns
}

/// List the namespaces the caller may see.
#[utoipa::path(get, path = "/api/rest/v1/namespace", tag = "namespaces", params(ListParams),
    responses((status = 200, description = "A page of namespaces", body = ListEnvelope<Namespace>)), security(("basic" = []), ("bearer" = [])))]
async fn list_namespaces(
    State(s): State<AppState>,
    auth: Auth,
    q: Query<ListParams>,
) -> V1Result<axum::Json<ListEnvelope<Namespace>>> {
    let page = s.dir.list_namespaces(&auth.0, q.into_inner().into_request()?).await?;
    Ok(axum::Json(page.map(|n| shown(&s, n)).into()))
}

/// Create a namespace. `validFrom` defaults to now; a default policy is attached.
#[utoipa::path(post, path = "/api/rest/v1/namespace", tag = "namespaces", request_body = Namespace,
    responses((status = 201, description = "The new namespace", body = Namespace), (status = 409, description = "Code taken", body = super::ErrorBody)),
    security(("basic" = []), ("bearer" = [])))]
async fn create_namespace(
    State(s): State<AppState>,
    auth: Auth,
    body: Json<NamespaceChanges>,
) -> V1Result<(StatusCode, axum::Json<Namespace>)> {
    Ok(created(shown(&s, s.dir.create_namespace(&auth.0, body.into_inner()).await?)))
}

/// Read a namespace by id or code.
#[utoipa::path(get, path = "/api/rest/v1/namespace/{idOrCode}", tag = "namespaces",
    params(("idOrCode" = String, Path, description = "Namespace id or code")),
    responses((status = 200, description = "The namespace", body = Namespace)), security(("basic" = []), ("bearer" = [])))]
async fn get_namespace(
    State(s): State<AppState>,
    auth: Auth,
    key: PathId,
) -> V1Result<axum::Json<Namespace>> {
    Ok(axum::Json(shown(&s, s.dir.namespace(&auth.0, &key.0).await?)))
}

/// Update a namespace with a full object; its code and policy stay as they are.
#[utoipa::path(put, path = "/api/rest/v1/namespace/{idOrCode}", tag = "namespaces",
    params(("idOrCode" = String, Path, description = "Namespace id or code")), request_body = Namespace,
    responses((status = 200, description = "The updated namespace", body = Namespace)), security(("basic" = []), ("bearer" = [])))]
async fn update_namespace(
    State(s): State<AppState>,
    auth: Auth,
    key: PathId,
    body: Json<NamespaceChanges>,
) -> V1Result<axum::Json<Namespace>> {
    Ok(axum::Json(shown(&s, s.dir.update_namespace(&auth.0, &key.0, body.into_inner()).await?)))
}

/// Delete a namespace that has no users left; its groups are deleted with it.
#[utoipa::path(delete, path = "/api/rest/v1/namespace/{idOrCode}", tag = "namespaces",
    params(("idOrCode" = String, Path, description = "Namespace id or code")),
    responses((status = 204, description = "Deleted"), (status = 409, description = "Users remain", body = super::ErrorBody)),
    security(("basic" = []), ("bearer" = [])))]
async fn delete_namespace(State(s): State<AppState>, auth: Auth, key: PathId) -> V1Result<StatusCode> {
    s.dir.delete_namespace(&auth.0, &key.0).await?;
    Ok(StatusCode::NO_CONTENT)
}
