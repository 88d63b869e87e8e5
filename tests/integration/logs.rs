//! Logs never carry a capability: tokens in request paths are redacted in every line
//! and span field, checked on the JSON logs of the real binary.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// `smp-aftercare serve` with JSON logs at info; stderr is collected line by line.
struct Served {
    child: Child,
    port: u16,
    lines: mpsc::Receiver<String>,
    _dir: tempfile::TempDir,
}

impl Served {
    fn start(env: &[(&str, &str)]) -> Served {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("data/smp.db").display());
        let mut command = Command::new(env!("CARGO_BIN_EXE_smp-aftercare"));
        command
            .args(["serve", "--no-scheduler"])
            .current_dir(dir.path())
            .env("SMP__LOG__FORMAT", "json")
            .env("SMP__LOG__LEVEL", "info")
            .env("SMP__DATABASE__URL", &url)
            .env("SMP__SERVER__PORT", "0")
            .env("SMP__EMAIL__FILE_DIR", dir.path().join("mail"))
            .env("SMP__PUSH__VAPID_KEY_FILE", dir.path().join("vapid.pem"))
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("binary runs");
        let (sender, lines) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = sender.send(line);
            }
        });
        let mut served = Served {
            child,
            port: 0,
            lines,
            _dir: dir,
        };
        while served.port == 0 {
            let line = served
                .lines
                .recv_timeout(Duration::from_secs(60))
                .expect("serve logs that it listens");
            let parsed: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
            if let Some(port) = parsed["fields"]["port"].as_u64() {
                served.port = port as u16;
            }
        }
        served
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Everything logged so far, once the process is stopped.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut all = String::new();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            all.push_str(&line);
            all.push('\n');
        }
        all
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_in_paths_never_reach_the_logs() {
    let served = Served::start(&[("SMP__INVITATIONS__ACCEPTS_PER_MINUTE", "2")]);
    let http = reqwest::Client::new();
    let invitation = "smpi_0123456789abcdef_Zq8VwT3xYb5Nc7Md9Pf1Hg2Jk4Lm6Np8Qr0St2Uv4Wx";
    let unsubscribe = "smpu_fedcba9876543210_Aa1Bb2Cc3Dd4Ee5Ff6Gg7Hh8Ii9Jj0Kk1Ll2Mm3Nn4O";
    let legacy_unsubscribe = "Pq7Rs8Tu9Vw0Xy1Za2Bc3De4Fg5Hi6Jk7Lm8No9Qr0S";
    let feed = "smpf_0a1b2c3d4e5f6789_Cc9Dd8Ee7Ff6Gg5Hh4Ii3Jj2Kk1Ll0Mm9Nn8Oo7Pp6Q";
    let secrets = [
        "Zq8VwT3xYb5Nc7Md9Pf1Hg2Jk4Lm6Np8Qr0St2Uv4Wx",
        "Aa1Bb2Cc3Dd4Ee5Ff6Gg7Hh8Ii9Jj0Kk1Ll2Mm3Nn4O",
        legacy_unsubscribe,
        "Cc9Dd8Ee7Ff6Gg5Hh4Ii3Jj2Kk1Ll0Mm9Nn8Oo7Pp6Q",
    ];
    // Unknown, then refused by the rate limit: both are logged as refused.
    for _ in 0..3 {
        http.post(served.url(&format!("/v1/invitations/{invitation}/accept")))
            .send()
            .await
            .unwrap();
    }
    for token in [unsubscribe, legacy_unsubscribe] {
        http.post(served.url(&format!("/unsubscribe/{token}")))
            .send()
            .await
            .unwrap();
        // No such route: the error names the path.
        http.get(served.url(&format!("/unsubscribe/{token}/extra?again={unsubscribe}")))
            .send()
            .await
            .unwrap();
    }
    // The calendar feed (an unknown token: its plain-text 404), a path under it that
    // is no route, and one under the app's invitation landing page.
    for path in [
        format!("/calendar/{feed}.ics"),
        format!("/calendar/{feed}.ics/extra"),
        format!("/invite/{invitation}/extra"),
    ] {
        http.get(served.url(&path)).send().await.unwrap();
    }
    let logs = served.stop();
    assert!(
        logs.contains("/v1/invitations/")
            && logs.contains("/unsubscribe/")
            && logs.contains("/calendar/[redacted].ics")
            && logs.contains("/invite/[redacted]"),
        "the requests were logged: {logs}"
    );
    assert!(
        logs.contains("429"),
        "the refused accept was logged: {logs}"
    );
    for secret in secrets {
        assert!(!logs.contains(secret), "{secret} in the logs:\n{logs}");
    }
    for id in ["0123456789abcdef", "0a1b2c3d4e5f6789"] {
        assert!(!logs.contains(id), "token ids are redacted too: {id}");
    }
}

/// A sign-in link refused by the console's cross-site guard (its token in the path),
/// and a token of every other kind the service issues, never reach the log; an
/// anonymous visit to a console page is routine, never an ERROR.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_sign_in_links_and_every_token_kind_stay_out_of_the_logs() {
    let served = Served::start(&[]);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let tokens: Vec<String> = smp_aftercare::tokens::TokenKind::ALL
        .into_iter()
        .map(|kind| smp_aftercare::tokens::issue(kind).token)
        .collect();
    for token in &tokens {
        let refused = http
            .post(served.url(&format!("/console/sign-in/{token}")))
            .header("sec-fetch-site", "cross-site")
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 403);
        http.get(served.url(&format!("/no/such/page?t={token}")))
            .send()
            .await
            .unwrap();
    }
    let anonymous = http
        .get(served.url("/console/clients"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 303);
    let logs = served.stop();
    assert!(
        logs.contains("refused a cross-site console request"),
        "{logs}"
    );
    for token in &tokens {
        // `{kind}_{id}_{secret}`: the secret itself may contain `_`.
        let secret = token.splitn(3, '_').nth(2).unwrap();
        assert!(!logs.contains(secret), "{token} in the logs:\n{logs}");
    }
    for line in logs.lines() {
        let parsed: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
        assert_ne!(parsed["level"], "ERROR", "{line}");
    }
}
