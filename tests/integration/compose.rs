//! The trial stack's `docker-compose.yml`, read as YAML (no Docker needed): every
//! `SMP__` variable it sets is a setting the service reads (the binary loads them with
//! its own loader, and refuses each one misspelled), every image is pinned, every
//! published port is on 127.0.0.1, every service has a healthcheck, and every
//! `${VARIABLE}` it uses is listed in `.env.example`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_norway::Value;

fn repo_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
}

fn read(name: &str) -> String {
    std::fs::read_to_string(repo_file(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn compose_text() -> String {
    read("docker-compose.yml")
}

/// The compose file without its comment lines, which compose does not interpolate.
fn compose_values() -> String {
    compose_text()
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
}

fn services() -> serde_norway::Mapping {
    let compose: Value =
        serde_norway::from_str(&compose_text()).expect("docker-compose.yml is YAML");
    compose["services"]
        .as_mapping()
        .expect("docker-compose.yml has services")
        .clone()
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => panic!("not a scalar: {other:?}"),
    }
}

/// `.env.example`'s `NAME=value` lines (compose's `.env` syntax: `#` comments, values
/// optionally in double quotes).
fn env_example() -> BTreeMap<String, String> {
    read(".env.example")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (name, value) = line
                .split_once('=')
                .unwrap_or_else(|| panic!("not NAME=value: {line}"));
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            (name.trim().to_string(), value.to_string())
        })
        .collect()
}

/// Every `${NAME...}` in a compose text (`$$` is a literal dollar). Compose's other
/// form, a bare `$NAME`, is refused too: the check below could not see it.
fn interpolations(text: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        let after = &rest[at + 1..];
        if let Some(escaped) = after.strip_prefix('$') {
            rest = escaped;
            continue;
        }
        let inner = after
            .strip_prefix('{')
            .unwrap_or_else(|| panic!("write ${{NAME}}, not a bare $: {}", &rest[at..]));
        let end = inner.find('}').expect("an unclosed ${");
        let expression = &inner[..end];
        let name_end = expression
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(expression.len());
        found.push((expression[..name_end].to_string(), expression.to_string()));
        rest = &inner[end + 1..];
    }
    found
}

/// What a variable left empty in `.env.example` (so that compose refuses to start
/// until it is set) stands for in these tests: a value the service accepts.
fn stand_in(name: &str) -> Option<&'static str> {
    match name {
        "SMP_VAPID_SUBJECT" => Some("mailto:ops@northside-smp.co.uk"),
        _ => None,
    }
}

/// A compose value with its `${...}` replaced by `.env.example`'s values.
fn interpolate(value: &str, env: &BTreeMap<String, String>) -> String {
    let mut out = value.to_string();
    for (name, expression) in interpolations(value) {
        let given = env.get(&name).cloned().unwrap_or_default();
        let value = if given.is_empty() {
            stand_in(&name)
                .unwrap_or_else(|| panic!("{name} is empty in .env.example and has no stand-in"))
                .to_string()
        } else {
            given
        };
        out = out.replace(&format!("${{{expression}}}"), &value);
    }
    out
}

/// The `environment` of a service (map or `NAME=value` list form), interpolated.
fn environment(service: &Value, env: &BTreeMap<String, String>) -> Vec<(String, String)> {
    match &service["environment"] {
        Value::Null => Vec::new(),
        Value::Mapping(map) => map
            .iter()
            .map(|(k, v)| (text(k), interpolate(&text(v), env)))
            .collect(),
        Value::Sequence(list) => list
            .iter()
            .map(|entry| {
                let entry = text(entry);
                let (k, v) = entry.split_once('=').expect("NAME=value");
                (k.to_string(), interpolate(v, env))
            })
            .collect(),
        other => panic!("environment is neither a map nor a list: {other:?}"),
    }
}

/// `SMP__SERVER__PUBLIC_URL` -> `SMP__SERVER__PUBLIC_URLX`: the same path, one
/// letter more in its last key.
fn misspelled(name: &str) -> String {
    format!("{name}X")
}

/// Runs `smp-aftercare migrate` with only these variables set, in an empty folder,
/// with the database moved to a file there (the trial stack's `db` host does not
/// exist here; the variable's name is what is checked).
fn migrate_with(vars: &[(String, String)], folder: &Path) -> Output {
    let database = format!("sqlite://{}", folder.join("compose.db").display());
    let mut command = Command::new(env!("CARGO_BIN_EXE_smp-aftercare"));
    command.env_clear().current_dir(folder).arg("migrate");
    for (name, value) in vars {
        let value = if name == "SMP__DATABASE__URL" {
            database.clone()
        } else {
            value.clone()
        };
        command.env(name, value);
    }
    command.output().expect("the binary runs")
}

#[test]
fn every_smp_variable_of_the_app_is_a_setting_the_service_reads() {
    let env = env_example();
    let services = services();
    let app = &services["app"];
    let vars: Vec<(String, String)> = environment(app, &env)
        .into_iter()
        .filter(|(name, _)| name.starts_with("SMP"))
        .collect();
    assert!(vars.len() >= 10, "the app's settings: {vars:?}");
    for (name, _) in &vars {
        // The loader reads SMP__SECTION__KEY; SMP_X (one underscore) would be ignored.
        assert!(
            name.starts_with("SMP__") && name.len() > 5,
            "{name}: settings are SMP__SECTION__KEY"
        );
    }
    assert!(
        vars.iter().any(|(name, _)| name == "SMP__DATABASE__URL"),
        "the stack points the service at its PostgreSQL"
    );
    // Other services set no SMP variables (they would be read by nothing).
    for (service_name, service) in &services {
        if service_name.as_str() != Some("app") {
            let stray: Vec<_> = environment(service, &env)
                .into_iter()
                .filter(|(name, _)| name.starts_with("SMP"))
                .collect();
            assert!(stray.is_empty(), "{service_name:?} sets {stray:?}");
        }
    }

    // With every variable as the stack sets it, the service's own loader accepts them
    // all and the command runs: the database setting took effect (the file exists).
    let folder = tempfile::tempdir().unwrap();
    let output = migrate_with(&vars, folder.path());
    assert!(
        output.status.success(),
        "the stack's settings are refused: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(folder.path().join("compose.db").is_file());

    // Each one misspelled is refused with the configuration error's exit code, naming
    // it: so the loader checks every name on these paths, and acceptance above means
    // each one names a setting.
    for (index, (name, _)) in vars.iter().enumerate() {
        let mut typo = vars.clone();
        typo[index].0 = misspelled(name);
        let folder = tempfile::tempdir().unwrap();
        let output = migrate_with(&typo, folder.path());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{} accepted: {stderr}",
            typo[index].0
        );
        let key = typo[index]
            .0
            .rsplit("__")
            .next()
            .unwrap()
            .to_ascii_lowercase();
        assert!(stderr.contains(&key), "{stderr}");
        assert!(!folder.path().join("compose.db").exists());
    }
}

#[test]
fn every_image_is_pinned_and_every_service_checks_its_health() {
    let pinned = |image: &str| {
        if image.contains("@sha256:") {
            return true;
        }
        let name = image.rsplit('/').next().unwrap();
        match name.split_once(':') {
            Some((_, tag)) => tag != "latest" && tag.chars().any(|c| c.is_ascii_digit()),
            None => false,
        }
    };
    for (name, service) in &services() {
        match (&service["image"], &service["build"]) {
            (Value::String(image), _) => assert!(pinned(image), "{name:?}: {image} is not pinned"),
            (Value::Null, Value::Null) => panic!("{name:?} has neither image nor build"),
            _ => {}
        }
        assert!(
            !matches!(service["healthcheck"]["test"], Value::Null),
            "{name:?} has no healthcheck"
        );
    }
    // The Dockerfile's base images too (a stage's own name is not an image).
    let mut stages = Vec::new();
    for line in read("Dockerfile").lines() {
        let Some(from) = line.trim().strip_prefix("FROM ") else {
            continue;
        };
        let mut words = from.split_whitespace();
        let image = words.next().unwrap();
        if !stages.contains(&image.to_string()) {
            assert!(pinned(image), "Dockerfile: {image} is not pinned");
        }
        if let (Some(as_), Some(stage)) = (words.next(), words.next()) {
            assert!(as_.eq_ignore_ascii_case("as"));
            stages.push(stage.to_string());
        }
    }
    assert!(pinned("postgres:17.5-bookworm") && !pinned("axllent/mailpit:latest"));
    assert!(!pinned("postgres") && !pinned("localhost:5000/mailpit"));
}

#[test]
fn every_published_port_is_on_loopback() {
    let mut published = 0;
    for (name, service) in &services() {
        let Some(ports) = service["ports"].as_sequence() else {
            continue;
        };
        for port in ports {
            let host_ip = match port {
                // HOST_IP:HOST_PORT:CONTAINER_PORT; shorter forms listen everywhere.
                Value::String(short) => {
                    let parts: Vec<&str> = short.split(':').collect();
                    (parts.len() == 3).then(|| parts[0].to_string())
                }
                Value::Mapping(long) => long.get("host_ip").map(text),
                other => Some(format!("{other:?}")),
            };
            assert_eq!(
                host_ip.as_deref(),
                Some("127.0.0.1"),
                "{name:?} publishes {port:?} beyond this machine"
            );
            published += 1;
        }
    }
    assert!(published >= 2, "the app and Mailpit's web UI are published");
}

#[test]
fn every_variable_the_stack_uses_is_in_env_example() {
    let env = env_example();
    let used: Vec<String> = interpolations(&compose_values())
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert!(used.contains(&"SMP_VAPID_SUBJECT".to_string()), "{used:?}");
    for name in &used {
        assert!(
            env.contains_key(name),
            "{name} is used but not in .env.example"
        );
    }
    for name in env.keys() {
        assert!(used.contains(name), "{name} is in .env.example but unused");
    }
    // The parser sees what compose sees.
    let sample = "a: ${ONE:?why}\nb: $${NOT_ONE}\nc: ${TWO:-x}${THREE}";
    let names: Vec<String> = interpolations(sample).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["ONE", "TWO", "THREE"]);

    // And the build context leaves out what must not go into an image.
    let ignored = read(".dockerignore");
    for entry in ["target/", "data/", ".git/", "*.eml"] {
        assert!(ignored.lines().any(|line| line.trim() == entry), "{entry}");
    }
}
