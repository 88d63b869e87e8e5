//! Relative paths resolve against `SMP_HOME` (or the settings file's folder), not the
//! folder the process happens to be started from.

use std::process::Command;

use crate::helpers::stderr;

#[test]
fn smp_home_holds_the_data_wherever_the_process_starts() {
    let home = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let run = |cwd: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_smp-aftercare"))
            .args([
                "clinic",
                "create",
                "--name",
                "Northside SMP",
                "--email",
                "front@northside.test",
                "--owner-name",
                "Sam Okafor",
                "--allow-duplicate",
            ])
            .current_dir(cwd)
            .env("SMP_HOME", home.path())
            .env("SMP__LOG__LEVEL", "info")
            .env_remove("SMP__DATABASE__URL")
            .env_remove("SMP__EMAIL__FILE_DIR")
            .output()
            .unwrap()
    };
    let first = run(elsewhere.path());
    assert!(first.status.success(), "{}", stderr(&first));
    let database = home.path().join("data/smp-aftercare.db");
    assert!(database.is_file(), "no database under SMP_HOME");
    let log = stderr(&first);
    let absolute = std::path::absolute(&database).unwrap();
    assert!(
        log.contains("created a new, empty SQLite database")
            && log.contains(&*absolute.to_string_lossy()),
        "{log}"
    );
    assert!(
        !elsewhere.path().join("data").exists(),
        "data written in the working folder"
    );
    // From another folder again: the same database (no second "created").
    let other = tempfile::tempdir().unwrap();
    let second = run(other.path());
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(
        !stderr(&second).contains("created a new"),
        "{}",
        stderr(&second)
    );
    let missing = Command::new(env!("CARGO_BIN_EXE_smp-aftercare"))
        .arg("migrate")
        .env("SMP_HOME", home.path().join("nope"))
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("SMP_HOME"),
        "{}",
        stderr(&missing)
    );
}
