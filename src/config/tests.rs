use super::*;

#[test]
fn relative_paths_resolve_against_the_settings_file_folder() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("smp.toml");
    std::fs::write(&file, "[email]\nfile_dir = \"outbox\"\n").unwrap();
    let settings = Settings::load(Path::new("config"), Some(&file)).unwrap();
    let base = std::path::absolute(dir.path()).unwrap();
    assert_eq!(settings.email.file_dir, base.join("outbox"));
    assert_eq!(
        settings.database.backend().unwrap(),
        DatabaseUrl::Sqlite(base.join("data/smp-aftercare.db"))
    );
    assert!(settings.push.vapid_key_file.starts_with(&base));
}

#[test]
fn a_settings_enum_names_the_values_it_accepts() {
    let refused = [
        ("xml", LogFormat::try_from("xml".to_string()).unwrap_err()),
        (
            "smtpx",
            email::EmailTransport::try_from("smtpx".to_string()).unwrap_err(),
        ),
        (
            "ssl",
            email::SmtpTls::try_from("ssl".to_string()).unwrap_err(),
        ),
    ];
    assert_eq!(refused[0].1, "\"xml\" is not one of: human, json");
    assert_eq!(refused[1].1, "\"smtpx\" is not one of: file, smtp");
    assert_eq!(refused[2].1, "\"ssl\" is not one of: none, starttls, tls");
    assert_eq!(
        LogFormat::try_from(" JSON ".to_string()),
        Ok(LogFormat::Json)
    );
    assert_eq!(
        email::SmtpTls::try_from("starttls".to_string()),
        Ok(email::SmtpTls::Starttls)
    );
}

#[test]
fn an_https_service_is_its_own_vapid_contact() {
    let mut settings = Settings::load(Path::new("/nonexistent"), None).unwrap();
    assert_eq!(settings.vapid_subject(), None, "plain http: push stays off");
    settings.server.public_url = "https://aftercare.northside-smp.co.uk/app/"
        .parse()
        .unwrap();
    assert_eq!(
        settings.vapid_subject().as_deref(),
        Some("https://aftercare.northside-smp.co.uk")
    );
    settings.server.public_url = "https://aftercare.clinic.test".parse().unwrap();
    assert_eq!(
        settings.vapid_subject(),
        None,
        "a reserved domain is nobody's contact"
    );
    settings.push.vapid_subject = Some("mailto:ops@northside-smp.co.uk".into());
    assert_eq!(
        settings.vapid_subject().as_deref(),
        Some("mailto:ops@northside-smp.co.uk")
    );
}

#[test]
fn redacts_passwords() {
    assert_eq!(
        redact_url("postgres://smp:hunter2@db:5432/smp"),
        "postgres://smp:***@db:5432/smp"
    );
    assert_eq!(redact_url("sqlite://data/x.db"), "sqlite://data/x.db");
}

#[test]
fn insecure_endpoints_are_bare_origins() {
    let url = |s: &str| url::Url::parse(s).unwrap();
    let any_port: OriginPattern = "http://127.0.0.1:*".parse().unwrap();
    assert!(any_port.matches(&url("http://127.0.0.1:5000/push/1")));
    assert!(any_port.matches(&url("http://127.0.0.1/push/1")));
    assert!(!any_port.matches(&url("https://127.0.0.1:5000/push/1")));
    assert!(!any_port.matches(&url("http://127.0.0.1:1@169.254.169.254/latest")));
    assert!(!any_port.matches(&url("http://127.0.0.2:5000/")));
    assert_eq!(any_port.to_string(), "http://127.0.0.1:*");

    let exact: OriginPattern = " http://Push.Local.:8080/ ".parse().unwrap();
    assert_eq!(exact.to_string(), "http://push.local.:8080");
    assert!(exact.matches(&url("http://push.local:8080/p")));
    assert!(!exact.matches(&url("http://push.local:8081/p")));
    assert!(!exact.matches(&url("http://push.local.evil.example:8080/p")));

    let default_port: OriginPattern = "https://[::1]".parse().unwrap();
    assert_eq!(default_port.to_string(), "https://[::1]:443");
    assert!(default_port.matches(&url("https://[::1]:443/p")));
    assert!(!default_port.matches(&url("https://[::1]:8443/p")));

    for bad in [
        "http://127.0.0.1:",
        "http://127.0.0.1:80:*",
        "http://127.0.0.1:*/push",
        "http://127.0.0.1:8080/push",
        "http://127.0.0.1:8080?x",
        "http://127.0.0.1:8080#x",
        "http://u:p@127.0.0.1:8080",
        "ftp://127.0.0.1:21",
        "127.0.0.1:8080",
        "http://127.0.0.1:99999",
        "",
        "*",
    ] {
        assert!(bad.parse::<OriginPattern>().is_err(), "{bad:?}");
    }
}

#[test]
fn a_prefix_in_the_allow_list_is_refused_at_load() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("prefix.toml");
    std::fs::write(
        &file,
        "[push]\nallowed_insecure_endpoints = [\"http://127.0.0.1:\"]\n",
    )
    .unwrap();
    let err = Settings::load(Path::new("/nonexistent"), Some(&file)).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("push.allowed_insecure_endpoints"),
        "{message}"
    );
    assert!(message.contains("scheme://host:*"), "{message}");

    std::fs::write(
        &file,
        "[push]\nallowed_insecure_endpoints = [\"http://127.0.0.1:*\"]\n",
    )
    .unwrap();
    let settings = Settings::load(Path::new("/nonexistent"), Some(&file)).unwrap();
    assert_eq!(
        settings.push.allowed_insecure_endpoints,
        vec!["http://127.0.0.1:*".parse::<OriginPattern>().unwrap()]
    );
}

#[test]
fn app_links_default_to_the_public_url() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("links.toml");
    std::fs::write(
        &file,
        "[server]\npublic_url = \"https://care.clinic.example\"\n",
    )
    .unwrap();
    let settings = Settings::load(Path::new("/nonexistent"), Some(&file)).unwrap();
    assert_eq!(settings.app_url().as_str(), "https://care.clinic.example/");

    std::fs::write(
        &file,
        "[server]\npublic_url = \"https://care.clinic.example\"\n\
         [links]\napp_url = \"https://app.clinic.example/smp\"\n",
    )
    .unwrap();
    let settings = Settings::load(Path::new("/nonexistent"), Some(&file)).unwrap();
    assert_eq!(
        settings.app_url().as_str(),
        "https://app.clinic.example/smp"
    );
    assert_eq!(
        settings.server.public_url.as_str(),
        "https://care.clinic.example/"
    );

    std::fs::write(&file, "[links]\napp_url = \"mailto:ops@clinic.example\"\n").unwrap();
    let err = Settings::load(Path::new("/nonexistent"), Some(&file)).unwrap_err();
    assert!(err.to_string().contains("links.app_url"), "{err}");
}

#[test]
fn debug_output_hides_the_database_url() {
    let settings = Settings::load(Path::new("/nonexistent"), None).unwrap();
    let settings = Settings {
        database: DatabaseSettings {
            url: SecretString::from("postgres://u:hunter2@h/d"),
            ..settings.database
        },
        ..settings
    };
    assert!(!format!("{settings:?}").contains("hunter2"));
}

#[test]
fn photos_default_to_a_local_folder_resolved_like_the_other_paths() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("smp.toml");
    std::fs::write(
        &file,
        "[photos]\ndir = \"pictures\"\nprocessing_concurrency = 3\n",
    )
    .unwrap();
    let settings = Settings::load(Path::new("config"), Some(&file)).unwrap();
    let base = std::path::absolute(dir.path()).unwrap();
    assert_eq!(settings.photos.store, PhotoStoreKind::Local);
    assert_eq!(settings.photos.dir, base.join("pictures"));
    assert_eq!(settings.photos.concurrency(), 3);
    let defaults = Settings::load(Path::new("/nonexistent"), None).unwrap();
    assert!(defaults.photos.dir.ends_with("data/photos"));
    assert!(defaults.photos.concurrency() >= 1, "0 means one per core");
}

#[test]
fn an_s3_photo_store_needs_its_bucket_and_keys_and_never_prints_the_secret() {
    let mut settings = Settings::load(Path::new("/nonexistent"), None).unwrap();
    settings.photos.store = PhotoStoreKind::S3;
    let refused = settings.validate().unwrap_err().to_string();
    assert_eq!(
        refused,
        "configuration error: photos.s3.bucket: required when photos.store = \"s3\""
    );
    settings.photos.s3.bucket = "clinic-photos".into();
    settings.photos.s3.access_key_id = "AKIAEXAMPLE".into();
    let refused = settings.validate().unwrap_err().to_string();
    assert!(
        refused.contains("photos.s3.secret_access_key: required"),
        "{refused}"
    );
    settings.photos.s3.secret_access_key = Some("wJalrXUtnFEMI-example-secret".to_string().into());
    settings.validate().unwrap();
    assert!(!format!("{settings:?}").contains("wJalrXUtnFEMI"));

    settings.photos.s3.endpoint = "http://minio:9000".into();
    settings.validate().unwrap();
    for (endpoint, why) in [
        (
            "https://key:secret@s3.example.net",
            "must not carry credentials",
        ),
        ("ftp://s3.example.net", "http:// or https://"),
        ("s3.example.net", "is not a URL"),
    ] {
        settings.photos.s3.endpoint = endpoint.into();
        let refused = settings.validate().unwrap_err().to_string();
        assert!(
            refused.contains("photos.s3.endpoint") && refused.contains(why),
            "{refused}"
        );
        assert!(!refused.contains("secret@"), "{refused}");
    }
    assert_eq!(
        PhotoStoreKind::try_from("gcs".to_string()).unwrap_err(),
        "\"gcs\" is not one of: local, s3"
    );
}
