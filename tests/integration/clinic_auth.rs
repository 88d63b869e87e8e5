//! `clinic create` prints a key the bearer extractor accepts; revoked and malformed
//! keys get 401 problem bodies.

use crate::db_test;
use crate::helpers::*;

db_test!(a_created_clinic_key_authenticates, |app| {
    let (id, key) = app.create_clinic("Northside SMP", "front@northside.test");
    assert!(key.starts_with("smpk_"), "{key}");
    let response = app
        .client
        .get(app.url("/v1/clinic"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["id"], id);
    assert_eq!(body["name"], "Northside SMP");
});

db_test!(missing_wrong_and_malformed_keys_are_401, |app| {
    let (_, key) = app.create_clinic("Northside SMP", "front@northside.test");
    let body = assert_problem(app.get("/v1/clinic").await, 401).await;
    assert_eq!(body["type"], "/problems/unauthorized");

    let mut tampered = key.clone();
    tampered.pop();
    tampered.push(if key.ends_with('A') { 'B' } else { 'A' });
    for bad in [tampered.as_str(), "smpk_nonsense", "Basic abc"] {
        let response = app
            .client
            .get(app.url("/v1/clinic"))
            .bearer_auth(bad)
            .send()
            .await
            .unwrap();
        assert_problem(response, 401).await;
    }
    let basic = app
        .client
        .get(app.url("/v1/clinic"))
        .header("authorization", format!("Basic {key}"))
        .send()
        .await
        .unwrap();
    assert_problem(basic, 401).await;
});

db_test!(revoking_a_key_locks_the_old_one_out, |app| {
    let (id, old_key) = app.create_clinic("Northside SMP", "front@northside.test");
    let out = app.cli(&["clinic", "revoke-key", "--id", &id]);
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let new_key = stdout
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("new api key:")
                .map(|k| k.trim().to_string())
        })
        .expect("new key printed");

    let old = app
        .client
        .get(app.url("/v1/clinic"))
        .bearer_auth(&old_key)
        .send()
        .await
        .unwrap();
    assert_problem(old, 401).await;
    let new = app
        .client
        .get(app.url("/v1/clinic"))
        .bearer_auth(&new_key)
        .send()
        .await
        .unwrap();
    assert_eq!(new.status(), 200);

    let out = app.cli(&["clinic", "revoke-key", "--id", &id, "--no-replacement"]);
    assert!(out.status.success());
    let locked = app
        .client
        .get(app.url("/v1/clinic"))
        .bearer_auth(&new_key)
        .send()
        .await
        .unwrap();
    assert_problem(locked, 401).await;

    let list = app.cli(&["clinic", "list"]);
    let listing = String::from_utf8_lossy(&list.stdout).to_string();
    assert!(
        listing.contains(&id) && listing.contains("revoked"),
        "{listing}"
    );
    assert!(!listing.contains("smpk_"), "keys must never be listed");
});

db_test!(unknown_clinic_revocation_fails_cleanly, |app| {
    let out = app.cli(&["clinic", "revoke-key", "--id", "no-such-clinic"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no clinic with id"),
        "{}",
        stderr(&out)
    );
});
