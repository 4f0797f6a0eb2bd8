//! SQLite statements run on the calling thread through rusqlite: binding, typed cells and
//! error classification.

use crate::sql::conn::{Cell, Kind};
use crate::sql::{failure, Bind, Failure};
use portti_core::{Error, Result};
use rusqlite::types::{Null, ValueRef};
use rusqlite::{ffi, Connection, Statement};
use std::os::raw::c_int;

/// Configure the SQLite library once, before the process opens its first database:
/// SQLite allocates with mimalloc (as the rest of Portti does) instead of the C library's
/// malloc, whose free-list upkeep was a sixth of a bulk import's time; and it keeps no
/// memory statistics, which it otherwise updates under one process-wide mutex on every
/// allocation. Too late, once a database is open, this changes nothing (and is harmless).
pub fn configure_library() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let methods = ffi::sqlite3_mem_methods {
            xMalloc: Some(mem::malloc),
            xFree: Some(mem::free),
            xRealloc: Some(mem::realloc),
            xSize: Some(mem::size),
            xRoundup: Some(mem::roundup),
            xInit: Some(mem::init),
            xShutdown: Some(mem::shutdown),
            pAppData: std::ptr::null_mut(),
        };
        // SAFETY: sqlite3_config is given options and the arguments they document (a
        // pointer to the methods, which SQLite copies; an int), before any other SQLite call
        // of this process (ONCE, from the store's opening); SQLite refuses them harmlessly
        // (SQLITE_MISUSE) after its initialization.
        let taken = unsafe {
            [
                ffi::sqlite3_config(ffi::SQLITE_CONFIG_MALLOC, &methods as *const ffi::sqlite3_mem_methods),
                ffi::sqlite3_config(ffi::SQLITE_CONFIG_MEMSTATUS, 0 as c_int),
            ]
        };
        if taken != [ffi::SQLITE_OK; 2] {
            tracing::debug!(?taken, "SQLite was in use before it could be configured: left as it was");
        }
    });
}

/// SQLite's memory allocator on mimalloc (see `sqlite3_mem_methods`).
mod mem {
    use libmimalloc_sys::{mi_free, mi_malloc, mi_realloc, mi_usable_size};
    use std::os::raw::{c_int, c_void};

    pub unsafe extern "C" fn malloc(n: c_int) -> *mut c_void {
        mi_malloc(n.max(0) as usize)
    }

    pub unsafe extern "C" fn free(p: *mut c_void) {
        mi_free(p)
    }

    pub unsafe extern "C" fn realloc(p: *mut c_void, n: c_int) -> *mut c_void {
        mi_realloc(p, n.max(0) as usize)
    }

    pub unsafe extern "C" fn size(p: *mut c_void) -> c_int {
        c_int::try_from(mi_usable_size(p)).unwrap_or(c_int::MAX)
    }

    pub unsafe extern "C" fn roundup(n: c_int) -> c_int {
        n.saturating_add(7) & !7
    }

    pub unsafe extern "C" fn init(_: *mut c_void) -> c_int {
        0
    }

    pub unsafe extern "C" fn shutdown(_: *mut c_void) {}
}

/// Prepared statements kept per connection (a request uses a handful; an import more).
pub const STATEMENT_CACHE: usize = 128;

/// Run a statement (stepping through any rows it returns); the number of rows it changed.
pub fn exec(conn: &Connection, sql: &str, binds: &[Bind]) -> Result<u64> {
    let mut stmt = conn.prepare_cached(sql).map_err(sqlite_err)?;
    bind(&mut stmt, binds)?;
    let mut rows = stmt.raw_query();
    while rows.next().map_err(sqlite_err)?.is_some() {}
    Ok(conn.changes())
}

/// Run a query; each row's cells typed as `kinds` says.
pub fn rows(conn: &Connection, sql: &str, binds: &[Bind], kinds: &[Kind]) -> Result<Vec<Vec<Cell>>> {
    let mut stmt = conn.prepare_cached(sql).map_err(sqlite_err)?;
    bind(&mut stmt, binds)?;
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(sqlite_err)? {
        let cells =
            kinds.iter().enumerate().map(|(i, kind)| cell(row.get_ref(i).map_err(sqlite_err)?, *kind));
        out.push(cells.collect::<Result<_>>()?);
    }
    Ok(out)
}

/// Bind `binds` to the statement's parameters: `?N` takes the N-th value, a bare `?` the
/// next one; parameters beyond the values stay NULL (as sqlx binds them).
fn bind(stmt: &mut Statement<'_>, binds: &[Bind]) -> Result<()> {
    let mut next = 0;
    for slot in 1..=stmt.parameter_count() {
        let n = match stmt.parameter_name(slot) {
            Some(name) => name
                .trim_start_matches(['?', '$'])
                .parse::<usize>()
                .map_err(|_| Error::Internal(format!("unsupported SQL parameter {name}")))?,
            None => {
                next += 1;
                next
            }
        };
        let Some(value) = n.checked_sub(1).and_then(|i| binds.get(i)) else { break };
        let bound = match value {
            Bind::Text(s) => stmt.raw_bind_parameter(slot, s.as_str()),
            Bind::Int(i) => stmt.raw_bind_parameter(slot, *i),
            Bind::Bool(b) => stmt.raw_bind_parameter(slot, *b),
            Bind::Null => stmt.raw_bind_parameter(slot, Null),
        };
        bound.map_err(sqlite_err)?;
    }
    Ok(())
}

fn cell(value: ValueRef<'_>, kind: Kind) -> Result<Cell> {
    match (kind, value) {
        (Kind::Text, ValueRef::Null) => Ok(Cell::Text(None)),
        (Kind::Text, ValueRef::Text(t)) => std::str::from_utf8(t)
            .map(|s| Cell::Text(Some(s.to_owned())))
            .map_err(|e| Error::Internal(format!("text in the store is not UTF-8: {e}"))),
        (Kind::Int, ValueRef::Integer(i)) => Ok(Cell::Int(i)),
        (kind, other) => {
            Err(Error::Internal(format!("expected {kind:?} in the store, found {:?}", other.data_type())))
        }
    }
}

/// Classify a SQLite error as the SQL backends do (see [`crate::sql::db_err`]).
pub fn sqlite_err(e: rusqlite::Error) -> Error {
    let kind = match &e {
        rusqlite::Error::SqliteFailure(f, _) => match f.extended_code {
            ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => Failure::Unique,
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY => Failure::ForeignKey,
            _ if matches!(f.code, ffi::ErrorCode::DatabaseBusy | ffi::ErrorCode::DatabaseLocked) => {
                Failure::Busy
            }
            _ if matches!(f.code, ffi::ErrorCode::CannotOpen | ffi::ErrorCode::SystemIoFailure) => {
                Failure::Unreachable
            }
            _ => Failure::Other,
        },
        _ => Failure::Other,
    };
    failure(kind, &e)
}

/// Run `f`, which may take a while, where it does not hold up other tasks: on a
/// multi-threaded runtime this worker hands its other tasks on first.
pub fn off_the_async_workers<T>(f: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}
