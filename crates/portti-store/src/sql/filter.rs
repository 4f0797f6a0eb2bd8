//! Compiles a filter AST to a parameterised SQL condition, and a sort to an ORDER BY.
//!
//! Attribute names are looked up in the core's catalogue, so only known names ever
//! reach SQL, and only as fixed paths from that catalogue; every value is a bound parameter.

use super::SqlDialect;
use portti_core::attr::{Attr, AttrType, Resource, Shape};
use portti_core::filter::{CompareOp, Filter, TextCase, Value};
use portti_core::page::Sort;
use portti_core::{Error, Result};

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum Bind {
    /// Text.
    Text(String),
    /// A whole number.
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// SQL NULL.
    Null,
}

/// A compiled condition and the values its placeholders stand for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Where {
    /// SQL condition text.
    pub sql: String,
    /// Bound values, in placeholder order.
    pub binds: Vec<Bind>,
}

/// How a name index serves the name tests of a condition (where the backend has one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameIndex {
    /// The index's candidates drive the query: each is looked up, then checked. Cheap in
    /// proportion to the candidates; what a count wants.
    Drives,
    /// Rows met in another order (say, walking the creation-order index for a page) are
    /// checked against the candidates: cheap when candidates are many and the page short.
    Checks,
}

/// Where an attribute is served from, when not from the JSON document.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    /// A column of the resource's table. Case-insensitive attributes' columns hold
    /// lowercased text; instants' columns hold epoch milliseconds.
    Column(&'static str),
    /// A related table (`table alias`) whose `owner` column holds the resource's `key`; a
    /// test on its `value` column selects the owners (an uncorrelated `IN`, so an index
    /// on `value` serves it).
    Related { table: &'static str, owner: &'static str, key: &'static str, value: &'static str },
    /// The (single-valued) attribute's path in another JSON column than the document.
    Json(&'static str),
}

/// How one resource's table is laid out.
pub struct Columns {
    /// The resource kind (for its attribute catalogue).
    pub resource: Resource,
    /// The JSON document column, qualified.
    pub doc: &'static str,
    /// Attributes served from columns or related tables.
    pub sources: &'static [(&'static str, Source)],
    /// The creation-time column (epoch ms) and id column: the default, stable order.
    pub order: &'static str,
    /// The JSON column holding `customFields`, for resources that have them.
    pub custom_doc: Option<&'static str>,
    /// A condition every row of a list must meet (e.g. not hidden).
    pub always: &'static str,
}

impl Columns {
    /// The id column (the last of [`Columns::order`]).
    pub fn id(&self) -> &'static str {
        self.order.rsplit(", ").next().unwrap_or(self.order)
    }

    fn source(&self, attr: &Attr) -> Option<Source> {
        self.sources.iter().find(|(n, _)| *n == attr.name).map(|(_, s)| *s)
    }
}

struct Compiler<'a> {
    cols: &'a Columns,
    d: &'a dyn SqlDialect,
    text_case: TextCase,
    name_index: NameIndex,
    binds: Vec<Bind>,
    /// Inside a value path (`emails[...]`): the array whose elements are being tested.
    element_of: Option<String>,
}

/// The SQL condition for `filter` over the table `cols` describes.
pub fn compile_where(
    filter: &Filter,
    cols: &Columns,
    d: &dyn SqlDialect,
    text_case: TextCase,
    name_index: NameIndex,
    first_bind: usize,
) -> Result<Where> {
    let mut c = Compiler::new(cols, d, text_case, name_index);
    let sql = c.node(filter, first_bind)?;
    Ok(Where { sql, binds: c.binds })
}

/// `ORDER BY …` for the sort (or creation order), with a stable tie-breaker.
pub fn compile_order(sort: Option<&Sort>, cols: &Columns, d: &dyn SqlDialect) -> Result<String> {
    let Some(sort) = sort else {
        return Ok(format!("ORDER BY {}", cols.order));
    };
    let attr = cols.resource.require(&sort.by)?;
    if !attr.sortable() {
        return Err(Error::bad(format!("cannot sort by the multi-valued attribute '{}'", attr.name)));
    }
    let c = Compiler::new(cols, d, TextCase::AsDefined, NameIndex::Drives);
    let expr = match cols.source(attr) {
        Some(Source::Column(col)) => col.to_string(),
        _ => c.scalar_expr(attr),
    };
    let dir = if sort.ascending { "ASC" } else { "DESC" };
    Ok(format!("ORDER BY ({expr}) IS NULL, {expr} {dir}, {}", cols.order))
}

/// A comparison operand after type checks.
enum Operand {
    Text(String),
    Int(i64),
    Bool(bool),
}

impl<'a> Compiler<'a> {
    fn new(cols: &'a Columns, d: &'a dyn SqlDialect, text_case: TextCase, name_index: NameIndex) -> Self {
        Compiler { cols, d, text_case, name_index, binds: Vec::new(), element_of: None }
    }

    fn node(&mut self, f: &Filter, base: usize) -> Result<String> {
        Ok(match f {
            Filter::And(a, b) => format!("({} AND {})", self.node(a, base)?, self.node(b, base)?),
            Filter::Or(a, b) => format!("({} OR {})", self.node(a, base)?, self.node(b, base)?),
            // An unknown (NULL) inner result counts as no match, so `not` matches it.
            Filter::Not(a) => format!("(NOT coalesce({}, FALSE))", self.node(a, base)?),
            Filter::ValuePath { path, filter } => self.value_path(&path.dotted(), filter, base)?,
            Filter::Present(path) if self.element_of.is_some() => {
                let (_, e) = self.element_attr(&path.dotted())?;
                format!("{e} IS NOT NULL")
            }
            Filter::Compare { path, op, value } if self.element_of.is_some() => {
                let (attr, e) = self.element_attr(&path.dotted())?;
                self.compare_element(attr, &e, *op, value, base)?
            }
            Filter::Present(path) => match self.custom_field(&path.dotted()) {
                Some(e) => format!("{e} IS NOT NULL"),
                None => self.present(self.cols.resource.require(&path.dotted())?)?,
            },
            Filter::Compare { path, op, value } => match self.custom_field(&path.dotted()) {
                Some(e) => self.compare_custom(&e, *op, value, base)?,
                None => {
                    let attr = self.cols.resource.require(&path.dotted())?;
                    self.compare(attr, *op, value, base)?
                }
            },
        })
    }

    /// The attribute as this query compares it: folded to case-insensitive text when the
    /// query asks so and it lives in a JSON document (columns compare as they are).
    fn effective(&self, attr: &Attr) -> Attr {
        let folds = match self.text_case {
            TextCase::AsDefined => false,
            TextCase::Folded { except } => {
                attr.ty == AttrType::Text
                    && !except.contains(&attr.name)
                    && matches!(self.cols.source(attr), None | Some(Source::Json(_)))
            }
        };
        if folds {
            Attr { ty: AttrType::CiText, ..*attr }
        } else {
            *attr
        }
    }

    /// `array[filter]`: some element of the array matches the whole filter.
    fn value_path(&mut self, array: &str, filter: &Filter, base: usize) -> Result<String> {
        let is_array = self.cols.resource.attrs().iter().any(|a| in_array(a) == Some(array));
        if self.element_of.is_some() || !is_array {
            return Err(Error::bad(format!("'{array}' is not a multi-valued attribute with sub-attributes")));
        }
        self.element_of = Some(array.to_string());
        let inner = self.node(filter, base);
        self.element_of = None;
        let from = self.d.json_elements(self.cols.doc, &[array], "v");
        Ok(format!("EXISTS (SELECT 1 FROM {from} WHERE {})", inner?))
    }

    /// A sub-attribute of the value path's element, and its typed expression.
    fn element_attr(&self, sub: &str) -> Result<(&'static Attr, String)> {
        let array = self.element_of.as_deref().unwrap_or_default();
        let attr = self.cols.resource.require(&format!("{array}.{sub}"))?;
        match attr.shape {
            Shape::InArray { array: a, field } if a == array => {
                Ok((attr, self.typed(attr.ty, &self.d.element_doc("v"), field)))
            }
            _ => Err(Error::bad(format!("'{sub}' is not a sub-attribute of {array}"))),
        }
    }

    /// A comparison on one element's sub-attribute.
    fn compare_element(
        &mut self,
        attr: &Attr,
        expr: &str,
        op: CompareOp,
        value: &Value,
        base: usize,
    ) -> Result<String> {
        let folded = self.effective(attr);
        let expr = &if folded.ty != attr.ty { format!("lower({expr})") } else { expr.to_string() };
        let attr = &folded;
        if let Value::Null = value {
            return match op {
                CompareOp::Eq => Ok(format!("{expr} IS NULL")),
                CompareOp::Ne => Ok(format!("{expr} IS NOT NULL")),
                _ => Err(Error::bad(format!("'{}' cannot compare {} with null", op.as_str(), attr.name))),
            };
        }
        let operand = operand(attr, op, value)?;
        Ok(self.test(expr, attr.ty, op, operand, base))
    }

    /// The text of a custom field a filter names (`customFields.<key>`), if it names one.
    fn custom_field(&self, name: &str) -> Option<String> {
        let key = self.cols.resource.custom_field(name)?;
        Some(self.d.custom_field_text(self.cols.custom_doc?, key))
    }

    /// A comparison on a custom field: its value as text.
    fn compare_custom(&mut self, expr: &str, op: CompareOp, value: &Value, base: usize) -> Result<String> {
        let s = match value {
            Value::Null => {
                return match op {
                    CompareOp::Eq => Ok(format!("{expr} IS NULL")),
                    CompareOp::Ne => Ok(format!("{expr} IS NOT NULL")),
                    _ => {
                        Err(Error::bad(format!("'{}' cannot compare a custom field with null", op.as_str())))
                    }
                }
            }
            Value::Str(s) => s.clone(),
            Value::Int(i) => i.to_string(),
            Value::Dec(f) => f.to_string(),
            Value::Bool(b) => b.to_string(),
        };
        Ok(self.test(expr, AttrType::Text, op, Operand::Text(s), base))
    }

    fn bind(&mut self, b: Bind, base: usize) -> String {
        self.binds.push(b);
        self.d.placeholder(base + self.binds.len() - 1)
    }

    /// The JSON expression of a single-valued attribute, typed for comparison.
    fn scalar_expr(&self, attr: &Attr) -> String {
        let Shape::Scalar(path) = attr.shape else { unreachable!("scalar_expr on {}", attr.name) };
        let doc = match self.cols.source(attr) {
            Some(Source::Json(doc)) => doc,
            _ => self.cols.doc,
        };
        self.typed(attr.ty, doc, path)
    }

    fn typed(&self, ty: AttrType, doc: &str, path: &[&str]) -> String {
        let d = self.d;
        match ty {
            AttrType::Text => d.json_text(doc, path),
            AttrType::CiText => format!("lower({})", d.json_text(doc, path)),
            AttrType::Bool => d.json_bool(doc, path),
            AttrType::Int => d.json_number(doc, path),
            AttrType::Instant => d.instant_ms(&d.json_text(doc, path)),
        }
    }

    fn present(&mut self, attr: &Attr) -> Result<String> {
        let d = self.d;
        Ok(match (self.cols.source(attr), attr.shape) {
            (Some(Source::Column(col)), _) => format!("{col} IS NOT NULL"),
            (Some(Source::Related { table, owner, key, .. }), _) => {
                format!("{key} IN (SELECT {owner} FROM {table})")
            }
            (source, Shape::Scalar(path)) => {
                let doc = match source {
                    Some(Source::Json(doc)) => doc,
                    _ => self.cols.doc,
                };
                let e = d.json_text(doc, path);
                format!("({e} IS NOT NULL AND {e} <> '')")
            }
            (_, Shape::List(path)) => {
                format!("EXISTS (SELECT 1 FROM {})", d.json_elements(self.cols.doc, path, "e"))
            }
            (_, Shape::InArray { array, field }) => format!(
                "EXISTS (SELECT 1 FROM {} WHERE {} IS NOT NULL)",
                d.json_elements(self.cols.doc, &[array], "e"),
                d.json_text(&d.element_doc("e"), field)
            ),
        })
    }

    fn compare(&mut self, attr: &Attr, op: CompareOp, value: &Value, base: usize) -> Result<String> {
        let attr = &self.effective(attr);
        if let Value::Null = value {
            return match op {
                CompareOp::Eq => Ok(format!("(NOT {})", self.present(attr)?)),
                CompareOp::Ne => self.present(attr),
                _ => Err(Error::bad(format!("'{}' cannot compare {} with null", op.as_str(), attr.name))),
            };
        }
        let operand = operand(attr, op, value)?;
        let narrowed = self.name_search(attr, op, &operand, base);
        let (multi, negate) = (!matches!(attr.shape, Shape::Scalar(_)), op == CompareOp::Ne);
        let op = if multi && negate { CompareOp::Eq } else { op };
        let d = self.d;
        let cond = match (self.cols.source(attr), attr.shape) {
            (Some(Source::Column(col)), _) => self.test(col, attr.ty, op, operand, base),
            (Some(Source::Related { table, owner, key, value }), _) => {
                let test = self.test(value, attr.ty, op, operand, base);
                format!("{key} IN (SELECT {owner} FROM {table} WHERE {test})")
            }
            (_, Shape::Scalar(_)) => {
                let e = self.scalar_expr(attr);
                self.test(&e, attr.ty, op, operand, base)
            }
            (_, Shape::List(path)) => {
                let from = d.json_elements(self.cols.doc, path, "e");
                let e = d.element_text("e");
                format!("EXISTS (SELECT 1 FROM {from} WHERE {})", self.test(&e, attr.ty, op, operand, base))
            }
            (_, Shape::InArray { array, field }) => {
                let from = d.json_elements(self.cols.doc, &[array], "e");
                let e = self.typed(attr.ty, &d.element_doc("e"), field);
                format!("EXISTS (SELECT 1 FROM {from} WHERE {})", self.test(&e, attr.ty, op, operand, base))
            }
        };
        let cond = if multi && negate { format!("(NOT {cond})") } else { cond };
        Ok(match narrowed {
            Some(pre) => format!("({pre} AND {cond})"),
            None => cond,
        })
    }

    /// For `co`/`sw`/`ew` on a user name with a name index: the index's narrowing
    /// condition (a superset: it ignores case and position; the exact test still follows).
    fn name_search(&mut self, attr: &Attr, op: CompareOp, operand: &Operand, base: usize) -> Option<String> {
        let Operand::Text(s) = operand else { return None };
        // Trigrams need three characters.
        let usable = matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew)
            && self.cols.resource == Resource::User
            && self.element_of.is_none()
            && s.chars().count() >= 3;
        if !usable {
            return None;
        }
        let (folded, drives) = (attr.ty == AttrType::CiText, self.name_index == NameIndex::Drives);
        self.d.name_search(attr.name, "?", folded, drives)?;
        let p = self.bind(Bind::Text(self.d.name_search_value(s)), base);
        self.d.name_search(attr.name, &p, folded, drives)
    }

    /// `expr op operand` for one value.
    fn test(&mut self, expr: &str, ty: AttrType, op: CompareOp, operand: Operand, base: usize) -> String {
        let operand = match (op, operand) {
            (CompareOp::Co | CompareOp::Sw | CompareOp::Ew, Operand::Text(s)) => {
                Operand::Text(self.d.match_value(op, s))
            }
            (_, o) => o,
        };
        let p = match operand {
            Operand::Text(s) => self.bind(Bind::Text(s), base),
            Operand::Int(i) => self.bind(Bind::Int(i), base),
            Operand::Bool(b) => self.bind(Bind::Bool(b), base),
        };
        let d = self.d;
        let expr = if ty == AttrType::Bool {
            format!("coalesce({expr}, {})", d.json_bool_false())
        } else {
            expr.to_string()
        };
        match op {
            CompareOp::Eq => format!("{expr} = {p}"),
            CompareOp::Ne => d.distinct(&expr, &p),
            CompareOp::Co | CompareOp::Sw | CompareOp::Ew => d.text_match(&expr, op, &p),
            CompareOp::Gt => format!("{expr} > {p}"),
            CompareOp::Ge => format!("{expr} >= {p}"),
            CompareOp::Lt => format!("{expr} < {p}"),
            CompareOp::Le => format!("{expr} <= {p}"),
        }
    }
}

/// The array an attribute is a member of each element of.
fn in_array(attr: &Attr) -> Option<&'static str> {
    match attr.shape {
        Shape::InArray { array, .. } => Some(array),
        _ => None,
    }
}

/// Check the value against the attribute's type and operator, and convert it.
fn operand(attr: &Attr, op: CompareOp, value: &Value) -> Result<Operand> {
    let wrong = |what: &str| Error::bad(format!("attribute {} expects {what}", attr.name));
    let text_only = matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew);
    match attr.ty {
        AttrType::Text | AttrType::CiText => {
            let s = match value {
                Value::Str(s) => s.clone(),
                Value::Int(i) => i.to_string(),
                Value::Dec(f) => f.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Null => unreachable!("null handled by the caller"),
            };
            Ok(Operand::Text(if attr.ty == AttrType::CiText { s.to_lowercase() } else { s }))
        }
        _ if text_only => {
            Err(Error::bad(format!("'{}' works only on text, not on {}", op.as_str(), attr.name)))
        }
        AttrType::Bool => {
            if !matches!(op, CompareOp::Eq | CompareOp::Ne) {
                return Err(Error::bad(format!(
                    "'{}' cannot compare the boolean {}",
                    op.as_str(),
                    attr.name
                )));
            }
            match value {
                Value::Bool(b) => Ok(Operand::Bool(*b)),
                Value::Str(s) if s.eq_ignore_ascii_case("true") => Ok(Operand::Bool(true)),
                Value::Str(s) if s.eq_ignore_ascii_case("false") => Ok(Operand::Bool(false)),
                _ => Err(wrong("true or false")),
            }
        }
        AttrType::Int => match value {
            Value::Int(i) => Ok(Operand::Int(*i)),
            Value::Str(s) => s.trim().parse().map(Operand::Int).map_err(|_| wrong("a whole number")),
            _ => Err(wrong("a whole number")),
        },
        AttrType::Instant => match value {
            Value::Str(s) => portti_core::time::parse_ms(s)
                .map(Operand::Int)
                .ok_or_else(|| wrong("an ISO-8601 instant such as \"2020-01-01T00:00:00Z\"")),
            _ => Err(wrong("an ISO-8601 instant in quotes")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::dialect::Sqlite;
    use portti_core::filter::parse;

    const USERS: Columns = Columns {
        resource: Resource::User,
        doc: "u.doc",
        sources: &[
            ("id", Source::Column("u.id")),
            ("username", Source::Column("u.username_lower")),
            (
                "memberOf",
                Source::Related {
                    table: "memberships m",
                    owner: "m.user_id",
                    key: "u.id",
                    value: "m.group_id",
                },
            ),
            ("meta.created", Source::Column("u.created_ms")),
        ],
        order: "u.created_ms, u.id",
        custom_doc: Some("u.facets"),
        always: "u.hidden = 0",
    };

    fn sql(f: &str) -> Result<Where> {
        compile_where(&parse(f).unwrap(), &USERS, &Sqlite, TextCase::AsDefined, NameIndex::Drives, 1)
    }

    #[test]
    fn columns_json_and_related_tables() {
        let w = sql(r#"(username eq "Ann")  and  (memberOf eq "g1")"#).unwrap();
        assert_eq!(
            w.sql,
            "(u.username_lower = ?1 AND u.id IN (SELECT m.user_id FROM memberships m WHERE m.group_id = ?2))"
        );
        assert_eq!(w.binds, vec![Bind::Text("ann".into()), Bind::Text("g1".into())]);
        let w = sql(r#"name.givenName co "An""#).unwrap();
        assert_eq!(w.sql, "instr(json_extract(u.doc, '$.name.givenName'), ?1) > 0");
    }

    #[test]
    fn arrays_match_any_element_and_ne_means_none() {
        let w = sql(r#"emails.address eq "A@X.FI""#).unwrap();
        assert!(w.sql.starts_with("EXISTS (SELECT 1 FROM json_each(u.doc, '$.emails') AS e WHERE lower(json_extract(e.value, '$.address')) = ?1"));
        assert_eq!(w.binds, vec![Bind::Text("a@x.fi".into())]);
        let w = sql(r#"tags ne "x""#).unwrap();
        assert!(w.sql.starts_with("(NOT EXISTS"));
    }

    #[test]
    fn value_paths_test_one_element_for_the_whole_filter() {
        let w = sql(r#"emails[name eq "work" and address co "@x"]"#).unwrap();
        assert_eq!(
            w.sql,
            "EXISTS (SELECT 1 FROM json_each(u.doc, '$.emails') AS v WHERE \
             (json_extract(v.value, '$.name') = ?1 AND instr(lower(json_extract(v.value, '$.address')), ?2) > 0))"
        );
        assert!(sql(r#"emails[verified pr]"#).is_ok());
        assert!(sql(r#"emails[nope eq "x"]"#).is_err());
        assert!(sql(r#"username[x eq "y"]"#).is_err());
    }

    #[test]
    fn name_substrings_are_narrowed_by_the_name_index() {
        let w = sql(r#"name.familyName co "virt""#).unwrap();
        assert!(w.sql.starts_with("(u.key IN (SELECT rowid FROM user_search WHERE"), "{}", w.sql);
        assert!(w.sql.contains("family_name MATCH ?1") && w.sql.contains("instr("), "{}", w.sql);
        assert_eq!(w.binds, vec![Bind::Text("\"virt\"".into()), Bind::Text("virt".into())]);
        assert_eq!(sql(r#"username sw "a\"n""#).unwrap().binds[0], Bind::Text("\"a\"\"n\"".into()));
        // Too short for trigrams: the exact test alone.
        assert!(!sql(r#"name.familyName co "vi""#).unwrap().sql.contains("user_search"));
        assert!(!sql(r#"nickName co "virt""#).unwrap().sql.contains("user_search"));
    }

    #[test]
    fn types_are_checked() {
        assert!(sql("locked eq true").is_ok());
        assert!(sql(r#"locked eq "True""#).is_ok());
        assert!(sql(r#"locked eq "maybe""#).is_err());
        assert!(sql("locked gt true").is_err());
        assert!(sql(r#"meta.created gt "2020-01-01T00:00:00.000Z""#).is_ok());
        assert!(sql(r#"meta.created gt "yesterday""#).is_err());
        assert!(sql(r#"meta.created co "2020""#).is_err());
        assert!(sql(r#"strongIdentification.count ge "2""#).is_ok());
        assert!(sql("nosuch eq 1").is_err());
        assert!(sql(r#"emails[type eq "work"]"#).is_err());
    }

    #[test]
    fn injection_stays_in_binds() {
        let evil = r#"name.familyName eq "x'); DROP TABLE users;--""#;
        let w = sql(evil).unwrap();
        assert!(!w.sql.contains("DROP"));
        assert_eq!(w.binds, vec![Bind::Text("x'); DROP TABLE users;--".into())]);
        assert!(parse(r#"name.x') OR 1=1 eq "a""#).is_err());
        assert!(sql(r#"name.x eq "a""#).is_err());
        assert!(compile_order(Some(&Sort { by: "username; DROP".into(), ascending: true }), &USERS, &Sqlite)
            .is_err());
    }

    #[test]
    fn custom_fields_are_text_at_a_quoted_path() {
        let w = sql(r#"customFields.shoeSize eq 38"#).unwrap();
        assert!(w.sql.contains(r#"'$.customFields."shoeSize"'"#), "{}", w.sql);
        assert_eq!(w.binds, vec![Bind::Text("38".into())]);
        assert!(sql(r#"customFields.x pr"#).is_ok());
    }

    #[test]
    fn null_and_presence() {
        assert_eq!(sql("nickName eq null").unwrap().sql, "(NOT (json_extract(u.doc, '$.nickName') IS NOT NULL AND json_extract(u.doc, '$.nickName') <> ''))");
        assert!(sql("emails pr ")
            .unwrap()
            .sql
            .starts_with("EXISTS (SELECT 1 FROM json_each(u.doc, '$.emails')"));
    }

    #[test]
    fn sorting() {
        let o =
            compile_order(Some(&Sort { by: "name.familyName".into(), ascending: false }), &USERS, &Sqlite)
                .unwrap();
        assert!(o.contains("DESC") && o.ends_with("u.created_ms, u.id"));
        assert!(compile_order(Some(&Sort { by: "tags".into(), ascending: true }), &USERS, &Sqlite).is_err());
        assert_eq!(compile_order(None, &USERS, &Sqlite).unwrap(), "ORDER BY u.created_ms, u.id");
    }
}
