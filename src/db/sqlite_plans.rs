//! SQLite's query-planner stability guarantee (QPSG), on every connection we open.
//!
//! Without it SQLite compiles some bound values into a statement's plan: a bound
//! `LIMIT` (diesel binds every `.limit(n)` and `.first()`), and with the bundled
//! build's STAT4 any bound value compared with an indexed column once the file has been
//! `ANALYZE`d. Each new binding of such a value marks the prepared statement expired,
//! so diesel's statement cache gains nothing: SQLite prepares the statement again on
//! every run (`sqlite3Reprepare` was 28% of the CPU of `GET /v1/me/today`). With QPSG
//! a statement keeps one plan whatever is bound, and a cached statement is reused.
//!
//! Hand-written because diesel's `SqliteConnection` does not hand out its `sqlite3`
//! handle, and `SQLITE_DBCONFIG_ENABLE_QPSG` has no PRAGMA. SQLite's auto-extension
//! hook runs our entry point on each connection as it opens, with the handle.

use std::ffi::{c_char, c_int};
use std::sync::Once;

use libsqlite3_sys as ffi;

/// Registers the hook once per process; connections opened afterwards get QPSG.
pub(super) fn stable_plans_for_new_connections() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        // SAFETY: registers a function pointer with the signature SQLite calls it with;
        // SQLite keeps it for the life of the process.
        let rc = unsafe { ffi::sqlite3_auto_extension(Some(enable_qpsg)) };
        if rc != ffi::SQLITE_OK {
            tracing::warn!(
                code = rc,
                "cannot register SQLite's stable-plan setting; statements will be re-prepared"
            );
        }
    });
}

/// SQLite's auto-extension entry point: turns QPSG on for `db`.
unsafe extern "C" fn enable_qpsg(
    db: *mut ffi::sqlite3,
    _error: *mut *mut c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    // SAFETY: `db` is the connection SQLite is opening; ENABLE_QPSG takes an int (1:
    // on) and an optional int* for the resulting setting.
    unsafe {
        ffi::sqlite3_db_config(
            db,
            ffi::SQLITE_DBCONFIG_ENABLE_QPSG,
            1 as c_int,
            std::ptr::null_mut::<c_int>(),
        );
    }
    ffi::SQLITE_OK
}
