//! Bad configuration and unreachable dependencies end the process with one clear line
//! and a non-zero exit code, never a panic.

use crate::helpers::*;

fn assert_one_line_failure(out: &std::process::Output, code: i32, needle: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(code), "stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one line, got: {err}");
    assert!(lines[0].starts_with("error: "), "{err}");
    assert!(err.contains(needle), "expected {needle:?} in: {err}");
}

#[test]
fn unknown_database_scheme_is_a_config_error() {
    let out = run_cli(
        &["migrate"],
        &[("SMP__DATABASE__URL", "mysql://localhost/smp")],
    );
    assert_one_line_failure(&out, 2, "database.url");
}

#[test]
fn unreachable_postgres_fails_at_start() {
    let out = run_cli(
        &["migrate"],
        &[(
            "SMP__DATABASE__URL",
            "postgres://smp:secret-pw@127.0.0.1:1/smp",
        )],
    );
    assert_one_line_failure(
        &out,
        1,
        "cannot connect to postgres://smp:***@127.0.0.1:1/smp",
    );
    assert!(!stderr(&out).contains("secret-pw"), "password leaked");
}

#[test]
fn unwritable_data_folder_fails_at_start() {
    let dir = tempfile::tempdir().unwrap();
    // A regular file where the data folder should be: no user, not even root, can
    // create a folder inside it.
    let blocker = dir.path().join("data");
    std::fs::write(&blocker, b"not a folder").unwrap();
    let url = format!("sqlite://{}/smp.db", blocker.display());
    let out = run_cli(&["migrate"], &[("SMP__DATABASE__URL", url.as_str())]);
    assert_one_line_failure(&out, 1, "cannot create data folder");
}

/// A VAPID contact on a reserved domain, set by the operator, stops the start (it
/// would be refused by push services, or reach no one): exit 2 naming the key.
#[test]
fn a_placeholder_vapid_subject_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/smp.db", dir.path().display());
    for subject in [
        "mailto:ops@example.com",
        "mailto:ops@clinic.invalid",
        "https://push.clinic.test/",
    ] {
        let out = run_cli(
            &["jobs", "run-once"],
            &[
                ("SMP__DATABASE__URL", url.as_str()),
                ("SMP__PUSH__VAPID_SUBJECT", subject),
            ],
        );
        assert_one_line_failure(&out, 2, "push.vapid_subject");
    }
}

/// Unset (the embedded default), the engine runs with push off and says so.
#[test]
fn without_a_vapid_subject_push_is_off_and_said_to_be() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/smp.db", dir.path().display());
    let vapid = dir.path().join("vapid.pem");
    let mail = dir.path().join("mail");
    let out = run_cli(
        &["jobs", "run-once"],
        &[
            ("SMP__DATABASE__URL", url.as_str()),
            ("SMP__PUSH__VAPID_KEY_FILE", vapid.to_str().unwrap()),
            ("SMP__EMAIL__FILE_DIR", mail.to_str().unwrap()),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("push: not configured"), "{stdout}");
}

#[test]
fn malformed_values_name_the_key() {
    let out = run_cli(&["migrate"], &[("SMP__SERVER__PORT", "eighty")]);
    assert_one_line_failure(&out, 2, "port");

    let out = run_cli(&["migrate"], &[("SMP__LOG__FORMAT", "xml")]);
    assert_one_line_failure(&out, 2, "format");

    let out = run_cli(&["migrate"], &[("SMP__DATABASE__POOL_SIZE", "0")]);
    assert_one_line_failure(&out, 2, "database.pool_size");
}

/// `links.app_url` must be a base links can be built on; anything else stops the start
/// with exit code 2 naming the key (and never echoes a password).
#[test]
fn a_bad_app_url_is_refused_at_start() {
    for bad in [
        "not a url",
        "ftp://app.clinic.example",
        "https://user:hunter2@app.clinic.example",
        "https://app.clinic.example/?utm=x",
        "https://app.clinic.example/#today",
    ] {
        let out = run_cli(&["migrate"], &[("SMP__LINKS__APP_URL", bad)]);
        assert_one_line_failure(&out, 2, "links.app_url");
        assert!(!stderr(&out).contains("hunter2"), "{}", stderr(&out));
    }
}

#[test]
fn malformed_config_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "[server\nport = 1").unwrap();
    let out = run_cli(&["--config", file.to_str().unwrap(), "migrate"], &[]);
    assert_one_line_failure(&out, 2, "bad.toml");

    let missing = run_cli(&["--config", "/nonexistent/smp.toml", "migrate"], &[]);
    assert_one_line_failure(&missing, 2, "/nonexistent/smp.toml");
}

#[test]
fn help_explains_the_commands() {
    let out = run_cli(&["--help"], &[]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout).to_string();
    for command in ["serve", "migrate", "clinic"] {
        assert!(help.contains(command), "{help}");
    }
    let out = run_cli(&["clinic", "create", "--help"], &[]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("--email"));
}

/// `serve` started by hand: the first lines up to the one saying where it listens.
fn start_lines(dir: &std::path::Path, env: &[(&str, &str)]) -> Vec<String> {
    use std::io::{BufRead, BufReader};
    let url = format!("sqlite://{}/data/smp.db", dir.display());
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_smp-aftercare"));
    command
        .arg("serve")
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .env_remove("SMP__LOG__LEVEL")
        .env("SMP__DATABASE__URL", &url)
        .env("SMP__SERVER__PORT", "0")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("binary runs");
    let mut seen = Vec::new();
    for line in BufReader::new(child.stderr.take().unwrap())
        .lines()
        .map_while(Result::ok)
    {
        let done = line.contains("listening");
        seen.push(line);
        if done {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    seen
}

/// The start-up says where the service listens and where the console is, in the
/// human log format an operator reads, without the scheduler library's own lines.
#[test]
fn start_up_says_where_the_console_is() {
    let dir = tempfile::tempdir().unwrap();
    let lines = start_lines(dir.path(), &[]);
    let last = lines.last().cloned().unwrap_or_default();
    let port = last
        .split("listening on http://127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .unwrap_or_else(|| panic!("no listening address in {lines:#?}"));
    port.parse::<u16>().unwrap();
    // The default public URL is on loopback: the console is where it really listens.
    assert!(
        last.contains(&format!(
            "the console is at http://127.0.0.1:{port}/console"
        )),
        "{last}"
    );
    assert!(lines.iter().any(|l| l.contains(" INFO ")), "{lines:#?}");
    assert!(
        !lines.iter().any(|l| l.contains("tokio_cron_scheduler")),
        "{lines:#?}"
    );

    let dir = tempfile::tempdir().unwrap();
    let lines = start_lines(
        dir.path(),
        &[
            (
                "SMP__SERVER__PUBLIC_URL",
                "https://aftercare.northside-smp.dev",
            ),
            ("SMP__PUSH__VAPID_SUBJECT", "mailto:ops@smp-aftercare.dev"),
        ],
    );
    let last = lines.last().cloned().unwrap_or_default();
    assert!(
        last.contains("the console is at https://aftercare.northside-smp.dev/console"),
        "{lines:#?}"
    );
}

#[test]
fn jobs_help_says_it_also_reads() {
    let top = String::from_utf8_lossy(&run_cli(&["--help"], &[]).stdout).to_string();
    let jobs_line = top
        .lines()
        .find(|l| l.trim_start().starts_with("jobs"))
        .unwrap();
    assert!(jobs_line.contains("jobs status"), "{jobs_line}");
    let out = run_cli(&["jobs", "--help"], &[]);
    let help = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        help.contains("run-once") && help.contains("status"),
        "{help}"
    );
    for command in ["backup", "restore", "staff"] {
        assert!(top.contains(command), "{top}");
    }
}

/// The preview reads no settings: a settings file is refused, not silently ignored.
#[test]
fn preview_refuses_a_settings_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("smp.toml");
    std::fs::write(&file, "[server]\nport = 9000\n").unwrap();
    let out = run_cli(
        &[
            "--config",
            file.to_str().unwrap(),
            "preview",
            "--sessions",
            "2026-03-02",
        ],
        &[],
    );
    assert_one_line_failure(&out, 2, "preview reads no settings");
    assert!(stderr(&out).contains("--protocol"));
    let plain = run_cli(&["preview", "--sessions", "2026-03-02", "--days", "2"], &[]);
    assert!(plain.status.success(), "{}", stderr(&plain));
}
