//! Backups of the embedded SQLite database, and putting one back in place.
//!
//! `backup` copies the live database with `VACUUM INTO`: one read transaction, so the
//! copy is the database as it was at one instant even while the engine sends (WAL lets
//! the writers go on meanwhile). It writes a hidden file beside the target, checks it,
//! and links it into place, so the target is never half written and never replaces an
//! existing file. PostgreSQL is backed up with its own tools: the refusals print the
//! `pg_dump` and `pg_restore` commands.
//!
//! `restore` checks that a file is an SQLite database of ours (its diesel migrations
//! table, no migration newer than this build), copies it beside the target, syncs it,
//! removes the old database's `-wal` and `-shm` (they belong to the file being
//! replaced, and SQLite would replay them into the restored one) and renames the copy
//! into place; then pending migrations run. The service must be stopped first: a
//! running process keeps writing to the file it opened.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection;
use diesel::migration::MigrationSource;
use diesel::sql_types::{BigInt, Text};
use diesel::{Connection, QueryableByName, RunQueryDsl, SqliteConnection};

use crate::config::DatabaseSettings;
use crate::db::{self, DatabaseUrl};

/// Why a backup or restore did not happen: the operator's input or situation (exit 2),
/// or a failure on the way (exit 1).
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Failed(String),
}

fn failed(what: &str, path: &Path, e: impl std::fmt::Display) -> BackupError {
    BackupError::Failed(format!("{what} {}: {e}", path.display()))
}

/// What a backup holds, counted in the copy itself.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct Summary {
    #[diesel(sql_type = BigInt)]
    pub clinics: i64,
    #[diesel(sql_type = BigInt)]
    pub clients: i64,
    #[diesel(sql_type = BigInt)]
    pub sessions: i64,
    #[diesel(sql_type = BigInt)]
    pub deliveries: i64,
    #[diesel(sql_type = BigInt)]
    pub push_subscriptions: i64,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let counted =
            |n: i64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        write!(
            f,
            "{}, {}, {}, {}, {}",
            counted(self.clinics, "clinic", "clinics"),
            counted(self.clients, "client", "clients"),
            counted(self.sessions, "session", "sessions"),
            counted(self.deliveries, "delivery", "deliveries"),
            counted(
                self.push_subscriptions,
                "push subscription",
                "push subscriptions"
            )
        )
    }
}

/// A backup written: where, and what it holds.
#[derive(Debug)]
pub struct Written {
    pub file: PathBuf,
    pub bytes: u64,
    pub summary: Summary,
}

/// A restore done: the database file, what it holds, the migrations applied after.
#[derive(Debug)]
pub struct Restored {
    pub database: PathBuf,
    pub summary: Summary,
    pub migrations_applied: Vec<String>,
}

/// `'text'` for a shell, quoted only when it needs it.
pub fn shell_quote(text: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

fn sqlite_path(
    settings: &DatabaseSettings,
    verb: &str,
    file: &Path,
) -> Result<PathBuf, BackupError> {
    let url = settings.backend().map_err(BackupError::Refused)?;
    let redacted = shell_quote(&settings.redacted_url());
    let file = shell_quote(&file.display().to_string());
    match url {
        DatabaseUrl::Sqlite(path) => Ok(path),
        DatabaseUrl::Postgres(_) if verb == "backup" => Err(BackupError::Refused(format!(
            "backup copies the embedded SQLite database; database.url is PostgreSQL, so use \
             pg_dump (with the password in PGPASSWORD or ~/.pgpass): \
             pg_dump --format=custom --no-owner --file={file} {redacted}"
        ))),
        DatabaseUrl::Postgres(_) => Err(BackupError::Refused(format!(
            "restore puts back an SQLite backup; database.url is PostgreSQL, so use \
             pg_restore on a pg_dump file (with the password in PGPASSWORD or ~/.pgpass): \
             pg_restore --clean --if-exists --no-owner --dbname={redacted} {file}"
        ))),
    }
}

/// A new file, readable only by its owner (a backup holds clients' data and the
/// deployment's VAPID private key); fails if it exists.
fn create_private(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// `.NAME.partial-UUID` beside `target`.
fn hidden_beside(target: &Path, folder: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "smp-aftercare.db".to_string());
    folder.join(format!(".{name}.partial-{}", uuid::Uuid::new_v4().simple()))
}

fn open(path: &Path) -> Result<SqliteConnection, BackupError> {
    let mut conn = SqliteConnection::establish(&path.to_string_lossy())
        .map_err(|e| failed("cannot open", path, e))?;
    conn.batch_execute("PRAGMA busy_timeout = 5000;")
        .map_err(|e| failed("cannot open", path, e))?;
    Ok(conn)
}

/// Removes `PATH-wal` and `PATH-shm` if present.
fn remove_sidecars(path: &Path) -> Result<(), BackupError> {
    for suffix in ["-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let sidecar = PathBuf::from(name);
        match std::fs::remove_file(&sidecar) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(failed("cannot remove", &sidecar, e)),
        }
    }
    Ok(())
}

fn sync_folder(folder: &Path) {
    // Makes the new name durable; not every platform can open a folder, hence best effort.
    if let Ok(dir) = File::open(folder) {
        let _ = dir.sync_all();
    }
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

/// Checks a copy: SQLite's integrity check, our migrations table with nothing newer
/// than this build knows, and what it holds.
fn check_copy(path: &Path, shown_as: &Path) -> Result<Summary, BackupError> {
    let not_ours = |why: &str| {
        BackupError::Refused(format!(
            "{} is not a backup of smp-aftercare: {why}",
            shown_as.display()
        ))
    };
    let mut conn = open(path)?;
    let integrity: Vec<Line> =
        diesel::sql_query("SELECT integrity_check AS line FROM pragma_integrity_check")
            .load(&mut conn)
            .map_err(|e| not_ours(&e.to_string()))?;
    if integrity.iter().map(|l| l.line.as_str()).ne(["ok"]) {
        let lines: Vec<&str> = integrity.iter().take(3).map(|l| l.line.as_str()).collect();
        return Err(not_ours(&format!("it is damaged ({})", lines.join("; "))));
    }
    let versions: Vec<Line> =
        diesel::sql_query("SELECT version AS line FROM __diesel_schema_migrations")
            .load(&mut conn)
            .map_err(|_| not_ours("it has no migrations table"))?;
    let ours: Vec<String> =
        MigrationSource::<diesel::sqlite::Sqlite>::migrations(&db::SQLITE_MIGRATIONS)
            .map_err(|e| BackupError::Failed(e.to_string()))?
            .iter()
            .map(|m| m.name().version().to_string())
            .collect();
    if !versions.iter().any(|v| ours.contains(&v.line)) {
        return Err(not_ours("none of its migrations is ours"));
    }
    if let Some(newer) = versions.iter().find(|v| !ours.contains(&v.line)) {
        return Err(BackupError::Refused(format!(
            "{} was made by a newer smp-aftercare (migration {} is unknown to this one): \
             restore it with that version",
            shown_as.display(),
            newer.line
        )));
    }
    summary(&mut conn).map_err(|e| failed("cannot read", shown_as, e))
}

fn summary(conn: &mut SqliteConnection) -> diesel::QueryResult<Summary> {
    diesel::sql_query(
        "SELECT (SELECT count(*) FROM clinics) AS clinics, \
                (SELECT count(*) FROM clients) AS clients, \
                (SELECT count(*) FROM sessions) AS sessions, \
                (SELECT count(*) FROM deliveries) AS deliveries, \
                (SELECT count(*) FROM push_subscriptions) AS push_subscriptions",
    )
    .get_result(conn)
}

/// `backup --to FILE`: a consistent copy of the live SQLite database.
pub fn backup(settings: &DatabaseSettings, to: &Path) -> Result<Written, BackupError> {
    let source = sqlite_path(settings, "backup", to)?;
    if !source.is_file() {
        return Err(BackupError::Refused(format!(
            "there is no database at {} to back up (database.url)",
            source.display()
        )));
    }
    if to.exists() {
        return Err(BackupError::Refused(format!(
            "{} already exists; a backup never replaces a file: choose a new name",
            to.display()
        )));
    }
    let folder = match to.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) => parent.to_path_buf(),
        None => PathBuf::from("."),
    };
    if !folder.is_dir() {
        return Err(BackupError::Refused(format!(
            "the folder {} does not exist",
            folder.display()
        )));
    }
    let partial = hidden_beside(to, &folder);
    let result = write_backup(&source, &partial, to, &folder);
    let _ = std::fs::remove_file(&partial);
    let _ = remove_sidecars(&partial);
    result
}

fn write_backup(
    source: &Path,
    partial: &Path,
    to: &Path,
    folder: &Path,
) -> Result<Written, BackupError> {
    // An empty file is what VACUUM INTO may write into; created first for its mode.
    create_private(partial).map_err(|e| failed("cannot write", partial, e))?;
    {
        let mut conn = open(source)?;
        diesel::sql_query("VACUUM INTO ?")
            .bind::<Text, _>(partial.to_string_lossy().to_string())
            .execute(&mut conn)
            .map_err(|e| failed("cannot copy", source, e))?;
    }
    let summary = check_copy(partial, to)?;
    remove_sidecars(partial)?;
    File::open(partial)
        .and_then(|f| f.sync_all())
        .map_err(|e| failed("cannot sync", partial, e))?;
    // A hard link fails if the name exists, so nothing is ever replaced, and the name
    // appears only for a complete file.
    std::fs::hard_link(partial, to).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => BackupError::Refused(format!(
            "{} already exists; a backup never replaces a file: choose a new name",
            to.display()
        )),
        _ => failed("cannot write", to, e),
    })?;
    sync_folder(folder);
    let bytes = std::fs::metadata(to).map(|m| m.len()).unwrap_or(0);
    Ok(Written {
        file: to.to_path_buf(),
        bytes,
        summary,
    })
}

/// `restore --from FILE [--force]`: puts a backup in place of the configured database,
/// then migrates it to this build.
pub fn restore(
    settings: &DatabaseSettings,
    from: &Path,
    force: bool,
) -> Result<Restored, BackupError> {
    let target = sqlite_path(settings, "restore", from)?;
    let mut header = [0u8; 16];
    File::open(from)
        .and_then(|mut f| f.read_exact(&mut header))
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                BackupError::Refused(format!("{}: no such file", from.display()))
            }
            std::io::ErrorKind::UnexpectedEof => BackupError::Refused(format!(
                "{} is not an SQLite database (too short)",
                from.display()
            )),
            _ => failed("cannot read", from, e),
        })?;
    if &header != b"SQLite format 3\0" {
        return Err(BackupError::Refused(format!(
            "{} is not an SQLite database",
            from.display()
        )));
    }
    let same = |a: &Path, b: &Path| matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b);
    if same(from, &target) {
        return Err(BackupError::Refused(format!(
            "{} is the database itself; restore a file written by `backup`",
            from.display()
        )));
    }
    let occupied = std::fs::metadata(&target).is_ok_and(|m| m.len() > 0);
    if occupied && !force {
        return Err(BackupError::Refused(format!(
            "{} already holds a database; stop the service, then run restore again with \
             --force to replace it",
            target.display()
        )));
    }
    let folder = match target.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) => parent.to_path_buf(),
        None => PathBuf::from("."),
    };
    std::fs::create_dir_all(&folder).map_err(|e| failed("cannot create", &folder, e))?;
    let partial = hidden_beside(&target, &folder);
    let result = place(from, &partial, &target, &folder);
    let _ = std::fs::remove_file(&partial);
    let _ = remove_sidecars(&partial);
    let summary = result?;
    let pool = db::connect(settings).map_err(|e| BackupError::Failed(e.to_string()))?;
    let mut conn = pool.get().map_err(|e| BackupError::Failed(e.to_string()))?;
    let migrations_applied =
        db::run_migrations(&mut conn).map_err(|e| BackupError::Failed(e.to_string()))?;
    Ok(Restored {
        database: target,
        summary,
        migrations_applied,
    })
}

fn place(
    from: &Path,
    partial: &Path,
    target: &Path,
    folder: &Path,
) -> Result<Summary, BackupError> {
    {
        let mut out = create_private(partial).map_err(|e| failed("cannot write", partial, e))?;
        let mut input = File::open(from).map_err(|e| failed("cannot read", from, e))?;
        std::io::copy(&mut input, &mut out).map_err(|e| failed("cannot copy", from, e))?;
        out.sync_all()
            .map_err(|e| failed("cannot sync", partial, e))?;
    }
    let summary = check_copy(partial, from)?;
    remove_sidecars(partial)?;
    remove_sidecars(target)?;
    std::fs::rename(partial, target).map_err(|e| failed("cannot move the copy to", target, e))?;
    sync_folder(folder);
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting_leaves_plain_words_alone() {
        assert_eq!(
            shell_quote("/srv/backups/smp.dump"),
            "/srv/backups/smp.dump"
        );
        assert_eq!(
            shell_quote("postgres://smp:***@db:5432/smp"),
            "'postgres://smp:***@db:5432/smp'"
        );
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
