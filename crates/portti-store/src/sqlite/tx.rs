//! One SQLite transaction: the directory's reads and writes.

use super::db_err;
use crate::rows::{self, GroupRow, UserRow};
use crate::sql::dialect::Sqlite as Dialect;
use crate::sql::{compile_order, query_where, Bind, Columns, Source};
use crate::{Query, Tx};
use async_trait::async_trait;
use portti_core::attr::Resource;
use portti_core::model::{Group, ManagementClient, Namespace, User};
use portti_core::page::Page;
use portti_core::{Error, Result};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Row, Sqlite, Transaction};

const USERS: Columns = Columns {
    resource: Resource::User,
    doc: "u.doc",
    sources: &[
        ("id", Source::Column("u.id")),
        ("username", Source::Column("u.username_lower")),
        ("nsCode", Source::Column("u.ns_code")),
        ("meta.created", Source::Column("u.created_ms")),
        ("meta.lastModified", Source::Column("u.modified_ms")),
        (
            "memberOf",
            Source::Related {
                from: "memberships m WHERE m.user_id = u.id",
                value: "m.group_id",
            },
        ),
        (
            "emails",
            Source::Related {
                from: "user_emails ue WHERE ue.user_id = u.id",
                value: "ue.address_lower",
            },
        ),
        (
            "emails.address",
            Source::Related {
                from: "user_emails ue WHERE ue.user_id = u.id",
                value: "ue.address_lower",
            },
        ),
        (
            "mobiles",
            Source::Related {
                from: "user_mobiles um WHERE um.user_id = u.id",
                value: "um.number",
            },
        ),
        (
            "mobiles.number",
            Source::Related {
                from: "user_mobiles um WHERE um.user_id = u.id",
                value: "um.number",
            },
        ),
    ],
    order: "u.created_ms, u.id",
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
                from: "group_parents gp WHERE gp.group_id = g.id",
                value: "gp.parent_id",
            },
        ),
    ],
    order: "g.created_ms, g.id",
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
};

const USER_SELECT: &str = "SELECT u.id, u.username, u.ns_code, u.doc, u.created_ms, u.modified_ms, \
     (SELECT json_group_array(group_id) FROM (SELECT group_id FROM memberships WHERE user_id = u.id ORDER BY position)) AS member_of \
     FROM users u";

const GROUP_SELECT: &str = "SELECT g.id, g.name, g.ns_code, g.doc, g.created_ms, g.modified_ms, \
     (SELECT json_group_array(parent_id) FROM (SELECT parent_id FROM group_parents WHERE group_id = g.id ORDER BY position)) AS member_of \
     FROM groups g";

const NAMESPACE_SELECT: &str =
    "SELECT n.id, n.code, n.doc, n.created_ms, n.modified_ms FROM namespaces n";

/// A transaction on the SQLite store.
pub struct SqliteTx {
    tx: Transaction<'static, Sqlite>,
}

impl SqliteTx {
    pub fn new(tx: Transaction<'static, Sqlite>) -> Self {
        SqliteTx { tx }
    }

    async fn fetch_all(&mut self, sql: &str, binds: &[Bind]) -> Result<Vec<SqliteRow>> {
        bound(sqlx::query(sql), binds)
            .fetch_all(&mut *self.tx)
            .await
            .map_err(db_err)
    }

    async fn count(&mut self, sql: &str, binds: &[Bind]) -> Result<u64> {
        let row = bound(sqlx::query(sql), binds)
            .fetch_one(&mut *self.tx)
            .await
            .map_err(db_err)?;
        Ok(row.try_get::<i64, _>(0).map_err(db_err)? as u64)
    }

    /// Count the matches and fetch one page of them.
    async fn page(
        &mut self,
        select: &str,
        table: &str,
        cols: &Columns,
        scope: &str,
        q: &Query,
    ) -> Result<(u64, Vec<SqliteRow>)> {
        let w = query_where(q, cols, scope, &Dialect)?;
        let order = compile_order(q.page.sort.as_ref(), cols, &Dialect)?;
        let total = self
            .count(
                &format!("SELECT count(*) FROM {table} WHERE {}", w.sql),
                &w.binds,
            )
            .await?;
        if q.page.count == 0 || q.page.start >= total {
            return Ok((total, Vec::new()));
        }
        let mut binds = w.binds;
        let n = binds.len();
        binds.push(Bind::Int(q.page.count as i64));
        binds.push(Bind::Int(q.page.start.min(i64::MAX as u64) as i64));
        let sql = format!(
            "{select} WHERE {} {order} LIMIT ?{} OFFSET ?{}",
            w.sql,
            n + 1,
            n + 2
        );
        Ok((total, self.fetch_all(&sql, &binds).await?))
    }

    async fn write_user_side_tables(&mut self, user: &User) -> Result<()> {
        for table in ["user_emails", "user_mobiles", "memberships"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE user_id = ?1"))
                .bind(&user.id)
                .execute(&mut *self.tx)
                .await
                .map_err(db_err)?;
        }
        for (i, e) in user.emails.iter().enumerate() {
            self.insert_side(
                "INSERT INTO user_emails (user_id, address_lower, position) VALUES (?1, ?2, ?3)",
                &user.id,
                &e.address.to_lowercase(),
                i,
            )
            .await?;
        }
        for (i, m) in user.mobiles.iter().enumerate() {
            self.insert_side(
                "INSERT INTO user_mobiles (user_id, number, position) VALUES (?1, ?2, ?3)",
                &user.id,
                &m.number,
                i,
            )
            .await?;
        }
        for (i, g) in user.member_of.iter().enumerate() {
            self.insert_side(
                "INSERT INTO memberships (user_id, group_id, position) VALUES (?1, ?2, ?3)",
                &user.id,
                g,
                i,
            )
            .await?;
        }
        Ok(())
    }

    async fn write_group_parents(&mut self, group: &Group) -> Result<()> {
        sqlx::query("DELETE FROM group_parents WHERE group_id = ?1")
            .bind(&group.id)
            .execute(&mut *self.tx)
            .await
            .map_err(db_err)?;
        for (i, p) in group.member_of.iter().enumerate() {
            self.insert_side(
                "INSERT INTO group_parents (group_id, parent_id, position) VALUES (?1, ?2, ?3)",
                &group.id,
                p,
                i,
            )
            .await?;
        }
        Ok(())
    }

    async fn insert_side(
        &mut self,
        sql: &str,
        id: &str,
        value: &str,
        position: usize,
    ) -> Result<()> {
        sqlx::query(sql)
            .bind(id)
            .bind(value)
            .bind(position as i64)
            .execute(&mut *self.tx)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn exec(&mut self, sql: &str, binds: &[Bind]) -> Result<u64> {
        Ok(bound(sqlx::query(sql), binds)
            .execute(&mut *self.tx)
            .await
            .map_err(db_err)?
            .rows_affected())
    }
}

fn bound<'q>(
    mut q: sqlx::query::Query<'q, Sqlite, SqliteArguments<'q>>,
    binds: &'q [Bind],
) -> sqlx::query::Query<'q, Sqlite, SqliteArguments<'q>> {
    for b in binds {
        q = match b {
            Bind::Text(s) => q.bind(s.as_str()),
            Bind::Int(i) => q.bind(*i),
            Bind::Bool(v) => q.bind(*v),
        };
    }
    q
}

fn text(s: &str) -> Bind {
    Bind::Text(s.to_string())
}

fn user_row(r: &SqliteRow) -> Result<User> {
    UserRow {
        id: r.try_get(0).map_err(db_err)?,
        username: r.try_get(1).map_err(db_err)?,
        ns_code: r.try_get(2).map_err(db_err)?,
        doc: r.try_get(3).map_err(db_err)?,
        created_ms: r.try_get(4).map_err(db_err)?,
        modified_ms: r.try_get(5).map_err(db_err)?,
        member_of: r.try_get(6).map_err(db_err)?,
    }
    .into_user()
}

fn group_row(r: &SqliteRow) -> Result<Group> {
    GroupRow {
        id: r.try_get(0).map_err(db_err)?,
        name: r.try_get(1).map_err(db_err)?,
        ns_code: r.try_get(2).map_err(db_err)?,
        doc: r.try_get(3).map_err(db_err)?,
        created_ms: r.try_get(4).map_err(db_err)?,
        modified_ms: r.try_get(5).map_err(db_err)?,
        member_of: r.try_get(6).map_err(db_err)?,
    }
    .into_group()
}

fn namespace_row(r: &SqliteRow) -> Result<Namespace> {
    let doc: String = r.try_get(2).map_err(db_err)?;
    rows::namespace_from(
        r.try_get(0).map_err(db_err)?,
        r.try_get(1).map_err(db_err)?,
        &doc,
        r.try_get(3).map_err(db_err)?,
        r.try_get(4).map_err(db_err)?,
    )
}

fn conflict(e: Error, msg: impl FnOnce() -> String) -> Error {
    match e {
        Error::Conflict(_) => Error::Conflict(msg()),
        other => other,
    }
}

fn page<T>(
    q: &Query,
    total: u64,
    rows: Vec<SqliteRow>,
    f: fn(&SqliteRow) -> Result<T>,
) -> Result<Page<T>> {
    Ok(Page {
        items: rows.iter().map(f).collect::<Result<_>>()?,
        total,
        start: q.page.start,
        count: q.page.count,
    })
}

#[async_trait]
impl Tx for SqliteTx {
    async fn commit(self: Box<Self>) -> Result<()> {
        self.tx.commit().await.map_err(db_err)
    }

    async fn setting(&mut self, key: &str) -> Result<Option<String>> {
        let rows = self
            .fetch_all("SELECT value FROM settings WHERE key = ?1", &[text(key)])
            .await?;
        rows.first()
            .map(|r| r.try_get(0).map_err(db_err))
            .transpose()
    }

    async fn put_setting(&mut self, key: &str, value: &str) -> Result<()> {
        self.exec(
            "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[text(key), text(value)],
        )
        .await?;
        Ok(())
    }

    async fn insert_namespace(&mut self, ns: &Namespace) -> Result<()> {
        let (created, modified) = rows::meta_ms(&ns.meta);
        self.exec(
            "INSERT INTO namespaces (id, code, doc, created_ms, modified_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
            &[text(&ns.id), text(&ns.code), Bind::Text(rows::namespace_doc(ns)?), Bind::Int(created), Bind::Int(modified)],
        )
        .await
        .map_err(|e| conflict(e, || format!("namespace code {} is already taken", ns.code)))?;
        Ok(())
    }

    async fn update_namespace(&mut self, ns: &Namespace) -> Result<()> {
        let (_, modified) = rows::meta_ms(&ns.meta);
        self.exec(
            "UPDATE namespaces SET doc = ?2, modified_ms = ?3 WHERE id = ?1",
            &[
                text(&ns.id),
                Bind::Text(rows::namespace_doc(ns)?),
                Bind::Int(modified),
            ],
        )
        .await?;
        Ok(())
    }

    async fn delete_namespace(&mut self, id: &str) -> Result<()> {
        self.exec("DELETE FROM namespaces WHERE id = ?1", &[text(id)])
            .await
            .map_err(|e| conflict(e, || "the namespace still has users or groups".into()))?;
        Ok(())
    }

    async fn namespace(&mut self, id_or_code: &str) -> Result<Option<Namespace>> {
        let sql = format!(
            "{NAMESPACE_SELECT} WHERE n.id = ?1 OR n.code = ?1 ORDER BY n.id = ?1 DESC LIMIT 1"
        );
        let rows = self.fetch_all(&sql, &[text(id_or_code)]).await?;
        rows.first().map(namespace_row).transpose()
    }

    async fn find_namespaces(&mut self, q: &Query) -> Result<Page<Namespace>> {
        let (total, rows) = self
            .page(NAMESPACE_SELECT, "namespaces n", &NAMESPACES, "n.code", q)
            .await?;
        page(q, total, rows, namespace_row)
    }

    async fn namespace_usage(&mut self, code: &str) -> Result<(u64, u64)> {
        let users = self
            .count(
                "SELECT count(*) FROM users WHERE ns_code = ?1",
                &[text(code)],
            )
            .await?;
        let groups = self
            .count(
                "SELECT count(*) FROM groups WHERE ns_code = ?1",
                &[text(code)],
            )
            .await?;
        Ok((users, groups))
    }

    async fn insert_group(&mut self, group: &Group) -> Result<()> {
        let (created, modified) = rows::meta_ms(&group.meta);
        self.exec(
            "INSERT INTO groups (id, ns_code, name, doc, created_ms, modified_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            &[
                text(&group.id),
                text(&group.ns_code),
                text(&group.name),
                Bind::Text(rows::group_doc(group)?),
                Bind::Int(created),
                Bind::Int(modified),
            ],
        )
        .await
        .map_err(|e| conflict(e, || format!("a group named {} already exists in namespace {}", group.name, group.ns_code)))?;
        self.write_group_parents(group).await
    }

    async fn update_group(&mut self, group: &Group) -> Result<()> {
        let (_, modified) = rows::meta_ms(&group.meta);
        self.exec(
            "UPDATE groups SET name = ?2, doc = ?3, modified_ms = ?4 WHERE id = ?1",
            &[
                text(&group.id),
                text(&group.name),
                Bind::Text(rows::group_doc(group)?),
                Bind::Int(modified),
            ],
        )
        .await
        .map_err(|e| {
            conflict(e, || {
                format!(
                    "a group named {} already exists in namespace {}",
                    group.name, group.ns_code
                )
            })
        })?;
        self.write_group_parents(group).await
    }

    async fn delete_groups_of(&mut self, ns_code: &str) -> Result<()> {
        self.exec("DELETE FROM groups WHERE ns_code = ?1", &[text(ns_code)])
            .await?;
        Ok(())
    }

    async fn delete_group(&mut self, id: &str) -> Result<()> {
        self.exec("DELETE FROM groups WHERE id = ?1", &[text(id)])
            .await?;
        Ok(())
    }

    async fn group(&mut self, id: &str) -> Result<Option<Group>> {
        let rows = self
            .fetch_all(&format!("{GROUP_SELECT} WHERE g.id = ?1"), &[text(id)])
            .await?;
        rows.first().map(group_row).transpose()
    }

    async fn group_by_name(&mut self, ns_code: &str, name: &str) -> Result<Option<Group>> {
        let sql = format!("{GROUP_SELECT} WHERE g.ns_code = ?1 AND g.name = ?2");
        let rows = self.fetch_all(&sql, &[text(ns_code), text(name)]).await?;
        rows.first().map(group_row).transpose()
    }

    async fn find_groups(&mut self, q: &Query) -> Result<Page<Group>> {
        let (total, rows) = self
            .page(GROUP_SELECT, "groups g", &GROUPS, "g.ns_code", q)
            .await?;
        page(q, total, rows, group_row)
    }

    async fn group_descendants(&mut self, id: &str) -> Result<Vec<Group>> {
        let sql = format!(
            "WITH RECURSIVE sub(id) AS (\
                SELECT group_id FROM group_parents WHERE parent_id = ?1 \
                UNION SELECT gp.group_id FROM group_parents gp JOIN sub ON gp.parent_id = sub.id) \
             {GROUP_SELECT} WHERE g.id IN (SELECT id FROM sub) AND g.id <> ?1 ORDER BY g.created_ms, g.id"
        );
        let rows = self.fetch_all(&sql, &[text(id)]).await?;
        rows.iter().map(group_row).collect()
    }

    async fn insert_user(&mut self, user: &User, password_hash: Option<&str>) -> Result<()> {
        let (created, modified) = rows::meta_ms(&user.meta);
        let hash = password_hash.map(text).unwrap_or(Bind::Text(String::new()));
        self.exec(
            "INSERT INTO users (id, ns_code, username, username_lower, doc, password_hash, created_ms, modified_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5, NULLIF(?6, ''), ?7, ?8)",
            &[
                text(&user.id),
                text(&user.ns_code),
                text(&user.username),
                Bind::Text(user.username.to_lowercase()),
                Bind::Text(rows::user_doc(user)?),
                hash,
                Bind::Int(created),
                Bind::Int(modified),
            ],
        )
        .await
        .map_err(|e| conflict(e, || format!("username {} is already taken in namespace {}", user.username, user.ns_code)))?;
        self.write_user_side_tables(user).await
    }

    async fn update_user(&mut self, user: &User) -> Result<()> {
        let (_, modified) = rows::meta_ms(&user.meta);
        self.exec(
            "UPDATE users SET ns_code = ?2, username = ?3, username_lower = ?4, doc = ?5, modified_ms = ?6 WHERE id = ?1",
            &[
                text(&user.id),
                text(&user.ns_code),
                text(&user.username),
                Bind::Text(user.username.to_lowercase()),
                Bind::Text(rows::user_doc(user)?),
                Bind::Int(modified),
            ],
        )
        .await
        .map_err(|e| conflict(e, || format!("username {} is already taken in namespace {}", user.username, user.ns_code)))?;
        self.write_user_side_tables(user).await
    }

    async fn delete_user(&mut self, id: &str) -> Result<()> {
        self.exec("DELETE FROM users WHERE id = ?1", &[text(id)])
            .await?;
        Ok(())
    }

    async fn user(&mut self, id: &str) -> Result<Option<User>> {
        let rows = self
            .fetch_all(&format!("{USER_SELECT} WHERE u.id = ?1"), &[text(id)])
            .await?;
        rows.first().map(user_row).transpose()
    }

    async fn find_users(&mut self, q: &Query) -> Result<Page<User>> {
        let (total, rows) = self
            .page(USER_SELECT, "users u", &USERS, "u.ns_code", q)
            .await?;
        page(q, total, rows, user_row)
    }

    async fn username_taken(&mut self, ns_code: &str, username: &str) -> Result<bool> {
        let n = self
            .count(
                "SELECT count(*) FROM users WHERE ns_code = ?1 AND username_lower = ?2",
                &[text(ns_code), Bind::Text(username.to_lowercase())],
            )
            .await?;
        Ok(n > 0)
    }

    async fn insert_client(&mut self, client: &ManagementClient, secret_hash: &str) -> Result<()> {
        self.exec(
            "INSERT INTO clients (id, doc, secret_hash, created_ms) VALUES (?1, ?2, ?3, ?4)",
            &[
                text(&client.id),
                Bind::Text(rows::client_doc(client)?),
                text(secret_hash),
                Bind::Int(
                    portti_core::time::parse_ms(&client.created)
                        .unwrap_or_else(portti_core::time::now_ms),
                ),
            ],
        )
        .await
        .map_err(|e| conflict(e, || format!("client {} already exists", client.id)))?;
        Ok(())
    }

    async fn update_client(
        &mut self,
        client: &ManagementClient,
        secret_hash: Option<&str>,
    ) -> Result<()> {
        let doc = Bind::Text(rows::client_doc(client)?);
        match secret_hash {
            Some(h) => {
                self.exec(
                    "UPDATE clients SET doc = ?2, secret_hash = ?3 WHERE id = ?1",
                    &[text(&client.id), doc, text(h)],
                )
                .await?
            }
            None => {
                self.exec(
                    "UPDATE clients SET doc = ?2 WHERE id = ?1",
                    &[text(&client.id), doc],
                )
                .await?
            }
        };
        Ok(())
    }

    async fn delete_client(&mut self, id: &str) -> Result<bool> {
        Ok(self
            .exec("DELETE FROM clients WHERE id = ?1", &[text(id)])
            .await?
            > 0)
    }

    async fn client(&mut self, id: &str) -> Result<Option<(ManagementClient, String)>> {
        let rows = self
            .fetch_all(
                "SELECT doc, secret_hash FROM clients WHERE id = ?1",
                &[text(id)],
            )
            .await?;
        match rows.first() {
            None => Ok(None),
            Some(r) => {
                let doc: String = r.try_get(0).map_err(db_err)?;
                Ok(Some((
                    rows::client_from(&doc)?,
                    r.try_get(1).map_err(db_err)?,
                )))
            }
        }
    }

    async fn clients(&mut self) -> Result<Vec<ManagementClient>> {
        let rows = self
            .fetch_all("SELECT doc FROM clients ORDER BY created_ms, id", &[])
            .await?;
        rows.iter()
            .map(|r| rows::client_from(&r.try_get::<String, _>(0).map_err(db_err)?))
            .collect()
    }
}
