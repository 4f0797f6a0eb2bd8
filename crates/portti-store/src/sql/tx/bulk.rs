//! Bulk transfer of whole users (`portti import`, `portti export`): multi-row statements
//! that write exactly the rows `insert_user`, `put_facets` and `insert_strong_id` write.

use super::{history_row, text, user_row, user_select, SqlTx, REVISED_KINDS};
use crate::rows;
use crate::sql::conn::{Conn, Kind};
use crate::sql::{Bind, SqlDialect};
use crate::WholeUser;
use portti_core::model::{StrongIdentification, UserFacets};
use portti_core::{time, Error, Result};
use std::collections::HashMap;

/// Most values bound to one statement: under SQLite's 32,766 and PostgreSQL's 65,535.
const MAX_BINDS: usize = 32_000;

/// A column of a multi-row insert, and whether it holds a JSON document.
type Column = (&'static str, bool);

const USER_COLUMNS: &[Column] = &[
    ("id", false),
    ("ns_code", false),
    ("username", false),
    ("username_lower", false),
    ("doc", true),
    ("password_hash", false),
    ("created_ms", false),
    ("modified_ms", false),
    ("facets", true),
    ("hidden", false),
    ("revision", false),
];
const EMAIL_COLUMNS: &[Column] = &[("user_id", false), ("address_lower", false), ("position", false)];
const MOBILE_COLUMNS: &[Column] = &[("user_id", false), ("number", false), ("position", false)];
const MEMBERSHIP_COLUMNS: &[Column] = &[("user_id", false), ("group_id", false), ("position", false)];
const HISTORY_COLUMNS: &[Column] = &[("id", false), ("user_id", false), ("doc", true), ("created_ms", false)];

/// The rows of a set of users, table by table.
#[derive(Default)]
struct Rows {
    users: Vec<Vec<Bind>>,
    emails: Vec<Vec<Bind>>,
    mobiles: Vec<Vec<Bind>>,
    memberships: Vec<Vec<Bind>>,
    history: Vec<Vec<Bind>>,
    groups: Vec<String>,
}

impl Rows {
    fn of(users: &[WholeUser]) -> Result<Rows> {
        let mut rows = Rows::default();
        for whole in users {
            rows.add(whole)?;
        }
        rows.groups.sort_unstable();
        rows.groups.dedup();
        Ok(rows)
    }

    fn add(&mut self, whole: &WholeUser) -> Result<()> {
        let user = &whole.user;
        let (created, modified) = rows::meta_ms(&user.meta);
        self.users.push(vec![
            text(&user.id),
            text(&user.ns_code),
            text(&user.username),
            Bind::Text(user.username.to_lowercase()),
            Bind::Text(rows::user_doc(user)?),
            whole.password_hash.as_deref().map(text).unwrap_or(Bind::Null),
            Bind::Int(created),
            Bind::Int(modified),
            Bind::Text(facets_doc(&whole.facets)?),
            Bind::Int(whole.hidden.into()),
            Bind::Int(1),
        ]);
        let listed = |i: usize, value: String| vec![text(&user.id), Bind::Text(value), Bind::Int(i as i64)];
        let emails = user.emails.iter().map(|e| e.address.to_lowercase());
        self.emails.extend(emails.enumerate().map(|(i, a)| listed(i, a)));
        self.mobiles.extend(user.mobiles.iter().enumerate().map(|(i, m)| listed(i, m.number.clone())));
        self.memberships.extend(user.member_of.iter().enumerate().map(|(i, g)| listed(i, g.clone())));
        self.groups.extend(user.member_of.iter().cloned());
        for entry in &whole.history {
            self.history.push(history_binds(&user.id, entry)?);
        }
        Ok(())
    }
}

/// The stored form of the facets, as `put_facets` writes it.
fn facets_doc(facets: &UserFacets) -> Result<String> {
    serde_json::to_string(facets).map_err(|e| Error::Internal(e.to_string()))
}

/// A history entry's row, as `insert_strong_id` writes it.
fn history_binds(user_id: &str, entry: &StrongIdentification) -> Result<Vec<Bind>> {
    let id = entry.id.clone().ok_or_else(|| Error::Internal("a history entry needs an id".into()))?;
    let at = entry.time.as_deref().and_then(time::parse_ms).unwrap_or_else(time::now_ms);
    Ok(vec![Bind::Text(id), text(user_id), Bind::Text(rows::doc(entry, &["id"])?), Bind::Int(at)])
}

/// Placeholders for `count` values from the `first`-th, in the backend's bulk spelling.
fn marks(d: &dyn SqlDialect, first: usize, count: usize) -> String {
    (first..first + count).map(|n| d.bulk_param(n, false)).collect::<Vec<_>>().join(", ")
}

impl<C: Conn> SqlTx<C> {
    /// Insert whole users; see [`crate::Tx::insert_users`].
    pub(super) async fn insert_whole_users(&mut self, users: &[WholeUser]) -> Result<()> {
        let rows = Rows::of(users)?;
        self.insert_rows("users", USER_COLUMNS, rows.users).await.map_err(|e| match e {
            Error::Conflict(_) => Error::Conflict("a user id or username is already taken".into()),
            other => other,
        })?;
        self.insert_rows("user_emails", EMAIL_COLUMNS, rows.emails).await?;
        self.insert_rows("user_mobiles", MOBILE_COLUMNS, rows.mobiles).await?;
        self.insert_rows("memberships", MEMBERSHIP_COLUMNS, rows.memberships).await?;
        self.insert_rows("strong_id_history", HISTORY_COLUMNS, rows.history).await?;
        for chunk in rows.groups.chunks(MAX_BINDS) {
            let sql = format!(
                "UPDATE groups SET revision = revision + 1 WHERE id IN ({})",
                marks(self.d(), 1, chunk.len())
            );
            let binds: Vec<Bind> = chunk.iter().map(|g| text(g)).collect();
            self.conn.exec(&sql, &binds).await?;
        }
        Ok(())
    }

    /// Insert rows into `table` with as few statements as the bind limit allows.
    async fn insert_rows(&mut self, table: &str, columns: &[Column], rows: Vec<Vec<Bind>>) -> Result<()> {
        let d = self.d();
        let names: Vec<&str> = columns.iter().map(|(c, _)| *c).collect();
        let per_statement = MAX_BINDS / columns.len();
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<Vec<Bind>> = rows.by_ref().take(per_statement).collect();
            let tuples: Vec<String> = (0..chunk.len())
                .map(|r| {
                    let cells: Vec<String> = columns
                        .iter()
                        .enumerate()
                        .map(|(c, (_, doc))| d.bulk_param(r * columns.len() + c + 1, *doc))
                        .collect();
                    format!("({})", cells.join(", "))
                })
                .collect();
            let sql = format!("INSERT INTO {table} ({}) VALUES {}", names.join(", "), tuples.join(", "));
            let binds: Vec<Bind> = chunk.into_iter().flatten().collect();
            self.conn.exec(&sql, &binds).await?;
        }
        Ok(())
    }

    /// The namespace of each existing user id; see [`crate::Tx::user_namespaces`].
    pub(super) async fn namespaces_of_users(&mut self, ids: &[String]) -> Result<Vec<(String, String)>> {
        let mut found = Vec::new();
        for chunk in ids.chunks(MAX_BINDS) {
            let sql =
                format!("SELECT id, ns_code FROM users WHERE id IN ({})", marks(self.d(), 1, chunk.len()));
            let binds: Vec<Bind> = chunk.iter().map(|i| text(i)).collect();
            for r in self.conn.rows(&sql, &binds, &[Kind::Text, Kind::Text]).await? {
                found.push((r[0].text()?, r[1].text()?));
            }
        }
        Ok(found)
    }

    /// Which lowercased usernames are taken; see [`crate::Tx::taken_usernames`].
    pub(super) async fn usernames_taken(&mut self, ns_code: &str, lowered: &[String]) -> Result<Vec<String>> {
        let mut taken = Vec::new();
        for chunk in lowered.chunks(MAX_BINDS) {
            let sql = format!(
                "SELECT username_lower FROM users WHERE ns_code = ?1 AND username_lower IN ({})",
                marks(self.d(), 2, chunk.len())
            );
            let mut binds = vec![text(ns_code)];
            binds.extend(chunk.iter().map(|u| text(u)));
            for r in self.conn.rows(&sql, &binds, &[Kind::Text]).await? {
                taken.push(r[0].text()?);
            }
        }
        Ok(taken)
    }

    /// A page of whole users in creation order; see [`crate::Tx::whole_users`].
    pub(super) async fn whole_users_after(
        &mut self,
        ns_code: &str,
        after: Option<(i64, String)>,
        limit: u32,
    ) -> Result<Vec<WholeUser>> {
        let mut binds = vec![text(ns_code)];
        let mut cond = "u.ns_code = ?1".to_string();
        if let Some((created, id)) = after {
            cond.push_str(" AND (u.created_ms, u.id) > (?2, ?3)");
            binds.extend([Bind::Int(created), Bind::Text(id)]);
        }
        binds.push(Bind::Int(limit.into()));
        let sql = format!(
            "{} WHERE {cond} ORDER BY u.created_ms, u.id LIMIT ?{}",
            user_select(self.d()),
            binds.len()
        );
        let users = self.conn.rows(&sql, &binds, REVISED_KINDS).await?;
        let users: Vec<_> = users.iter().map(|r| user_row(r)).collect::<Result<_>>()?;
        let ids: Vec<String> = users.iter().map(|u| u.id.clone()).collect();
        let mut beside = self.beside_users(&ids).await?;
        let mut history = self.histories(&ids).await?;
        users
            .into_iter()
            .map(|user| {
                let (facets, password_hash, hidden) = beside
                    .remove(&user.id)
                    .ok_or_else(|| Error::Internal(format!("user {} vanished while read", user.id)))?;
                let history = history.remove(&user.id).unwrap_or_default();
                Ok(WholeUser { user, facets, password_hash, hidden, history })
            })
            .collect()
    }

    /// Facets, password hash and hidden flag of each user.
    async fn beside_users(
        &mut self,
        ids: &[String],
    ) -> Result<HashMap<String, (UserFacets, Option<String>, bool)>> {
        let mut out = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(MAX_BINDS) {
            let sql = format!(
                "SELECT id, {}, password_hash, hidden FROM users WHERE id IN ({})",
                self.d().doc_text("facets"),
                marks(self.d(), 1, chunk.len())
            );
            let binds: Vec<Bind> = chunk.iter().map(|i| text(i)).collect();
            let kinds = [Kind::Text, Kind::Text, Kind::Text, Kind::Int];
            for r in self.conn.rows(&sql, &binds, &kinds).await? {
                let facets = rows::parse_doc(&r[1].text()?)?;
                out.insert(r[0].text()?, (facets, r[2].opt_text(), r[3].int()? != 0));
            }
        }
        Ok(out)
    }

    /// The strong-identification history of each user, oldest first.
    async fn histories(&mut self, ids: &[String]) -> Result<HashMap<String, Vec<StrongIdentification>>> {
        let mut out: HashMap<String, Vec<StrongIdentification>> = HashMap::new();
        for chunk in ids.chunks(MAX_BINDS) {
            let sql = format!(
                "SELECT h.user_id, h.id, {} FROM strong_id_history h WHERE h.user_id IN ({}) \
                 ORDER BY h.user_id, h.created_ms, h.id",
                self.d().doc_text("h.doc"),
                marks(self.d(), 1, chunk.len())
            );
            let binds: Vec<Bind> = chunk.iter().map(|i| text(i)).collect();
            for r in self.conn.rows(&sql, &binds, &[Kind::Text, Kind::Text, Kind::Text]).await? {
                let entry = history_row(&r[1..])?;
                out.entry(r[0].text()?).or_default().push(entry);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_stay_under_the_bind_limit() {
        for cols in [USER_COLUMNS, EMAIL_COLUMNS, HISTORY_COLUMNS] {
            assert!(MAX_BINDS / cols.len() * cols.len() <= 32_766);
        }
        assert_eq!(marks(&crate::sql::dialect::Postgres, 2, 3), "?2, ?3, ?4");
        assert_eq!(marks(&crate::sql::dialect::Sqlite, 2, 3), "?, ?, ?");
    }

    #[test]
    fn rows_follow_the_single_user_layout() {
        let mut whole = WholeUser::default();
        whole.user.id = "u1".into();
        whole.user.username = "Ann".into();
        whole.user.member_of = vec!["g2".into(), "g1".into()];
        whole
            .user
            .emails
            .push(portti_core::model::EmailAddress { address: "A@X.fi".into(), ..Default::default() });
        let rows = Rows::of(&[whole.clone(), WholeUser { user: Default::default(), ..whole }]).unwrap();
        assert_eq!(rows.users[0].len(), USER_COLUMNS.len());
        assert_eq!(rows.users[0][3], Bind::Text("ann".into()));
        assert_eq!(rows.users[0][10], Bind::Int(1));
        assert_eq!(rows.emails[0], vec![text("u1"), text("a@x.fi"), Bind::Int(0)]);
        assert_eq!(rows.memberships[1], vec![text("u1"), text("g1"), Bind::Int(1)]);
        assert_eq!(rows.groups, vec!["g1".to_string(), "g2".to_string()]);
    }
}
