//! The mailer against a real SMTP server (tests/peers/smtp_server.py, aiosmtpd), scripted
//! by the recipient's local part: accept, 451, 550, dropped connection, stalled reply.
//! Stored messages are parsed with Python's `email` package, not with our own code.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use serde_json::Value;
use smp_aftercare::notify::email::{
    EmailSettings, EmailTransport, Mailer, OutgoingEmail, Recipient, SendError, SmtpSettings,
    SmtpTls,
};
use smp_aftercare::notify::templates::{
    render_invitation, render_reminder, InvitationEmail, ReminderEmail,
};
use url::Url;

// ---------------------------------------------------------------------------------------
// The SMTP peer

/// One scripted SMTP server for one test (the shared launcher in `peers.rs`); stopped
/// when dropped.
struct SmtpPeer {
    port: u16,
    maildir: tempfile::TempDir,
    _peer: crate::peers::Peer,
}

impl SmtpPeer {
    async fn start() -> SmtpPeer {
        SmtpPeer::start_with_stall(Duration::from_secs(30)).await
    }

    /// `stall` is how long the peer holds back its reply to DATA for `stall*@` recipients.
    async fn start_with_stall(stall: Duration) -> SmtpPeer {
        let maildir = tempfile::tempdir().expect("maildir");
        let stall = stall.as_secs_f64().to_string();
        let dir = maildir
            .path()
            .to_str()
            .expect("utf-8 temp path")
            .to_string();
        let peer = crate::peers::Peer::spawn(
            "smtp_server.py",
            &["--port", "0", "--stall-seconds", &stall, "--maildir", &dir],
        );
        SmtpPeer {
            port: peer.port,
            maildir,
            _peer: peer,
        }
    }

    fn settings(&self, send_timeout_secs: u64) -> EmailSettings {
        EmailSettings {
            from: "SMP Aftercare <no-reply@aftercare.test>".to_string(),
            transport: EmailTransport::Smtp,
            smtp: SmtpSettings {
                host: "127.0.0.1".to_string(),
                port: self.port,
                tls: SmtpTls::None,
                username: None,
                password: None,
                timeout_secs: 5,
                pool_max_size: 2,
            },
            send_timeout_secs,
            ..EmailSettings::default()
        }
    }

    fn mailer(&self) -> Mailer {
        Mailer::new(&self.settings(10)).expect("mailer")
    }

    /// Stored messages, in arrival order.
    fn stored(&self) -> Vec<PathBuf> {
        eml_files(self.maildir.path())
    }

    fn sidecar(&self, eml: &Path) -> Value {
        let raw = std::fs::read_to_string(eml.with_extension("json")).expect("sidecar");
        serde_json::from_str(&raw).expect("sidecar json")
    }

    fn events(&self) -> Vec<Value> {
        std::fs::read_to_string(self.maildir.path().join("events.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("event json"))
            .collect()
    }

    fn event_kinds(&self) -> Vec<String> {
        self.events()
            .iter()
            .map(|e| e["event"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    async fn wait_for_event(&self, kind: &str, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if self.event_kinds().iter().any(|k| k == kind) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }
}

fn eml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.expect("dir entry").path())
                .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort_by_key(|p| {
        p.file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(u64::MAX)
    });
    files
}

/// Parses a message with Python's standard `email` package.
fn parse_eml(path: &Path) -> Value {
    const SCRIPT: &str = r#"
import email, json, sys
from email import policy
raw = open(sys.argv[1], "rb").read()
msg = email.message_from_bytes(raw, policy=policy.default)
def mailbox(name):
    header = msg[name]
    if header is None:
        return None
    a = header.addresses[0]
    return {"name": a.display_name, "address": a.addr_spec}
parts = []
for part in msg.walk():
    if part.is_multipart():
        continue
    content = part.get_content().replace("\r\n", "\n")
    parts.append({"type": part.get_content_type(), "content": content})
head = raw.split(b"\r\n\r\n", 1)[0]
print(json.dumps({
    "content_type": msg.get_content_type(),
    "from": mailbox("From"),
    "to": mailbox("To"),
    "reply_to": mailbox("Reply-To"),
    "subject": str(msg["Subject"]) if msg["Subject"] is not None else None,
    "message_id": str(msg["Message-ID"]) if msg["Message-ID"] is not None else None,
    "date_parses": msg["Date"] is not None and msg["Date"].datetime is not None,
    "list_unsubscribe": msg["List-Unsubscribe"] and str(msg["List-Unsubscribe"]),
    "list_unsubscribe_post": msg["List-Unsubscribe-Post"] and str(msg["List-Unsubscribe-Post"]),
    "headers_ascii": all(b < 128 for b in head),
    "defects": [type(d).__name__ for d in msg.defects],
    "parts": parts,
}))
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", SCRIPT])
        .arg(path)
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "python could not parse {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("parser output")
}

// ---------------------------------------------------------------------------------------
// Messages

fn simple(to: &str) -> OutgoingEmail {
    OutgoingEmail {
        to: Recipient::new("Sam Client", to),
        sender_name: Some("Hairline Studio".to_string()),
        reply_to: Some("desk@hairline.test".to_string()),
        subject: "Your aftercare today (day 3)".to_string(),
        text: "Plain text body\n".to_string(),
        html: "<!DOCTYPE html><p>HTML body</p>\n".to_string(),
        list_unsubscribe: Some(Url::parse("https://care.test/v1/unsubscribe/tok").unwrap()),
    }
}

fn assert_transient(result: Result<impl std::fmt::Debug, SendError>, what: &str) -> String {
    match result {
        Err(SendError::Transient(reason)) => reason,
        other => panic!("{what}: expected Transient, got {other:?}"),
    }
}

fn assert_permanent(result: Result<impl std::fmt::Debug, SendError>, what: &str) -> String {
    match result {
        Err(SendError::Permanent(reason)) => reason,
        other => panic!("{what}: expected Permanent, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// Tests

#[tokio::test]
async fn smtp_accepted_reminder_arrives_with_both_parts_and_one_click_unsubscribe() {
    let peer = SmtpPeer::start().await;
    let mailer = peer.mailer();
    let rendered = render_reminder(&ReminderEmail {
        client_name: "Zoë Müller".to_string(),
        clinic_name: "Clinique Élodie".to_string(),
        title: "Your aftercare today (day 3)".to_string(),
        body: "Today's aftercare:\n- Do not wash your scalp.\n- Keep your scalp out of the sun."
            .to_string(),
        day_url: "https://care.test/app/days/2026-03-15".to_string(),
        unsubscribe_url: "https://care.test/v1/unsubscribe/tok_123".to_string(),
    })
    .expect("render");
    let mut email = rendered.into_email(Recipient::new("Zoë Müller", "zoe@client.test"));
    email.sender_name = Some("Clinique Élodie".to_string());
    email.reply_to = Some("accueil@clinique-elodie.test".to_string());
    email.list_unsubscribe = Some(Url::parse("https://care.test/v1/unsubscribe/tok_123").unwrap());

    let sent = mailer.send(&email).await.expect("accepted by the peer");

    let stored = peer.stored();
    assert_eq!(stored.len(), 1, "{stored:?}");
    let envelope = peer.sidecar(&stored[0]);
    assert_eq!(envelope["mail_from"], "no-reply@aftercare.test");
    assert_eq!(envelope["rcpt_tos"], serde_json::json!(["zoe@client.test"]));
    assert_eq!(envelope["auth"], Value::Null);

    let msg = parse_eml(&stored[0]);
    assert_eq!(msg["defects"], serde_json::json!([]), "{msg:#}");
    assert_eq!(msg["headers_ascii"], true);
    assert_eq!(msg["content_type"], "multipart/alternative");
    assert_eq!(msg["from"]["name"], "Clinique Élodie");
    assert_eq!(msg["from"]["address"], "no-reply@aftercare.test");
    assert_eq!(msg["to"]["name"], "Zoë Müller");
    assert_eq!(msg["to"]["address"], "zoe@client.test");
    assert_eq!(msg["reply_to"]["address"], "accueil@clinique-elodie.test");
    assert_eq!(msg["subject"], "Your aftercare today (day 3)");
    assert_eq!(msg["message_id"], sent.message_id.as_str());
    assert_eq!(msg["date_parses"], true);
    assert_eq!(
        msg["list_unsubscribe"],
        "<https://care.test/v1/unsubscribe/tok_123>"
    );
    assert_eq!(msg["list_unsubscribe_post"], "List-Unsubscribe=One-Click");

    let parts = msg["parts"].as_array().expect("parts");
    assert_eq!(parts.len(), 2, "{parts:#?}");
    assert_eq!(parts[0]["type"], "text/plain");
    assert_eq!(parts[1]["type"], "text/html");
    let text = parts[0]["content"].as_str().unwrap();
    let html = parts[1]["content"].as_str().unwrap();
    assert!(text.contains("Hi Zoë Müller,"), "{text}");
    assert!(text.contains("- Do not wash your scalp."));
    assert!(text.contains("https://care.test/v1/unsubscribe/tok_123"));
    assert!(html.contains("<li"), "{html}");
    assert!(html.contains("Do not wash your scalp."));
    assert!(html.contains("href=\"https://care.test/v1/unsubscribe/tok_123\""));
}

#[tokio::test]
async fn smtp_invitation_carries_the_link_and_the_clinic_as_sender() {
    let peer = SmtpPeer::start().await;
    let link = "https://care.test/invite/inv_0123456789abcdef";
    let rendered = render_invitation(&InvitationEmail {
        client_name: "Sam Client".to_string(),
        clinic_name: "Hairline Studio".to_string(),
        clinic_email: "desk@hairline.test".to_string(),
        accept_link: link.to_string(),
        expires_on: NaiveDate::from_ymd_opt(2026, 4, 14).unwrap(),
        first_session_on: None,
    })
    .expect("render");
    let mut email = rendered.into_email(Recipient::new("Sam Client", "sam@client.test"));
    email.sender_name = Some("Hairline Studio".to_string());
    email.reply_to = Some("desk@hairline.test".to_string());
    peer.mailer().send(&email).await.expect("sent");

    let msg = parse_eml(&peer.stored()[0]);
    assert_eq!(msg["from"]["name"], "Hairline Studio");
    assert_eq!(msg["reply_to"]["address"], "desk@hairline.test");
    assert_eq!(msg["list_unsubscribe"], Value::Null);
    let text = msg["parts"][0]["content"].as_str().unwrap();
    let html = msg["parts"][1]["content"].as_str().unwrap();
    assert!(text.contains(&format!("\n{link}\n")), "{text}");
    assert!(html.contains(&format!("href=\"{link}\"")), "{html}");
}

#[tokio::test]
async fn smtp_451_is_transient_550_is_permanent_and_nothing_is_stored() {
    let peer = SmtpPeer::start().await;
    let mailer = peer.mailer();

    let reason = assert_transient(
        mailer.send(&simple("tempfail-1@client.test")).await,
        "451 at RCPT",
    );
    assert_eq!(reason, "SMTP server replied 451 4.3.0 Try again later");

    let reason = assert_permanent(
        mailer.send(&simple("permfail-1@client.test")).await,
        "550 at RCPT",
    );
    assert_eq!(reason, "SMTP server replied 550 5.1.1 No such user");

    assert!(peer.stored().is_empty());
    let refused = peer
        .event_kinds()
        .iter()
        .filter(|k| *k == "rcpt_refused")
        .count();
    assert_eq!(refused, 2, "{:?}", peer.events());

    // The mailer keeps working after refusals.
    mailer.send(&simple("ok@client.test")).await.expect("sent");
    assert_eq!(peer.stored().len(), 1);
}

#[tokio::test]
async fn smtp_dropped_connection_is_transient_and_the_next_send_works() {
    let peer = SmtpPeer::start().await;
    let mailer = peer.mailer();
    assert_transient(
        mailer.send(&simple("drop-1@client.test")).await,
        "connection closed at end of DATA",
    );
    assert!(peer.event_kinds().contains(&"dropped".to_string()));
    assert!(peer.stored().is_empty());

    mailer.send(&simple("ok@client.test")).await.expect("sent");
    assert_eq!(peer.stored().len(), 1);
}

#[tokio::test]
async fn smtp_stalled_reply_times_out_hangs_up_and_leaves_the_mailer_usable() {
    let peer = SmtpPeer::start_with_stall(Duration::from_secs(10)).await;
    let mailer = Mailer::new(&peer.settings(2)).expect("mailer");

    let started = Instant::now();
    let reason = assert_transient(
        mailer.send(&simple("stall-1@client.test")).await,
        "stalled reply to DATA",
    );
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(1500) && elapsed < Duration::from_secs(6),
        "the 2 s send timeout took {elapsed:?}"
    );
    assert!(reason.contains("2s"), "{reason}");

    // We hung up, so the peer must not store the message after its stall: a stored copy
    // plus our retry would deliver the reminder twice.
    assert!(
        peer.wait_for_event("stall_abandoned", Duration::from_secs(5))
            .await,
        "the stalled connection was not closed: {:?}",
        peer.events()
    );

    // A timed-out connection is not reused: the next message goes through at once.
    let sent = mailer
        .send(&simple("ok@client.test"))
        .await
        .expect("sent after a timeout");
    let stored = peer.stored();
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(
        parse_eml(&stored[0])["message_id"],
        sent.message_id.as_str()
    );

    // Still nothing from the stalled send once its stall would have ended.
    let stall_over = started + Duration::from_secs(11);
    tokio::time::sleep_until(stall_over.into()).await;
    assert_eq!(peer.stored().len(), 1, "{:?}", peer.events());
    assert!(!peer
        .events()
        .iter()
        .any(|e| e["event"] == "accepted"
            && e["rcpt_tos"] == serde_json::json!(["stall-1@client.test"])));
}

#[tokio::test]
async fn smtp_pool_serves_concurrent_sends() {
    let peer = SmtpPeer::start().await;
    let mailer = peer.mailer();
    let sends = (0..6).map(|i| {
        let mailer = mailer.clone();
        tokio::spawn(async move {
            mailer
                .send(&simple(&format!("client{i}@client.test")))
                .await
        })
    });
    let mut ids = Vec::new();
    for send in sends {
        ids.push(send.await.expect("task").expect("sent").message_id);
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 6);
    assert_eq!(peer.stored().len(), 6);
    // And sequential sends reuse pooled connections without trouble.
    for i in 0..3 {
        mailer
            .send(&simple(&format!("again{i}@client.test")))
            .await
            .expect("sent");
    }
    assert_eq!(peer.stored().len(), 9);
}

#[tokio::test]
async fn smtp_waiting_for_a_pool_slot_does_not_count_against_the_send_timeout() {
    // One pooled connection, a 2 s send timeout, and a server that holds every reply to
    // DATA for 1.2 s. Three sends at once must queue for the one connection: each one's
    // own exchange takes 1.2 s, well inside its 2 s, but the second and third wait 1.2 s
    // and 2.4 s in line first. Only the exchange may count; queueing behind other
    // reminders is not the server being slow and must not cost a reminder an attempt.
    let peer = SmtpPeer::start_with_stall(Duration::from_millis(1200)).await;
    let mut settings = peer.settings(2);
    settings.smtp.pool_max_size = 1;
    let mailer = Mailer::new(&settings).expect("mailer");

    let sends: Vec<_> = (0..3)
        .map(|i| {
            let mailer = mailer.clone();
            tokio::spawn(async move {
                mailer
                    .send(&simple(&format!("stall-queued-{i}@client.test")))
                    .await
            })
        })
        .collect();
    let mut failures = Vec::new();
    for (i, send) in sends.into_iter().enumerate() {
        if let Err(e) = send.await.expect("task") {
            failures.push(format!("send {i}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(peer.stored().len(), 3, "{:?}", peer.events());
}

#[tokio::test]
async fn smtp_credentials_are_used() {
    let peer = SmtpPeer::start().await;
    let mut settings = peer.settings(10);
    settings.smtp.username = Some("mailer".to_string());
    settings.smtp.password = Some(secrecy::SecretString::from("s3cret"));
    Mailer::new(&settings)
        .expect("mailer")
        .send(&simple("ok@client.test"))
        .await
        .expect("sent");
    let envelope = peer.sidecar(&peer.stored()[0]);
    assert_eq!(
        envelope["auth"],
        serde_json::json!({"login": "mailer", "password": "s3cret"})
    );
}

#[tokio::test]
async fn smtp_invalid_address_is_permanent_without_contacting_the_server() {
    let peer = SmtpPeer::start().await;
    let mailer = peer.mailer();
    for bad in ["no-at-sign", "two@@client.test", ""] {
        assert_permanent(mailer.send(&simple(bad)).await, bad);
    }
    assert!(peer.events().is_empty(), "{:?}", peer.events());
}

#[tokio::test]
async fn smtp_unreachable_server_is_transient() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let settings = EmailSettings {
        transport: EmailTransport::Smtp,
        smtp: SmtpSettings {
            host: "127.0.0.1".to_string(),
            port,
            ..SmtpSettings::default()
        },
        send_timeout_secs: 10,
        ..EmailSettings::default()
    };
    let mailer = Mailer::new(&settings).expect("no connection at construction");
    assert_transient(
        mailer.send(&simple("ok@client.test")).await,
        "connection refused",
    );
}

#[tokio::test]
async fn file_transport_writes_one_parsable_eml_per_send() {
    let dir = tempfile::tempdir().unwrap();
    let mail_dir = dir.path().join("data/mail");
    let mailer = Mailer::new(&EmailSettings {
        from: "SMP Aftercare <no-reply@aftercare.test>".to_string(),
        transport: EmailTransport::File,
        file_dir: mail_dir.clone(),
        ..EmailSettings::default()
    })
    .expect("file mailer");
    assert_eq!(mailer.file_dir(), Some(mail_dir.as_path()));

    let first = mailer.send(&simple("a@client.test")).await.expect("first");
    assert_eq!(eml_files(&mail_dir).len(), 1);
    let second = mailer.send(&simple("b@client.test")).await.expect("second");
    let files = eml_files(&mail_dir);
    assert_eq!(files.len(), 2, "{files:?}");
    assert_eq!(
        std::fs::read_dir(&mail_dir).unwrap().count(),
        2,
        "only .eml files"
    );

    let mut ids: Vec<String> = files
        .iter()
        .map(|f| {
            let msg = parse_eml(f);
            assert_eq!(msg["content_type"], "multipart/alternative");
            assert_eq!(msg["from"]["name"], "Hairline Studio");
            assert_eq!(msg["list_unsubscribe_post"], "List-Unsubscribe=One-Click");
            msg["message_id"].as_str().unwrap().to_string()
        })
        .collect();
    ids.sort();
    let mut expected = vec![first.message_id, second.message_id];
    expected.sort();
    assert_eq!(ids, expected);
}
