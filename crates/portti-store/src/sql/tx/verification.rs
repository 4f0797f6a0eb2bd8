//! Verification secrets, SMS attempt counts and invitations, written once for every SQL backend.

use super::text;
use crate::sql::conn::{Cell, Conn, Kind};
use crate::sql::Bind;
use portti_core::model::{Invite, Verification, VerificationKind};
use portti_core::{Error, Result};

const VERIFICATION_COLUMNS: &str =
    "id, kind, hash, user_id, target, return_url, created_ms, expires_ms, used_ms";
const VERIFICATION_KINDS: &[Kind] = &[
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Int,
    Kind::Int,
    Kind::Int,
];

fn verification_row(r: &[Cell]) -> Result<Verification> {
    let used = r[8].int()?;
    Ok(Verification {
        id: r[0].text()?,
        kind: r[1].text()?.parse()?,
        hash: r[2].text()?,
        user_id: r[3].text()?,
        target: r[4].text()?,
        return_url: r[5].opt_text(),
        created_ms: r[6].int()?,
        expires_ms: r[7].int()?,
        used_ms: (used > 0).then_some(used),
    })
}

pub(super) async fn insert_verification<C: Conn>(conn: &mut C, v: &Verification) -> Result<()> {
    let sql = format!(
        "INSERT INTO verifications ({VERIFICATION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
    );
    let binds = [
        text(&v.id),
        text(v.kind.as_str()),
        text(&v.hash),
        text(&v.user_id),
        text(&v.target),
        v.return_url.clone().map(Bind::Text).unwrap_or(Bind::Null),
        Bind::Int(v.created_ms),
        Bind::Int(v.expires_ms),
        Bind::Int(v.used_ms.unwrap_or(0)),
    ];
    conn.exec(&sql, &binds).await?;
    Ok(())
}

pub(super) async fn verification_by_hash<C: Conn>(conn: &mut C, hash: &str) -> Result<Option<Verification>> {
    let sql = format!("SELECT {VERIFICATION_COLUMNS} FROM verifications WHERE hash = ?1");
    let rows = conn.rows(&sql, &[text(hash)], VERIFICATION_KINDS).await?;
    rows.first().map(|r| verification_row(r)).transpose()
}

pub(super) async fn pending_verifications<C: Conn>(
    conn: &mut C,
    user_id: &str,
    kind: VerificationKind,
    now_ms: i64,
) -> Result<Vec<Verification>> {
    let sql = format!(
        "SELECT {VERIFICATION_COLUMNS} FROM verifications \
         WHERE user_id = ?1 AND kind = ?2 AND used_ms = 0 AND expires_ms > ?3 \
         ORDER BY created_ms DESC, id DESC"
    );
    let binds = [text(user_id), text(kind.as_str()), Bind::Int(now_ms)];
    let rows = conn.rows(&sql, &binds, VERIFICATION_KINDS).await?;
    rows.iter().map(|r| verification_row(r)).collect()
}

pub(super) async fn spend_verification<C: Conn>(conn: &mut C, id: &str, at_ms: i64) -> Result<bool> {
    let sql = "UPDATE verifications SET used_ms = ?2 WHERE id = ?1 AND used_ms = 0";
    Ok(conn.exec(sql, &[text(id), Bind::Int(at_ms.max(1))]).await? > 0)
}

pub(super) async fn discard_verifications<C: Conn>(
    conn: &mut C,
    user_id: &str,
    unused_of: Option<VerificationKind>,
    forget_before_ms: i64,
) -> Result<()> {
    let old = "DELETE FROM verifications WHERE user_id = ?1 \
               AND (expires_ms <= ?2 OR (used_ms > 0 AND used_ms <= ?2))";
    conn.exec(old, &[text(user_id), Bind::Int(forget_before_ms)]).await?;
    if let Some(kind) = unused_of {
        let sql = "DELETE FROM verifications WHERE user_id = ?1 AND kind = ?2 AND used_ms = 0";
        conn.exec(sql, &[text(user_id), text(kind.as_str())]).await?;
    }
    Ok(())
}

pub(super) async fn record_attempt<C: Conn>(
    conn: &mut C,
    user_id: &str,
    at_ms: i64,
    forget_before_ms: i64,
) -> Result<()> {
    let forget = "DELETE FROM verification_attempts WHERE user_id = ?1 AND at_ms < ?2";
    conn.exec(forget, &[text(user_id), Bind::Int(forget_before_ms)]).await?;
    let sql = "INSERT INTO verification_attempts (user_id, at_ms) VALUES (?1, ?2)";
    conn.exec(sql, &[text(user_id), Bind::Int(at_ms)]).await?;
    Ok(())
}

pub(super) async fn attempts<C: Conn>(conn: &mut C, user_id: &str, since_ms: i64) -> Result<u64> {
    let sql = "SELECT count(*) FROM verification_attempts WHERE user_id = ?1 AND at_ms >= ?2";
    let rows = conn.rows(sql, &[text(user_id), Bind::Int(since_ms)], &[Kind::Int]).await?;
    Ok(rows.first().map(|r| r[0].int()).transpose()?.unwrap_or(0).max(0) as u64)
}

const INVITE_COLUMNS: &str =
    "id, hash, ns_code, email, group_ids, locale, invited_by, created_ms, expires_ms, used_ms, user_id";
const INVITE_KINDS: &[Kind] = &[
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Int,
    Kind::Int,
    Kind::Int,
    Kind::Text,
];

fn invite_row(r: &[Cell]) -> Result<Invite> {
    let groups = serde_json::from_str(&r[4].text()?)
        .map_err(|e| Error::Internal(format!("unreadable groups of an invitation: {e}")))?;
    let used = r[9].int()?;
    Ok(Invite {
        id: r[0].text()?,
        hash: r[1].text()?,
        ns_code: r[2].text()?,
        email: r[3].text()?,
        groups,
        locale: r[5].text()?,
        invited_by: r[6].text()?,
        created_ms: r[7].int()?,
        expires_ms: r[8].int()?,
        used_ms: (used > 0).then_some(used),
        user_id: r[10].opt_text(),
    })
}

pub(super) async fn insert_invite<C: Conn>(conn: &mut C, i: &Invite) -> Result<()> {
    let sql = format!(
        "INSERT INTO invites ({INVITE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
    );
    let groups = serde_json::to_string(&i.groups)
        .map_err(|e| Error::Internal(format!("cannot store the groups of an invitation: {e}")))?;
    let binds = [
        text(&i.id),
        text(&i.hash),
        text(&i.ns_code),
        text(&i.email),
        Bind::Text(groups),
        text(&i.locale),
        text(&i.invited_by),
        Bind::Int(i.created_ms),
        Bind::Int(i.expires_ms),
        Bind::Int(i.used_ms.unwrap_or(0)),
        i.user_id.clone().map(Bind::Text).unwrap_or(Bind::Null),
    ];
    conn.exec(&sql, &binds).await?;
    Ok(())
}

pub(super) async fn invite_by_hash<C: Conn>(conn: &mut C, hash: &str) -> Result<Option<Invite>> {
    let sql = format!("SELECT {INVITE_COLUMNS} FROM invites WHERE hash = ?1");
    let rows = conn.rows(&sql, &[text(hash)], INVITE_KINDS).await?;
    rows.first().map(|r| invite_row(r)).transpose()
}

pub(super) async fn spend_invite<C: Conn>(conn: &mut C, id: &str, user_id: &str, at_ms: i64) -> Result<bool> {
    let sql = "UPDATE invites SET used_ms = ?3, user_id = ?2 WHERE id = ?1 AND used_ms = 0";
    Ok(conn.exec(sql, &[text(id), text(user_id), Bind::Int(at_ms.max(1))]).await? > 0)
}
