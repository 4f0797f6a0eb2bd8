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

pub async fn service_provider_config(ctx: Ctx) -> ScimResult {
    Ok(json(StatusCode::OK, &schema::service_provider_config(&ctx.root.url)))
}

pub async fn schemas(ctx: Ctx) -> ScimResult {
    Ok(json(StatusCode::OK, &listed(schema::schemas_json(&ctx.root.url))))
}

pub async fn schema(ctx: Ctx) -> ScimResult {
    found(schema::schema_json(&ctx.root.url, ctx.id()), "schema", &ctx)
}

pub async fn resource_types(ctx: Ctx) -> ScimResult {
    Ok(json(StatusCode::OK, &listed(schema::resource_types_json(&ctx.root.url))))
}

pub async fn resource_type(ctx: Ctx) -> ScimResult {
    found(schema::resource_type_json(&ctx.root.url, ctx.id()), "resource type", &ctx)
}
