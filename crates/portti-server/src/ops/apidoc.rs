//! Renders an OpenAPI 3.1 document as one self-contained, offline HTML page for `/apidoc`.

use std::collections::HashSet;
use std::fmt::Write;

use serde_json::{Map, Value};

/// HTTP methods an OpenAPI path item may hold, in display order.
const METHODS: [&str; 8] = ["get", "post", "put", "patch", "delete", "head", "options", "trace"];

/// Tag name used for operations that declare no tag.
const UNTAGGED: &str = "Other";

/// How deep nested schemas are described before giving up with an ellipsis.
const MAX_DEPTH: usize = 6;

/// Inline stylesheet: system fonts, monospace paths, coloured method badges.
const STYLE: &str = r#"
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--soft:#f6f8fa;--link:#0969da}
*{box-sizing:border-box}
body{margin:0;font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1100px;margin:0 auto;padding:24px 28px 80px}
a{color:var(--link);text-decoration:none}a:hover{text-decoration:underline}
h1{font-size:2em;margin:.2em 0}h1 small{font-size:.5em;color:var(--muted);font-weight:400}
h2{border-bottom:1px solid var(--line);padding-bottom:.3em;margin-top:2.2em}
h3{margin:0;font-size:1.1em;display:flex;gap:.6em;align-items:center;flex-wrap:wrap}
code,.path{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:.92em}
code{background:var(--soft);padding:.1em .3em;border-radius:4px}
.op,.schema{border:1px solid var(--line);border-radius:8px;padding:14px 18px;margin:16px 0;background:var(--bg)}
.op:target,.schema:target{box-shadow:0 0 0 3px #54aeff66}
.badge{display:inline-block;min-width:4.6em;text-align:center;border-radius:4px;padding:.1em .5em;color:#fff;font:700 .78em/1.6 ui-monospace,Menlo,Consolas,monospace;text-transform:uppercase;background:#6e7781}
.m-get{background:#0969da}.m-post{background:#1a7f37}.m-put{background:#bc4c00}.m-patch{background:#8250df}.m-delete{background:#cf222e}
.deprecated{background:#9a6700}.summary{color:var(--muted);font-weight:400}
.anchor{margin-left:auto;font-size:.8em;color:var(--muted)}
table{border-collapse:collapse;width:100%;margin:.4em 0 1em;font-size:.93em}
th,td{border:1px solid var(--line);padding:5px 9px;text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600}
h4{margin:1em 0 .3em;font-size:.95em;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
nav.toc{background:var(--soft);border:1px solid var(--line);border-radius:8px;padding:10px 20px}
nav.toc ul{list-style:none;padding-left:0;margin:.2em 0 .8em}nav.toc li{margin:.15em 0}
nav.toc .badge{min-width:4.2em;font-size:.7em}
.req{color:#cf222e;font-weight:600}.muted{color:var(--muted)}
#filter{width:100%;padding:8px 10px;margin:12px 0;border:1px solid var(--line);border-radius:6px;font:inherit}
"#;

/// Optional progressive enhancement: filters the contents and operations by text.
const SCRIPT: &str = r#"
(function(){var f=document.getElementById('filter');if(!f)return;f.hidden=false;
f.addEventListener('input',function(){var q=f.value.toLowerCase();
document.querySelectorAll('[data-filter]').forEach(function(e){
e.style.display=e.getAttribute('data-filter').indexOf(q)<0?'none':'';});});})();
"#;

/// Escapes text for safe use in HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Renders the whole documentation page for an OpenAPI document.
pub fn render(openapi: &Value) -> String {
    let ops = collect_operations(openapi);
    let groups = group_by_tag(openapi, &ops);
    let mut out = String::with_capacity(16 * 1024);
    out.push_str(&head(openapi));
    out.push_str(&intro(openapi));
    out.push_str(&toc(openapi, &groups, &ops));
    out.push_str(&operation_sections(openapi, &groups, &ops));
    out.push_str(&schemas_section(openapi));
    let _ = write!(out, "</main>\n<script>{SCRIPT}</script>\n</body>\n</html>\n");
    out
}

/// One operation found under `paths`.
struct Operation<'a> {
    method: &'a str,
    path: &'a str,
    op: &'a Value,
    /// Parameters declared on the path item, shared by all its operations.
    shared_params: &'a Value,
    /// The unique HTML id of the operation's section.
    anchor: String,
}

impl<'a> Operation<'a> {
    /// The operation's tags, or the catch-all tag when it has none.
    fn tags(&self) -> Vec<&'a str> {
        let tags: Vec<&'a str> = arr(&self.op["tags"]).iter().filter_map(Value::as_str).collect();
        if tags.is_empty() {
            vec![UNTAGGED]
        } else {
            tags
        }
    }
}

/// A tag heading with the indices of the operations listed under it.
struct Group<'a> {
    name: &'a str,
    description: &'a str,
    ops: Vec<usize>,
}

/// The value as an object, or an empty one.
fn obj(value: &Value) -> &Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    value.as_object().unwrap_or_else(|| EMPTY.get_or_init(Map::new))
}

/// The value as an array, or an empty slice.
fn arr(value: &Value) -> &[Value] {
    value.as_array().map(Vec::as_slice).unwrap_or(&[])
}

/// The value as a string, or "".
fn text(value: &Value) -> &str {
    value.as_str().unwrap_or("")
}

/// Turns arbitrary text into a safe HTML id fragment.
fn slug(text: &str) -> String {
    let slug: String = text
        .chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '_' | '.' => c,
            _ => '_',
        })
        .collect();
    if slug.is_empty() {
        "_".to_owned()
    } else {
        slug
    }
}

/// The HTML id of a schema's section.
fn schema_anchor(name: &str) -> String {
    format!("schema-{}", slug(name))
}

/// Follows a local `$ref` (a few hops at most) to the object it names.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    let mut current = value;
    for _ in 0..8 {
        match current["$ref"].as_str().and_then(|r| r.strip_prefix('#')) {
            Some(pointer) => match doc.pointer(pointer) {
                Some(target) => current = target,
                None => break,
            },
            None => break,
        }
    }
    current
}

/// Every operation in `paths`, in document order, with unique anchors.
fn collect_operations(doc: &Value) -> Vec<Operation<'_>> {
    let mut seen = HashSet::new();
    let mut ops = Vec::new();
    for (path, item) in obj(&doc["paths"]) {
        for method in METHODS {
            let Some(op) = item.get(method).filter(|v| v.is_object()) else {
                continue;
            };
            let base = match op["operationId"].as_str() {
                Some(id) if !id.is_empty() => slug(id),
                _ => slug(&format!("{method}-{path}")),
            };
            let mut anchor = format!("op-{base}");
            let mut n = 2;
            while !seen.insert(anchor.clone()) {
                anchor = format!("op-{base}-{n}");
                n += 1;
            }
            ops.push(Operation { method, path, op, shared_params: &item["parameters"], anchor });
        }
    }
    ops
}

/// Groups operations by tag: declared tags first, then others seen, "Other" last.
fn group_by_tag<'a>(doc: &'a Value, ops: &[Operation<'a>]) -> Vec<Group<'a>> {
    let mut groups: Vec<Group<'a>> = Vec::new();
    for tag in arr(&doc["tags"]) {
        if let Some(name) = tag["name"].as_str() {
            if !groups.iter().any(|g| g.name == name) {
                let description = text(&tag["description"]);
                groups.push(Group { name, description, ops: Vec::new() });
            }
        }
    }
    for (i, op) in ops.iter().enumerate() {
        for tag in op.tags() {
            match groups.iter_mut().find(|g| g.name == tag) {
                Some(group) => group.ops.push(i),
                None => groups.push(Group { name: tag, description: "", ops: vec![i] }),
            }
        }
    }
    groups.retain(|g| !g.ops.is_empty());
    if let Some(pos) = groups.iter().position(|g| g.name == UNTAGGED) {
        let other = groups.remove(pos);
        groups.push(other);
    }
    groups
}

/// The document head, the styles and the page title.
fn head(doc: &Value) -> String {
    let title = match text(&doc["info"]["title"]) {
        "" => "API documentation",
        t => t,
    };
    let version = text(&doc["info"]["version"]);
    let full = if version.is_empty() { title.to_owned() } else { format!("{title} {version}") };
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = write!(out, "<title>{}</title>\n<style>{STYLE}</style>\n", escape(&full));
    out.push_str("</head>\n<body>\n<main>\n");
    let _ = write!(out, "<h1>{}", escape(title));
    if !version.is_empty() {
        let _ = write!(out, " <small>{}</small>", escape(version));
    }
    out.push_str("</h1>\n");
    out
}

/// Text split on blank lines into escaped paragraphs.
fn paragraphs(text: &str) -> String {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>\n", escape(p)))
        .collect()
}

/// The API description as introductory paragraphs.
fn intro(doc: &Value) -> String {
    paragraphs(text(&doc["info"]["description"]))
}

/// A coloured method badge.
fn badge(method: &str) -> String {
    format!("<span class=\"badge m-{0}\">{0}</span>", escape(method))
}

/// The table of contents, grouped by tag, plus the filter box.
fn toc(doc: &Value, groups: &[Group<'_>], ops: &[Operation<'_>]) -> String {
    let mut out = String::from("<nav class=\"toc\">\n<h2 id=\"contents\">Contents</h2>\n");
    out.push_str("<input id=\"filter\" type=\"search\" placeholder=\"Filter operations\" hidden>\n");
    for group in groups {
        let _ = write!(
            out,
            "<div><strong><a href=\"#tag-{}\">{}</a></strong>\n<ul>\n",
            slug(group.name),
            escape(group.name)
        );
        for &i in &group.ops {
            out.push_str(&toc_entry(&ops[i]));
        }
        out.push_str("</ul></div>\n");
    }
    if !obj(&doc["components"]["schemas"]).is_empty() {
        out.push_str("<div><strong><a href=\"#schemas\">Schemas</a></strong></div>\n");
    }
    out.push_str("</nav>\n");
    out
}

/// One line of the table of contents.
fn toc_entry(op: &Operation<'_>) -> String {
    let summary = text(&op.op["summary"]);
    format!(
        "<li data-filter=\"{}\"><a href=\"#{}\">{} <span class=\"path\">{}</span></a> <span class=\"muted\">{}</span></li>\n",
        escape(&filter_key(op)),
        op.anchor,
        badge(op.method),
        escape(op.path),
        escape(summary)
    )
}

/// Lower-case text the filter box matches against.
fn filter_key(op: &Operation<'_>) -> String {
    let summary = text(&op.op["summary"]);
    let id = text(&op.op["operationId"]);
    format!("{} {} {summary} {id}", op.method, op.path).to_lowercase()
}

/// All operations, in sections per tag; each operation appears under its first tag.
fn operation_sections(doc: &Value, groups: &[Group<'_>], ops: &[Operation<'_>]) -> String {
    let mut out = String::new();
    for group in groups {
        let _ = write!(
            out,
            "<section id=\"tag-{}\">\n<h2>{}</h2>\n{}",
            slug(group.name),
            escape(group.name),
            paragraphs(group.description)
        );
        for &i in &group.ops {
            let op = &ops[i];
            if op.tags().first().copied() == Some(group.name) {
                out.push_str(&operation(doc, op));
            } else {
                out.push_str(&cross_reference(op));
            }
        }
        out.push_str("</section>\n");
    }
    out
}

/// A pointer to an operation documented under another tag.
fn cross_reference(op: &Operation<'_>) -> String {
    format!(
        "<p class=\"muted\" data-filter=\"{}\">{} <a class=\"path\" href=\"#{}\">{}</a> is documented under {}.</p>\n",
        escape(&filter_key(op)),
        badge(op.method),
        op.anchor,
        escape(op.path),
        escape(op.tags().first().copied().unwrap_or(UNTAGGED))
    )
}

/// The full documentation of one operation.
fn operation(doc: &Value, op: &Operation<'_>) -> String {
    let mut out = format!(
        "<article class=\"op\" id=\"{}\" data-filter=\"{}\">\n<h3>{} <span class=\"path\">{}</span>",
        op.anchor,
        escape(&filter_key(op)),
        badge(op.method),
        escape(op.path)
    );
    if op.op["deprecated"].as_bool() == Some(true) {
        out.push_str(" <span class=\"badge deprecated\">deprecated</span>");
    }
    let summary = text(&op.op["summary"]);
    if !summary.is_empty() {
        let _ = write!(out, " <span class=\"summary\">{}</span>", escape(summary));
    }
    let _ = writeln!(out, " <a class=\"anchor\" href=\"#{0}\">#{0}</a></h3>", op.anchor);
    if let Some(id) = op.op["operationId"].as_str() {
        let _ = writeln!(out, "<p class=\"muted\">Operation ID: <code>{}</code></p>", escape(id));
    }
    out.push_str(&paragraphs(text(&op.op["description"])));
    out.push_str(&parameters(doc, op));
    out.push_str(&request_body(doc, &op.op["requestBody"]));
    out.push_str(&responses(doc, &op.op["responses"]));
    out.push_str(&security(doc, &op.op["security"]));
    out.push_str("</article>\n");
    out
}

/// The parameters table, merging path-level and operation-level parameters.
fn parameters(doc: &Value, op: &Operation<'_>) -> String {
    let mut params: Vec<&Value> = Vec::new();
    let own: Vec<&Value> = arr(&op.op["parameters"]).iter().map(|p| resolve(doc, p)).collect();
    for shared in arr(op.shared_params).iter().map(|p| resolve(doc, p)) {
        let overridden = own.iter().any(|p| p["name"] == shared["name"] && p["in"] == shared["in"]);
        if !overridden {
            params.push(shared);
        }
    }
    params.extend(own);
    if params.is_empty() {
        return String::new();
    }
    let mut out = String::from("<h4>Parameters</h4>\n<table>\n<tr><th>Name</th><th>In</th><th>Required</th><th>Type</th><th>Description</th></tr>\n");
    for param in params {
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(text(&param["name"])),
            escape(text(&param["in"])),
            required_cell(param["required"].as_bool() == Some(true)),
            type_html(&param["schema"], 0),
            describe(param)
        );
    }
    out.push_str("</table>\n");
    out
}

/// The cell text of a "required" column.
fn required_cell(required: bool) -> &'static str {
    if required {
        "<span class=\"req\">yes</span>"
    } else {
        "no"
    }
}

/// A description plus any default or deprecation note, escaped.
fn describe(item: &Value) -> String {
    let mut out = escape(text(&item["description"]));
    if item["deprecated"].as_bool() == Some(true) {
        out.push_str(" <em>(deprecated)</em>");
    }
    if let Some(default) = item.get("default").or_else(|| item["schema"].get("default")) {
        let _ = write!(
            out,
            " <span class=\"muted\">Default: <code>{}</code></span>",
            escape(&default.to_string())
        );
    }
    out
}

/// The request body: its description and the schema of each content type.
fn request_body(doc: &Value, body: &Value) -> String {
    let body = resolve(doc, body);
    if !body.is_object() {
        return String::new();
    }
    let mut out = String::from("<h4>Request body</h4>\n");
    if body["required"].as_bool() == Some(true) {
        out.push_str("<p><span class=\"req\">Required.</span></p>\n");
    }
    out.push_str(&paragraphs(text(&body["description"])));
    for (content_type, media) in obj(&body["content"]) {
        let schema = &media["schema"];
        let _ = writeln!(out, "<p><code>{}</code>: {}</p>", escape(content_type), type_html(schema, 0));
        out.push_str(&properties_table(schema));
    }
    out
}

/// The responses table: status, description and schema per content type.
fn responses(doc: &Value, responses: &Value) -> String {
    let responses = obj(responses);
    if responses.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "<h4>Responses</h4>\n<table>\n<tr><th>Status</th><th>Description</th><th>Content</th></tr>\n",
    );
    for (status, response) in responses {
        let response = resolve(doc, response);
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            escape(status),
            escape(text(&response["description"])),
            content_cell(&response["content"])
        );
    }
    out.push_str("</table>\n");
    out
}

/// The content types of a response with a link or summary of each schema.
fn content_cell(content: &Value) -> String {
    obj(content)
        .iter()
        .map(|(ct, media)| format!("<code>{}</code> {}", escape(ct), type_html(&media["schema"], 0)))
        .collect::<Vec<_>>()
        .join("<br>")
}

/// The security requirements of an operation, falling back to the document's.
fn security(doc: &Value, own: &Value) -> String {
    let requirements = if own.is_array() { own } else { &doc["security"] };
    let Some(requirements) = requirements.as_array() else {
        return String::new();
    };
    let mut out = String::from("<h4>Security</h4>\n");
    if requirements.is_empty() {
        out.push_str("<p>No authentication required.</p>\n");
        return out;
    }
    out.push_str("<ul>\n");
    for requirement in requirements {
        let _ = writeln!(out, "<li>{}</li>", security_requirement(requirement));
    }
    out.push_str("</ul>\n");
    out
}

/// One alternative security requirement: schemes that must all be satisfied.
fn security_requirement(requirement: &Value) -> String {
    let schemes = obj(requirement);
    if schemes.is_empty() {
        return "Anonymous access allowed".to_owned();
    }
    schemes
        .iter()
        .map(|(scheme, scopes)| {
            let scopes: Vec<String> = arr(scopes).iter().map(|s| escape(text(s))).collect();
            if scopes.is_empty() {
                format!("<code>{}</code>", escape(scheme))
            } else {
                format!("<code>{}</code> (scopes: {})", escape(scheme), scopes.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join(" and ")
}

/// A short HTML description of a schema's type, linking `$ref`s to the schema section.
fn type_html(schema: &Value, depth: usize) -> String {
    if depth > MAX_DEPTH {
        return "…".to_owned();
    }
    if let Value::Bool(b) = schema {
        return if *b { "any" } else { "never" }.to_owned();
    }
    if !schema.is_object() {
        return "any".to_owned();
    }
    let mut out = plain_type(schema, depth);
    if let Some(values) = schema["enum"].as_array() {
        let _ = write!(out, " — one of: {}", enum_values(values));
    }
    if let Some(value) = schema.get("const") {
        let _ = write!(out, " = <code>{}</code>", escape(&value.to_string()));
    }
    out
}

/// The type of a schema including nullability, without enum or const values.
fn plain_type(schema: &Value, depth: usize) -> String {
    let mut out = base_type(schema, depth);
    if schema["nullable"].as_bool() == Some(true) && !out.ends_with("null") {
        out.push_str(" | null");
    }
    out
}

/// The type of a schema without the nullable/enum decorations.
fn base_type(schema: &Value, depth: usize) -> String {
    if let Some(reference) = schema["$ref"].as_str() {
        return ref_link(reference);
    }
    for (key, sep) in [("oneOf", " | "), ("anyOf", " | "), ("allOf", " &amp; ")] {
        if let Some(variants) = schema[key].as_array() {
            let parts: Vec<String> = variants.iter().map(|v| type_html(v, depth + 1)).collect();
            return if parts.is_empty() { "any".to_owned() } else { parts.join(sep) };
        }
    }
    match &schema["type"] {
        Value::String(t) => named_type(schema, t, depth),
        Value::Array(types) => {
            types.iter().map(|t| named_type(schema, text(t), depth)).collect::<Vec<_>>().join(" | ")
        }
        _ if schema.get("properties").is_some() => "object".to_owned(),
        _ => "any".to_owned(),
    }
}

/// One JSON Schema type name, expanded for arrays, maps and formats.
fn named_type(schema: &Value, name: &str, depth: usize) -> String {
    match name {
        "array" => match schema.get("items") {
            Some(items) => format!("array of {}", type_html(items, depth + 1)),
            None => "array".to_owned(),
        },
        "object" => match schema.get("additionalProperties") {
            Some(Value::Bool(false)) | None => "object".to_owned(),
            Some(Value::Bool(true)) => "map of any".to_owned(),
            Some(values) => format!("map of {}", type_html(values, depth + 1)),
        },
        "" => "any".to_owned(),
        _ => match schema["format"].as_str() {
            Some(format) if name != "null" => format!("{} ({})", escape(name), escape(format)),
            _ => escape(name),
        },
    }
}

/// A link to the schema section for a `$ref`, or the reference itself if it points elsewhere.
fn ref_link(reference: &str) -> String {
    match reference.strip_prefix("#/components/schemas/") {
        Some(name) => format!("<a href=\"#{}\">{}</a>", schema_anchor(name), escape(name)),
        None => format!("<code>{}</code>", escape(reference)),
    }
}

/// Enum values as comma-separated code spans.
fn enum_values(values: &[Value]) -> String {
    values.iter().map(|v| format!("<code>{}</code>", escape(&literal(v)))).collect::<Vec<_>>().join(", ")
}

/// A JSON value as shown to readers: strings bare, everything else as JSON.
fn literal(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The properties table of an object schema, or nothing if it has none.
fn properties_table(schema: &Value) -> String {
    let properties = obj(&schema["properties"]);
    if properties.is_empty() {
        return String::new();
    }
    let required: HashSet<&str> = arr(&schema["required"]).iter().filter_map(Value::as_str).collect();
    let mut out = String::from(
        "<table>\n<tr><th>Property</th><th>Type</th><th>Required</th><th>Description</th></tr>\n",
    );
    for (name, property) in properties {
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(name),
            type_html(property, 0),
            required_cell(required.contains(name.as_str())),
            describe(property)
        );
    }
    out.push_str("</table>\n");
    out
}

/// The "Schemas" section from `components.schemas`.
fn schemas_section(doc: &Value) -> String {
    let schemas = obj(&doc["components"]["schemas"]);
    if schemas.is_empty() {
        return String::new();
    }
    let mut out = String::from("<section id=\"schemas\">\n<h2>Schemas</h2>\n");
    for (name, schema) in schemas {
        out.push_str(&schema_entry(name, schema));
    }
    out.push_str("</section>\n");
    out
}

/// One schema: its type, description, enum values and properties.
fn schema_entry(name: &str, schema: &Value) -> String {
    let anchor = schema_anchor(name);
    let mut out = format!(
        "<article class=\"schema\" id=\"{anchor}\" data-filter=\"{}\">\n<h3><span class=\"path\">{}</span> <a class=\"anchor\" href=\"#{anchor}\">#{anchor}</a></h3>\n",
        escape(&name.to_lowercase()),
        escape(name)
    );
    out.push_str(&paragraphs(text(&schema["description"])));
    let _ = writeln!(out, "<p>Type: {}</p>", plain_type(schema, 0));
    if let Some(values) = schema["enum"].as_array() {
        out.push_str("<h4>Values</h4>\n<ul>\n");
        for value in values {
            let _ = writeln!(out, "<li><code>{}</code></li>", escape(&literal(value)));
        }
        out.push_str("</ul>\n");
    }
    out.push_str(&properties_table(schema));
    for part in ["allOf", "oneOf", "anyOf"].iter().flat_map(|k| arr(&schema[*k])) {
        out.push_str(&properties_table(part));
    }
    out.push_str("</article>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Value {
        json!({
            "openapi": "3.1.0",
            "info": {
                "title": "Portti <API>",
                "version": "1.2.3",
                "description": "First paragraph.\n\nSecond & last, see https://example.org/docs."
            },
            "tags": [{"name": "users", "description": "User management"}, {"name": "groups"}],
            "paths": {
                "/api/rest/v1/user/{id}": {
                    "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
                    "get": {
                        "tags": ["users"],
                        "summary": "Get a user",
                        "description": "Returns <script>alert(1)</script> the user.",
                        "operationId": "get_user",
                        "parameters": [{"name": "expand", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}, "description": "Fields"}],
                        "responses": {
                            "200": {"description": "The user", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}},
                            "404": {"description": "Not found"}
                        },
                        "security": [{"bearer": []}]
                    },
                    "put": {
                        "tags": ["users"],
                        "operationId": "update_user",
                        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}},
                        "responses": {"204": {"description": "Updated"}}
                    }
                },
                "/api/rest/v1/group": {
                    "post": {
                        "tags": ["groups"],
                        "operationId": "create_group",
                        "responses": {"201": {"description": "Created"}}
                    }
                },
                "/health": {"get": {"responses": {"200": {"description": "ok"}}}}
            },
            "components": {
                "schemas": {
                    "User": {
                        "type": "object",
                        "required": ["id"],
                        "properties": {
                            "id": {"type": "string", "description": "Identifier"},
                            "emails": {"type": "array", "items": {"$ref": "#/components/schemas/Email"}},
                            "manager": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/User"}]},
                            "nick": {"type": ["string", "null"]}
                        }
                    },
                    "Email": {"type": "string"},
                    "Kind": {"type": "string", "enum": ["person", "service"]}
                }
            }
        })
    }

    #[test]
    fn renders_paths_anchors_and_sections() {
        let html = render(&sample());
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("/api/rest/v1/user/{id}"));
        assert!(html.contains("/api/rest/v1/group"));
        assert!(html.contains("id=\"op-get_user\""));
        assert!(html.contains("href=\"#op-create_group\""));
        assert!(html.contains("id=\"op-get-_health\""));
        assert!(html.contains("id=\"tag-users\""));
        assert!(html.contains("id=\"tag-groups\""));
        assert!(html.contains(">Other</a>"));
        assert!(html.contains("id=\"schema-User\""));
        assert!(html.contains("href=\"#schema-User\""));
        assert!(html.contains("array of <a href=\"#schema-Email\">Email</a>"));
        assert!(html.contains("null | <a href=\"#schema-User\">User</a>"));
        assert!(html.contains("string | null"));
        assert!(html.contains("string (uuid)"));
        assert!(html.contains("<li><code>service</code></li>"));
        assert!(html.contains("<code>bearer</code>"));
        assert!(html.contains("<p>First paragraph.</p>"));
        assert!(html.contains("User management"));
    }

    #[test]
    fn groups_in_declared_order_with_other_last() {
        let html = render(&sample());
        let users = html.find("id=\"tag-users\"").unwrap();
        let groups = html.find("id=\"tag-groups\"").unwrap();
        let other = html.find("id=\"tag-Other\"").unwrap();
        assert!(users < groups && groups < other);
    }

    #[test]
    fn escapes_user_text() {
        let html = render(&sample());
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!html.contains("<script>alert"));
        assert!(html.contains("Portti &lt;API&gt; 1.2.3"));
        assert!(html.contains("Second &amp; last"));
        assert_eq!(escape("a\"b'c&<>"), "a&quot;b&#39;c&amp;&lt;&gt;");
    }

    #[test]
    fn has_no_external_urls_beyond_the_input() {
        let doc = sample();
        let input = doc.to_string();
        let html = render(&doc);
        for scheme in ["http://", "https://"] {
            for (pos, _) in html.match_indices(scheme) {
                let url: String =
                    html[pos..].chars().take_while(|c| !c.is_whitespace() && !"\"'<>".contains(*c)).collect();
                let url = url.trim_end_matches('.');
                assert!(input.contains(url), "unexpected URL {url}");
            }
        }
        assert!(!render(&json!({})).contains("http"));
    }

    #[test]
    fn never_panics_on_odd_input() {
        let odd = [
            json!(null),
            json!({}),
            json!([1, 2, 3]),
            json!("string"),
            json!({"info": 5, "paths": []}),
            json!({"paths": {"/x": null, "/y": {"get": 3}, "/z": {"post": {"tags": [1, null], "parameters": {"a": 1}, "responses": [], "requestBody": "x"}}}}),
            json!({"paths": {"/a": {"get": {"parameters": [null, 7, {"$ref": "#/nowhere"}, {"$ref": "#/paths"}], "responses": {"200": 9, "x": {"content": 4}}, "security": [1, {"a": 3}]}}}}),
            json!({"components": {"schemas": {"A": null, "B": true, "C": {"type": 7, "properties": [], "enum": "x"}, "D": {"allOf": 3, "items": []}}}}),
            json!({"components": {"parameters": {"A": {"$ref": "#/components/parameters/A"}}}, "paths": {"/l": {"get": {"parameters": [{"$ref": "#/components/parameters/A"}]}}}}),
            json!({"tags": [null, {"name": 1}, {"name": "Other"}], "paths": {"/a": {"get": {"operationId": ""}, "put": {"operationId": "x"}}, "/b": {"get": {"operationId": "x"}}}}),
        ];
        for doc in odd {
            let html = render(&doc);
            assert!(html.contains("</html>"));
        }
    }

    #[test]
    fn deep_schemas_are_cut_off() {
        let mut schema = json!({"type": "string"});
        for _ in 0..200 {
            schema = json!({"type": "array", "items": schema});
        }
        let doc = json!({"components": {"schemas": {"Deep": schema}}});
        assert!(render(&doc).contains('…'));
    }

    #[test]
    fn duplicate_operation_ids_get_unique_anchors() {
        let doc =
            json!({"paths": {"/a": {"get": {"operationId": "x"}}, "/b": {"get": {"operationId": "x"}}}});
        let html = render(&doc);
        assert!(html.contains("id=\"op-x\""));
        assert!(html.contains("id=\"op-x-2\""));
    }
}
