//! A small, safe subset of Mustache for email templates: `{{key}}` (HTML-escaped in HTML
//! bodies), `{{{key}}}` and `{{& key}}` (never escaped), `{{#key}}…{{/key}}` sections (shown
//! when the value is truthy, once per element of a list), `{{^key}}…{{/key}}` (shown when it
//! is not), `{{! comments }}` and dotted names (`{{user.name.givenName}}`). Nothing in a
//! template can run code, read files or include other templates; a missing key renders empty.

use crate::{Error, Result};
use serde_json::Value;

/// How values are written into the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// An HTML body: `{{key}}` is HTML-escaped.
    Html,
    /// Plain text (text bodies, subjects): nothing is escaped.
    Text,
}

/// Deepest nesting of sections a template may have.
const MAX_DEPTH: usize = 16;
/// Largest output a rendering may produce (sections over lists multiply text).
const MAX_OUTPUT: usize = 2 * 1024 * 1024;

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    nodes: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Text(String),
    /// A value; `raw` values are never escaped.
    Var {
        path: Path,
        raw: bool,
    },
    Section {
        path: Path,
        inverted: bool,
        children: Vec<Node>,
    },
}

/// A name: `.` (the current value) or dotted segments.
#[derive(Debug, Clone, PartialEq)]
struct Path(Vec<String>);

impl Path {
    fn parse(name: &str, line: usize) -> Result<Path> {
        let name = name.trim();
        if name == "." {
            return Ok(Path(Vec::new()));
        }
        let ok = !name.is_empty()
            && name.split('.').all(|seg| {
                !seg.is_empty() && seg.chars().all(|c| !c.is_whitespace() && !"{}#^/!&>=<".contains(c))
            });
        if !ok {
            return Err(Error::bad(format!("'{name}' on line {line} is not a valid template name")));
        }
        Ok(Path(name.split('.').map(str::to_string).collect()))
    }

    fn dotted(&self) -> String {
        if self.0.is_empty() {
            ".".into()
        } else {
            self.0.join(".")
        }
    }
}

/// Parse a template, or say clearly (with the line) what is wrong with it.
pub fn parse(src: &str) -> Result<Template> {
    let mut stack: Vec<(Path, bool, Vec<Node>, usize)> = Vec::new();
    let mut nodes: Vec<Node> = Vec::new();
    let mut rest = src;
    let mut line = 1;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            nodes.push(Node::Text(rest[..open].to_string()));
            line += rest[..open].matches('\n').count();
        }
        let after = &rest[open + 2..];
        let (tag, consumed, triple) = if let Some(inner) = after.strip_prefix('{') {
            let end =
                inner.find("}}}").ok_or_else(|| Error::bad(format!("unclosed '{{{{{{' on line {line}")))?;
            (&inner[..end], 1 + end + 3, true)
        } else {
            let end =
                after.find("}}").ok_or_else(|| Error::bad(format!("unclosed '{{{{' on line {line}")))?;
            (&after[..end], end + 2, false)
        };
        let tag_line = line;
        line += tag.matches('\n').count();
        rest = &after[consumed..];
        if triple {
            nodes.push(Node::Var { path: Path::parse(tag, tag_line)?, raw: true });
            continue;
        }
        let tag = tag.trim();
        let (sigil, name) = match tag.chars().next() {
            Some(c @ ('!' | '&' | '#' | '^' | '/' | '>' | '=')) => (Some(c), &tag[1..]),
            _ => (None, tag),
        };
        match sigil {
            Some('!') => {}
            Some('&') => nodes.push(Node::Var { path: Path::parse(name, tag_line)?, raw: true }),
            None => nodes.push(Node::Var { path: Path::parse(name, tag_line)?, raw: false }),
            Some(c @ ('#' | '^')) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(Error::bad(format!(
                        "sections nest deeper than {MAX_DEPTH} on line {tag_line}"
                    )));
                }
                let path = Path::parse(name, tag_line)?;
                stack.push((path, c == '^', std::mem::take(&mut nodes), tag_line));
            }
            Some('/') => {
                let closing = Path::parse(name, tag_line)?;
                let Some((path, inverted, outer, _)) = stack.pop() else {
                    return Err(Error::bad(format!(
                        "'{{{{/{}}}}}' on line {tag_line} closes no section",
                        closing.dotted()
                    )));
                };
                if path != closing {
                    return Err(Error::bad(format!(
                        "'{{{{/{}}}}}' on line {tag_line} does not close the open section '{}'",
                        closing.dotted(),
                        path.dotted()
                    )));
                }
                let children = std::mem::replace(&mut nodes, outer);
                nodes.push(Node::Section { path, inverted, children });
            }
            Some('>') => {
                return Err(Error::bad(format!("partials ('{{{{>') are not supported (line {tag_line})")))
            }
            Some(_) => {
                // `=`: a delimiter change.
                return Err(Error::bad(format!(
                    "changing delimiters ('{{{{=') is not supported (line {tag_line})"
                )));
            }
        }
    }
    if let Some((path, _, _, at)) = stack.last() {
        return Err(Error::bad(format!("section '{}' opened on line {at} is never closed", path.dotted())));
    }
    if !rest.is_empty() {
        nodes.push(Node::Text(rest.to_string()));
    }
    Ok(Template { nodes })
}

impl Template {
    /// The output for the values in `context` (normally a JSON object).
    pub fn render(&self, context: &Value, mode: Mode) -> Result<String> {
        let mut out = String::new();
        let mut stack = vec![context];
        render_nodes(&self.nodes, &mut stack, mode, &mut out)?;
        Ok(out)
    }
}

/// Parse and render in one step.
pub fn render(src: &str, context: &Value, mode: Mode) -> Result<String> {
    parse(src)?.render(context, mode)
}

fn render_nodes<'a>(
    nodes: &'a [Node],
    stack: &mut Vec<&'a Value>,
    mode: Mode,
    out: &mut String,
) -> Result<()> {
    for node in nodes {
        match node {
            Node::Text(t) => out.push_str(t),
            Node::Var { path, raw } => {
                let text = lookup(stack, path).map(scalar_text).unwrap_or_default();
                if *raw || mode == Mode::Text {
                    out.push_str(&text);
                } else {
                    out.push_str(&html_escape(&text));
                }
            }
            Node::Section { path, inverted, children } => {
                let value = lookup(stack, path);
                let truthy = value.is_some_and(is_truthy);
                if *inverted {
                    if !truthy {
                        render_nodes(children, stack, mode, out)?;
                    }
                } else if let Some(v) = value.filter(|v| is_truthy(v)) {
                    // Sections over a list render once per element; the element is the context.
                    let items: Vec<&Value> = match v {
                        Value::Array(list) => list.iter().collect(),
                        other => vec![other],
                    };
                    for item in items {
                        stack.push(item);
                        let done = render_nodes(children, stack, mode, out);
                        stack.pop();
                        done?;
                    }
                }
            }
        }
        if out.len() > MAX_OUTPUT {
            return Err(Error::bad(format!("the rendered message is larger than {MAX_OUTPUT} bytes")));
        }
    }
    Ok(())
}

/// The value a name stands for: its first segment from the innermost context that has
/// it, the rest below that.
fn lookup<'a>(stack: &[&'a Value], path: &Path) -> Option<&'a Value> {
    let top = *stack.last()?;
    let Some((first, rest)) = path.0.split_first() else {
        return Some(top);
    };
    let mut value = stack.iter().rev().find_map(|ctx| ctx.as_object().and_then(|m| m.get(first)))?;
    for seg in rest {
        value = match value {
            Value::Object(m) => m.get(seg)?,
            Value::Array(list) => list.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(value)
}

fn is_truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::String(s) => !s.is_empty(),
        Value::Array(list) => !list.is_empty(),
        Value::Number(_) | Value::Object(_) => true,
    }
}

/// How a value reads in text: strings as they are, numbers and booleans spelled out,
/// nothing for null, lists and objects.
fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null | Value::Array(_) | Value::Object(_) => String::new(),
    }
}

/// `s` safe to put in HTML text or a quoted attribute.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '`' => out.push_str("&#96;"),
            '=' => out.push_str("&#61;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn html(src: &str, ctx: Value) -> String {
        render(src, &ctx, Mode::Html).unwrap()
    }

    fn text(src: &str, ctx: Value) -> String {
        render(src, &ctx, Mode::Text).unwrap()
    }

    #[test]
    fn values_are_escaped_in_html_only() {
        let ctx = json!({"name": "<b>Ann & \"Bob\"</b>"});
        assert_eq!(html("Hi {{name}}!", ctx.clone()), "Hi &lt;b&gt;Ann &amp; &quot;Bob&quot;&lt;/b&gt;!");
        assert_eq!(text("Hi {{name}}!", ctx.clone()), "Hi <b>Ann & \"Bob\"</b>!");
        assert_eq!(
            html("<a title='{{name}}'>", json!({"name": "x' onload='y"})),
            "<a title='x&#39; onload&#61;&#39;y'>"
        );
    }

    #[test]
    fn triple_mustache_and_ampersand_are_raw() {
        let ctx = json!({"link": "<a href=\"x\">go</a>"});
        assert_eq!(html("{{{link}}}", ctx.clone()), "<a href=\"x\">go</a>");
        assert_eq!(html("{{& link}}", ctx.clone()), "<a href=\"x\">go</a>");
        assert_eq!(html("{{{ link }}}", ctx), "<a href=\"x\">go</a>");
    }

    #[test]
    fn missing_keys_render_empty() {
        assert_eq!(html("[{{nope}}][{{{nope}}}][{{a.b.c}}]", json!({"a": {"b": 1}})), "[][][]");
        assert_eq!(text("{{#nope}}x{{/nope}}{{^nope}}y{{/nope}}", json!({})), "y");
    }

    #[test]
    fn scalars_are_spelled_out() {
        let ctx = json!({"n": 3, "f": 1.5, "t": true, "z": null, "l": [1], "o": {"a": 1}});
        assert_eq!(text("{{n}} {{f}} {{t}} [{{z}}] [{{l}}] [{{o}}]", ctx), "3 1.5 true [] [] []");
    }

    #[test]
    fn dotted_names_reach_into_objects() {
        let ctx = json!({"user": {"name": {"givenName": "Ann"}}, "list": ["a", "b"]});
        assert_eq!(text("{{user.name.givenName}} {{list.1}}", ctx), "Ann b");
    }

    #[test]
    fn sections_show_repeat_and_invert() {
        let ctx = json!({"vip": true, "no": false, "empty": "", "items": [{"n": "a"}, {"n": "b"}], "tags": ["x", "y"]});
        assert_eq!(text("{{#vip}}VIP{{/vip}}{{#no}}no{{/no}}{{#empty}}e{{/empty}}", ctx.clone()), "VIP");
        assert_eq!(text("{{^no}}not{{/no}}{{^vip}}x{{/vip}}", ctx.clone()), "not");
        assert_eq!(text("{{#items}}<{{n}}>{{/items}}", ctx.clone()), "<a><b>");
        assert_eq!(text("{{#tags}}{{.}},{{/tags}}", ctx.clone()), "x,y,");
        // Outer names stay visible inside a section.
        assert_eq!(text("{{#items}}{{n}}{{#vip}}!{{/vip}}{{/items}}", ctx), "a!b!");
    }

    #[test]
    fn comments_vanish() {
        assert_eq!(text("a{{! a comment }}b", json!({})), "ab");
    }

    #[test]
    fn broken_templates_are_refused_with_a_reason() {
        for (src, says) in [
            ("Hi {{name", "unclosed"),
            ("Hi {{{name}}", "unclosed"),
            ("{{#a}}x", "never closed"),
            ("{{#a}}x{{/b}}", "does not close"),
            ("x{{/a}}", "closes no section"),
            ("{{> partial}}", "partials"),
            ("{{=<% %>=}}", "delimiters"),
            ("{{}}", "not a valid"),
            ("{{a b}}", "not a valid"),
            ("{{a..b}}", "not a valid"),
        ] {
            let err = parse(src).unwrap_err().to_string();
            assert!(err.contains(says), "{src}: {err}");
        }
        let deep = "{{#a}}".repeat(MAX_DEPTH + 1);
        assert!(parse(&deep).unwrap_err().to_string().contains("deeper"));
    }

    #[test]
    fn errors_name_the_line() {
        let err = parse("line one\nline two {{#x}}\n").unwrap_err().to_string();
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn text_without_tags_is_kept_verbatim() {
        assert_eq!(text("no tags } { here", json!({})), "no tags } { here");
        assert_eq!(text("", json!({})), "");
    }

    #[test]
    fn output_is_bounded() {
        let big = "x".repeat(1024);
        let items: Vec<Value> = (0..3000).map(|_| json!(1)).collect();
        let ctx = json!({"items": items, "big": big});
        assert!(render("{{#items}}{{big}}{{/items}}", &ctx, Mode::Text).is_err());
    }
}
