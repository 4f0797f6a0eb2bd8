//! What Users and Groups share: list parameters (query or `.search` body), the
//! ListResponse, and the `meta` of a resource.

use super::error::{ScimError, ScimType};
use super::filter::{sort_key, translate};
use super::projection::{parse_list, project};
use super::schema::{Kind, LIST_SCHEMA, MAX_RESULTS, SEARCH_SCHEMA};
use super::Root;
use portti_core::filter::{parse, AttrPath, CompareOp, Filter, TextCase, Value as FilterValue};
use portti_core::model::Meta;
use portti_core::page::{PageRequest, Sort};
use portti_service::ListRequest;
use serde_json::{json, Value};
use std::collections::HashMap;

/// The directory attributes that SCIM compares case-exactly (`caseExact: true`); every
/// other text attribute compares ignoring case.
const CASE_EXACT: &[&str] = &["externalId"];

/// How many resources a page holds when the client does not say.
const DEFAULT_COUNT: u32 = 100;

/// The parameters of a list or search.
#[derive(Debug, Default, Clone)]
pub struct ListParams {
    filter: Option<String>,
    sort_by: Option<String>,
    descending: bool,
    start_index: u64,
    count: u32,
    /// `attributes`.
    pub attributes: Vec<String>,
    /// `excludedAttributes`.
    pub excluded: Vec<String>,
}

impl ListParams {
    /// From the query string of a GET.
    pub fn from_query(q: &HashMap<String, String>) -> Result<Self, ScimError> {
        let get = |k: &str| q.iter().find(|(n, _)| n.eq_ignore_ascii_case(k)).map(|(_, v)| v.clone());
        Self::build(
            get("filter"),
            get("sortBy"),
            get("sortOrder"),
            get("startIndex").map(|s| number("startIndex", &s)).transpose()?,
            get("count").map(|s| number("count", &s)).transpose()?,
            parse_list(get("attributes").as_deref()),
            parse_list(get("excludedAttributes").as_deref()),
        )
    }

    /// From the body of a `POST .search`.
    pub fn from_search(body: &Value) -> Result<Self, ScimError> {
        if let Some(schemas) = body["schemas"].as_array() {
            if !schemas.iter().any(|s| s == SEARCH_SCHEMA) {
                let detail = format!("a search request's schemas must hold {SEARCH_SCHEMA}");
                return Err(ScimError::bad(ScimType::InvalidSyntax, detail));
            }
        }
        let text = |k: &str| -> Result<Option<String>, ScimError> {
            match &body[k] {
                Value::Null => Ok(None),
                Value::String(s) => Ok(Some(s.clone())),
                _ => Err(ScimError::bad(ScimType::InvalidValue, format!("{k} must be a string"))),
            }
        };
        let int = |k: &str| -> Result<Option<i64>, ScimError> {
            match &body[k] {
                Value::Null => Ok(None),
                v => v
                    .as_i64()
                    .map(Some)
                    .ok_or_else(|| ScimError::bad(ScimType::InvalidValue, format!("{k} must be an integer"))),
            }
        };
        let list = |k: &str| -> Vec<String> {
            match &body[k] {
                Value::Array(a) => a.iter().filter_map(|v| v.as_str()).map(str::to_string).collect(),
                Value::String(s) => parse_list(Some(s)),
                _ => Vec::new(),
            }
        };
        Self::build(
            text("filter")?,
            text("sortBy")?,
            text("sortOrder")?,
            int("startIndex")?,
            int("count")?,
            list("attributes"),
            list("excludedAttributes"),
        )
    }

    fn build(
        filter: Option<String>,
        sort_by: Option<String>,
        sort_order: Option<String>,
        start_index: Option<i64>,
        count: Option<i64>,
        attributes: Vec<String>,
        excluded: Vec<String>,
    ) -> Result<Self, ScimError> {
        let descending = match sort_order.as_deref().map(str::to_ascii_lowercase).as_deref() {
            None | Some("ascending") | Some("") => false,
            Some("descending") => true,
            Some(o) => {
                return Err(ScimError::bad(
                    ScimType::InvalidValue,
                    format!("sortOrder '{o}': use ascending or descending"),
                ))
            }
        };
        Ok(ListParams {
            filter: filter.filter(|f| !f.trim().is_empty()),
            sort_by: sort_by.filter(|s| !s.trim().is_empty()),
            descending,
            start_index: start_index.unwrap_or(1).max(1) as u64,
            count: count.map(|c| c.clamp(0, MAX_RESULTS as i64) as u32).unwrap_or(DEFAULT_COUNT),
            attributes,
            excluded,
        })
    }

    /// The directory's list request over the namespace `root` works in.
    pub fn request(&self, kind: Kind, root: &Root) -> Result<ListRequest, ScimError> {
        let in_ns = Filter::Compare {
            path: AttrPath(vec!["nsCode".into()]),
            op: CompareOp::Eq,
            value: FilterValue::Str(root.ns.clone()),
        };
        let filter = match &self.filter {
            Some(text) => {
                let parsed =
                    parse(text).map_err(|e| ScimError::bad(ScimType::InvalidFilter, e.to_string()))?;
                Filter::And(Box::new(translate(kind, parsed)?), Box::new(in_ns))
            }
            None => in_ns,
        };
        let sort = match &self.sort_by {
            Some(by) => Some(Sort { by: sort_key(kind, by)?, ascending: !self.descending }),
            None => None,
        };
        let page = PageRequest { start: self.start_index - 1, count: self.count, sort };
        let text_case = TextCase::Folded { except: CASE_EXACT };
        Ok(ListRequest { filter: None, parsed: Some(filter), page, text_case })
    }

    /// The same parameters for another window: 1-based `start_index`, `count` resources.
    pub fn window(&self, start_index: u64, count: u32) -> Self {
        ListParams { start_index, count, ..self.clone() }
    }

    /// The 1-based index of the first resource asked for.
    pub fn start_index(&self) -> u64 {
        self.start_index
    }

    /// How many resources are asked for.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// Resources projected as asked.
    pub fn project(&self, kind: Kind, resources: Vec<Value>) -> Vec<Value> {
        resources
            .into_iter()
            .map(|mut r| {
                project(kind, &mut r, &self.attributes, &self.excluded);
                r
            })
            .collect()
    }

    /// The ListResponse of a page of resources already projected.
    pub fn response(&self, resources: Vec<Value>, total: u64) -> Value {
        json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "itemsPerPage": resources.len(),
            "startIndex": self.start_index,
            "Resources": resources,
        })
    }
}

fn number(name: &str, s: &str) -> Result<i64, ScimError> {
    s.trim()
        .parse()
        .map_err(|_| ScimError::bad(ScimType::InvalidValue, format!("{name} must be an integer, not '{s}'")))
}

/// The `attributes`/`excludedAttributes` of a single-resource request.
pub fn projection_of(q: &HashMap<String, String>) -> (Vec<String>, Vec<String>) {
    let get = |k: &str| q.iter().find(|(n, _)| n.eq_ignore_ascii_case(k)).map(|(_, v)| v.as_str());
    (parse_list(get("attributes")), parse_list(get("excludedAttributes")))
}

/// A resource's `meta`.
pub fn meta(kind: Kind, root: &Root, id: &str, meta: &Meta, revision: i64) -> Value {
    json!({
        "resourceType": kind.name(),
        "created": meta.created,
        "lastModified": meta.last_modified,
        "location": format!("{}/{}/{id}", root.url, kind.endpoint()),
        "version": super::etag(revision),
    })
}

/// The service's 400s while reading a list are filter problems.
pub fn list_error(e: portti_core::Error) -> ScimError {
    ScimError::from_directory(&e, ScimType::InvalidFilter)
}
