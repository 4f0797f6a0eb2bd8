//! Email templates and the members of groups (for mail to a group), written once for
//! every SQL backend.

use super::{page, text, user_row, user_select, SqlTx, REVISED_KINDS};
use crate::rows;
use crate::sql::conn::{Cell, Conn, Kind};
use crate::sql::{compile_order, query_where, Bind, Columns, NameIndex, Source};
use crate::{Query, Scope};
use portti_core::attr::Resource;
use portti_core::model::{EmailTemplate, Meta, User};
use portti_core::page::Page;
use portti_core::Result;

const TEMPLATES: Columns = Columns {
    resource: Resource::EmailTemplate,
    doc: "t.doc",
    sources: &[
        ("id", Source::Column("t.id")),
        ("name", Source::Column("t.name")),
        ("meta.created", Source::Column("t.created_ms")),
        ("meta.lastModified", Source::Column("t.modified_ms")),
        (
            "namespaceIds",
            Source::Related {
                table: "email_template_namespaces tn",
                owner: "tn.template_id",
                key: "t.id",
                value: "tn.namespace_id",
            },
        ),
    ],
    order: "t.created_ms, t.id",
    custom_doc: None,
    always: "1 = 1",
};

/// Keys kept in columns or the namespace table, so left out of the document.
const TEMPLATE_COLUMNS: &[&str] = &["id", "name", "namespaceIds", "meta"];

const TEMPLATE_KINDS: &[Kind] = &[Kind::Text, Kind::Text, Kind::Text, Kind::Int, Kind::Int, Kind::Text];

fn template_select<C: Conn>(tx: &SqlTx<C>) -> String {
    let d = tx.d();
    format!(
        "SELECT t.id, t.name, {}, t.created_ms, t.modified_ms, {} FROM email_templates t",
        d.doc_text("t.doc"),
        d.id_array(
            "tn.namespace_id",
            "email_template_namespaces tn WHERE tn.template_id = t.id",
            "tn.position"
        )
    )
}

fn template_row(r: &[Cell]) -> Result<EmailTemplate> {
    let mut t: EmailTemplate = rows::parse_doc(&r[2].text()?)?;
    t.id = r[0].text()?;
    t.name = r[1].text()?;
    t.meta = Meta::from_ms(r[3].int()?, r[4].int()?);
    t.namespace_ids = rows::id_list(r[5].opt_text().as_deref())?;
    Ok(t)
}

impl<C: Conn> SqlTx<C> {
    pub(super) async fn insert_template(&mut self, t: &EmailTemplate) -> Result<()> {
        let (created, modified) = rows::meta_ms(&t.meta);
        let sql = format!(
            "INSERT INTO email_templates (id, name, doc, created_ms, modified_ms) VALUES (?1, ?2, {}, ?4, ?5)",
            self.d().doc_param(3)
        );
        let binds = [
            text(&t.id),
            text(&t.name),
            Bind::Text(rows::doc(t, TEMPLATE_COLUMNS)?),
            Bind::Int(created),
            Bind::Int(modified),
        ];
        self.conn.exec(&sql, &binds).await?;
        self.write_template_namespaces(t).await
    }

    pub(super) async fn update_template(&mut self, t: &EmailTemplate) -> Result<()> {
        let (_, modified) = rows::meta_ms(&t.meta);
        let sql = format!(
            "UPDATE email_templates SET name = ?2, doc = {}, modified_ms = ?4 WHERE id = ?1",
            self.d().doc_param(3)
        );
        let binds =
            [text(&t.id), text(&t.name), Bind::Text(rows::doc(t, TEMPLATE_COLUMNS)?), Bind::Int(modified)];
        self.conn.exec(&sql, &binds).await?;
        self.write_template_namespaces(t).await
    }

    async fn write_template_namespaces(&mut self, t: &EmailTemplate) -> Result<()> {
        self.replace_list(
            "email_template_namespaces",
            "template_id",
            &t.id,
            "namespace_id",
            t.namespace_ids.iter().cloned(),
        )
        .await
    }

    pub(super) async fn delete_template(&mut self, id: &str) -> Result<bool> {
        Ok(self.conn.exec("DELETE FROM email_templates WHERE id = ?1", &[text(id)]).await? > 0)
    }

    pub(super) async fn template(&mut self, id: &str) -> Result<Option<EmailTemplate>> {
        let sql = format!("{} WHERE t.id = ?1", template_select(self));
        self.one(&sql, &[text(id)], TEMPLATE_KINDS, template_row).await
    }

    pub(super) async fn find_templates(
        &mut self,
        q: &Query,
        namespace_ids: Option<&[String]>,
    ) -> Result<Page<EmailTemplate>> {
        let d = self.d();
        let unscoped = Query { scope: Scope::All, ..q.clone() };
        let mut w = query_where(&unscoped, &TEMPLATES, "t.id", d, NameIndex::Drives)?;
        if let Some(ids) = namespace_ids {
            if ids.is_empty() {
                w.sql = format!("{} AND 1 = 0", w.sql);
            } else {
                let first = w.binds.len() + 1;
                let marks: Vec<String> = (first..first + ids.len()).map(|n| d.placeholder(n)).collect();
                w.sql = format!(
                    "{} AND EXISTS (SELECT 1 FROM email_template_namespaces tv \
                     WHERE tv.template_id = t.id AND tv.namespace_id IN ({}))",
                    w.sql,
                    marks.join(", ")
                );
                w.binds.extend(ids.iter().cloned().map(Bind::Text));
            }
        }
        let order = compile_order(q.page.sort.as_ref(), &TEMPLATES, d)?;
        let total =
            self.count(&format!("SELECT count(*) FROM email_templates t WHERE {}", w.sql), &w.binds).await?;
        if q.page.count == 0 || q.page.start >= total {
            return page(q, total, Vec::new(), template_row);
        }
        let mut binds = w.binds;
        let n = binds.len();
        binds.push(Bind::Int(q.page.count as i64));
        binds.push(Bind::Int(q.page.start.min(i64::MAX as u64) as i64));
        let sql =
            format!("{} WHERE {} {order} LIMIT ?{} OFFSET ?{}", template_select(self), w.sql, n + 1, n + 2);
        let rows = self.conn.rows(&sql, &binds, TEMPLATE_KINDS).await?;
        page(q, total, rows, template_row)
    }

    pub(super) async fn group_members(&mut self, group_ids: &[String]) -> Result<Vec<User>> {
        if group_ids.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=group_ids.len()).map(|n| format!("?{n}")).collect();
        let sql = format!(
            "{} WHERE u.hidden = 0 AND u.id IN (SELECT m.user_id FROM memberships m WHERE m.group_id IN ({})) \
             ORDER BY u.created_ms, u.id",
            user_select(self.d()),
            marks.join(", ")
        );
        let binds: Vec<Bind> = group_ids.iter().cloned().map(Bind::Text).collect();
        let rows = self.conn.rows(&sql, &binds, REVISED_KINDS).await?;
        rows.iter().map(|r| user_row(r)).collect()
    }
}
