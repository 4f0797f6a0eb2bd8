//! Bulk import and export of a namespace's users, one whole user per NDJSON line.
//!
//! A line is the user as `GET user/{id}` shows it (with its `id` and `meta`), `memberOf` as
//! group names, plus `customFields`, `facets` (what else is kept beside the user),
//! `strongIdentificationHistory`, `passwordHash` and, for hidden soft-deleted users,
//! `hidden`. Reading a line checks it with the rules of the user service; writing a batch
//! checks ids and usernames against the store and resolves group names once per batch.

use crate::facets::{check_custom_fields, check_legal_info, check_student_state};
use crate::groups::resolve_or_create;
use crate::password::check_hash_form;
use crate::users::{check_limits, check_username, generate_username_besides, username_taken};
use crate::Directory;
use portti_core::field::Field;
use portti_core::model::{Door, Meta, Namespace, StrongIdentification, User, UserChanges, UserFacets};
use portti_core::page::PageRequest;
use portti_core::{id, time, Error, Result};
use portti_store::{Query, Scope, Tx, WholeUser};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

/// Attempts at a batch while the store is busy (pauses of 0.1, 0.2, ... 1.6 s between).
const BUSY_ATTEMPTS: u32 = 6;

/// Keys of a line beyond the user's own.
const CUSTOM_FIELDS: &str = "customFields";
const FACETS: &str = "facets";
const HISTORY: &str = "strongIdentificationHistory";
const PASSWORD_HASH: &str = "passwordHash";
const HIDDEN: &str = "hidden";

/// A line that could not be imported: its number and why.
#[derive(Debug, Clone, PartialEq)]
pub struct LineError {
    /// 1-based line number in the file.
    pub line: u64,
    /// Why it was refused.
    pub reason: String,
}

/// Lines read and checked on their own, ready for [`Directory::import_batch`].
#[derive(Debug, Default)]
pub struct ReadBatch {
    records: Vec<Record>,
    failures: Vec<LineError>,
}

impl ReadBatch {
    /// How many lines it holds (good and bad; blank lines are not counted).
    pub fn len(&self) -> usize {
        self.records.len() + self.failures.len()
    }

    /// Whether it holds no line.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// What its lines claim that another line may claim too: the ids and the (lowercased)
    /// usernames they give. Two batches that share none can be written at the same time
    /// with the outcome of writing them one after the other.
    pub fn claims(&self) -> HashSet<String> {
        let ids = self.records.iter().filter(|r| r.given_id).map(|r| r.whole.user.id.clone());
        let names = self.records.iter().filter_map(|r| r.username.as_ref()).map(|u| u.to_lowercase());
        ids.chain(names).collect()
    }

    /// Refuse a line the reader could not even hand over (say, one that is not text).
    pub fn refuse(&mut self, line: u64, reason: &str) {
        self.failures.push(LineError { line, reason: reason.into() });
    }
}

/// What a batch came to.
#[derive(Debug, Default, PartialEq)]
pub struct BatchReport {
    /// Users written.
    pub imported: u64,
    /// Users whose id is already in the namespace (imported before), left as they are.
    pub skipped: u64,
    /// Lines refused, in line order (with `strict`, only the first).
    pub failures: Vec<LineError>,
}

/// A checked line.
#[derive(Debug, Clone)]
struct Record {
    line: u64,
    /// The user with everything beside it; `memberOf` still empty, `groupRoles` by name.
    whole: WholeUser,
    /// Whether the line gave the id (else it is new).
    given_id: bool,
    /// The username the line gave (else the namespace's policy makes one).
    username: Option<String>,
    /// Group names (or ids) from `memberOf`.
    groups: Vec<String>,
}

/// Reads lines for one namespace; cheap to clone, so lines can be read on another thread.
#[derive(Debug, Clone)]
pub struct ImportReader {
    ns: Namespace,
    now: String,
}

/// An import into one namespace in progress.
#[derive(Debug)]
pub struct Import {
    reader: ImportReader,
    strict: bool,
    /// Ids given in the file that this import wrote, to tell an id the file repeats from
    /// one imported before (12 bytes each: ids are 24 hex digits); shared by the batches
    /// being written at once.
    written: Mutex<HashSet<[u8; 12]>>,
}

impl Import {
    /// The reader of this import's lines.
    pub fn reader(&self) -> ImportReader {
        self.reader.clone()
    }

    /// How many batches to write at once: one for a strict import (it stops at the first
    /// bad line, so batches go in file order), else as many as the store takes.
    pub fn writers(&self, dir: &Directory) -> usize {
        if self.strict {
            1
        } else {
            dir.store.bulk_writers().max(1)
        }
    }

    fn lock_written(&self) -> std::sync::MutexGuard<'_, HashSet<[u8; 12]>> {
        self.written.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Directory {
    /// Begin an import into the namespace `ns_code`; `strict` stops at the first bad line.
    pub async fn start_import(&self, ns_code: &str, strict: bool) -> Result<Import> {
        let ns = namespace(self.read().await?.as_mut(), ns_code).await?;
        let reader = ImportReader { ns, now: time::format_ms(time::now_ms()) };
        Ok(Import { reader, strict, written: Mutex::default() })
    }

    /// End an import (or several): let the store's planner see the new users.
    pub async fn finish_import(&self) -> Result<()> {
        let mut tx = self.write().await?;
        tx.refresh_statistics().await?;
        tx.commit().await
    }

    /// Write a batch of read lines in one transaction: users whose id is already in the
    /// namespace are skipped, lines whose id or username is taken are refused, missing
    /// groups are created. With `strict`, nothing from the first bad line on is written.
    pub async fn import_batch(&self, import: &Import, batch: ReadBatch) -> Result<BatchReport> {
        let mut report = BatchReport { failures: batch.failures, ..Default::default() };
        let first_bad = report.failures.iter().map(|f| f.line).min();
        let records: Vec<Record> = batch
            .records
            .into_iter()
            .filter(|r| !import.strict || first_bad.is_none_or(|b| r.line < b))
            .collect();
        match self.write_records_retrying(import, &records, &mut report).await {
            Ok(()) => {}
            Err(Error::Conflict(_)) => self.write_one_by_one(import, &records, &mut report).await?,
            Err(e) => return Err(e),
        }
        report.failures.sort_by_key(|f| f.line);
        if import.strict {
            report.failures.truncate(1);
        }
        Ok(report)
    }

    /// Check and write records in one transaction; a conflict with a concurrent writer
    /// fails it all (and changes nothing).
    async fn write_records(
        &self,
        import: &Import,
        records: &[Record],
        report: &mut BatchReport,
    ) -> Result<()> {
        let mut outcome = BatchReport::default();
        let mut tx = self.write().await?;
        let staged = stage(tx.as_mut(), import, records, &mut outcome).await?;
        outcome.imported = staged.len() as u64;
        let given: HashSet<&str> =
            records.iter().filter(|r| r.given_id).map(|r| r.whole.user.id.as_str()).collect();
        let written: Vec<[u8; 12]> = staged
            .iter()
            .filter(|w| given.contains(w.user.id.as_str()))
            .filter_map(|w| id_bytes(&w.user.id))
            .collect();
        tx.insert_users(staged).await?;
        // Before the commit: a batch written at the same time that repeats one of these ids
        // must find it here once it finds it in the store. (If the commit fails, the ids
        // are not in the store, and nothing looks here for them.)
        import.lock_written().extend(written);
        tx.commit().await?;
        report.imported += outcome.imported;
        report.skipped += outcome.skipped;
        report.failures.extend(outcome.failures);
        Ok(())
    }

    /// [`Directory::write_records`], again after a pause while the store is busy (another
    /// process committed between the batch's reads and its writes, a deadlock was broken)
    /// or briefly unreachable: a failed attempt changed nothing.
    async fn write_records_retrying(
        &self,
        import: &Import,
        records: &[Record],
        report: &mut BatchReport,
    ) -> Result<()> {
        let mut pause = std::time::Duration::from_millis(100);
        for _ in 1..BUSY_ATTEMPTS {
            match self.write_records(import, records, report).await {
                Err(Error::Unavailable(why)) => tracing::debug!(%why, "import batch retried"),
                done => return done,
            }
            tokio::time::sleep(pause).await;
            pause *= 2;
        }
        self.write_records(import, records, report).await
    }

    /// After a batch met a concurrent writer: each record in a transaction of its own.
    async fn write_one_by_one(
        &self,
        import: &Import,
        records: &[Record],
        report: &mut BatchReport,
    ) -> Result<()> {
        let refused_before = report.failures.len();
        for record in records {
            match self.write_records_retrying(import, std::slice::from_ref(record), report).await {
                Ok(()) => {}
                Err(Error::Conflict(reason)) => report.failures.push(LineError { line: record.line, reason }),
                Err(e) => return Err(e),
            }
            if import.strict && report.failures.len() > refused_before {
                break;
            }
        }
        Ok(())
    }
}

/// The 12 bytes a (24 hex digit) id stands for.
fn id_bytes(id: &str) -> Option<[u8; 12]> {
    let mut out = [0u8; 12];
    for (i, pair) in id.as_bytes().chunks(2).enumerate() {
        let digits = std::str::from_utf8(pair).ok()?;
        *out.get_mut(i)? = u8::from_str_radix(digits, 16).ok()?;
    }
    (id.len() == 24).then_some(out)
}

/// The namespace `code` names exactly.
async fn namespace(tx: &mut dyn Tx, code: &str) -> Result<Namespace> {
    match tx.namespace(code).await? {
        Some(ns) if ns.code == code => Ok(ns),
        _ => Err(Error::not_found("namespace", code)),
    }
}

/// The whole users to write for `records`: skip ids already in the namespace, refuse taken
/// ids and usernames, make missing usernames, resolve groups. Refusals go to `report`.
async fn stage(
    tx: &mut dyn Tx,
    import: &Import,
    records: &[Record],
    report: &mut BatchReport,
) -> Result<Vec<WholeUser>> {
    let ns = namespace(tx, &import.reader.ns.code).await?;
    let fresh = screen_ids(tx, import, records, report).await?;
    let named = screen_usernames(tx, &ns, fresh, report).await?;
    let named = cut_at_first_failure(import, named, report);
    let mut groups = GroupCache::default();
    let mut staged = Vec::with_capacity(named.len());
    for (record, username) in named {
        match groups.resolve(tx, &ns.code, &record.groups, &import.reader.now).await? {
            Ok(ids) => staged.push(whole_user(record, username, ids)),
            Err(reason) => {
                report.failures.push(LineError { line: record.line, reason });
                if import.strict {
                    break;
                }
            }
        }
    }
    Ok(staged)
}

/// Records whose id is new: an id already in the namespace is skipped (written before),
/// unless this import wrote it (then the file repeats it); elsewhere it is refused.
async fn screen_ids<'r>(
    tx: &mut dyn Tx,
    import: &Import,
    records: &'r [Record],
    report: &mut BatchReport,
) -> Result<Vec<&'r Record>> {
    let given: Vec<String> = records.iter().filter(|r| r.given_id).map(|r| r.whole.user.id.clone()).collect();
    let stored: HashMap<String, String> = tx.user_namespaces(&given).await?.into_iter().collect();
    let mut seen: HashMap<&str, u64> = HashMap::new();
    let mut fresh = Vec::with_capacity(records.len());
    for r in records {
        let id = r.whole.user.id.as_str();
        let refusal = match (stored.get(id), seen.get(id)) {
            (_, Some(first)) => Some(format!("id {id} is listed twice (first on line {first})")),
            (Some(_), None) if id_bytes(id).is_some_and(|b| import.lock_written().contains(&b)) => {
                Some(format!("id {id} is listed twice"))
            }
            (Some(ns), None) if *ns == import.reader.ns.code => {
                report.skipped += 1;
                continue;
            }
            (Some(ns), None) => Some(format!("id {id} is taken by a user of namespace {ns}")),
            (None, None) => None,
        };
        seen.insert(id, r.line);
        match refusal {
            Some(reason) => report.failures.push(LineError { line: r.line, reason }),
            None => fresh.push(r),
        }
    }
    Ok(fresh)
}

/// Records with their username: a given one must be free in the store and in the batch;
/// a missing one is made by the namespace's policy.
async fn screen_usernames<'r>(
    tx: &mut dyn Tx,
    ns: &Namespace,
    records: Vec<&'r Record>,
    report: &mut BatchReport,
) -> Result<Vec<(&'r Record, String)>> {
    let lowered: Vec<String> =
        records.iter().filter_map(|r| r.username.as_ref()).map(|u| u.to_lowercase()).collect();
    let mut taken: HashSet<String> = tx.taken_usernames(&ns.code, &lowered).await?.into_iter().collect();
    let mut named = Vec::with_capacity(records.len());
    let mut pending = Vec::new();
    for r in records {
        let Some(given) = &r.username else {
            pending.push(r);
            continue;
        };
        if taken.insert(given.to_lowercase()) {
            named.push((r, given.clone()));
        } else {
            report.failures.push(LineError { line: r.line, reason: username_taken(ns, given).to_string() });
        }
    }
    for r in pending {
        match generate_username_besides(tx, ns, &r.whole.user, &taken).await {
            Ok(made) => {
                taken.insert(made.to_lowercase());
                named.push((r, made));
            }
            Err(Error::Unavailable(m)) => return Err(Error::Unavailable(m)),
            Err(e) => report.failures.push(LineError { line: r.line, reason: e.to_string() }),
        }
    }
    named.sort_by_key(|(r, _)| r.line);
    Ok(named)
}

/// With `strict`, only the records before the first refused line.
fn cut_at_first_failure<'r>(
    import: &Import,
    mut named: Vec<(&'r Record, String)>,
    report: &BatchReport,
) -> Vec<(&'r Record, String)> {
    if let Some(first) = report.failures.iter().map(|f| f.line).min().filter(|_| import.strict) {
        named.retain(|(r, _)| r.line < first);
    }
    named
}

/// Group names (or ids) resolved to ids once per batch; missing ones are created.
#[derive(Default)]
struct GroupCache {
    ids: HashMap<String, Result<String, String>>,
}

impl GroupCache {
    /// The ids of `refs` in order, or why one of them cannot be a group.
    async fn resolve(
        &mut self,
        tx: &mut dyn Tx,
        ns_code: &str,
        refs: &[String],
        now: &str,
    ) -> Result<Result<Vec<String>, String>> {
        let mut ids = Vec::with_capacity(refs.len());
        for r in refs {
            if !self.ids.contains_key(r) {
                let found = match resolve_or_create(tx, ns_code, vec![r.clone()], now).await {
                    Ok(mut one) => one.pop().ok_or_else(|| format!("group {r} could not be resolved")),
                    Err(e @ (Error::Unavailable(_) | Error::Internal(_))) => return Err(e),
                    Err(e) => Err(e.to_string()),
                };
                self.ids.insert(r.clone(), found);
            }
            match &self.ids[r] {
                Ok(id) if !ids.contains(id) => ids.push(id.clone()),
                Ok(_) => {}
                Err(reason) => return Ok(Err(reason.clone())),
            }
        }
        Ok(Ok(ids))
    }
}

/// The user to write: its username and group ids set, group roles keyed by group id.
fn whole_user(record: &Record, username: String, group_ids: Vec<String>) -> WholeUser {
    let mut whole = record.whole.clone();
    whole.user.username = username;
    let roles = std::mem::take(&mut whole.facets.group_roles);
    whole.facets.group_roles = roles
        .into_iter()
        .map(|(key, role)| match record.groups.iter().position(|g| *g == key) {
            Some(i) => (group_ids.get(i).cloned().unwrap_or(key), role),
            None => (key, role),
        })
        .collect();
    whole.user.member_of = group_ids;
    whole
}

impl ImportReader {
    /// Read and check lines (number, text) on their own; blank lines are passed over.
    pub fn read(&self, lines: Vec<(u64, String)>) -> ReadBatch {
        let mut batch = ReadBatch::default();
        for (line, text) in lines {
            if text.trim().is_empty() {
                continue;
            }
            match self.record(line, &text) {
                Ok(r) => batch.records.push(r),
                Err(e) => batch.failures.push(LineError { line, reason: e.to_string() }),
            }
        }
        batch
    }

    fn record(&self, line: u64, text: &str) -> Result<Record> {
        let mut value: Value = serde_json::from_str(text).map_err(not_json)?;
        let obj = value.as_object_mut().ok_or_else(|| Error::bad("not a JSON object"))?;
        if obj.get("password").is_some_and(|p| !p.is_null()) {
            return Err(Error::bad("a plain password is not imported: give its hash as passwordHash"));
        }
        let hash: Option<String> = take(obj, PASSWORD_HASH)?;
        let custom: Option<Map<String, Value>> = take(obj, CUSTOM_FIELDS)?;
        let facets: Option<UserFacets> = take(obj, FACETS)?;
        let history: Option<Vec<StrongIdentification>> = take(obj, HISTORY)?;
        let hidden: Option<bool> = take(obj, HIDDEN)?;
        let given_id: Option<String> = take(obj, "id")?;
        let meta: Option<Meta> = take(obj, "meta")?;
        let strong: Option<StrongIdentification> = take(obj, "strongIdentification")?;
        let (mut user, username, groups) = self.profile(&value)?;
        let given = given_id.is_some();
        user.id = match given_id {
            Some(id) if id::is_id(&id) => id,
            Some(id) => {
                return Err(Error::bad(format!("id '{id}' is not an id (24 lowercase hex characters)")))
            }
            None => id::new_id(),
        };
        user.strong_identification = strong.unwrap_or_default();
        user.meta = self.meta(meta)?;
        let facets = self.facets(facets, custom, hash.as_deref())?;
        let history = self.history(history.unwrap_or_default())?;
        let whole = WholeUser { user, facets, password_hash: hash, hidden: hidden.unwrap_or(false), history };
        Ok(Record { line, whole, given_id: given, username, groups })
    }

    /// The profile as `create user` checks it, with the verification the line records.
    fn profile(&self, value: &Value) -> Result<(User, Option<String>, Vec<String>)> {
        let mut changes = UserChanges::deserialize(value).map_err(|e| Error::bad(e.to_string()))?;
        let username = std::mem::take(&mut changes.username).value().map(|u| u.trim().to_string());
        let username = username.filter(|u| !u.is_empty());
        let groups = std::mem::take(&mut changes.member_of).value().unwrap_or_default();
        changes.ns_code = Field::Absent;
        changes.password = Field::Absent;
        let mut user = User { ns_code: self.ns.code.clone(), ..Default::default() };
        changes.apply(&mut user, &self.now)?;
        keep_verification(&mut user, value);
        user.user_account_type.get_or_insert_with(|| "PERSON".into());
        check_limits(&self.ns, &user)?;
        if let Some(name) = &username {
            check_username(name)?;
        }
        Ok((user, username, groups.into_iter().map(|g| g.trim().to_string()).collect()))
    }

    /// Creation and modification as the line gives them (instants), else now.
    fn meta(&self, meta: Option<Meta>) -> Result<Meta> {
        let meta = meta.unwrap_or_default();
        let instant = |name: &str, v: Option<String>| match v {
            Some(s) => time::parse_ms(&s)
                .map(|ms| Some(time::format_ms(ms)))
                .ok_or_else(|| Error::bad(format!("meta.{name} '{s}' is not an instant"))),
            None => Ok(None),
        };
        let created = instant("created", meta.created)?.unwrap_or_else(|| self.now.clone());
        let modified = instant("lastModified", meta.last_modified)?.unwrap_or_else(|| created.clone());
        Ok(Meta { created: Some(created), last_modified: Some(modified), location: None })
    }

    /// What is kept beside the user, checked as the user service checks each part. A line
    /// without `facets` (from another system) is provisioned by import, its password set now.
    fn facets(
        &self,
        facets: Option<UserFacets>,
        custom: Option<Map<String, Value>>,
        hash: Option<&str>,
    ) -> Result<UserFacets> {
        let mut facets = facets.unwrap_or_else(|| UserFacets {
            provisioning_id: Some(Door::Import as i64),
            password_changed: hash.map(|_| self.now.clone()),
            ..Default::default()
        });
        if let Some(custom) = custom {
            facets.custom_fields = custom;
        }
        check_custom_fields(&facets.custom_fields)?;
        if let Some(legal) = &facets.legal {
            check_legal_info(legal)?;
        }
        if let Some(student) = &facets.student {
            check_student_state(student)?;
        }
        for h in hash.into_iter().chain(facets.password_history.iter().map(String::as_str)) {
            check_hash_form(h)?;
        }
        Ok(facets)
    }

    /// History entries with ids and times (new ones where the line gives none).
    fn history(&self, mut entries: Vec<StrongIdentification>) -> Result<Vec<StrongIdentification>> {
        for entry in &mut entries {
            match entry.id.as_deref() {
                Some(i) if !id::is_id(i) => {
                    return Err(Error::bad(format!("strongIdentificationHistory: '{i}' is not an id")))
                }
                Some(_) => {}
                None => entry.id = Some(id::new_id()),
            }
            match entry.time.as_deref().map(|t| (t, time::parse_ms(t))) {
                Some((t, None)) => {
                    return Err(Error::bad(format!(
                        "strongIdentificationHistory: time '{t}' is not an instant"
                    )))
                }
                Some((_, Some(ms))) => entry.time = Some(time::format_ms(ms)),
                None => entry.time = Some(self.now.clone()),
            }
        }
        Ok(entries)
    }
}

/// A line that does not parse, with the column where it stops (a line is one record).
fn not_json(e: serde_json::Error) -> Error {
    let message = e.to_string();
    let message = message.split(" at line ").next().unwrap_or_default();
    Error::bad(format!("not JSON: {message} at column {}", e.column()))
}

/// Take `key` out of the line as a `T` (`null` and absence as `T`'s reading of `null`).
fn take<T: DeserializeOwned>(obj: &mut Map<String, Value>, key: &str) -> Result<T> {
    let v = obj.remove(key).unwrap_or(Value::Null);
    serde_json::from_value(v).map_err(|e| Error::bad(format!("{key}: {e}")))
}

/// Keep the verification each email address and mobile number of the line records
/// (`verified`, `verifiedBy`, `verifiedDateTime`): the addresses were verified before.
fn keep_verification(user: &mut User, value: &Value) {
    for (i, e) in user.emails.iter_mut().enumerate() {
        if let Some((verified, by, at)) = verification(value, "emails", i) {
            (e.verified, e.verified_by, e.verified_date_time) = (verified, by, at);
        }
    }
    for (i, m) in user.mobiles.iter_mut().enumerate() {
        if let Some((verified, by, at)) = verification(value, "mobiles", i) {
            (m.verified, m.verified_by, m.verified_date_time) = (verified, by, at);
        }
    }
}

/// The verification the `i`-th entry of the line's `list` records, when it is an object.
fn verification(value: &Value, list: &str, i: usize) -> Option<(bool, Option<String>, Option<String>)> {
    let o = value.get(list)?.get(i)?.as_object()?;
    let text = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_string);
    Some((
        o.get("verified").and_then(Value::as_bool).unwrap_or(false),
        text("verifiedBy"),
        text("verifiedDateTime"),
    ))
}

/// A namespace's users being read out, page by page, in one consistent snapshot.
pub struct Export {
    tx: Box<dyn Tx>,
    ns_code: String,
    /// Group names by id.
    group_names: HashMap<String, String>,
    /// Where the next page starts: after this (lowercased) username.
    after: Option<String>,
    finished: bool,
    /// Users in the namespace, hidden ones included.
    total: u64,
}

impl Directory {
    /// Begin an export of the namespace `ns_code`.
    pub async fn start_export(&self, ns_code: &str) -> Result<Export> {
        let mut tx = self.read().await?;
        let ns = namespace(tx.as_mut(), ns_code).await?;
        let q = Query {
            filter: None,
            scope: Scope::Namespaces(vec![ns.code.clone()]),
            page: PageRequest { start: 0, count: u32::MAX, sort: None },
            text_case: Default::default(),
        };
        let groups = tx.find_groups(&q).await?.items;
        let group_names = groups.into_iter().map(|g| (g.id, g.name)).collect();
        let (total, _) = tx.namespace_usage(&ns.code).await?;
        Ok(Export { tx, ns_code: ns.code, group_names, after: None, finished: false, total })
    }
}

impl Export {
    /// How many users the export holds.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The next lines (at most `limit`), each a whole user; empty when all were read.
    pub async fn next_lines(&mut self, limit: u32) -> Result<Vec<String>> {
        if self.finished {
            return Ok(Vec::new());
        }
        let users = self.tx.whole_users(&self.ns_code, self.after.as_deref(), limit.max(1)).await?;
        self.finished = users.len() < limit.max(1) as usize;
        if let Some(last) = users.last() {
            self.after = Some(last.user.username.to_lowercase());
        }
        users.iter().map(|w| export_line(w, &self.group_names)).collect()
    }
}

/// One whole user as an NDJSON line (keys in a stable order).
fn export_line(whole: &WholeUser, group_names: &HashMap<String, String>) -> Result<String> {
    let name = |id: &String| group_names.get(id).cloned().unwrap_or_else(|| id.clone());
    let mut user = whole.user.clone();
    user.member_of = user.member_of.iter().map(name).collect();
    let mut facets = whole.facets.clone();
    let custom = std::mem::take(&mut facets.custom_fields);
    let roles = std::mem::take(&mut facets.group_roles);
    facets.group_roles = roles.into_iter().map(|(id, role)| (name(&id), role)).collect();
    let mut line = to_object(&user)?;
    let mut put = |key: &str, v: Value| {
        let empty = v.is_null()
            || v.as_object().is_some_and(Map::is_empty)
            || v.as_array().is_some_and(Vec::is_empty);
        if !empty {
            line.insert(key.to_string(), v);
        }
    };
    put(CUSTOM_FIELDS, Value::Object(custom));
    put(FACETS, Value::Object(to_object(&facets)?));
    put(HISTORY, serde_json::to_value(&whole.history).map_err(encoding)?);
    put(PASSWORD_HASH, whole.password_hash.clone().map(Value::String).unwrap_or(Value::Null));
    put(HIDDEN, if whole.hidden { Value::Bool(true) } else { Value::Null });
    serde_json::to_string(&line).map_err(encoding)
}

fn to_object<T: serde::Serialize>(value: &T) -> Result<Map<String, Value>> {
    match serde_json::to_value(value).map_err(encoding)? {
        Value::Object(map) => Ok(map),
        _ => Err(Error::Internal("a user did not encode as an object".into())),
    }
}

fn encoding(e: serde_json::Error) -> Error {
    Error::Internal(format!("cannot encode a user: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use portti_core::model::EmailAddress;

    fn reader() -> ImportReader {
        let ns = Namespace { code: "acme".into(), ..Default::default() };
        ImportReader { ns, now: "2024-05-01T08:00:00Z".into() }
    }

    fn read(lines: &[&str]) -> ReadBatch {
        reader().read(lines.iter().enumerate().map(|(i, l)| (i as u64 + 1, l.to_string())).collect())
    }

    fn failure(line: &str) -> String {
        let batch = read(&[line]);
        assert_eq!(batch.records.len(), 0, "{line} was accepted");
        batch.failures[0].reason.clone()
    }

    #[test]
    fn a_foreign_record_gets_defaults() {
        let batch = read(&[
            "",
            r#"{"username":" ann ","emails":["ann@example.com"],"memberOf":["Staff"],"passwordHash":"$2b$04$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie","nsCode":"other"}"#,
        ]);
        assert!(batch.failures.is_empty(), "{:?}", batch.failures);
        let r = &batch.records[0];
        assert_eq!(
            (r.line, r.username.as_deref(), r.groups.as_slice()),
            (2, Some("ann"), &["Staff".to_string()][..])
        );
        let w = &r.whole;
        assert!(!r.given_id && id::is_id(&w.user.id));
        assert_eq!(w.user.ns_code, "acme");
        assert_eq!(w.user.user_account_type.as_deref(), Some("PERSON"));
        assert_eq!(w.user.meta.created.as_deref(), Some("2024-05-01T08:00:00Z"));
        assert_eq!(w.facets.provisioning_id, Some(Door::Import as i64));
        assert_eq!(w.facets.password_changed.as_deref(), Some("2024-05-01T08:00:00Z"));
        assert!(!w.user.emails[0].verified);
    }

    #[test]
    fn ids_pack_into_twelve_bytes() {
        let id = id::new_id();
        assert_eq!(id::hex(&id_bytes(&id).unwrap()), id);
        assert_eq!(id_bytes("abc"), None);
        assert_eq!(id_bytes("zz0000000000000000000000"), None);
    }

    #[test]
    fn bad_lines_say_why() {
        assert_eq!(failure("{nope"), "not JSON: key must be a string at column 2");
        assert_eq!(failure("[1]"), "not a JSON object");
        assert!(failure(r#"{"emails":["not-an-address"]}"#).contains("not an email address"));
        assert!(failure(r#"{"emails":["a@x.fi","b@x.fi","c@x.fi"]}"#).contains("at most 2"));
        assert!(failure(r#"{"locked":"yes"}"#).contains("invalid type"));
        assert!(failure(r#"{"password":"secret"}"#).contains("passwordHash"));
        assert!(failure(r#"{"passwordHash":"md5:abc"}"#).contains("unknown hash form"));
        assert!(failure(r#"{"id":"42"}"#).contains("not an id"));
        assert!(failure(r#"{"meta":{"created":"yesterday"}}"#).contains("meta.created"));
        assert!(failure(r#"{"customFields":{"":1}}"#).contains("custom field name"));
        assert!(failure(r#"{"facets":{"student":{"state":"MAYBE"}}}"#).contains("state must be one of"));
        assert!(failure(&format!(r#"{{"username":"{}"}}"#, "x".repeat(256))).contains("1-255"));
    }

    #[test]
    fn an_exported_line_reads_back_to_the_same_user() {
        let mut whole = WholeUser::default();
        let u = &mut whole.user;
        u.id = id::new_id();
        u.username = "Ann".into();
        u.ns_code = "acme".into();
        u.user_account_type = Some("PERSON".into());
        u.emails = vec![EmailAddress {
            address: "ann@example.com".into(),
            verified: true,
            verified_by: Some("EMAIL_LINK".into()),
            verified_date_time: Some("2023-01-02T03:04:05.006Z".into()),
            name: Some("work".into()),
            tags: vec!["a".into()],
        }];
        u.member_of = vec!["g1".into()];
        u.meta = Meta::from_ms(1_000, 2_000);
        u.strong_identification.identified = true;
        u.strong_identification.personal_id = Some("010101-123N".into());
        whole.facets.custom_fields.insert("shoe".into(), Value::from(42));
        whole.facets.group_roles.insert("g1".into(), Value::from("1"));
        whole.facets.provisioning_id = Some(2);
        whole.facets.password_history =
            vec!["$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweA".into()];
        whole.password_hash =
            Some("pbkdf2_sha256$1000$y0oAppBVZ6SO$6u/g2gbv+qOaS3rL8d76grhuTf6lQR0wCh4lNMWdBqs=".into());
        whole.hidden = true;
        whole.history = vec![StrongIdentification {
            id: Some(id::new_id()),
            time: Some("2023-01-02T03:04:05Z".into()),
            identified: true,
            ..Default::default()
        }];
        let names = HashMap::from([("g1".to_string(), "Staff".to_string())]);
        let line = export_line(&whole, &names).unwrap();
        assert!(
            line.contains(r#""memberOf":["Staff"]"#) && line.contains(r#""groupRoles":{"Staff":"1"}"#),
            "{line}"
        );
        let batch = read(&[&line]);
        assert!(batch.failures.is_empty(), "{:?}", batch.failures);
        let r = &batch.records[0];
        assert!(r.given_id);
        let back = whole_user(r, r.username.clone().unwrap(), vec!["g1".into()]);
        assert_eq!(back, whole);
        assert_eq!(export_line(&back, &names).unwrap(), line);
    }
}
