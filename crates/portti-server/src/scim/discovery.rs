//! The discovery endpoints: `/ServiceProviderConfig`, `/Schemas`, `/ResourceTypes`.

use super::error::ScimError;
use super::schema;
use super::{json, Ctx, ScimResult};
use axum::http::StatusCode;
use serde_json::{json, Value};

fn listed(resources: Vec<Value>) -> Value {
    json!({
        "schemas": [schema::LIST_SCHEMA],
        "totalResults": resources.len(),
        "itemsPerPage": resources.len(),
        "startIndex": 1,
        "Resources": resources,
    })
}

fn found(v: Option<Value>, what: &str, ctx: &Ctx) -> ScimResult {
    match v {
        Some(v) => Ok(json(StatusCode::OK, &v)),
        None => Err(ScimError::status(StatusCode::NOT_FOUND, format!("{what} {} not found", ctx.id()))),
    }
}

/// What this server supports.
#[utoipa::path(get, path = "/scim/v2/ServiceProviderConfig", tag = "scim", 
    responses((status = 200, description = "The ServiceProviderConfig")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn service_provider_config(ctx: Ctx) -> ScimResult {
    Ok(json(StatusCode::OK, &schema::service_provider_config(&ctx.root.url)))
}

/// The User, Group, Enterprise User and Portti extension schemas.
#[utoipa::path(get, path = "/scim/v2/Schemas", tag = "scim", 
    responses((status = 200, description = "A ListResponse of schemas")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn schemas(ctx: Ctx) -> ScimResult {
    Ok(json(StatusCode::OK, &listed(schema::schemas_json(&ctx.root.url))))
}

/// One schema by its URN.
#[utoipa::path(get, path = "/scim/v2/Schemas/{id}", tag = "scim", params(("id" = String, Path, description = "Resource id")), 
    responses((status = 200, description = "The schema"), (status = 404, description = "No such schema")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn schema(ctx: Ctx) -> ScimResult {
    found(schema::schema_json(&ctx.root.url, ctx.id()), "schema", &ctx)
}

/// The User and Group resource types.
#[utoipa::path(get, path = "/scim/v2/ResourceTypes", tag = "scim", 
    responses((status = 200, description = "A ListResponse of resource types")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn resource_types(ctx: Ctx) -> ScimResult {
    Ok(json(StatusCode::OK, &listed(schema::resource_types_json(&ctx.root.url))))
}

/// One resource type.
#[utoipa::path(get, path = "/scim/v2/ResourceTypes/{id}", tag = "scim", params(("id" = String, Path, description = "Resource id")), 
    responses((status = 200, description = "The resource type"), (status = 404, description = "No such resource type")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn resource_type(ctx: Ctx) -> ScimResult {
    found(schema::resource_type_json(&ctx.root.url, ctx.id()), "resource type", &ctx)
}
