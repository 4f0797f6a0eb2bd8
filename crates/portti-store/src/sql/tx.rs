//! The directory's reads and writes, written once for every SQL backend.

mod bulk;
pub(crate) use bulk::{insert_refused, insert_users_at_once};
mod templates;
mod verification;

use super::conn::{Cell, Conn, Kind};
use super::{compile_order, query_where, Bind, Columns, NameIndex, Source, SqlDialect};
use crate::rows::{self, GroupRow, UserRow};
use crate::{Claim, DeliveryOutcome, OutboxFilter, Query, Revised, Scope, Tx};
use async_trait::async_trait;
use portti_core::attr::Resource;
use portti_core::filter::{CompareOp, Filter, Value};
use portti_core::model::{
    ApiToken, Channel, CustomRole, EmailTemplate, Group, Invite, ManagementClient, Namespace, OidcClient,
    OutboxMessage, RefreshGrant, StrongIdentification, User, UserFacets, Verification, VerificationKind,
};
use portti_core::page::Page;
use portti_core::{Error, Result};

const USERS: Columns = Columns {
    resource: Resource::User,
    doc: "u.doc",
    sources: &[
        ("id", Source::Column("u.id")),
        ("username", Source::Column("u.username_lower")),
        ("nsCode", Source::Column("u.ns_code")),
        ("meta.created", Source::Column("u.created_ms")),
        ("meta.lastModified", Source::Column("u.modified_ms")),
        ("externalId", Source::Json("u.facets")),
        ("displayName", Source::Json("u.facets")),
        ("userType", Source::Json("u.facets")),
        ("enterpriseUser.employeeNumber", Source::Json("u.facets")),
        ("enterpriseUser.costCenter", Source::Json("u.facets")),
        ("enterpriseUser.organization", Source::Json("u.facets")),
        ("enterpriseUser.division", Source::Json("u.facets")),
        ("enterpriseUser.department", Source::Json("u.facets")),
        ("enterpriseUser.manager", Source::Json("u.facets")),
        (
            "memberOf",
            Source::Related { table: "memberships m", owner: "m.user_id", key: "u.id", value: "m.group_id" },
        ),
        (
            "emails",
            Source::Related {
                table: "user_emails ue",
                owner: "ue.user_id",
                key: "u.id",
                value: "ue.address_lower",
            },
        ),
        (
            "emails.address",
            Source::Related {
                table: "user_emails ue",
                owner: "ue.user_id",
                key: "u.id",
                value: "ue.address_lower",
            },
        ),
        (
            "mobiles",
            Source::Related {
                table: "user_mobiles um",
                owner: "um.user_id",
                key: "u.id",
                value: "um.number",
            },
        ),
        (
            "mobiles.number",
            Source::Related {
                table: "user_mobiles um",
                owner: "um.user_id",
                key: "u.id",
                value: "um.number",
            },
        ),
    ],
    order: "u.created_ms, u.id",
    custom_doc: Some("u.facets"),
    always: "u.hidden = 0",
};

const GROUPS: Columns = Columns {
    resource: Resource::Group,
    doc: "g.doc",
    sources: &[
        ("id", Source::Column("g.id")),
        ("name", Source::Column("g.name")),
        ("nsCode", Source::Column("g.ns_code")),
        ("meta.created", Source::Column("g.created_ms")),
        ("meta.lastModified", Source::Column("g.modified_ms")),
        (
            "memberOf",
            Source::Related {
                table: "group_parents gp",
                owner: "gp.group_id",
                key: "g.id",
                value: "gp.parent_id",
            },
        ),
        (
            "members",
            Source::Related {
                table: "(SELECT m.user_id AS member, m.group_id AS owner FROM memberships m \
                        UNION ALL SELECT gp.group_id, gp.parent_id FROM group_parents gp) gm",
                owner: "gm.owner",
                key: "g.id",
                value: "gm.member",
            },
        ),
    ],
    order: "g.created_ms, g.id",
    custom_doc: None,
    always: "1 = 1",
};

const NAMESPACES: Columns = Columns {
    resource: Resource::Namespace,
    doc: "n.doc",
    sources: &[
        ("id", Source::Column("n.id")),
        ("code", Source::Column("n.code")),
        ("meta.created", Source::Column("n.created_ms")),
        ("meta.lastModified", Source::Column("n.modified_ms")),
    ],
    order: "n.created_ms, n.id",
    custom_doc: None,
    always: "1 = 1",
};

const ROLES: Columns = Columns {
    resource: Resource::CustomRole,
    doc: "r.doc",
    sources: &[
        ("id", Source::Column("r.id")),
        ("name", Source::Column("r.name")),
        ("nsCode", Source::Column("r.ns_code")),
        ("meta.created", Source::Column("r.created_ms")),
        ("meta.lastModified", Source::Column("r.modified_ms")),
        (
            "memberOf",
            Source::Related {
                table: "role_groups rg",
                owner: "rg.role_id",
                key: "r.id",
                value: "rg.group_id",
            },
        ),
    ],
    order: "r.created_ms, r.id",
    custom_doc: None,
    always: "1 = 1",
};

const HISTORY: Columns = Columns {
    resource: Resource::StrongIdentification,
    doc: "h.doc",
    sources: &[("id", Source::Column("h.id")), ("time", Source::Column("h.created_ms"))],
    order: "h.created_ms, h.id",
    custom_doc: None,
    always: "1 = 1",
};

fn role_select(d: &dyn SqlDialect) -> String {
    format!(
        "SELECT r.id, r.name, r.ns_code, {}, r.created_ms, r.modified_ms, {} FROM custom_roles r",
        d.doc_text("r.doc"),
        d.id_array("rg.group_id", "role_groups rg WHERE rg.role_id = r.id", "rg.position")
    )
}

fn role_row(r: &[Cell]) -> Result<CustomRole> {
    let mut role: CustomRole = rows::parse_doc(&r[3].text()?)?;
    role.id = r[0].text()?;
    role.name = r[1].text()?;
    role.ns_code = r[2].text()?;
    role.meta = portti_core::model::Meta::from_ms(r[4].int()?, r[5].int()?);
    role.member_of = rows::id_list(r[6].opt_text().as_deref())?;
    Ok(role)
}

fn history_row(r: &[Cell]) -> Result<StrongIdentification> {
    let mut entry: StrongIdentification = rows::parse_doc(&r[1].text()?)?;
    entry.id = Some(r[0].text()?);
    Ok(entry)
}

/// Columns of a custom role row, in select order.
const ROW_KINDS: &[Kind] =
    &[Kind::Text, Kind::Text, Kind::Text, Kind::Text, Kind::Int, Kind::Int, Kind::Text];
/// Columns of a user or group row: a role's, then the revision.
pub(super) const REVISED_KINDS: &[Kind] =
    &[Kind::Text, Kind::Text, Kind::Text, Kind::Text, Kind::Int, Kind::Int, Kind::Text, Kind::Int];
const NAMESPACE_KINDS: &[Kind] = &[Kind::Text, Kind::Text, Kind::Text, Kind::Int, Kind::Int];

fn user_select(d: &dyn SqlDialect) -> String {
    format!(
        "SELECT u.id, u.username, u.ns_code, {}, u.created_ms, u.modified_ms, {}, u.revision FROM users u",
        d.doc_text("u.doc"),
        d.id_array("m.group_id", "memberships m WHERE m.user_id = u.id", "m.position")
    )
}

fn group_select(d: &dyn SqlDialect) -> String {
    format!(
        "SELECT g.id, g.name, g.ns_code, {}, g.created_ms, g.modified_ms, {}, g.revision FROM groups g",
        d.doc_text("g.doc"),
        d.id_array("gp.parent_id", "group_parents gp WHERE gp.group_id = g.id", "gp.position")
    )
}

fn namespace_select(d: &dyn SqlDialect) -> String {
    format!("SELECT n.id, n.code, {}, n.created_ms, n.modified_ms FROM namespaces n", d.doc_text("n.doc"))
}

/// A transaction on any SQL backend.
pub struct SqlTx<C: Conn> {
    conn: Box<C>,
}

impl<C: Conn> SqlTx<C> {
    /// Wrap a backend transaction.
    pub fn new(conn: C) -> Self {
        SqlTx { conn: Box::new(conn) }
    }

    fn d(&self) -> &'static dyn SqlDialect {
        self.conn.dialect()
    }

    async fn count(&mut self, sql: &str, binds: &[Bind]) -> Result<u64> {
        first_count(self.conn.rows(sql, binds, &[Kind::Int]).await?)
    }

    /// Count the matches and fetch one page of them.
    async fn page(
        &mut self,
        select: &str,
        table: &str,
        cols: &Columns,
        scope: &str,
        q: &Query,
        kinds: &[Kind],
    ) -> Result<(u64, Vec<Vec<Cell>>)> {
        let list = List { select, table, cols, scope, q, d: self.d() };
        let total = match list.total()? {
            Total::Count(count, binds) => first_count(self.conn.scan(&count, &binds, &[Kind::Int]).await?)?,
            Total::Visible(scope) => self.visible_users(&scope).await?,
        };
        if q.page.count == 0 || q.page.start >= total {
            return Ok((total, Vec::new()));
        }
        let (sql, binds) = list.page(total)?;
        Ok((total, self.conn.scan(&sql, &binds, kinds).await?))
    }

    /// The visible users of the namespaces in scope, from the counts the triggers of
    /// `user_counts` keep (an unfiltered list's exact total without counting the users).
    async fn visible_users(&mut self, scope: &Scope) -> Result<u64> {
        let sum = "SELECT CAST(coalesce(sum(visible), 0) AS BIGINT) FROM user_counts";
        match scope {
            Scope::All => self.count(sum, &[]).await,
            Scope::Namespaces(codes) if codes.is_empty() => Ok(0),
            Scope::Namespaces(codes) => {
                let (marks, binds) = super::in_list(codes, self.d());
                self.count(&format!("{sum} WHERE ns_code IN ({marks})"), &binds).await
            }
        }
    }

    async fn replace_list(
        &mut self,
        table: &str,
        owner: &str,
        id: &str,
        column: &str,
        values: impl Iterator<Item = String>,
    ) -> Result<()> {
        self.conn.exec(&format!("DELETE FROM {table} WHERE {owner} = ?1"), &[text(id)]).await?;
        let sql = format!("INSERT INTO {table} ({owner}, {column}, position) VALUES (?1, ?2, ?3)");
        for (i, v) in values.enumerate() {
            self.conn.exec(&sql, &[text(id), Bind::Text(v), Bind::Int(i as i64)]).await?;
        }
        Ok(())
    }

    async fn write_user_side_tables(&mut self, user: &User) -> Result<()> {
        let id = &user.id;
        self.replace_list(
            "user_emails",
            "user_id",
            id,
            "address_lower",
            user.emails.iter().map(|e| e.address.to_lowercase()),
        )
        .await?;
        self.replace_list(
            "user_mobiles",
            "user_id",
            id,
            "number",
            user.mobiles.iter().map(|m| m.number.clone()),
        )
        .await?;
        self.replace_memberships("memberships", "user_id", id, "group_id", &user.member_of).await
    }

    /// Replace the groups `id` is a member of (`table` holds `owner` → `column` rows), raising
    /// the revision of each group that gains or loses it.
    async fn replace_memberships(
        &mut self,
        table: &str,
        owner: &str,
        id: &str,
        column: &str,
        groups: &[String],
    ) -> Result<()> {
        let sql = format!("SELECT {column} FROM {table} WHERE {owner} = ?1");
        let rows = self.conn.rows(&sql, &[text(id)], &[Kind::Text]).await?;
        let old: Vec<String> = rows.iter().map(|r| r[0].text()).collect::<Result<_>>()?;
        let changed =
            old.iter().filter(|g| !groups.contains(g)).chain(groups.iter().filter(|g| !old.contains(g)));
        for group in changed {
            self.bump_group(group).await?;
        }
        self.replace_list(table, owner, id, column, groups.iter().cloned()).await
    }

    async fn bump_group(&mut self, id: &str) -> Result<()> {
        self.conn.exec("UPDATE groups SET revision = revision + 1 WHERE id = ?1", &[text(id)]).await?;
        Ok(())
    }

    async fn one<T>(
        &mut self,
        sql: &str,
        binds: &[Bind],
        kinds: &[Kind],
        f: fn(&[Cell]) -> Result<T>,
    ) -> Result<Option<T>> {
        let rows = self.conn.rows(sql, binds, kinds).await?;
        rows.first().map(|r| f(r)).transpose()
    }
}

/// The statements of a list query.
pub(crate) struct List<'a> {
    pub select: &'a str,
    /// The table, with its alias.
    pub table: &'a str,
    pub cols: &'a Columns,
    /// The column the namespace scope applies to.
    pub scope: &'a str,
    pub q: &'a Query,
    pub d: &'static dyn SqlDialect,
}

/// Where a list's total comes from.
pub(crate) enum Total {
    /// This statement counts the matches, binding these values.
    Count(String, Vec<Bind>),
    /// The visible users of these namespaces, from `user_counts` (see [`counted_scope`]).
    Visible(Scope),
}

/// From this many matches on, a page in creation order walks that order's index and
/// checks each user against the name index's candidates, stopping when the page is full
/// (with many matches, after few steps); with fewer, it reads the candidates and sorts
/// them. (At a million users, 2,000 matches take either way about as long.)
pub(crate) const WALK_FROM: u64 = 2_000;

impl List<'_> {
    /// How to learn the total.
    pub fn total(&self) -> Result<Total> {
        if let Some(scope) = counted_scope(self.cols, self.q) {
            return Ok(Total::Visible(scope));
        }
        let w = query_where(self.q, self.cols, self.scope, self.d, NameIndex::Drives)?;
        Ok(Total::Count(format!("SELECT count(*) FROM {} WHERE {}", self.table, w.sql), w.binds))
    }

    /// The page of a list of `total` matches, and what it binds.
    pub fn page(&self, total: u64) -> Result<(String, Vec<Bind>)> {
        let walk = self.q.page.sort.is_none() && total >= WALK_FROM;
        let name_index = if walk { NameIndex::Checks } else { NameIndex::Drives };
        let w = query_where(self.q, self.cols, self.scope, self.d, name_index)?;
        let mut binds = w.binds;
        let order = compile_order(self.q.page.sort.as_ref(), self.cols, self.d)?;
        let n = binds.len();
        binds.push(Bind::Int(self.q.page.count as i64));
        binds.push(Bind::Int(self.q.page.start.min(i64::MAX as u64) as i64));
        let (select, limit) = (self.select, format!("{order} LIMIT ?{} OFFSET ?{}", n + 1, n + 2));
        let sql = if self.q.page.start > 0 && self.d.pages_by_key() {
            let id = self.cols.id();
            format!(
                "{select} WHERE {id} IN (SELECT {id} FROM {} WHERE {} {limit}) {order}",
                self.table, w.sql
            )
        } else {
            format!("{select} WHERE {} {limit}", w.sql)
        };
        Ok((sql, binds))
    }
}

/// A statement and the values it binds.
#[cfg(test)]
pub(crate) type Bound = (String, Vec<Bind>);

/// The count (`None` where the total is kept apart) and the page statement of a list of
/// users with `total` matches.
#[cfg(test)]
pub(crate) fn user_list_sql(
    q: &Query,
    d: &'static dyn SqlDialect,
    total: u64,
) -> Result<(Option<Bound>, Bound)> {
    let select = user_select(d);
    let list = List { select: &select, table: "users u", cols: &USERS, scope: "u.ns_code", q, d };
    let count = match list.total()? {
        Total::Count(sql, binds) => Some((sql, binds)),
        Total::Visible(_) => None,
    };
    Ok((count, list.page(total)?))
}

/// A first page of 100 users of the namespace `bench` matching `filter`.
#[cfg(test)]
pub(crate) fn bench_query(filter: Option<&str>) -> Query {
    Query {
        filter: filter.map(|f| portti_core::filter::parse(f).unwrap()),
        scope: Scope::Namespaces(vec!["bench".into()]),
        page: portti_core::page::PageRequest::new(0, Some(100), None),
        text_case: Default::default(),
    }
}

/// When a user query asks for all visible users of some namespaces and nothing else (no
/// filter, or only `nsCode eq "…"`), those namespaces: its total is then a sum of counts.
fn counted_scope(cols: &Columns, q: &Query) -> Option<Scope> {
    if cols.resource != Resource::User {
        return None;
    }
    match &q.filter {
        None => Some(q.scope.clone()),
        Some(Filter::Compare { path, op: CompareOp::Eq, value: Value::Str(code) })
            if path.0.len() == 1 && path.0[0].eq_ignore_ascii_case("nsCode") =>
        {
            let codes = match &q.scope {
                Scope::All => vec![code.clone()],
                Scope::Namespaces(codes) => codes.iter().filter(|c| *c == code).cloned().collect(),
            };
            Some(Scope::Namespaces(codes))
        }
        _ => None,
    }
}

/// The count a `SELECT count(*)` answered.
fn first_count(rows: Vec<Vec<Cell>>) -> Result<u64> {
    Ok(rows.first().map(|r| r[0].int()).transpose()?.unwrap_or(0) as u64)
}

fn text(s: &str) -> Bind {
    Bind::Text(s.to_string())
}

fn user_row(r: &[Cell]) -> Result<User> {
    UserRow {
        id: r[0].text()?,
        username: r[1].text()?,
        ns_code: r[2].text()?,
        doc: r[3].text()?,
        created_ms: r[4].int()?,
        modified_ms: r[5].int()?,
        member_of: r[6].opt_text(),
        revision: r[7].int()?,
    }
    .into_user()
}

fn group_row(r: &[Cell]) -> Result<Group> {
    GroupRow {
        id: r[0].text()?,
        name: r[1].text()?,
        ns_code: r[2].text()?,
        doc: r[3].text()?,
        created_ms: r[4].int()?,
        modified_ms: r[5].int()?,
        member_of: r[6].opt_text(),
        revision: r[7].int()?,
    }
    .into_group()
}

fn namespace_row(r: &[Cell]) -> Result<Namespace> {
    rows::namespace_from(r[0].text()?, r[1].text()?, &r[2].text()?, r[3].int()?, r[4].int()?)
}

fn client_row(r: &[Cell]) -> Result<(ManagementClient, String)> {
    Ok((rows::client_from(&r[0].text()?)?, r[1].text()?))
}

/// Looking up many keys of one kind in one statement: `sql` takes the keys as a text array
/// (`?1`), and `pick` finds one key's answer among the rows (of `kinds`).
pub(crate) struct KeyLookup<V> {
    pub sql: String,
    pub kinds: &'static [Kind],
    pub pick: fn(&[Vec<Cell>], &str) -> Result<V>,
}

/// Management clients and their secret hashes by id, as [`Tx::client`] finds one.
pub(crate) fn clients_by_id(d: &dyn SqlDialect) -> KeyLookup<Option<(ManagementClient, String)>> {
    KeyLookup {
        sql: format!("SELECT id, {}, secret_hash FROM clients WHERE id = ANY(?1)", d.doc_text("doc")),
        kinds: &[Kind::Text, Kind::Text, Kind::Text],
        pick: |rows, id| match rows.iter().find(|r| matches!(&r[0], Cell::Text(Some(k)) if k == id)) {
            Some(r) => client_row(&r[1..]).map(Some),
            None => Ok(None),
        },
    }
}

/// Users (not hidden) by id, as [`Tx::user`] finds one.
pub(crate) fn users_by_id(d: &dyn SqlDialect) -> KeyLookup<Option<User>> {
    KeyLookup {
        sql: format!("{} WHERE u.id = ANY(?1) AND u.hidden = 0", user_select(d)),
        kinds: REVISED_KINDS,
        pick: |rows, id| match rows.iter().find(|r| matches!(&r[0], Cell::Text(Some(k)) if k == id)) {
            Some(r) => user_row(r).map(Some),
            None => Ok(None),
        },
    }
}

/// Namespaces by id or, failing that, by code, as [`Tx::namespace`] finds one.
pub(crate) fn namespaces_by_id_or_code(d: &dyn SqlDialect) -> KeyLookup<Option<Namespace>> {
    KeyLookup {
        sql: format!("{} WHERE n.id = ANY(?1) OR n.code = ANY(?1)", namespace_select(d)),
        kinds: NAMESPACE_KINDS,
        pick: |rows, key| {
            let found = rows.iter().map(|r| namespace_row(r)).collect::<Result<Vec<_>>>()?;
            Ok(id_before_code(found.into_iter().filter(|ns| ns.id == key || ns.code == key), key))
        },
    }
}

/// Of the namespaces found by `key` as an id or a code, the one whose id it is, else the one
/// whose code it is.
fn id_before_code(found: impl Iterator<Item = Namespace>, key: &str) -> Option<Namespace> {
    found.max_by_key(|ns| ns.id == key)
}

fn conflict(e: Error, msg: impl FnOnce() -> String) -> Error {
    match e {
        Error::Conflict(_) => Error::Conflict(msg()),
        other => other,
    }
}

fn page<T>(q: &Query, total: u64, rows: Vec<Vec<Cell>>, f: fn(&[Cell]) -> Result<T>) -> Result<Page<T>> {
    Ok(Page {
        items: rows.iter().map(|r| f(r)).collect::<Result<_>>()?,
        total,
        start: q.page.start,
        count: q.page.count,
    })
}

#[async_trait]
impl<C: Conn> Tx for SqlTx<C> {
    async fn commit(self: Box<Self>) -> Result<()> {
        self.conn.commit().await
    }

    async fn setting(&mut self, key: &str) -> Result<Option<String>> {
        self.one("SELECT value FROM settings WHERE key = ?1", &[text(key)], &[Kind::Text], |r| r[0].text())
            .await
    }

    async fn put_setting(&mut self, key: &str, value: &str) -> Result<()> {
        let sql = "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
        self.conn.exec(sql, &[text(key), text(value)]).await?;
        Ok(())
    }

    async fn setting_or_insert(&mut self, key: &str, value: &str) -> Result<String> {
        let sql = "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING";
        self.conn.exec(sql, &[text(key), text(value)]).await?;
        self.setting(key).await?.ok_or_else(|| Error::Internal(format!("setting {key} vanished")))
    }

    async fn insert_namespace(&mut self, ns: &Namespace) -> Result<()> {
        let (created, modified) = rows::meta_ms(&ns.meta);
        let sql = format!(
            "INSERT INTO namespaces (id, code, doc, created_ms, modified_ms) VALUES (?1, ?2, {}, ?4, ?5)",
            self.d().doc_param(3)
        );
        let binds = [
            text(&ns.id),
            text(&ns.code),
            Bind::Text(rows::namespace_doc(ns)?),
            Bind::Int(created),
            Bind::Int(modified),
        ];
        self.conn
            .exec(&sql, &binds)
            .await
            .map_err(|e| conflict(e, || format!("namespace code {} is already taken", ns.code)))?;
        Ok(())
    }

    async fn update_namespace(&mut self, ns: &Namespace) -> Result<()> {
        let (_, modified) = rows::meta_ms(&ns.meta);
        let sql =
            format!("UPDATE namespaces SET doc = {}, modified_ms = ?3 WHERE id = ?1", self.d().doc_param(2));
        self.conn
            .exec(&sql, &[text(&ns.id), Bind::Text(rows::namespace_doc(ns)?), Bind::Int(modified)])
            .await?;
        Ok(())
    }

    async fn delete_namespace(&mut self, id: &str) -> Result<()> {
        self.conn
            .exec("DELETE FROM namespaces WHERE id = ?1", &[text(id)])
            .await
            .map_err(|e| conflict(e, || "the namespace still has users or groups".into()))?;
        Ok(())
    }

    async fn namespace(&mut self, id_or_code: &str) -> Result<Option<Namespace>> {
        // By id, else by code, in one statement of two unique lookups. (`id = ?1 OR code =
        // ?1` has a plan that depends on the value bound, and SQLite, which keeps value
        // statistics, then compiles the statement anew at every use.)
        let select = namespace_select(self.d());
        let sql = format!("{select} WHERE n.id = ?1 UNION ALL {select} WHERE n.code = ?1 AND n.id <> ?1");
        let rows = self.conn.rows(&sql, &[text(id_or_code)], NAMESPACE_KINDS).await?;
        let found = rows.iter().map(|r| namespace_row(r)).collect::<Result<Vec<_>>>()?;
        Ok(id_before_code(found.into_iter(), id_or_code))
    }

    async fn find_namespaces(&mut self, q: &Query) -> Result<Page<Namespace>> {
        let select = namespace_select(self.d());
        let (total, rows) =
            self.page(&select, "namespaces n", &NAMESPACES, "n.code", q, NAMESPACE_KINDS).await?;
        page(q, total, rows, namespace_row)
    }

    async fn namespace_usage(&mut self, code: &str) -> Result<(u64, u64)> {
        let users = self.count("SELECT count(*) FROM users WHERE ns_code = ?1", &[text(code)]).await?;
        let groups = self.count("SELECT count(*) FROM groups WHERE ns_code = ?1", &[text(code)]).await?;
        Ok((users, groups))
    }

    async fn insert_group(&mut self, group: &Group) -> Result<()> {
        let (created, modified) = rows::meta_ms(&group.meta);
        let sql = format!(
            "INSERT INTO groups (id, ns_code, name, doc, created_ms, modified_ms) VALUES (?1, ?2, ?3, {}, ?5, ?6)",
            self.d().doc_param(4)
        );
        let binds = [
            text(&group.id),
            text(&group.ns_code),
            text(&group.name),
            Bind::Text(rows::group_doc(group)?),
            Bind::Int(created),
            Bind::Int(modified),
        ];
        self.conn.exec(&sql, &binds).await.map_err(|e| group_conflict(e, group))?;
        self.replace_memberships("group_parents", "group_id", &group.id, "parent_id", &group.member_of).await
    }

    async fn ensure_group(&mut self, group: &Group) -> Result<Group> {
        let (created, modified) = rows::meta_ms(&group.meta);
        let sql = format!(
            "INSERT INTO groups (id, ns_code, name, doc, created_ms, modified_ms) VALUES (?1, ?2, ?3, {}, ?5, ?6) \
             ON CONFLICT (ns_code, name) DO NOTHING",
            self.d().doc_param(4)
        );
        let binds = [
            text(&group.id),
            text(&group.ns_code),
            text(&group.name),
            Bind::Text(rows::group_doc(group)?),
            Bind::Int(created),
            Bind::Int(modified),
        ];
        self.conn.exec(&sql, &binds).await?;
        self.group_by_name(&group.ns_code, &group.name)
            .await?
            .ok_or_else(|| Error::Internal(format!("group {} vanished while being created", group.name)))
    }

    async fn update_group(&mut self, group: &Group) -> Result<()> {
        let (_, modified) = rows::meta_ms(&group.meta);
        let sql = format!(
            "UPDATE groups SET name = ?2, doc = {}, modified_ms = ?4, revision = revision + 1 WHERE id = ?1",
            self.d().doc_param(3)
        );
        let binds =
            [text(&group.id), text(&group.name), Bind::Text(rows::group_doc(group)?), Bind::Int(modified)];
        self.conn.exec(&sql, &binds).await.map_err(|e| group_conflict(e, group))?;
        self.replace_memberships("group_parents", "group_id", &group.id, "parent_id", &group.member_of).await
    }

    async fn delete_groups_of(&mut self, ns_code: &str) -> Result<()> {
        self.conn.exec("DELETE FROM groups WHERE ns_code = ?1", &[text(ns_code)]).await?;
        Ok(())
    }

    async fn delete_group(&mut self, id: &str) -> Result<()> {
        let parents = "UPDATE groups SET revision = revision + 1 \
                       WHERE id IN (SELECT parent_id FROM group_parents WHERE group_id = ?1)";
        self.conn.exec(parents, &[text(id)]).await?;
        self.conn.exec("DELETE FROM groups WHERE id = ?1", &[text(id)]).await?;
        Ok(())
    }

    async fn group(&mut self, id: &str) -> Result<Option<Group>> {
        let sql = format!("{} WHERE g.id = ?1", group_select(self.d()));
        self.one(&sql, &[text(id)], REVISED_KINDS, group_row).await
    }

    async fn group_by_name(&mut self, ns_code: &str, name: &str) -> Result<Option<Group>> {
        let sql = format!("{} WHERE g.ns_code = ?1 AND g.name = ?2", group_select(self.d()));
        self.one(&sql, &[text(ns_code), text(name)], REVISED_KINDS, group_row).await
    }

    async fn find_groups(&mut self, q: &Query) -> Result<Page<Group>> {
        let select = group_select(self.d());
        let (total, rows) = self.page(&select, "groups g", &GROUPS, "g.ns_code", q, REVISED_KINDS).await?;
        page(q, total, rows, group_row)
    }

    async fn group_descendants(&mut self, id: &str) -> Result<Vec<Group>> {
        let sql = format!(
            "WITH RECURSIVE sub(id) AS (\
                SELECT group_id FROM group_parents WHERE parent_id = ?1 \
                UNION SELECT gp.group_id FROM group_parents gp JOIN sub ON gp.parent_id = sub.id) \
             {} WHERE g.id IN (SELECT id FROM sub) AND g.id <> ?1 ORDER BY g.created_ms, g.id",
            group_select(self.d())
        );
        let rows = self.conn.rows(&sql, &[text(id)], REVISED_KINDS).await?;
        rows.iter().map(|r| group_row(r)).collect()
    }

    async fn lock_revision(&mut self, kind: Revised, id: &str, expected: Option<i64>) -> Result<bool> {
        let table = match kind {
            Revised::User => "users SET revision = revision WHERE id = ?1 AND hidden = 0",
            Revised::Group => "groups SET revision = revision WHERE id = ?1",
        };
        let (check, binds) = match expected {
            Some(r) => (" AND revision = ?2", vec![text(id), Bind::Int(r)]),
            None => ("", vec![text(id)]),
        };
        Ok(self.conn.exec(&format!("UPDATE {table}{check}"), &binds).await? == 1)
    }

    async fn insert_user(&mut self, user: &User, password_hash: Option<&str>) -> Result<()> {
        let (created, modified) = rows::meta_ms(&user.meta);
        let sql = format!(
            "INSERT INTO users (id, ns_code, username, username_lower, doc, password_hash, created_ms, modified_ms) \
             VALUES (?1, ?2, ?3, ?4, {}, ?6, ?7, ?8)",
            self.d().doc_param(5)
        );
        let binds = [
            text(&user.id),
            text(&user.ns_code),
            text(&user.username),
            Bind::Text(user.username.to_lowercase()),
            Bind::Text(rows::user_doc(user)?),
            password_hash.map(text).unwrap_or(Bind::Null),
            Bind::Int(created),
            Bind::Int(modified),
        ];
        self.conn.exec(&sql, &binds).await.map_err(|e| user_conflict(e, user))?;
        self.write_user_side_tables(user).await
    }

    async fn update_user(&mut self, user: &User) -> Result<()> {
        let (_, modified) = rows::meta_ms(&user.meta);
        let sql = format!(
            "UPDATE users SET ns_code = ?2, username = ?3, username_lower = ?4, doc = {}, modified_ms = ?6, \
             revision = revision + 1 WHERE id = ?1",
            self.d().doc_param(5)
        );
        let binds = [
            text(&user.id),
            text(&user.ns_code),
            text(&user.username),
            Bind::Text(user.username.to_lowercase()),
            Bind::Text(rows::user_doc(user)?),
            Bind::Int(modified),
        ];
        self.conn.exec(&sql, &binds).await.map_err(|e| user_conflict(e, user))?;
        self.write_user_side_tables(user).await
    }

    async fn delete_user(&mut self, id: &str) -> Result<()> {
        let groups = "UPDATE groups SET revision = revision + 1 \
                      WHERE id IN (SELECT group_id FROM memberships WHERE user_id = ?1)";
        self.conn.exec(groups, &[text(id)]).await?;
        self.conn.exec("DELETE FROM users WHERE id = ?1", &[text(id)]).await?;
        Ok(())
    }

    async fn user(&mut self, id: &str) -> Result<Option<User>> {
        let sql = format!("{} WHERE u.id = ?1 AND u.hidden = 0", user_select(self.d()));
        self.one(&sql, &[text(id)], REVISED_KINDS, user_row).await
    }

    async fn find_users(&mut self, q: &Query) -> Result<Page<User>> {
        let select = user_select(self.d());
        let (total, rows) = self.page(&select, "users u", &USERS, "u.ns_code", q, REVISED_KINDS).await?;
        page(q, total, rows, user_row)
    }

    async fn username_taken(&mut self, ns_code: &str, username: &str) -> Result<bool> {
        let sql = "SELECT count(*) FROM users WHERE ns_code = ?1 AND username_lower = ?2";
        Ok(self.count(sql, &[text(ns_code), Bind::Text(username.to_lowercase())]).await? > 0)
    }

    async fn facets(&mut self, user_id: &str) -> Result<UserFacets> {
        let sql = format!("SELECT {} FROM users WHERE id = ?1", self.d().doc_text("facets"));
        let found = self.one(&sql, &[text(user_id)], &[Kind::Text], |r| r[0].text()).await?;
        match found {
            Some(doc) => rows::parse_doc(&doc),
            None => Err(Error::not_found("user", user_id)),
        }
    }

    async fn put_facets(&mut self, user_id: &str, facets: &UserFacets) -> Result<()> {
        let doc = serde_json::to_string(facets).map_err(|e| Error::Internal(e.to_string()))?;
        let sql = format!(
            "UPDATE users SET facets = {}, revision = revision + 1 WHERE id = ?1",
            self.d().doc_param(2)
        );
        self.conn.exec(&sql, &[text(user_id), Bind::Text(doc)]).await?;
        Ok(())
    }

    async fn password_hash(&mut self, user_id: &str) -> Result<Option<String>> {
        let sql = "SELECT password_hash FROM users WHERE id = ?1";
        Ok(self.one(sql, &[text(user_id)], &[Kind::Text], |r| Ok(r[0].opt_text())).await?.flatten())
    }

    async fn set_password_hash(&mut self, user_id: &str, hash: Option<&str>) -> Result<()> {
        let binds = [text(user_id), hash.map(text).unwrap_or(Bind::Null)];
        self.conn.exec("UPDATE users SET password_hash = ?2 WHERE id = ?1", &binds).await?;
        Ok(())
    }

    async fn hide_user(&mut self, id: &str) -> Result<()> {
        self.conn.exec("UPDATE users SET hidden = 1 WHERE id = ?1", &[text(id)]).await?;
        Ok(())
    }

    async fn move_history(&mut self, from: &str, to: &str) -> Result<()> {
        self.conn
            .exec("UPDATE strong_id_history SET user_id = ?2 WHERE user_id = ?1", &[text(from), text(to)])
            .await?;
        Ok(())
    }

    async fn insert_role(&mut self, role: &CustomRole) -> Result<()> {
        let (created, modified) = rows::meta_ms(&role.meta);
        let sql = format!(
            "INSERT INTO custom_roles (id, ns_code, name, doc, created_ms, modified_ms) VALUES (?1, ?2, ?3, {}, ?5, ?6)",
            self.d().doc_param(4)
        );
        let binds = [
            text(&role.id),
            text(&role.ns_code),
            text(&role.name),
            Bind::Text(rows::role_doc(role)?),
            Bind::Int(created),
            Bind::Int(modified),
        ];
        self.conn.exec(&sql, &binds).await.map_err(|e| role_conflict(e, role))?;
        self.replace_list("role_groups", "role_id", &role.id, "group_id", role.member_of.iter().cloned())
            .await
    }

    async fn update_role(&mut self, role: &CustomRole) -> Result<()> {
        let (_, modified) = rows::meta_ms(&role.meta);
        let sql = format!(
            "UPDATE custom_roles SET name = ?2, doc = {}, modified_ms = ?4 WHERE id = ?1",
            self.d().doc_param(3)
        );
        let binds =
            [text(&role.id), text(&role.name), Bind::Text(rows::role_doc(role)?), Bind::Int(modified)];
        self.conn.exec(&sql, &binds).await.map_err(|e| role_conflict(e, role))?;
        self.replace_list("role_groups", "role_id", &role.id, "group_id", role.member_of.iter().cloned())
            .await
    }

    async fn delete_role(&mut self, id: &str) -> Result<()> {
        self.conn.exec("DELETE FROM custom_roles WHERE id = ?1", &[text(id)]).await?;
        Ok(())
    }

    async fn role(&mut self, id: &str) -> Result<Option<CustomRole>> {
        let sql = format!("{} WHERE r.id = ?1", role_select(self.d()));
        self.one(&sql, &[text(id)], ROW_KINDS, role_row).await
    }

    async fn find_roles(&mut self, q: &Query) -> Result<Page<CustomRole>> {
        let select = role_select(self.d());
        let (total, rows) = self.page(&select, "custom_roles r", &ROLES, "r.ns_code", q, ROW_KINDS).await?;
        page(q, total, rows, role_row)
    }

    async fn roles_of_groups(&mut self, group_ids: &[String]) -> Result<Vec<CustomRole>> {
        if group_ids.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=group_ids.len()).map(|n| format!("?{n}")).collect();
        let sql = format!(
            "{} WHERE r.id IN (SELECT role_id FROM role_groups WHERE group_id IN ({})) ORDER BY r.created_ms, r.id",
            role_select(self.d()),
            marks.join(", ")
        );
        let binds: Vec<Bind> = group_ids.iter().cloned().map(Bind::Text).collect();
        let rows = self.conn.rows(&sql, &binds, ROW_KINDS).await?;
        rows.iter().map(|r| role_row(r)).collect()
    }

    async fn insert_strong_id(&mut self, user_id: &str, entry: &StrongIdentification) -> Result<()> {
        let id = entry.id.clone().ok_or_else(|| Error::Internal("a history entry needs an id".into()))?;
        let time = entry
            .time
            .as_deref()
            .and_then(portti_core::time::parse_ms)
            .unwrap_or_else(portti_core::time::now_ms);
        let doc = rows::doc(entry, &["id"])?;
        let sql = format!(
            "INSERT INTO strong_id_history (id, user_id, doc, created_ms) VALUES (?1, ?2, {}, ?4)",
            self.d().doc_param(3)
        );
        self.conn.exec(&sql, &[Bind::Text(id), text(user_id), Bind::Text(doc), Bind::Int(time)]).await?;
        Ok(())
    }

    async fn find_strong_ids(&mut self, user_id: &str, q: &Query) -> Result<Page<StrongIdentification>> {
        let select = format!("SELECT h.id, {} FROM strong_id_history h", self.d().doc_text("h.doc"));
        let scoped = Query { scope: crate::Scope::Namespaces(vec![user_id.to_string()]), ..q.clone() };
        let kinds = &[Kind::Text, Kind::Text];
        let (total, rows) =
            self.page(&select, "strong_id_history h", &HISTORY, "h.user_id", &scoped, kinds).await?;
        page(q, total, rows, history_row)
    }

    async fn strong_id(&mut self, user_id: &str, entry_id: &str) -> Result<Option<StrongIdentification>> {
        let sql = format!(
            "SELECT h.id, {} FROM strong_id_history h WHERE h.id = ?1 AND h.user_id = ?2",
            self.d().doc_text("h.doc")
        );
        self.one(&sql, &[text(entry_id), text(user_id)], &[Kind::Text, Kind::Text], history_row).await
    }

    async fn insert_client(&mut self, client: &ManagementClient, secret_hash: &str) -> Result<()> {
        let created = portti_core::time::parse_ms(&client.created).unwrap_or_else(portti_core::time::now_ms);
        let sql = format!(
            "INSERT INTO clients (id, doc, secret_hash, created_ms) VALUES (?1, {}, ?3, ?4)",
            self.d().doc_param(2)
        );
        let binds =
            [text(&client.id), Bind::Text(rows::client_doc(client)?), text(secret_hash), Bind::Int(created)];
        self.conn
            .exec(&sql, &binds)
            .await
            .map_err(|e| conflict(e, || format!("client {} already exists", client.id)))?;
        Ok(())
    }

    async fn update_client(&mut self, client: &ManagementClient, secret_hash: Option<&str>) -> Result<()> {
        let sql = format!(
            "UPDATE clients SET doc = {}, secret_hash = coalesce(?3, secret_hash) WHERE id = ?1",
            self.d().doc_param(2)
        );
        let binds = [
            text(&client.id),
            Bind::Text(rows::client_doc(client)?),
            secret_hash.map(text).unwrap_or(Bind::Null),
        ];
        self.conn.exec(&sql, &binds).await?;
        Ok(())
    }

    async fn delete_client(&mut self, id: &str) -> Result<bool> {
        Ok(self.conn.exec("DELETE FROM clients WHERE id = ?1", &[text(id)]).await? > 0)
    }

    async fn client(&mut self, id: &str) -> Result<Option<(ManagementClient, String)>> {
        let sql = format!("SELECT {}, secret_hash FROM clients WHERE id = ?1", self.d().doc_text("doc"));
        self.one(&sql, &[text(id)], &[Kind::Text, Kind::Text], client_row).await
    }

    async fn users_by_username(&mut self, username: &str, ns_code: Option<&str>) -> Result<Vec<User>> {
        let (cond, binds) = match ns_code {
            Some(ns) => (
                "u.username_lower = ?1 AND u.ns_code = ?2",
                vec![Bind::Text(username.to_lowercase()), text(ns)],
            ),
            None => ("u.username_lower = ?1", vec![Bind::Text(username.to_lowercase())]),
        };
        let sql = format!("{} WHERE {cond} AND u.hidden = 0 ORDER BY u.created_ms", user_select(self.d()));
        let rows = self.conn.rows(&sql, &binds, REVISED_KINDS).await?;
        rows.iter().map(|r| user_row(r)).collect()
    }

    async fn insert_oidc_client(&mut self, client: &OidcClient, secret_hash: &str) -> Result<()> {
        let created = portti_core::time::parse_ms(&client.created).unwrap_or_else(portti_core::time::now_ms);
        let sql = format!(
            "INSERT INTO oidc_clients (id, doc, secret_hash, created_ms) VALUES (?1, {}, ?3, ?4)",
            self.d().doc_param(2)
        );
        let doc = rows::doc(client, &[])?;
        self.conn
            .exec(&sql, &[text(&client.id), Bind::Text(doc), text(secret_hash), Bind::Int(created)])
            .await
            .map_err(|e| conflict(e, || format!("OIDC client {} already exists", client.id)))?;
        Ok(())
    }

    async fn oidc_client(&mut self, id: &str) -> Result<Option<(OidcClient, String)>> {
        let sql = format!("SELECT {}, secret_hash FROM oidc_clients WHERE id = ?1", self.d().doc_text("doc"));
        self.one(&sql, &[text(id)], &[Kind::Text, Kind::Text], |r| {
            Ok((rows::parse_doc(&r[0].text()?)?, r[1].text()?))
        })
        .await
    }

    async fn oidc_clients(&mut self) -> Result<Vec<OidcClient>> {
        let sql = format!("SELECT {} FROM oidc_clients ORDER BY created_ms, id", self.d().doc_text("doc"));
        let rows = self.conn.rows(&sql, &[], &[Kind::Text]).await?;
        rows.iter().map(|r| rows::parse_doc(&r[0].text()?)).collect()
    }

    async fn delete_oidc_client(&mut self, id: &str) -> Result<bool> {
        Ok(self.conn.exec("DELETE FROM oidc_clients WHERE id = ?1", &[text(id)]).await? > 0)
    }

    async fn insert_api_token(&mut self, t: &ApiToken) -> Result<()> {
        let sql = "INSERT INTO api_tokens (id, client_id, created_ms, expires_ms, revoked) VALUES (?1, ?2, ?3, ?4, ?5)";
        let binds = [
            text(&t.id),
            text(&t.client_id),
            Bind::Int(t.created_ms),
            Bind::Int(t.expires_ms),
            Bind::Int(t.revoked as i64),
        ];
        self.conn.exec(sql, &binds).await?;
        Ok(())
    }

    async fn api_token(&mut self, id: &str) -> Result<Option<ApiToken>> {
        let sql = "SELECT id, client_id, created_ms, expires_ms, revoked FROM api_tokens WHERE id = ?1";
        self.one(sql, &[text(id)], API_TOKEN_KINDS, api_token_row).await
    }

    async fn api_tokens(&mut self, client_id: &str) -> Result<Vec<ApiToken>> {
        let sql = "SELECT id, client_id, created_ms, expires_ms, revoked FROM api_tokens WHERE client_id = ?1 ORDER BY created_ms, id";
        let rows = self.conn.rows(sql, &[text(client_id)], API_TOKEN_KINDS).await?;
        rows.iter().map(|r| api_token_row(r)).collect()
    }

    async fn revoke_api_token(&mut self, id: &str) -> Result<bool> {
        Ok(self.conn.exec("UPDATE api_tokens SET revoked = 1 WHERE id = ?1", &[text(id)]).await? > 0)
    }

    async fn insert_refresh(&mut self, hash: &str, g: &RefreshGrant) -> Result<()> {
        let sql = "INSERT INTO refresh_tokens (hash, user_id, client_id, scope, expires_ms) VALUES (?1, ?2, ?3, ?4, ?5)";
        let binds =
            [text(hash), text(&g.user_id), text(&g.client_id), text(&g.scope), Bind::Int(g.expires_ms)];
        self.conn.exec(sql, &binds).await?;
        Ok(())
    }

    async fn take_refresh(&mut self, hash: &str) -> Result<Option<RefreshGrant>> {
        let sql = "SELECT user_id, client_id, scope, expires_ms FROM refresh_tokens WHERE hash = ?1";
        let kinds = &[Kind::Text, Kind::Text, Kind::Text, Kind::Int];
        let found = self
            .one(sql, &[text(hash)], kinds, |r| {
                Ok(RefreshGrant {
                    user_id: r[0].text()?,
                    client_id: r[1].text()?,
                    scope: r[2].text()?,
                    expires_ms: r[3].int()?,
                })
            })
            .await?;
        if found.is_some()
            && self.conn.exec("DELETE FROM refresh_tokens WHERE hash = ?1", &[text(hash)]).await? == 0
        {
            return Ok(None);
        }
        Ok(found)
    }

    async fn enqueue_message(&mut self, m: &OutboxMessage) -> Result<()> {
        let sql = format!("INSERT INTO outbox ({OUTBOX_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
        let attachments = serde_json::to_string(&m.attachments)
            .map_err(|e| Error::Internal(format!("cannot store attachments: {e}")))?;
        let opt = |s: &Option<String>| s.clone().map(Bind::Text).unwrap_or(Bind::Null);
        let binds = [
            text(&m.id),
            text(m.channel.as_str()),
            text(&m.recipient),
            opt(&m.sender),
            opt(&m.subject),
            opt(&m.text),
            opt(&m.html),
            Bind::Text(attachments),
            text(m.status.as_str()),
            Bind::Int(m.attempts.into()),
            Bind::Int(m.next_attempt_ms),
            opt(&m.last_error),
            Bind::Int(m.created_ms),
            Bind::Int(m.sent_ms.unwrap_or(0)),
        ];
        self.conn.exec(&sql, &binds).await?;
        Ok(())
    }

    async fn outbox_messages(&mut self, filter: &OutboxFilter) -> Result<Vec<OutboxMessage>> {
        let mut conds = Vec::new();
        let mut binds = Vec::new();
        if let Some(channel) = filter.channel {
            binds.push(text(channel.as_str()));
            conds.push(format!("channel = ?{}", binds.len()));
        }
        if let Some(to) = &filter.recipient {
            binds.push(Bind::Text(to.trim().to_lowercase()));
            conds.push(format!("lower(recipient) = ?{}", binds.len()));
        }
        let cond = if conds.is_empty() { "1 = 1".to_string() } else { conds.join(" AND ") };
        let sql = format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE {cond} ORDER BY seq");
        let rows = self.conn.rows(&sql, &binds, OUTBOX_KINDS).await?;
        rows.iter().map(|r| outbox_row(r)).collect()
    }

    async fn outbox_backlog(&mut self) -> Result<u64> {
        self.count("SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')", &[]).await
    }

    async fn claim_messages(&mut self, c: &Claim) -> Result<Vec<OutboxMessage>> {
        if c.channels.is_empty() || c.limit == 0 {
            return Ok(Vec::new());
        }
        let mut binds =
            vec![text(&c.node), Bind::Int(c.until_ms), Bind::Int(c.now_ms), Bind::Int(c.limit.into())];
        let marks: Vec<String> = c
            .channels
            .iter()
            .map(|ch| {
                binds.push(text(ch.as_str()));
                format!("?{}", binds.len())
            })
            .collect();
        let sql = format!(
            "UPDATE outbox SET status = 'sending', claimed_by = ?1, claim_until = ?2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM outbox WHERE channel IN ({}) \
             AND ((status = 'pending' AND next_attempt_ms <= ?3) OR (status = 'sending' AND claim_until < ?3)) \
             ORDER BY next_attempt_ms, seq LIMIT ?4 {}) \
             RETURNING {OUTBOX_COLUMNS}",
            marks.join(", "),
            self.d().claim_lock()
        );
        let rows = self.conn.rows(&sql, &binds, OUTBOX_KINDS).await?;
        rows.iter().map(|r| outbox_row(r)).collect()
    }

    async fn record_delivery(&mut self, id: &str, node: &str, outcome: &DeliveryOutcome) -> Result<bool> {
        let (set, extra) = match outcome {
            DeliveryOutcome::Sent { at_ms } => ("status = 'sent', sent_ms = ?3", vec![Bind::Int(*at_ms)]),
            DeliveryOutcome::Retry { at_ms, error } => (
                "status = 'pending', next_attempt_ms = ?3, last_error = ?4",
                vec![Bind::Int(*at_ms), Bind::Text(error.clone())],
            ),
            DeliveryOutcome::Failed { error } => {
                ("status = 'failed', last_error = ?3", vec![Bind::Text(error.clone())])
            }
        };
        let sql = format!(
            "UPDATE outbox SET {set}, claimed_by = NULL, claim_until = 0 \
             WHERE id = ?1 AND claimed_by = ?2 AND status = 'sending'"
        );
        let mut binds = vec![text(id), text(node)];
        binds.extend(extra);
        Ok(self.conn.exec(&sql, &binds).await? > 0)
    }

    async fn insert_verification(&mut self, v: &Verification) -> Result<()> {
        verification::insert_verification(self.conn.as_mut(), v).await
    }

    async fn verification_by_hash(&mut self, hash: &str) -> Result<Option<Verification>> {
        verification::verification_by_hash(self.conn.as_mut(), hash).await
    }

    async fn pending_verifications(
        &mut self,
        user_id: &str,
        kind: VerificationKind,
        now_ms: i64,
    ) -> Result<Vec<Verification>> {
        verification::pending_verifications(self.conn.as_mut(), user_id, kind, now_ms).await
    }

    async fn spend_verification(&mut self, id: &str, at_ms: i64) -> Result<bool> {
        verification::spend_verification(self.conn.as_mut(), id, at_ms).await
    }

    async fn discard_verifications(
        &mut self,
        user_id: &str,
        unused_of: Option<VerificationKind>,
        forget_before_ms: i64,
    ) -> Result<()> {
        verification::discard_verifications(self.conn.as_mut(), user_id, unused_of, forget_before_ms).await
    }

    async fn record_verification_attempt(
        &mut self,
        user_id: &str,
        at_ms: i64,
        forget_before_ms: i64,
    ) -> Result<()> {
        verification::record_attempt(self.conn.as_mut(), user_id, at_ms, forget_before_ms).await
    }

    async fn verification_attempts(&mut self, user_id: &str, since_ms: i64) -> Result<u64> {
        verification::attempts(self.conn.as_mut(), user_id, since_ms).await
    }

    async fn insert_invite(&mut self, invite: &Invite) -> Result<()> {
        verification::insert_invite(self.conn.as_mut(), invite).await
    }

    async fn invite_by_hash(&mut self, hash: &str) -> Result<Option<Invite>> {
        verification::invite_by_hash(self.conn.as_mut(), hash).await
    }

    async fn spend_invite(&mut self, id: &str, user_id: &str, at_ms: i64) -> Result<bool> {
        verification::spend_invite(self.conn.as_mut(), id, user_id, at_ms).await
    }

    async fn insert_email_template(&mut self, t: &EmailTemplate) -> Result<()> {
        self.insert_template(t).await
    }

    async fn update_email_template(&mut self, t: &EmailTemplate) -> Result<()> {
        self.update_template(t).await
    }

    async fn delete_email_template(&mut self, id: &str) -> Result<bool> {
        self.delete_template(id).await
    }

    async fn email_template(&mut self, id: &str) -> Result<Option<EmailTemplate>> {
        self.template(id).await
    }

    async fn find_email_templates(
        &mut self,
        q: &Query,
        namespace_ids: Option<&[String]>,
    ) -> Result<Page<EmailTemplate>> {
        self.find_templates(q, namespace_ids).await
    }

    async fn group_members(&mut self, group_ids: &[String]) -> Result<Vec<User>> {
        SqlTx::group_members(self, group_ids).await
    }

    async fn row_count(&mut self, table: &str) -> Result<u64> {
        let (_, _) = table_columns(table)?;
        self.count(&format!("SELECT count(*) FROM {table}"), &[]).await
    }

    async fn dump(&mut self, table: &str, offset: u64, limit: u64) -> Result<Vec<Vec<Cell>>> {
        let (cols, order) = table_columns(table)?;
        let d = self.d();
        let list: Vec<String> =
            cols.iter().map(|(c, _, doc)| if *doc { d.doc_text(c) } else { c.to_string() }).collect();
        let kinds: Vec<Kind> = cols.iter().map(|(_, k, _)| *k).collect();
        let sql = format!("SELECT {} FROM {table} ORDER BY {order} LIMIT ?1 OFFSET ?2", list.join(", "));
        self.conn.rows(&sql, &[Bind::Int(limit as i64), Bind::Int(offset as i64)], &kinds).await
    }

    async fn load(&mut self, table: &str, rows: &[Vec<Cell>]) -> Result<()> {
        let (cols, _) = table_columns(table)?;
        let d = self.d();
        let names: Vec<&str> = cols.iter().map(|(c, _, _)| *c).collect();
        let marks: Vec<String> = cols
            .iter()
            .enumerate()
            .map(|(i, (_, _, doc))| if *doc { d.doc_param(i + 1) } else { format!("?{}", i + 1) })
            .collect();
        let sql = format!("INSERT INTO {table} ({}) VALUES ({})", names.join(", "), marks.join(", "));
        for row in rows {
            let binds: Vec<Bind> = row.iter().map(Cell::to_bind).collect();
            self.conn.exec(&sql, &binds).await?;
        }
        Ok(())
    }

    async fn clients(&mut self) -> Result<Vec<ManagementClient>> {
        let rows = self
            .conn
            .rows(
                &format!("SELECT {} FROM clients ORDER BY created_ms, id", self.d().doc_text("doc")),
                &[],
                &[Kind::Text],
            )
            .await?;
        rows.iter().map(|r| rows::client_from(&r[0].text()?)).collect()
    }

    async fn insert_users(&mut self, users: Vec<crate::WholeUser>) -> Result<()> {
        self.insert_whole_users(users).await
    }

    async fn user_namespaces(&mut self, ids: &[String]) -> Result<Vec<(String, String)>> {
        self.namespaces_of_users(ids).await
    }

    async fn taken_usernames(&mut self, ns_code: &str, lowered: &[String]) -> Result<Vec<String>> {
        self.usernames_taken(ns_code, lowered).await
    }

    async fn refresh_statistics(&mut self) -> Result<()> {
        self.refresh_bulk_statistics().await
    }

    async fn whole_users(
        &mut self,
        ns_code: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<crate::WholeUser>> {
        self.whole_users_after(ns_code, after, limit).await
    }
}

/// A column for copying: name, type, and whether it holds a JSON document.
type CopyColumn = (&'static str, Kind, bool);

/// One table's columns for copying, and its key order.
fn table_columns(table: &str) -> Result<(&'static [CopyColumn], &'static str)> {
    const T: Kind = Kind::Text;
    const I: Kind = Kind::Int;
    Ok(match table {
        "settings" => (&[("key", T, false), ("value", T, false)], "key"),
        "namespaces" => (
            &[
                ("id", T, false),
                ("code", T, false),
                ("doc", T, true),
                ("created_ms", I, false),
                ("modified_ms", I, false),
            ],
            "id",
        ),
        "groups" => (
            &[
                ("id", T, false),
                ("ns_code", T, false),
                ("name", T, false),
                ("doc", T, true),
                ("created_ms", I, false),
                ("modified_ms", I, false),
                ("revision", I, false),
            ],
            "id",
        ),
        "group_parents" => (
            &[("group_id", T, false), ("parent_id", T, false), ("position", I, false)],
            "group_id, parent_id",
        ),
        "users" => (
            &[
                ("id", T, false),
                ("ns_code", T, false),
                ("username", T, false),
                ("username_lower", T, false),
                ("doc", T, true),
                ("password_hash", T, false),
                ("created_ms", I, false),
                ("modified_ms", I, false),
                ("facets", T, true),
                ("hidden", I, false),
                ("revision", I, false),
            ],
            "id",
        ),
        "custom_roles" => (
            &[
                ("id", T, false),
                ("ns_code", T, false),
                ("name", T, false),
                ("doc", T, true),
                ("created_ms", I, false),
                ("modified_ms", I, false),
            ],
            "id",
        ),
        "role_groups" => {
            (&[("role_id", T, false), ("group_id", T, false), ("position", I, false)], "role_id, group_id")
        }
        "oidc_clients" => {
            (&[("id", T, false), ("doc", T, true), ("secret_hash", T, false), ("created_ms", I, false)], "id")
        }
        "api_tokens" => (
            &[
                ("id", T, false),
                ("client_id", T, false),
                ("created_ms", I, false),
                ("expires_ms", I, false),
                ("revoked", I, false),
            ],
            "id",
        ),
        "refresh_tokens" => (
            &[
                ("hash", T, false),
                ("user_id", T, false),
                ("client_id", T, false),
                ("scope", T, false),
                ("expires_ms", I, false),
            ],
            "hash",
        ),
        "strong_id_history" => {
            (&[("id", T, false), ("user_id", T, false), ("doc", T, true), ("created_ms", I, false)], "id")
        }
        "user_emails" => (
            &[("user_id", T, false), ("address_lower", T, false), ("position", I, false)],
            "user_id, position",
        ),
        "user_mobiles" => {
            (&[("user_id", T, false), ("number", T, false), ("position", I, false)], "user_id, position")
        }
        "memberships" => {
            (&[("user_id", T, false), ("group_id", T, false), ("position", I, false)], "user_id, group_id")
        }
        "clients" => {
            (&[("id", T, false), ("doc", T, true), ("secret_hash", T, false), ("created_ms", I, false)], "id")
        }
        "outbox" => (
            &[
                ("id", T, false),
                ("channel", T, false),
                ("recipient", T, false),
                ("sender", T, false),
                ("subject", T, false),
                ("text_body", T, false),
                ("html_body", T, false),
                ("attachments", T, false),
                ("status", T, false),
                ("attempts", I, false),
                ("next_attempt_ms", I, false),
                ("last_error", T, false),
                ("created_ms", I, false),
                ("sent_ms", I, false),
                ("claimed_by", T, false),
                ("claim_until", I, false),
            ],
            // `seq` is not copied: the target numbers the rows anew, in the same order.
            "seq",
        ),
        "verifications" => (
            &[
                ("id", T, false),
                ("kind", T, false),
                ("hash", T, false),
                ("user_id", T, false),
                ("target", T, false),
                ("return_url", T, false),
                ("created_ms", I, false),
                ("expires_ms", I, false),
                ("used_ms", I, false),
            ],
            "id",
        ),
        "verification_attempts" => (&[("user_id", T, false), ("at_ms", I, false)], "user_id, at_ms"),
        "invites" => (
            &[
                ("id", T, false),
                ("hash", T, false),
                ("ns_code", T, false),
                ("email", T, false),
                ("group_ids", T, false),
                ("locale", T, false),
                ("invited_by", T, false),
                ("created_ms", I, false),
                ("expires_ms", I, false),
                ("used_ms", I, false),
                ("user_id", T, false),
            ],
            "id",
        ),
        "email_templates" => (
            &[
                ("id", T, false),
                ("name", T, false),
                ("doc", T, true),
                ("created_ms", I, false),
                ("modified_ms", I, false),
            ],
            "id",
        ),
        "email_template_namespaces" => (
            &[("template_id", T, false), ("namespace_id", T, false), ("position", I, false)],
            "template_id, namespace_id",
        ),
        other => return Err(Error::Internal(format!("unknown table {other}"))),
    })
}

fn user_conflict(e: Error, user: &User) -> Error {
    conflict(e, || format!("username {} is already taken in namespace {}", user.username, user.ns_code))
}

const API_TOKEN_KINDS: &[Kind] = &[Kind::Text, Kind::Text, Kind::Int, Kind::Int, Kind::Int];

fn api_token_row(r: &[Cell]) -> Result<ApiToken> {
    Ok(ApiToken {
        id: r[0].text()?,
        client_id: r[1].text()?,
        created_ms: r[2].int()?,
        expires_ms: r[3].int()?,
        revoked: r[4].int()? != 0,
    })
}

fn role_conflict(e: Error, role: &CustomRole) -> Error {
    conflict(e, || format!("a role named {} already exists in namespace {}", role.name, role.ns_code))
}

fn group_conflict(e: Error, group: &Group) -> Error {
    conflict(e, || format!("a group named {} already exists in namespace {}", group.name, group.ns_code))
}

/// The outbox columns a message is read from and written to, in [`outbox_row`] order.
const OUTBOX_COLUMNS: &str = "id, channel, recipient, sender, subject, text_body, html_body, attachments, \
    status, attempts, next_attempt_ms, last_error, created_ms, sent_ms";

const OUTBOX_KINDS: &[Kind] = &[
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Int,
    Kind::Int,
    Kind::Text,
    Kind::Int,
    Kind::Int,
];

fn outbox_row(r: &[Cell]) -> Result<OutboxMessage> {
    let attachments = serde_json::from_str(&r[7].text()?)
        .map_err(|e| Error::Internal(format!("unreadable attachments in the outbox: {e}")))?;
    let sent_ms = r[13].int()?;
    Ok(OutboxMessage {
        id: r[0].text()?,
        channel: r[1].text()?.parse::<Channel>().map_err(|e| Error::Internal(e.to_string()))?,
        recipient: r[2].text()?,
        sender: r[3].opt_text(),
        subject: r[4].opt_text(),
        text: r[5].opt_text(),
        html: r[6].opt_text(),
        attachments,
        status: r[8].text()?.parse()?,
        attempts: r[9].int()?.clamp(0, u32::MAX.into()) as u32,
        next_attempt_ms: r[10].int()?,
        last_error: r[11].opt_text(),
        created_ms: r[12].int()?,
        sent_ms: (sent_ms > 0).then_some(sent_ms),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns_row(id: &str, code: &str) -> Vec<Cell> {
        let text = |s: &str| Cell::Text(Some(s.to_string()));
        vec![text(id), text(code), text("{}"), Cell::Int(0), Cell::Int(0)]
    }

    #[test]
    fn a_looked_up_namespace_is_found_by_id_before_code() {
        let lookup = namespaces_by_id_or_code(&crate::sql::dialect::Postgres);
        // "b1" is one namespace's id and another's code: the id wins, in either row order.
        let rows = vec![ns_row("a1", "b1"), ns_row("b1", "c1")];
        for rows in [rows.clone(), rows.into_iter().rev().collect()] {
            assert_eq!((lookup.pick)(&rows, "b1").unwrap().map(|n| n.code), Some("c1".into()));
            assert_eq!((lookup.pick)(&rows, "c1").unwrap().map(|n| n.id), Some("b1".into()));
            assert_eq!((lookup.pick)(&rows, "zz").unwrap(), None);
        }
    }
}
