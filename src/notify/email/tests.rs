//! Unit tests of the mailer: settings, message composition and the file transport.

use std::path::PathBuf;

use lettre::message::Mailbox;
use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

use super::compose::compose;
use super::*;

fn sample() -> OutgoingEmail {
    OutgoingEmail {
        to: Recipient::new("Sam Client", "sam@client.test"),
        sender_name: Some("Hairline Studio".to_string()),
        reply_to: Some("front-desk@hairline.test".to_string()),
        subject: "Day 3: keep it dry".to_string(),
        text: "Plain body".to_string(),
        html: "<p>HTML body</p>".to_string(),
        list_unsubscribe: Some(Url::parse("https://care.test/unsubscribe/tok123").unwrap()),
    }
}

fn from() -> Mailbox {
    "SMP Aftercare <no-reply@care.test>".parse().unwrap()
}

fn formatted(email: &OutgoingEmail) -> String {
    let (message, _) = compose(&from(), email).unwrap();
    String::from_utf8(message.formatted()).unwrap()
}

fn headers(raw: &str) -> Vec<String> {
    let head = raw.split("\r\n\r\n").next().unwrap();
    let mut out: Vec<String> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            out.last_mut().unwrap().push_str(line);
        } else {
            out.push(line.to_string());
        }
    }
    out
}

fn header(raw: &str, name: &str) -> Option<String> {
    let prefix = format!("{}:", name.to_ascii_lowercase());
    headers(raw)
        .into_iter()
        .find(|h| h.to_ascii_lowercase().starts_with(&prefix))
        .map(|h| h[prefix.len()..].trim().to_string())
}

#[test]
fn defaults_validate() {
    EmailSettings::default().validate().unwrap();
}

/// The `[email]` block of config/default.toml.
const DEFAULT_TOML: &str = r#"
[email]
from = "SMP Aftercare <no-reply@localhost>"
transport = "file"
file_dir = "data/mail"
send_timeout_secs = 30

[email.smtp]
host = "localhost"
port = 1025
tls = "none"
timeout_secs = 10
pool_max_size = 4
"#;

#[test]
fn the_default_toml_block_matches_the_struct() {
    #[derive(Deserialize)]
    struct Wrapper {
        email: EmailSettings,
    }
    let parsed: Wrapper = toml::from_str(DEFAULT_TOML).unwrap();
    let parsed = parsed.email;
    parsed.validate().unwrap();
    let defaults = EmailSettings::default();
    assert_eq!(parsed.from, defaults.from);
    assert_eq!(parsed.transport, EmailTransport::File);
    assert_eq!(parsed.file_dir, PathBuf::from("data/mail"));
    assert_eq!(parsed.send_timeout_secs, defaults.send_timeout_secs);
    assert_eq!(parsed.smtp.host, "localhost");
    assert_eq!(parsed.smtp.port, 1025);
    assert_eq!(parsed.smtp.tls, SmtpTls::None);
    assert_eq!(parsed.smtp.timeout_secs, 10);
    assert_eq!(parsed.smtp.pool_max_size, defaults.smtp.pool_max_size);
    assert!(parsed.smtp.username.is_none() && parsed.smtp.password.is_none());
}

#[test]
fn settings_parse_from_toml_shape_and_reject_unknown_keys() {
    let json = serde_json::json!({
        "from": "Clinic Mail <mail@clinic.test>",
        "transport": "smtp",
        "file_dir": "x/mail",
        "smtp": {"host": "smtp.clinic.test", "port": 587, "tls": "starttls",
                 "username": "u", "password": "hunter2", "timeout_secs": 5, "pool_max_size": 2},
        "send_timeout_secs": 20
    });
    let settings: EmailSettings = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(settings.transport, EmailTransport::Smtp);
    assert_eq!(settings.smtp.tls, SmtpTls::Starttls);
    settings.validate().unwrap();

    let mut bad = json;
    bad["smtp"]["passwrd"] = "x".into();
    assert!(serde_json::from_value::<EmailSettings>(bad).is_err());
    let bad_tls = serde_json::json!({"smtp": {"tls": "ssl"}});
    assert!(serde_json::from_value::<EmailSettings>(bad_tls).is_err());
}

#[tokio::test]
async fn debug_never_shows_the_password() {
    let settings = EmailSettings {
        transport: EmailTransport::Smtp,
        smtp: SmtpSettings {
            username: Some("mailer".into()),
            password: Some(SecretString::from("hunter2-secret")),
            ..SmtpSettings::default()
        },
        ..EmailSettings::default()
    };
    let shown = format!("{settings:?}");
    assert!(!shown.contains("hunter2-secret"), "{shown}");
    assert!(shown.contains("mailer"));
    let mailer = Mailer::new(&settings).unwrap();
    assert!(!format!("{mailer:?}").contains("hunter2-secret"));
}

#[test]
fn validation_names_the_key() {
    let check = |settings: EmailSettings, key: &str| {
        let err = settings.validate().unwrap_err();
        assert!(err.starts_with(key), "{err:?} should start with {key}");
    };
    let smtp = |smtp: SmtpSettings| EmailSettings {
        transport: EmailTransport::Smtp,
        smtp,
        ..EmailSettings::default()
    };
    check(
        EmailSettings {
            from: "not a mailbox".into(),
            ..EmailSettings::default()
        },
        "email.from:",
    );
    check(
        EmailSettings {
            from: "Name <no-at-sign>".into(),
            ..EmailSettings::default()
        },
        "email.from:",
    );
    check(
        EmailSettings {
            send_timeout_secs: 0,
            ..EmailSettings::default()
        },
        "email.send_timeout_secs:",
    );
    check(
        EmailSettings {
            file_dir: PathBuf::new(),
            ..EmailSettings::default()
        },
        "email.file_dir:",
    );
    check(
        smtp(SmtpSettings {
            host: " ".into(),
            ..SmtpSettings::default()
        }),
        "email.smtp.host:",
    );
    check(
        smtp(SmtpSettings {
            port: 0,
            ..SmtpSettings::default()
        }),
        "email.smtp.port:",
    );
    check(
        smtp(SmtpSettings {
            timeout_secs: 0,
            ..SmtpSettings::default()
        }),
        "email.smtp.timeout_secs:",
    );
    check(
        smtp(SmtpSettings {
            pool_max_size: 0,
            ..SmtpSettings::default()
        }),
        "email.smtp.pool_max_size:",
    );
    check(
        smtp(SmtpSettings {
            username: Some("u".into()),
            ..SmtpSettings::default()
        }),
        "email.smtp.password:",
    );
    check(
        smtp(SmtpSettings {
            password: Some(SecretString::from("p")),
            ..SmtpSettings::default()
        }),
        "email.smtp.username:",
    );
    check(
        smtp(SmtpSettings {
            host: "smtp.provider.test".into(),
            username: Some("u".into()),
            password: Some(SecretString::from("p")),
            ..SmtpSettings::default()
        }),
        "email.smtp.tls:",
    );
    // Credentials in clear text are fine to a loopback relay.
    smtp(SmtpSettings {
        host: "127.0.0.1".into(),
        username: Some("u".into()),
        password: Some(SecretString::from("p")),
        ..SmtpSettings::default()
    })
    .validate()
    .unwrap();
    // SMTP settings are not checked while the file transport is in use.
    EmailSettings {
        smtp: SmtpSettings {
            port: 0,
            ..SmtpSettings::default()
        },
        ..EmailSettings::default()
    }
    .validate()
    .unwrap();
}

#[test]
fn mailer_new_reports_config_and_folder_problems() {
    let err = Mailer::new(&EmailSettings {
        from: "nope".into(),
        ..EmailSettings::default()
    })
    .unwrap_err();
    assert!(err.to_string().starts_with("email.from:"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, b"x").unwrap();
    let target = blocker.join("mail");
    let err = Mailer::new(&EmailSettings {
        file_dir: target.clone(),
        ..EmailSettings::default()
    })
    .unwrap_err();
    assert!(matches!(err, EmailError::FileDir { .. }), "{err:?}");
    assert!(err.to_string().contains(&target.display().to_string()));

    let ok = dir.path().join("nested/mail");
    let mailer = Mailer::new(&EmailSettings {
        file_dir: ok.clone(),
        ..EmailSettings::default()
    })
    .unwrap();
    assert!(ok.is_dir());
    assert_eq!(mailer.file_dir(), Some(ok.as_path()));
    assert_eq!(std::fs::read_dir(&ok).unwrap().count(), 0, "probe removed");
}

#[cfg(unix)]
#[test]
fn read_only_mail_folder_is_refused_by_name() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let mail = dir.path().join("ro");
    std::fs::create_dir(&mail).unwrap();
    std::fs::set_permissions(&mail, std::fs::Permissions::from_mode(0o555)).unwrap();
    // Root ignores permissions; only assert when the folder really is read-only.
    if std::fs::write(mail.join("probe"), b"").is_ok() {
        return;
    }
    let err = Mailer::new(&EmailSettings {
        file_dir: mail.clone(),
        ..EmailSettings::default()
    })
    .unwrap_err();
    assert!(
        err.to_string().contains(&mail.display().to_string()),
        "{err}"
    );
}

#[tokio::test]
async fn smtp_mailer_builds_without_connecting() {
    for tls in [SmtpTls::None, SmtpTls::Starttls, SmtpTls::Tls] {
        Mailer::new(&EmailSettings {
            transport: EmailTransport::Smtp,
            smtp: SmtpSettings {
                host: "smtp.unreachable.invalid".into(),
                tls,
                ..SmtpSettings::default()
            },
            ..EmailSettings::default()
        })
        .unwrap();
    }
}

#[test]
fn message_has_the_expected_headers_and_parts() {
    let email = sample();
    let (message, id) = compose(&from(), &email).unwrap();
    let raw = String::from_utf8(message.formatted()).unwrap();
    assert_eq!(
        header(&raw, "From").as_deref(),
        Some("\"Hairline Studio\" <no-reply@care.test>")
    );
    assert_eq!(
        header(&raw, "Reply-To").as_deref(),
        Some("front-desk@hairline.test")
    );
    assert_eq!(
        header(&raw, "To").as_deref(),
        Some("\"Sam Client\" <sam@client.test>")
    );
    assert_eq!(
        header(&raw, "Subject").as_deref(),
        Some("Day 3: keep it dry")
    );
    assert_eq!(header(&raw, "Message-ID").as_deref(), Some(id.as_str()));
    assert!(id.starts_with('<') && id.ends_with("@care.test>"), "{id}");
    assert!(header(&raw, "Date").is_some());
    assert_eq!(
        header(&raw, "List-Unsubscribe").as_deref(),
        Some("<https://care.test/unsubscribe/tok123>")
    );
    assert_eq!(
        header(&raw, "List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    assert_eq!(
        header(&raw, "Auto-Submitted").as_deref(),
        Some("auto-generated")
    );
    let content_type = header(&raw, "Content-Type").unwrap();
    assert!(
        content_type.starts_with("multipart/alternative;"),
        "{content_type}"
    );
    assert!(raw.contains("Content-Type: text/plain; charset=utf-8"));
    assert!(raw.contains("Content-Type: text/html; charset=utf-8"));
    assert!(raw.contains("Plain body") && raw.contains("<p>HTML body</p>"));
    // The envelope follows the configured address, not the display override.
    assert_eq!(
        message.envelope().from().unwrap().to_string(),
        "no-reply@care.test"
    );
}

#[test]
fn without_overrides_the_configured_sender_is_used_and_optional_headers_are_absent() {
    let email = OutgoingEmail {
        sender_name: None,
        reply_to: None,
        list_unsubscribe: None,
        to: Recipient::address_only("sam@client.test"),
        ..sample()
    };
    let raw = formatted(&email);
    assert_eq!(
        header(&raw, "From").as_deref(),
        Some("\"SMP Aftercare\" <no-reply@care.test>")
    );
    assert_eq!(header(&raw, "To").as_deref(), Some("sam@client.test"));
    assert!(header(&raw, "Reply-To").is_none());
    assert!(header(&raw, "List-Unsubscribe").is_none());
    assert!(header(&raw, "List-Unsubscribe-Post").is_none());
}

#[test]
fn non_ascii_names_and_subjects_are_encoded() {
    let email = OutgoingEmail {
        to: Recipient::new("Zoë Müller", "zoe@client.test"),
        sender_name: Some("Clinique Élodie".into()),
        subject: "Jour 5 : vous pouvez laver doucement ✓".into(),
        ..sample()
    };
    let raw = formatted(&email);
    let head = raw.split("\r\n\r\n").next().unwrap();
    assert!(head.is_ascii(), "headers must be 7-bit: {head}");
    let from = header(&raw, "From").unwrap();
    assert!(from.contains("=?utf-8?"), "{from}");
    assert!(from.ends_with("<no-reply@care.test>"), "{from}");
    assert!(header(&raw, "Subject").unwrap().contains("=?utf-8?"));
}

#[test]
fn names_cannot_inject_headers() {
    let email = OutgoingEmail {
        to: Recipient::new("Sam\r\nBcc: victim@evil.test", "sam@client.test"),
        sender_name: Some("Clinic\nX-Injected: yes".into()),
        subject: "Hello\r\nBcc: victim@evil.test".into(),
        ..sample()
    };
    let raw = formatted(&email);
    for line in headers(&raw) {
        let lower = line.to_ascii_lowercase();
        assert!(
            !lower.starts_with("bcc:") && !lower.starts_with("x-injected:"),
            "{line}"
        );
    }
}

#[test]
fn invalid_addresses_are_permanent_not_panics() {
    for bad in [
        "",
        "no-at-sign",
        "two@@ats.test",
        "sp ace@x.test",
        "a@",
        "@b.test",
    ] {
        let email = OutgoingEmail {
            to: Recipient::address_only(bad),
            ..sample()
        };
        let err = compose(&from(), &email).unwrap_err();
        assert!(err.is_permanent(), "{bad:?}: {err:?}");
    }
    let email = OutgoingEmail {
        reply_to: Some("clinic at example".into()),
        ..sample()
    };
    assert!(compose(&from(), &email).unwrap_err().is_permanent());
    let email = OutgoingEmail {
        reply_to: Some("Front Desk <desk@clinic.test>".into()),
        ..sample()
    };
    assert!(formatted(&email).contains("Reply-To: \"Front Desk\" <desk@clinic.test>"));
}

#[test]
fn non_http_unsubscribe_links_are_refused() {
    let email = OutgoingEmail {
        list_unsubscribe: Some(Url::parse("mailto:unsub@care.test").unwrap()),
        ..sample()
    };
    assert!(compose(&from(), &email).unwrap_err().is_permanent());
}

#[test]
fn send_error_accessors() {
    let t = SendError::Transient("451 later".into());
    let p = SendError::Permanent("550 no".into());
    assert!(!t.is_permanent() && t.is_transient());
    assert!(p.is_permanent() && !p.is_transient());
    assert_eq!(p.reason(), "550 no");
    assert_eq!(t.to_string(), "temporary email failure: 451 later");
}

#[tokio::test]
async fn file_transport_writes_one_eml_per_send() {
    let dir = tempfile::tempdir().unwrap();
    let mailer = Mailer::new(&EmailSettings {
        file_dir: dir.path().join("mail"),
        ..EmailSettings::default()
    })
    .unwrap();
    let a = mailer.send(&sample()).await.unwrap();
    let b = mailer.send(&sample()).await.unwrap();
    assert_ne!(a.message_id, b.message_id);
    let files: Vec<_> = std::fs::read_dir(dir.path().join("mail"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 2, "{files:?}");
    for file in files {
        assert_eq!(file.extension().unwrap(), "eml");
    }
    let invalid = OutgoingEmail {
        to: Recipient::address_only("broken"),
        ..sample()
    };
    assert!(mailer.send(&invalid).await.unwrap_err().is_permanent());
    assert_eq!(
        std::fs::read_dir(dir.path().join("mail")).unwrap().count(),
        2
    );
}

#[tokio::test]
async fn file_transport_reports_a_vanished_folder_as_transient() {
    let dir = tempfile::tempdir().unwrap();
    let mail = dir.path().join("mail");
    let mailer = Mailer::new(&EmailSettings {
        file_dir: mail.clone(),
        ..EmailSettings::default()
    })
    .unwrap();
    std::fs::remove_dir(&mail).unwrap();
    let err = mailer.send(&sample()).await.unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    assert!(err.reason().contains(&mail.display().to_string()), "{err}");
}
