//! The owners' pages: clinic settings (and what they change: onboarding defaults,
//! Reply-To), named API keys, staff accounts, and the audit log.

use smp_aftercare::domain::StaffRole;

use crate::console_support::*;
use crate::db_test;

db_test!(
    settings_are_checked_field_by_field_and_used_by_onboarding,
    |app| {
        let (clinic_id, key) = app.create_clinic("Northside SMP", "front@northside.test");
        let owner = owner_session(&app, &clinic_id).await;
        let page = app
            .page("/console/settings", Some(&owner.cookie))
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("value=\"UTC\""), "{page}");
        assert!(page.contains("value=\"08:00\""), "{page}");

        let bad = app
            .form(
                "/console/settings",
                Some(&owner.cookie),
                &[
                    ("name", ""),
                    ("reply_to", "desk@"),
                    ("timezone", "Europe/Lundun"),
                    ("reminder_time", "25:00"),
                ],
            )
            .await;
        assert_eq!(bad.status(), 422);
        let html = bad.text().await.unwrap();
        for field in ["name", "reply_to", "timezone", "reminder_time"] {
            assert!(
                html.contains(&format!("id=\"error-{field}\"")),
                "{field}: {html}"
            );
            let tied = html.contains(&format!("aria-describedby=\"hint-{field} error-{field}\""))
                || html.contains(&format!("aria-describedby=\"error-{field}\""));
            assert!(tied, "{field}: the error is tied to its field");
        }
        assert!(
            html.replace("&#x2f;", "/")
                .contains("value=\"Europe/Lundun\""),
            "what was typed stays: {html}"
        );

        let saved = app
            .form(
                "/console/settings",
                Some(&owner.cookie),
                &[
                    ("name", "Northside SMP Studio"),
                    ("reply_to", "Desk@Northside.test"),
                    ("timezone", "Europe/London"),
                    ("reminder_time", "07:30"),
                ],
            )
            .await;
        assert_eq!(saved.status(), 303);
        assert_eq!(location(&saved), "/console/settings?saved=1");
        let page = app
            .page("/console/settings?saved=1", Some(&owner.cookie))
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("Settings saved"), "{page}");
        assert!(page.contains("value=\"desk@northside.test\""), "{page}");

        // A client onboarded without a zone gets the clinic's, and its reminder time.
        let created = app
            .clinic_client(&key)
            .post(
                "/v1/clients",
                serde_json::json!({"email": "ana@client.test", "name": "Ana"}),
            )
            .await;
        assert_eq!(created.status(), 201);
        let body: serde_json::Value = created.json().await.unwrap();
        assert_eq!(body["timezone"], "Europe/London", "{body}");
        assert_eq!(body["preferences"]["reminder_time"], "07:30", "{body}");
        // The invitation carries the clinic's new name and Reply-To.
        app.flush_outbox().await;
        let mail = app.mail_files();
        let invitation = mail
            .iter()
            .find(|m| m.contains("ana@client.test"))
            .expect("invitation");
        assert!(
            invitation.contains("Reply-To: desk@northside.test"),
            "{invitation}"
        );
        assert!(invitation.contains("Northside SMP Studio"), "{invitation}");
    }
);

db_test!(an_api_key_is_shown_once_works_and_revokes, |app| {
    let (clinic_id, first_key) = app.create_clinic("Northside SMP", "front@northside.test");
    let owner = owner_session(&app, &clinic_id).await;
    let blank = app
        .form("/console/keys", Some(&owner.cookie), &[("name", "  ")])
        .await;
    assert_eq!(blank.status(), 422);
    assert!(blank.text().await.unwrap().contains("id=\"error-name\""));

    let created = app
        .form(
            "/console/keys",
            Some(&owner.cookie),
            &[("name", "Booking system")],
        )
        .await;
    assert_eq!(created.status(), 200);
    assert_eq!(created.headers()["cache-control"], "no-store");
    let html = created.text().await.unwrap();
    let start = html
        .find("id=\"new-key-secret\">")
        .expect("the secret is shown")
        + "id=\"new-key-secret\">".len();
    let secret: String = html[start..].chars().take_while(|c| *c != '<').collect();
    assert!(secret.starts_with("smpk_"), "{secret}");
    let whoami = app.clinic_client(&secret).get("/v1/clinic").await;
    assert_eq!(whoami.status(), 200);

    // Listed by name and prefix, never the secret again.
    let list = app
        .page("/console/keys", Some(&owner.cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        list.contains("Booking system") && list.contains("First key"),
        "{list}"
    );
    assert!(!list.contains(&secret), "the secret is shown once");
    let id = secret.split('_').nth(1).unwrap().to_string();
    assert!(list.contains(&format!("smpk_{id}_")), "{list}");

    // Using a key notes it; the list says when.
    let list = app
        .page("/console/keys", Some(&owner.cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !list.contains(">never<") || list.matches(">never<").count() == 1,
        "{list}"
    );

    let confirm = app
        .page(&format!("/console/keys/{id}/revoke"), Some(&owner.cookie))
        .await;
    assert_eq!(confirm.status(), 200);
    assert!(confirm
        .text()
        .await
        .unwrap()
        .contains("Revoke &ldquo;Booking system&rdquo;?"));
    // Opening the confirmation revoked nothing.
    assert_eq!(
        app.clinic_client(&secret).get("/v1/clinic").await.status(),
        200
    );
    let revoked = app
        .form(
            &format!("/console/keys/{id}/revoke"),
            Some(&owner.cookie),
            &[],
        )
        .await;
    assert_eq!(location(&revoked), "/console/keys?revoked=1");
    assert_eq!(
        app.clinic_client(&secret).get("/v1/clinic").await.status(),
        401
    );
    assert_eq!(
        app.clinic_client(&first_key)
            .get("/v1/clinic")
            .await
            .status(),
        200
    );
    let twice = app
        .form(
            &format!("/console/keys/{id}/revoke"),
            Some(&owner.cookie),
            &[],
        )
        .await;
    assert_eq!(twice.status(), 404);
});

db_test!(owners_invite_and_remove_staff, |app| {
    let (clinic_id, _) = app.create_clinic("Northside SMP", "front@northside.test");
    let owner = owner_session(&app, &clinic_id).await;
    let bad = app
        .form(
            "/console/staff",
            Some(&owner.cookie),
            &[("name", "Dee"), ("email", "dee@"), ("role", "boss")],
        )
        .await;
    assert_eq!(bad.status(), 422);
    let html = bad.text().await.unwrap();
    assert!(
        html.contains("id=\"error-email\"") && html.contains("id=\"error-role\""),
        "{html}"
    );
    let taken = app
        .form(
            "/console/staff",
            Some(&owner.cookie),
            &[
                ("name", "Me again"),
                ("email", "front@northside.test"),
                ("role", "staff"),
            ],
        )
        .await;
    assert_eq!(taken.status(), 422);
    assert!(taken
        .text()
        .await
        .unwrap()
        .contains("already has an account"));

    let invited = app
        .form(
            "/console/staff",
            Some(&owner.cookie),
            &[
                ("name", "Dee Desk"),
                ("email", "dee@northside.test"),
                ("role", "staff"),
            ],
        )
        .await;
    assert_eq!(location(&invited), "/console/staff?invited=1");
    let mail = wait_for_mail(&app, 1).await;
    let raw = mail.last().unwrap();
    assert!(
        raw.contains("Subject: Your account in Northside SMP's aftercare console"),
        "{raw}"
    );
    assert!(raw.contains("within 3 days"), "{raw}");
    // The invitation's link signs Dee in.
    let signed = app.form(&sign_in_path(raw), None, &[]).await;
    assert_eq!(signed.status(), 303);
    let dee = session_cookie_of(&signed);
    assert_eq!(
        app.page("/console/settings", Some(&dee)).await.status(),
        200
    );

    let list = app
        .page("/console/staff", Some(&owner.cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        list.contains("Dee Desk") && list.contains("dee@northside.test"),
        "{list}"
    );
    let dee_id = {
        let mut conn = app.pool.get().unwrap();
        smp_aftercare::db::staff::of_clinic(&mut conn, &clinic_id)
            .unwrap()
            .into_iter()
            .find(|m| m.name == "Dee Desk")
            .unwrap()
            .id
    };
    let confirm = app
        .page(
            &format!("/console/staff/{dee_id}/remove"),
            Some(&owner.cookie),
        )
        .await;
    assert_eq!(confirm.status(), 200);
    let removed = app
        .form(
            &format!("/console/staff/{dee_id}/remove"),
            Some(&owner.cookie),
            &[],
        )
        .await;
    assert_eq!(location(&removed), "/console/staff?removed=1");
    // Dee's session ended with the account.
    assert_eq!(
        app.page("/console/settings", Some(&dee)).await.status(),
        303
    );

    // Nobody removes their own account, and the last owner stays.
    let me = app
        .form(
            &format!("/console/staff/{}/remove", owner.staff_id),
            Some(&owner.cookie),
            &[],
        )
        .await;
    assert_eq!(me.status(), 409);
    assert!(me.text().await.unwrap().contains("your own account"));
    let second = member_session(
        &app,
        &clinic_id,
        "Owen",
        "owen@northside.test",
        StaffRole::Owner,
    )
    .await;
    let last = app
        .form(
            &format!("/console/staff/{}/remove", owner.staff_id),
            Some(&second.cookie),
            &[],
        )
        .await;
    assert_eq!(last.status(), 303, "two owners: one may go");
    let only = app
        .form(
            &format!("/console/staff/{}/remove", second.staff_id),
            Some(&second.cookie),
            &[],
        )
        .await;
    assert_eq!(only.status(), 409);
});

db_test!(
    the_audit_log_says_who_did_what_and_forgets_erased_clients,
    |app| {
        let (clinic_id, key) = app.create_clinic("Northside SMP", "front@northside.test");
        let api = app.clinic_client(&key);
        let created = api
        .post("/v1/clients", serde_json::json!({"email": "ana@client.test", "name": "Ana Lowe", "timezone": "UTC"}))
        .await;
        let client: serde_json::Value = created.json().await.unwrap();
        let id = client["id"].as_str().unwrap().to_string();
        api.post(
            &format!("/v1/clients/{id}/sessions"),
            serde_json::json!({"date": "2026-03-02"}),
        )
        .await;
        api.patch(
            &format!("/v1/clients/{id}"),
            serde_json::json!({"timezone": "Europe/London"}),
        )
        .await;
        api.put(
            "/v1/clinic/protocol",
            serde_json::json!({"rules": {"gentle_washing_ok": {"from": 10}}}),
        )
        .await;

        let owner = owner_session(&app, &clinic_id).await;
        app.form(
            "/console/keys",
            Some(&owner.cookie),
            &[("name", "Booking system")],
        )
        .await;
        let html = app
            .page("/console/audit", Some(&owner.cookie))
            .await
            .text()
            .await
            .unwrap();
        for expected in [
            "Created the clinic",
            "Onboarded a client: <strong>Ana Lowe</strong>",
            "Recorded a session: <strong>Ana Lowe</strong>",
            "session 1 on 2026-03-02",
            "changed: time zone",
            "Changed the protocol",
            "Created an API key: <strong>Booking system</strong>",
            "API key \u{201c}First key\u{201d}",
            "Command line",
        ] {
            assert!(html.contains(expected), "{expected}: {html}");
        }
        assert!(
            !html.contains("ana@client.test"),
            "no client data in the log"
        );
        // (The command line's entries carry the real time, the rest the test's clock.)
        let newest = html.find("Booking system").unwrap();
        assert!(
            newest < html.find("Onboarded a client").unwrap(),
            "newest first"
        );

        api.delete(&format!("/v1/clients/{id}")).await;
        let html = app
            .page("/console/audit", Some(&owner.cookie))
            .await
            .text()
            .await
            .unwrap();
        assert!(!html.contains("Ana Lowe"), "{html}");
        assert!(
            html.contains("Erased a client: <strong>(erased client)</strong>"),
            "{html}"
        );
    }
);

db_test!(the_audit_log_pages_by_fifty, |app| {
    let (clinic_id, _) = app.create_clinic("Northside SMP", "front@northside.test");
    let owner = owner_session(&app, &clinic_id).await;
    for i in 0..55 {
        app.clock.advance(chrono::Duration::seconds(1));
        app.form(
            "/console/keys",
            Some(&owner.cookie),
            &[("name", &format!("Key {i:02}"))],
        )
        .await;
        if i % 15 == 14 {
            // At most 20 active keys: make room.
            let mut conn = app.pool.get().unwrap();
            smp_aftercare::db::api_keys::revoke_all(
                &mut conn,
                &clinic_id,
                app.clock_now().naive_utc(),
            )
            .unwrap();
        }
    }
    let first = app
        .page("/console/audit", Some(&owner.cookie))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(first.matches("<tr data-action=").count(), 50);
    assert!(
        first.contains("Key 54") && first.contains("?page=2"),
        "{first}"
    );
    let second = app
        .page("/console/audit?page=2", Some(&owner.cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        second.contains("Key 00") && second.contains("Newer"),
        "{second}"
    );
    assert!(!second.contains("?page=3"));
    let junk = app
        .page("/console/audit?page=zero", Some(&owner.cookie))
        .await;
    assert_eq!(junk.status(), 200);
});
