//! An operator's first day, with the real binary: `clinic create` asks for the owner's
//! name and will not make the same clinic twice, `staff sign-in-link` prints a
//! single-use, audited link, and with the file transport the service logs where each
//! sign-in email was written, in a file whose link works as it stands.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use diesel::prelude::*;
use serde_json::Value;
use smp_aftercare::db::schema::audit_log;

use crate::console_support::session_cookie_of;
use crate::db_test;
use crate::helpers::*;

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn create(app: &TestApp, name: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "clinic",
        "create",
        "--name",
        name,
        "--email",
        "front@northside.test",
    ];
    args.extend_from_slice(extra);
    app.cli(&args)
}

fn clinic_count(app: &TestApp) -> usize {
    let out = app.cli(&["clinic", "list"]);
    stdout(&out)
        .lines()
        .filter(|l| l.contains("<front@northside.test>"))
        .count()
}

db_test!(clinic_create_names_the_owner_and_refuses_a_repeat, |app| {
    let out = create(&app, "Northside SMP", &[]);
    assert_eq!(out.status.code(), Some(2), "the owner's name is asked for");
    assert!(stderr(&out).contains("--owner-name"), "{}", stderr(&out));
    assert_eq!(clinic_count(&app), 0);

    let out = create(&app, "Northside SMP", &["--owner-name", "Olive Owner"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("owner:   Olive Owner <front@northside.test>"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("staff sign-in-link --email front@northside.test"));
    assert_eq!(stderr(&out), "", "no warning for a first clinic");

    // The same command again is refused: it would make a second, identical clinic.
    let again = create(&app, "northside smp", &["--owner-name", "Olive Owner"]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("already owns a clinic named \"Northside SMP\""),
        "{}",
        stderr(&again)
    );
    assert!(stderr(&again).contains("--allow-duplicate"));
    assert_eq!(clinic_count(&app), 1);

    // Another location of a chain is normal: made, with a warning naming the first.
    let other = create(
        &app,
        "Northside SMP Eastgate",
        &["--owner-name", "Olive Owner"],
    );
    assert!(other.status.success(), "{}", stderr(&other));
    let warning = stderr(&other);
    assert!(
        warning.starts_with("warning: front@northside.test already owns \"Northside SMP\" (id "),
        "{warning}"
    );
    assert_eq!(clinic_count(&app), 2);

    // And a repeat on purpose, with the flag.
    let forced = create(
        &app,
        "Northside SMP",
        &["--owner-name", "Olive Owner", "--allow-duplicate"],
    );
    assert!(forced.status.success(), "{}", stderr(&forced));
    assert_eq!(clinic_count(&app), 3);
});

/// The printed link's path on the test server.
fn printed_path(out: &std::process::Output) -> String {
    let text = stdout(out);
    let link = text
        .lines()
        .find(|l| l.starts_with("http://app.test/console/sign-in/smpl_"))
        .unwrap_or_else(|| panic!("no link in {text}"));
    link.strip_prefix("http://app.test").unwrap().to_string()
}

db_test!(a_printed_sign_in_link_signs_in_once_and_is_audited, |app| {
    let (clinic_id, _) = app.create_clinic("Northside SMP", "front@northside.test");
    let out = app.cli(&["staff", "sign-in-link", "--email", "Front@Northside.test"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Olive Owner <front@northside.test> at Northside SMP"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("it works once, within 15 minutes"),
        "{}",
        stdout(&out)
    );
    let path = printed_path(&out);
    assert!(app.mail_files().is_empty(), "no email is sent");

    let opened = app.page(&path, None).await;
    assert_eq!(opened.status(), 200);
    let signed = app.form(&path, None, &[]).await;
    assert_eq!(signed.status(), 303, "{}", signed.text().await.unwrap());
    let cookie = session_cookie_of(&signed);
    let settings = app.page("/console/settings", Some(&cookie)).await;
    assert_eq!(settings.status(), 200);

    let twice = app.form(&path, None, &[]).await;
    assert_eq!(twice.status(), 410);
    assert!(twice.text().await.unwrap().contains("already been used"));

    let mut conn = app.pool.get().unwrap();
    let entries: Vec<(String, String, String, String)> = audit_log::table
        .filter(audit_log::clinic_id.eq(&clinic_id))
        .filter(audit_log::action.eq("staff.sign_in_link_issued"))
        .select((
            audit_log::actor_kind,
            audit_log::actor_name,
            audit_log::subject_label,
            audit_log::detail,
        ))
        .load(&mut *conn)
        .unwrap();
    assert_eq!(
        entries,
        vec![(
            "cli".to_string(),
            "Command line".to_string(),
            "Olive Owner".to_string(),
            "sign-in link issued from the command line".to_string()
        )]
    );
    drop(conn);

    // An address with accounts at two clinics must say which.
    let (second, _) = app.create_clinic("Northside SMP Eastgate", "front@northside.test");
    let ambiguous = app.cli(&["staff", "sign-in-link", "--email", "front@northside.test"]);
    assert_eq!(ambiguous.status.code(), Some(2));
    let err = stderr(&ambiguous);
    assert!(
        err.contains("--clinic") && err.contains(&clinic_id) && err.contains(&second),
        "{err}"
    );
    let chosen = app.cli(&[
        "staff",
        "sign-in-link",
        "--email",
        "front@northside.test",
        "--clinic",
        &second,
    ]);
    assert!(chosen.status.success(), "{}", stderr(&chosen));
    assert!(stdout(&chosen).contains("at Northside SMP Eastgate"));

    let nobody = app.cli(&["staff", "sign-in-link", "--email", "nobody@northside.test"]);
    assert_eq!(nobody.status.code(), Some(2));
    assert!(
        stderr(&nobody).contains("no console account with nobody@northside.test"),
        "{}",
        stderr(&nobody)
    );
});

/// `serve` with the file transport: asking for a sign-in link logs the mail file's
/// absolute path, and the link in that file works copied as it stands.
async fn the_sign_in_mail_file_is_logged_and_readable(backend: Backend) {
    let Some((db, url)) = TestDatabase::create(backend) else {
        eprintln!("postgres: skipped, TEST_DATABASE_URL is not set");
        return;
    };
    let dir = db.scratch_dir();
    let env = [("SMP__DATABASE__URL", url.as_str())];
    let made = run_cli(
        &[
            "clinic",
            "create",
            "--name",
            "Northside SMP",
            "--email",
            "front@northside.test",
            "--owner-name",
            "Zoë Owner",
        ],
        &env,
    );
    assert!(made.status.success(), "{}", stderr(&made));
    let mut child = Command::new(env!("CARGO_BIN_EXE_smp-aftercare"))
        .args(["serve", "--no-scheduler"])
        .current_dir(&dir)
        .env_remove("RUST_LOG")
        .env("SMP__DATABASE__URL", &url)
        .env("SMP__SERVER__PORT", "0")
        .env("SMP__SERVER__PUBLIC_URL", "http://app.test")
        .env("SMP__LOG__FORMAT", "json")
        .env("SMP__LOG__LEVEL", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut port = 0;
    for line in lines.by_ref().map_while(Result::ok) {
        let parsed: Value = serde_json::from_str(&line).unwrap_or_default();
        if let Some(p) = parsed["fields"]["port"].as_u64() {
            port = p as u16;
            break;
        }
    }
    assert_ne!(port, 0, "serve did not start");
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = |path: &str, body: &str| {
        http.post(format!("{base}{path}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("sec-fetch-site", "same-origin")
            .header("accept", "text/html")
            .body(body.to_string())
            .send()
    };
    let asked = form("/console/sign-in", "email=front%40northside.test")
        .await
        .unwrap();
    assert_eq!(asked.status(), 200);

    // The email goes out in the background; its log line says where it went.
    let mut logged = None;
    for line in lines.by_ref().map_while(Result::ok) {
        let parsed: Value = serde_json::from_str(&line).unwrap_or_default();
        let message = parsed["fields"]["message"].as_str().unwrap_or_default();
        if message.starts_with("sign-in link for front@northside.test written to ") {
            assert_eq!(parsed["level"], "INFO", "{line}");
            logged = Some(parsed["fields"]["path"].as_str().unwrap().to_string());
            break;
        }
    }
    std::thread::spawn(move || lines.map_while(Result::ok).for_each(drop));
    let path = logged.expect("a log line naming the mail file");
    assert!(path.starts_with('/') && path.ends_with(".eml"), "{path}");
    assert!(
        path.starts_with(dir.join("data/mail").to_str().unwrap()),
        "{path}"
    );
    let raw = std::fs::read_to_string(&path).unwrap();

    // The plain-text part as it stands: the whole link on one line, no decoding.
    assert!(raw.contains("Content-Transfer-Encoding: 8bit"), "{raw}");
    assert!(raw.contains("Hi Zoë Owner,"), "{raw}");
    let link = raw
        .lines()
        .find(|l| l.starts_with("http://app.test/console/sign-in/smpl_"))
        .unwrap_or_else(|| panic!("no link line in {raw}"))
        .trim_end();
    assert!(!link.ends_with('='), "{link}");
    let link_path = link.strip_prefix("http://app.test").unwrap();
    let signed = form(link_path, "").await.unwrap();
    assert_eq!(signed.status(), 303, "{}", signed.text().await.unwrap());
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sign_in_mail_file_is_logged_and_readable_sqlite() {
    the_sign_in_mail_file_is_logged_and_readable(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sign_in_mail_file_is_logged_and_readable_postgres() {
    the_sign_in_mail_file_is_logged_and_readable(Backend::Postgres).await;
}
