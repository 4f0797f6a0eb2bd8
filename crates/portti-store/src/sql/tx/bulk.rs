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

/// Most rows one insert statement writes: small enough that the next statement is built
/// while the database executes this one, large enough that statements are few.
const ROWS_PER_STATEMENT: usize = 1000;

/// From this many users on, [`SqlTx::insert_whole_users`] builds its statements apart.
const BUILD_APART_FROM: usize = 100;

/// A column of a multi-row insert, and whether it holds a JSON document.
type Column = (&'static str, bool);

/// The tables a user's rows go to, in the order they are written.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Table {
    Users,
    Emails,
    Mobiles,
    Memberships,
    History,
}

const TABLES: [Table; 5] = [Table::Users, Table::Emails, Table::Mobiles, Table::Memberships, Table::History];

impl Table {
    fn name(self) -> &'static str {
        match self {
            Table::Users => "users",
            Table::Emails => "user_emails",
            Table::Mobiles => "user_mobiles",
            Table::Memberships => "memberships",
            Table::History => "strong_id_history",
        }
    }

    fn columns(self) -> &'static [Column] {
        match self {
            Table::Users => &[
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
            ],
            Table::Emails => &[("user_id", false), ("address_lower", false), ("position", false)],
            Table::Mobiles => &[("user_id", false), ("number", false), ("position", false)],
            Table::Memberships => &[("user_id", false), ("group_id", false), ("position", false)],
            Table::History => &[("id", false), ("user_id", false), ("doc", true), ("created_ms", false)],
        }
    }

    /// The rows of one user in this table, as `insert_user`, `put_facets` (a new user's
    /// revision is 1) and `insert_strong_id` write them.
    fn rows(self, whole: &WholeUser) -> Result<Vec<Vec<Bind>>> {
        let user = &whole.user;
        let listed = |i: usize, value: String| vec![text(&user.id), Bind::Text(value), Bind::Int(i as i64)];
        Ok(match self {
            Table::Users => {
                let (created, modified) = rows::meta_ms(&user.meta);
                vec![vec![
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
                ]]
            }
            Table::Emails => {
                user.emails.iter().enumerate().map(|(i, e)| listed(i, e.address.to_lowercase())).collect()
            }
            Table::Mobiles => {
                user.mobiles.iter().enumerate().map(|(i, m)| listed(i, m.number.clone())).collect()
            }
            Table::Memberships => {
                user.member_of.iter().enumerate().map(|(i, g)| listed(i, g.clone())).collect()
            }
            Table::History => {
                whole.history.iter().map(|e| history_binds(&user.id, e)).collect::<Result<_>>()?
            }
        })
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

/// One statement: its SQL and the values it binds.
struct Statement {
    sql: String,
    binds: Vec<Bind>,
}

/// The statements that write a set of users, made one at a time: table by table, each
/// statement at most [`ROWS_PER_STATEMENT`] rows and under [`MAX_BINDS`] values.
struct Plan<'a> {
    users: &'a [WholeUser],
    d: &'static dyn SqlDialect,
    /// The table being written, and the next user whose rows it needs.
    table: usize,
    next_user: usize,
    /// Rows made but not yet written (a user's rows that did not fit the last statement).
    carried: Vec<Vec<Bind>>,
    /// Groups gaining members, raised once at the end.
    groups: Option<Vec<String>>,
    /// Values bound before this plan's next statement (statements made to be run as one).
    bound_before: usize,
}

impl<'a> Plan<'a> {
    fn new(users: &'a [WholeUser], d: &'static dyn SqlDialect) -> Self {
        let mut groups: Vec<String> = users.iter().flat_map(|w| w.user.member_of.iter().cloned()).collect();
        groups.sort_unstable();
        groups.dedup();
        Plan { users, d, table: 0, next_user: 0, carried: Vec::new(), groups: Some(groups), bound_before: 0 }
    }

    /// The next statement, or `None` when everything is written.
    fn next_statement(&mut self) -> Result<Option<Statement>> {
        while let Some(&table) = TABLES.get(self.table) {
            let columns = table.columns();
            let limit = ROWS_PER_STATEMENT.min(MAX_BINDS / columns.len());
            let mut rows = std::mem::take(&mut self.carried);
            while rows.len() < limit && self.next_user < self.users.len() {
                rows.extend(table.rows(&self.users[self.next_user])?);
                self.next_user += 1;
            }
            if rows.len() > limit {
                self.carried = rows.split_off(limit);
            }
            if !rows.is_empty() {
                return Ok(Some(self.insert(table, rows)));
            }
            (self.table, self.next_user) = (self.table + 1, 0);
        }
        Ok(self.groups.take().filter(|g| !g.is_empty()).map(|groups| self.raise_revisions(groups)))
    }

    fn insert(&self, table: Table, rows: Vec<Vec<Bind>>) -> Statement {
        let columns = table.columns();
        let names: Vec<&str> = columns.iter().map(|(c, _)| *c).collect();
        let tuples: Vec<String> = (0..rows.len())
            .map(|r| {
                let cells: Vec<String> = columns
                    .iter()
                    .enumerate()
                    .map(|(c, (_, doc))| {
                        self.d.bulk_param(self.bound_before + r * columns.len() + c + 1, *doc)
                    })
                    .collect();
                format!("({})", cells.join(", "))
            })
            .collect();
        let sql = format!("INSERT INTO {} ({}) VALUES {}", table.name(), names.join(", "), tuples.join(", "));
        Statement { sql, binds: rows.into_iter().flatten().collect() }
    }

    /// Raise the revision of every group gaining members (at most [`MAX_BINDS`] of them
    /// per batch, far more than a namespace's groups).
    fn raise_revisions(&self, mut groups: Vec<String>) -> Statement {
        groups.truncate(MAX_BINDS);
        let sql = format!(
            "UPDATE groups SET revision = revision + 1 WHERE id IN ({})",
            marks(self.d, self.bound_before + 1, groups.len())
        );
        Statement { sql, binds: groups.into_iter().map(Bind::Text).collect() }
    }
}

/// Why inserting users failed, told as the caller needs it.
pub(crate) fn insert_refused(e: Error) -> Error {
    match e {
        Error::Conflict(_) => Error::Conflict("a user id or username is already taken".into()),
        other => other,
    }
}

/// One statement that writes `users` whole, for PostgreSQL (which runs the inserts of a
/// statement's `WITH` clauses as parts of it): run outside a transaction, it is one round
/// trip that commits everything or nothing. `None` when there is nothing to write or the
/// statement would bind too many values.
pub(crate) fn insert_users_at_once(
    users: &[WholeUser],
    d: &'static dyn SqlDialect,
) -> Result<Option<(String, Vec<Bind>)>> {
    let mut plan = Plan::new(users, d);
    let (mut parts, mut binds) = (Vec::new(), Vec::new());
    while let Some(statement) = plan.next_statement()? {
        binds.extend(statement.binds);
        if binds.len() > MAX_BINDS {
            return Ok(None);
        }
        plan.bound_before = binds.len();
        parts.push(statement.sql);
    }
    let Some(last) = parts.pop() else { return Ok(None) };
    let with: Vec<String> = parts.iter().enumerate().map(|(i, sql)| format!("w{i} AS ({sql})")).collect();
    let sql = if with.is_empty() { last } else { format!("WITH {} {last}", with.join(", ")) };
    Ok(Some((sql, binds)))
}

impl<C: Conn> SqlTx<C> {
    /// Insert whole users; see [`crate::Tx::insert_users`]. For many users, the statements
    /// are built on a thread of their own while the database runs the ones before (SQLite
    /// runs them on this thread; making them, JSON documents included, was an eighth of an
    /// import's time).
    pub(super) async fn insert_whole_users(&mut self, users: Vec<WholeUser>) -> Result<()> {
        let d = self.d();
        if users.len() < BUILD_APART_FROM {
            let mut plan = Plan::new(&users, d);
            while let Some(statement) = plan.next_statement()? {
                self.run_insert(&statement).await?;
            }
            return Ok(());
        }
        let (send, mut built) = tokio::sync::mpsc::channel(2);
        let builder = tokio::task::spawn_blocking(move || {
            let mut plan = Plan::new(&users, d);
            while let Some(next) = plan.next_statement().transpose() {
                if send.blocking_send(next).is_err() {
                    break;
                }
            }
        });
        while let Some(statement) = built.recv().await {
            self.run_insert(&statement?).await?;
        }
        builder.await.map_err(|e| Error::Internal(format!("building the insert statements failed: {e}")))
    }

    async fn run_insert(&mut self, statement: &Statement) -> Result<()> {
        self.conn.exec(&statement.sql, &statement.binds).await.map(drop).map_err(insert_refused)
    }

    /// Statistics after bulk inserts; see [`crate::Tx::refresh_statistics`].
    pub(super) async fn refresh_bulk_statistics(&mut self) -> Result<()> {
        if let Some(sql) = self.d().bulk_finish() {
            self.conn.exec(sql, &[]).await?;
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
            // One spelling of placeholders per statement: SQLite's driver numbers anonymous
            // ones by their own count, whatever numbered ones come before.
            let sql = format!(
                "SELECT username_lower FROM users WHERE ns_code = {} AND username_lower IN ({})",
                marks(self.d(), 1, 1),
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

    /// A page of whole users by lowercased username; see [`crate::Tx::whole_users`]. The
    /// unique (namespace, username) index serves it whole, hidden users included.
    pub(super) async fn whole_users_after(
        &mut self,
        ns_code: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<WholeUser>> {
        let mut binds = vec![text(ns_code)];
        let mut cond = "u.ns_code = ?1".to_string();
        if let Some(name) = after {
            cond.push_str(" AND u.username_lower > ?2");
            binds.push(text(name));
        }
        binds.push(Bind::Int(limit.into()));
        let sql = format!(
            "{} WHERE {cond} ORDER BY u.username_lower LIMIT ?{}",
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
    use crate::sql::dialect::{Postgres, Sqlite};

    #[test]
    fn statements_stay_under_the_bind_limit() {
        for table in TABLES {
            assert!(
                ROWS_PER_STATEMENT.min(MAX_BINDS / table.columns().len()) * table.columns().len() <= 32_766
            );
        }
        assert_eq!(marks(&Postgres, 2, 3), "?2, ?3, ?4");
        assert_eq!(marks(&Sqlite, 2, 3), "?, ?, ?");
    }

    fn whole(id: &str, emails: usize, groups: &[&str]) -> WholeUser {
        let mut w = WholeUser::default();
        w.user.id = id.into();
        w.user.username = format!("User-{id}");
        w.user.member_of = groups.iter().map(|g| g.to_string()).collect();
        w.user.emails = (0..emails)
            .map(|i| portti_core::model::EmailAddress { address: format!("A{i}@X.fi"), ..Default::default() })
            .collect();
        w
    }

    #[test]
    fn a_plan_writes_every_row_once_in_table_order() {
        let users: Vec<WholeUser> = (0..2500).map(|i| whole(&format!("u{i}"), 2, &["g2", "g1"])).collect();
        let mut plan = Plan::new(&users, &Postgres);
        let mut statements = Vec::new();
        while let Some(s) = plan.next_statement().unwrap() {
            statements.push(s);
        }
        let count = |prefix: &str| statements.iter().filter(|s| s.sql.starts_with(prefix)).count();
        assert_eq!(count("INSERT INTO users "), 3);
        assert_eq!(count("INSERT INTO user_emails "), 5);
        assert_eq!(count("INSERT INTO memberships "), 5);
        assert_eq!(count("INSERT INTO user_mobiles "), 0);
        let last = statements.last().unwrap();
        assert!(last.sql.starts_with("UPDATE groups") && last.binds == vec![text("g1"), text("g2")]);
        let first = &statements[0];
        assert!(first.sql.contains("(?1, ?2, ?3, ?4, ?5::jsonb, ?6"), "{}", &first.sql[..120]);
        assert_eq!(first.binds.len(), 1000 * 11);
        assert_eq!(first.binds[3], Bind::Text("user-u0".into()));
        assert_eq!(first.binds[10], Bind::Int(1));
        let emails = statements.iter().find(|s| s.sql.starts_with("INSERT INTO user_emails")).unwrap();
        assert_eq!(
            emails.binds[..6],
            [text("u0"), text("a0@x.fi"), Bind::Int(0), text("u0"), text("a1@x.fi"), Bind::Int(1)]
        );
        let rows: usize =
            statements.iter().filter(|s| s.sql.contains("user_emails")).map(|s| s.binds.len() / 3).sum();
        assert_eq!(rows, 5000);
    }

    #[test]
    fn users_at_once_number_their_values_on_across_the_inserts() {
        let users: Vec<WholeUser> = (0..3).map(|i| whole(&format!("u{i}"), 1, &[])).collect();
        let (sql, binds) = insert_users_at_once(&users, &Postgres).unwrap().unwrap();
        assert!(sql.starts_with("WITH w0 AS (INSERT INTO users "), "{sql}");
        assert!(sql
            .contains(") INSERT INTO user_emails (user_id, address_lower, position) VALUES (?34, ?35, ?36)"));
        assert!(sql.ends_with("(?40, ?41, ?42)"), "{sql}");
        assert_eq!(binds.len(), 3 * 11 + 3 * 3);
        assert_eq!(binds[33], text("u0"));
        assert!(insert_users_at_once(&[], &Postgres).unwrap().is_none());
        let many: Vec<WholeUser> = (0..3000).map(|i| whole(&format!("u{i}"), 1, &[])).collect();
        assert!(insert_users_at_once(&many, &Postgres).unwrap().is_none(), "over the bind limit");
    }
}
