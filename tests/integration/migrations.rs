//! The twin migration folders stay twins, and every down.sql undoes its up.sql.

use diesel::connection::SimpleConnection;
use diesel::{QueryableByName, RunQueryDsl};
use smp_aftercare::db::{self, DbConnection};

use crate::db_test;
use crate::helpers::*;

fn migration_names(backend: &str) -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    for name in &names {
        for file in ["up.sql", "down.sql"] {
            assert!(
                dir.join(name).join(file).is_file(),
                "{backend}/{name}/{file} missing"
            );
        }
    }
    names
}

#[test]
fn both_backends_have_the_same_migrations() {
    let sqlite = migration_names("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, migration_names("postgres"));
}

#[derive(QueryableByName)]
struct TableName {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

/// Our tables (diesel's bookkeeping table excluded), sorted.
fn user_tables(conn: &mut DbConnection) -> Vec<String> {
    let query = match conn {
        DbConnection::Sqlite(_) => {
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'index', 'view', 'trigger') \
             AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__diesel%' ORDER BY name"
        }
        DbConnection::Postgresql(_) => {
            "SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i', 'v', 'S') \
             AND c.relname NOT LIKE '__diesel%' ORDER BY 1"
        }
    };
    diesel::sql_query(query)
        .load::<TableName>(conn)
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect()
}

db_test!(every_down_reverts_its_up, |app| {
    let mut conn = app.pool.get().unwrap();
    let migrated = user_tables(&mut conn);
    assert!(migrated.contains(&"clinics".to_string()), "{migrated:?}");

    let reverted = db::revert_all_migrations(&mut conn).unwrap();
    assert_eq!(reverted.len(), migration_names("sqlite").len());
    assert_eq!(user_tables(&mut conn), Vec::<String>::new());

    // And up again gives the same schema: down left nothing behind that breaks up.
    let applied = db::run_migrations(&mut conn).unwrap();
    assert_eq!(applied.len(), reverted.len());
    assert_eq!(user_tables(&mut conn), migrated);
    conn.batch_execute("SELECT 1").unwrap();
});

db_test!(migrate_command_is_idempotent, |app| {
    let out = app.cli(&["migrate"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("up to date"));
});
