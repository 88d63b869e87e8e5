//! Two replicas of one deployment, as an operator runs them: separate working folders
//! (nothing shared on disk), one database. A browser subscribed through one replica
//! must accept the pushes the other sends: the push service checks the VAPID key the
//! subscription was made with, so the key is the deployment's, kept in the database.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::{json, Value};

use crate::helpers::*;
use crate::peers::PushPeer;

/// A settings file for a replica whose working folder is `dir`: the shared database,
/// and no key file or key of its own.
fn settings_file(dir: &Path, url: &str) -> std::path::PathBuf {
    let file = dir.join("replica.toml");
    let text = format!(
        "[database]\nurl = {url:?}\n\n[server]\nport = 0\npublic_url = \"http://app.test\"\n\n\
         [push]\nvapid_subject = \"mailto:ops@smp-aftercare.dev\"\n\
         allowed_insecure_endpoints = [\"http://127.0.0.1:*\"]\n\n[log]\nformat = \"json\"\nlevel = \"info\"\n"
    );
    std::fs::write(&file, text).unwrap();
    file
}

fn command(dir: &Path, config: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_smp-aftercare"));
    command
        .args(args)
        .arg("--config")
        .arg(config)
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .env_remove("SMP__PUSH__VAPID_KEY_FILE")
        .env_remove("SMP__PUSH__VAPID_PRIVATE_KEY");
    command
}

/// `serve --no-scheduler` in `dir`; its port, read from its log.
struct Replica {
    child: Child,
    port: u16,
}

impl Replica {
    fn start(dir: &Path, config: &Path) -> Replica {
        let mut child = command(dir, config, &["serve", "--no-scheduler"])
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
        // Keep reading: a closed pipe would end the process at its next log line.
        std::thread::spawn(move || lines.map_while(Result::ok).for_each(drop));
        assert_ne!(port, 0, "the replica in {} did not start", dir.display());
        Replica { child, port }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run(dir: &Path, config: &Path, args: &[&str]) -> String {
    let out = command(dir, config, args).output().expect("binary runs");
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn vapid_key(replica: &Replica) -> String {
    let body: Value = reqwest::get(replica.url("/v1/push/vapid-public-key"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["public_key"].as_str().unwrap().to_string()
}

async fn subscribed_through_one_sent_by_another(backend: Backend) {
    let Some((_db, url)) = TestDatabase::create(backend) else {
        eprintln!("postgres: skipped, TEST_DATABASE_URL is not set");
        return;
    };
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (config_a, config_b) = (settings_file(a.path(), &url), settings_file(b.path(), &url));
    // On PostgreSQL two first starts at once: one key is stored, both use it. (Two
    // processes creating one new SQLite file at the same instant race to switch it to
    // WAL; there the second starts after the first.)
    let (first, second) = if backend == Backend::Postgres {
        std::thread::scope(|scope| {
            let one = scope.spawn(|| Replica::start(a.path(), &config_a));
            let two = scope.spawn(|| Replica::start(b.path(), &config_b));
            (one.join().unwrap(), two.join().unwrap())
        })
    } else {
        let one = Replica::start(a.path(), &config_a);
        (one, Replica::start(b.path(), &config_b))
    };
    let key = vapid_key(&first).await;
    assert_eq!(
        vapid_key(&second).await,
        key,
        "the replicas sign with different keys"
    );
    for dir in [a.path(), b.path()] {
        assert!(
            !dir.join("data/vapid.pem").exists(),
            "a key file of its own"
        );
    }

    let created = run(
        a.path(),
        &config_a,
        &[
            "clinic",
            "create",
            "--name",
            "Northside SMP",
            "--email",
            "front@northside.test",
            "--owner-name",
            "Olive Owner",
        ],
    );
    let api_key = created
        .lines()
        .find_map(|l| l.trim().strip_prefix("api key:"))
        .unwrap()
        .trim()
        .to_string();
    let http = reqwest::Client::new();
    let today = chrono::Utc::now().date_naive();
    let client: Value = http
        .post(first.url("/v1/clients"))
        .bearer_auth(&api_key)
        .json(
            &json!({"email": "ana@client.test", "name": "Ana", "timezone": "UTC",
                      "sessions": [today.to_string()]}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(client["id"].is_string(), "{client}");
    // The other replica's engine sends the invitation; the client accepts through A.
    run(b.path(), &config_b, &["jobs", "run-once"]);
    let mail = std::fs::read_dir(b.path().join("data/mail"))
        .expect("B wrote the invitation")
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .find(|m| m.contains("invite"))
        .expect("an invitation email");
    let token = crate::peers::invitation_token(&mail);
    let accepted: Value = http
        .post(first.url(&format!("/v1/invitations/{token}/accept")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = accepted["access_token"].as_str().unwrap();

    // The browser subscribes with the key replica A hands out.
    let push = PushPeer::start();
    http.put(push.url("/config"))
        .json(&json!({ "vapid_public_key": key }))
        .send()
        .await
        .unwrap();
    let subscription = push.subscribe("201").await;
    let registered = http
        .post(first.url("/v1/me/push-subscriptions"))
        .bearer_auth(access)
        .json(&subscription)
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);

    // Tomorrow morning, replica B's engine sends; the push service accepts it.
    let morning = format!("{}T08:05:00Z", today + chrono::Days::new(1));
    run(b.path(), &config_b, &["jobs", "run-once", "--at", &morning]);
    let messages: Vec<Value> = reqwest::get(push.url("/messages"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!messages.is_empty(), "nothing was pushed");
    for message in &messages {
        assert_eq!(message["status"], 201, "{message}");
        assert_eq!(message["vapid_k"], key.as_str(), "{message}");
    }
    drop((first, second));
    // Rotating the key: every subscription is to be renewed by the app.
    let rotated = run(a.path(), &config_a, &["push", "rotate-key"]);
    assert!(
        rotated.contains("1 push subscriptions disabled"),
        "{rotated}"
    );
    let again = Replica::start(b.path(), &config_b);
    let new_key = vapid_key(&again).await;
    assert_ne!(new_key, key);
    let listed: Value = http
        .get(again.url("/v1/me/push-subscriptions"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"][0]["status"], "disabled", "{listed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_share_one_vapid_key_on_postgres() {
    subscribed_through_one_sent_by_another(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_share_one_vapid_key_on_sqlite() {
    subscribed_through_one_sent_by_another(Backend::Sqlite).await;
}
