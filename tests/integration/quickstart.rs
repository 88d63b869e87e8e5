//! The README's quick start, walked end to end as a new operator pastes it: the
//! service started as documented in an empty folder, then the paste block run by bash
//! as it stands (only the binary's path and the port are put in), then its output
//! checked against what the README says it prints. A documented command or output
//! that drifts from the service fails here.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::browser::free_port;

const README: &str = include_str!("../../README.md");

/// The shell block that follows `marker` in the README.
fn block_after(marker: &str) -> &'static str {
    let start = README
        .find(marker)
        .unwrap_or_else(|| panic!("README has no {marker:?}"));
    let rest = &README[start..];
    let open = rest.find("```sh\n").expect("a sh block") + "```sh\n".len();
    let close = rest[open..].find("\n```").expect("the block ends");
    &rest[open..open + close]
}

/// The text between the first backticks after `marker`, joined across lines.
fn documented(marker: &str) -> String {
    let start = README
        .find(marker)
        .unwrap_or_else(|| panic!("README has no {marker:?}"));
    let rest = &README[start + marker.len()..];
    let open = rest.find('`').unwrap() + 1;
    let close = rest[open..].find('`').unwrap();
    rest[open..open + close].replace('\n', " ")
}

#[test]
fn the_readme_quick_start_runs_as_written() {
    let binary = env!("CARGO_BIN_EXE_smp-aftercare");
    let start = block_after("Build once, then start the service");
    assert!(
        start
            .lines()
            .any(|l| l.trim() == "target/release/smp-aftercare serve"),
        "{start}"
    );
    let folder = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut serve = Command::new(binary)
        .arg("serve")
        .current_dir(folder.path())
        .env("SMP__SERVER__PORT", port.to_string())
        .env_remove("SMP_HOME")
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut log = BufReader::new(serve.stderr.take().unwrap()).lines();
    for line in log.by_ref().map_while(Result::ok) {
        if line.contains("listening") {
            break;
        }
    }
    std::thread::spawn(move || log.map_while(Result::ok).for_each(drop));

    let paste = block_after("paste this as it stands");
    let bin_line = "BIN=target/release/smp-aftercare";
    let url_line = "URL=http://127.0.0.1:8080";
    assert!(
        paste.contains(bin_line) && paste.contains(url_line),
        "{paste}"
    );
    let script = paste
        .replace(bin_line, &format!("BIN={binary}"))
        .replace(url_line, &format!("URL=http://127.0.0.1:{port}"));
    let out = Command::new("bash")
        // -e and -u catch a failing command and an unset variable; not pipefail, as
        // in the interactive shell the block is pasted into (`| head` may cut a pipe).
        .args(["-eu", "-c", &script])
        .current_dir(folder.path())
        .env_remove("SMP_HOME")
        .output()
        .unwrap();
    let _ = serve.kill();
    let _ = serve.wait();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the paste block failed:\n{stdout}\n{stderr}"
    );

    // What the README says the block prints.
    // The same JSON object (its keys' order is serde_json's business).
    let readyz: serde_json::Value = serde_json::from_str(&documented("`/readyz` answers")).unwrap();
    assert!(
        stdout
            .lines()
            .any(|l| serde_json::from_str::<serde_json::Value>(l).ok().as_ref() == Some(&readyz)),
        "{readyz} in:\n{stdout}"
    );
    assert!(
        stdout.contains("\"day\": 0") && stdout.contains("\"stage\": \"session_day\""),
        "{stdout}"
    );
    assert!(stdout.contains("booked: 201"), "{stdout}");
    let status = stdout
        .lines()
        .skip_while(|l| !l.contains("booked:"))
        .collect::<Vec<_>>()
        .join("\n");
    let sent_email = |l: &&str| l.split_whitespace().collect::<Vec<_>>() == ["sent", "email", "1"];
    assert!(
        status.lines().any(|l| sent_email(&l)),
        "jobs status: {status}"
    );
    assert!(
        stdout.contains("session_day"),
        "preview printed the days: {stdout}"
    );
}
