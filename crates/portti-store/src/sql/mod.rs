//! SQL text shared by the backends: the dialect each one speaks and the filter compiler.

pub mod conn;
pub mod dialect;
pub mod filter;
pub mod tx;

pub use dialect::SqlDialect;
pub use filter::{compile_order, compile_where, Bind, Columns, Source, Where};

use crate::{Query, Scope};
use portti_core::Result;

/// The full condition of a list query: the namespace scope, then the filter.
pub fn query_where(
    query: &Query,
    cols: &Columns,
    scope_column: &str,
    d: &dyn SqlDialect,
) -> Result<Where> {
    let mut out = Where {
        sql: "1 = 1".into(),
        binds: Vec::new(),
    };
    if let Scope::Namespaces(codes) = &query.scope {
        if codes.is_empty() {
            out.sql = "1 = 0".into();
        } else {
            let marks: Vec<String> = (1..=codes.len()).map(|n| d.placeholder(n)).collect();
            out.sql = format!("{scope_column} IN ({})", marks.join(", "));
            out.binds = codes.iter().cloned().map(Bind::Text).collect();
        }
    }
    if let Some(filter) = &query.filter {
        let w = compile_where(filter, cols, d, out.binds.len() + 1)?;
        out.sql = format!("{} AND {}", out.sql, w.sql);
        out.binds.extend(w.binds);
    }
    Ok(out)
}
