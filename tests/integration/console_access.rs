//! The console's access rules through its routes: sessions, sign-out, the cross-site
//! guard, owners' pages, and clinics that never see each other.

use smp_aftercare::domain::StaffRole;

use crate::console_support::*;
use crate::db_test;

db_test!(a_session_signs_out_and_stays_out, |app| {
    let (clinic_id, _) = app.create_clinic("Northside SMP", "front@northside.test");
    let owner = owner_session(&app, &clinic_id).await;

    let out = app
        .form("/console/sign-out", Some(&owner.cookie), &[])
        .await;
    assert_eq!(out.status(), 303);
    assert_eq!(location(&out), "/console/sign-in?signed_out=1");
    let cookies = set_cookies(&out);
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("smp_console=;") && c.contains("Max-Age=0")),
        "{cookies:?}"
    );

    // The old cookie is worth nothing now: the session is gone on the server.
    let again = app
        .form("/console/sign-out", Some(&owner.cookie), &[])
        .await;
    assert_eq!(again.status(), 303);
    assert_eq!(location(&again), "/console/sign-in?ended=1");
});

db_test!(
    a_cross_site_post_is_refused_before_it_does_anything,
    |app| {
        let (clinic_id, _) = app.create_clinic("Northside SMP", "front@northside.test");
        let owner = owner_session(&app, &clinic_id).await;

        for site in ["cross-site", "same-site"] {
            let refused = app
                .form_from("/console/sign-out", Some(&owner.cookie), &[], site)
                .await;
            assert_eq!(refused.status(), 403, "{site}");
            assert!(refused.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"));
            let page = refused.text().await.unwrap();
            assert!(page.contains("came from another website"), "{page}");
        }
        // Without Fetch Metadata, an Origin of another site is refused too.
        let foreign = app
            .client
            .post(app.url("/console/sign-out"))
            .header("cookie", &owner.cookie)
            .header("origin", "https://evil.example")
            .send()
            .await
            .unwrap();
        assert_eq!(foreign.status(), 403);

        // None of them signed the owner out.
        let still = app
            .form("/console/sign-out", Some(&owner.cookie), &[])
            .await;
        assert_eq!(location(&still), "/console/sign-in?signed_out=1");
    }
);

db_test!(
    an_emailed_link_signs_in_once_and_opening_it_spends_nothing,
    |app| {
        let (_, _) = app.create_clinic("Northside SMP", "front@northside.test");
        let page = app.page("/console/sign-in", None).await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("aria-describedby=\"hint-email\""), "{html}");

        let asked = app
            .form(
                "/console/sign-in",
                None,
                &[
                    ("email", " Front@Northside.test "),
                    ("next", "/console/keys"),
                ],
            )
            .await;
        assert_eq!(asked.status(), 200);
        assert!(asked.text().await.unwrap().contains("Check your email"));
        let mail = wait_for_mail(&app, 1).await;
        let raw = mail.last().unwrap();
        assert!(
            raw.contains("Subject: Sign in to Northside SMP's aftercare console"),
            "{raw}"
        );
        assert!(raw.contains("within 15 minutes"), "{raw}");
        let path = sign_in_path(raw);
        assert!(path.ends_with("?next=%2Fconsole%2Fkeys"), "{path}");
        let token = path
            .trim_start_matches("/console/sign-in/")
            .split('?')
            .next()
            .unwrap()
            .to_string();
        // Only the link's hash is stored.
        {
            use diesel::prelude::*;
            use smp_aftercare::db::schema::staff_sign_in_links::dsl::*;
            let mut conn = app.pool.get().unwrap();
            let hashes: Vec<String> = staff_sign_in_links
                .select(token_hash)
                .load(&mut conn)
                .unwrap();
            assert_eq!(hashes, vec![smp_aftercare::tokens::hash(&token)]);
        }

        // A mail scanner opening the link twice spends nothing.
        for _ in 0..2 {
            let opened = app.page(&path, None).await;
            assert_eq!(opened.status(), 200);
            // (minijinja escapes `/` in attributes as `&#x2f;`.)
            let html = opened.text().await.unwrap().replace("&#x2f;", "/");
            assert!(html.contains("Sign in to Northside SMP"), "{html}");
            assert!(html.contains("value=\"/console/keys\""), "{html}");
        }

        let signed = app
            .form(
                &format!("/console/sign-in/{token}"),
                None,
                &[("next", "/console/keys")],
            )
            .await;
        assert_eq!(signed.status(), 303);
        assert_eq!(location(&signed), "/console/keys");
        let cookie = set_cookies(&signed)
            .into_iter()
            .find(|c| c.starts_with("smp_console="))
            .unwrap();
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Lax"), "{cookie}");
        assert!(cookie.contains("Path=/console"), "{cookie}");
        assert!(!cookie.contains("Secure"), "http public_url: {cookie}");
        let session = session_cookie_of(&signed);

        let keys = app.page("/console/keys", Some(&session)).await;
        assert_eq!(keys.status(), 200);
        let html = keys.text().await.unwrap();
        assert!(html.contains("First key"), "{html}");
        assert!(html.contains("aria-current=\"page\""), "{html}");

        // Single use: the same link again says so, and signs nobody in.
        let again = app
            .form(&format!("/console/sign-in/{token}"), None, &[])
            .await;
        assert_eq!(again.status(), 410);
        assert!(again.text().await.unwrap().contains("already been used"));
        assert_eq!(app.page(&path, None).await.status(), 410);
    }
);

db_test!(asking_for_a_link_never_tells_who_has_an_account, |app| {
    app.create_clinic("Northside SMP", "front@northside.test");
    let unknown = app
        .form(
            "/console/sign-in",
            None,
            &[("email", "nobody@northside.test")],
        )
        .await;
    assert_eq!(unknown.status(), 200);
    let known = app
        .form(
            "/console/sign-in",
            None,
            &[("email", "front@northside.test")],
        )
        .await;
    assert_eq!(known.status(), 200);
    let (unknown, known) = (unknown.text().await.unwrap(), known.text().await.unwrap());
    assert_eq!(
        unknown.replace("nobody@northside.test", "X"),
        known.replace("front@northside.test", "X")
    );
    let mail = wait_for_mail(&app, 1).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(app.mail_files().len(), 1, "only the account got mail");
    assert!(mail[0].contains("front@northside.test"));

    // A malformed address is shown next to its field, as a page.
    let bad = app
        .form("/console/sign-in", None, &[("email", "not an address")])
        .await;
    assert_eq!(bad.status(), 422);
    assert!(bad.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = bad.text().await.unwrap();
    assert!(html.contains("id=\"error-email\""), "{html}");
    assert!(html.contains("aria-invalid=\"true\""), "{html}");
});

db_test!(links_expire_after_fifteen_minutes, |app| {
    app.create_clinic("Northside SMP", "front@northside.test");
    app.form(
        "/console/sign-in",
        None,
        &[("email", "front@northside.test")],
    )
    .await;
    let path = sign_in_path(wait_for_mail(&app, 1).await.last().unwrap());
    app.clock.advance(chrono::Duration::minutes(15));
    let opened = app.page(&path, None).await;
    assert_eq!(opened.status(), 410);
    assert!(opened.text().await.unwrap().contains("expired"));
    let spent = app.form(&path, None, &[]).await;
    assert_eq!(spent.status(), 410);
    assert!(set_cookies(&spent).is_empty());
    // A made-up link is simply not valid.
    let made_up = app
        .page("/console/sign-in/smpl_0123456789abcdef_xyz", None)
        .await;
    assert_eq!(made_up.status(), 404);
});

db_test!(signing_in_rotates_the_session, |app| {
    let (clinic_id, _) = app.create_clinic("Northside SMP", "front@northside.test");
    let planted = owner_session(&app, &clinic_id).await;
    app.form(
        "/console/sign-in",
        None,
        &[("email", "front@northside.test")],
    )
    .await;
    let path = sign_in_path(wait_for_mail(&app, 1).await.last().unwrap());
    let signed = app.form(&path, Some(&planted.cookie), &[]).await;
    assert_eq!(signed.status(), 303);
    assert_eq!(location(&signed), "/console");
    let fresh = session_cookie_of(&signed);
    assert_ne!(fresh, planted.cookie);
    // The session the browser had before is over; the new one works.
    let old = app.page("/console/settings", Some(&planted.cookie)).await;
    assert_eq!(old.status(), 303);
    assert_eq!(
        app.page("/console/settings", Some(&fresh)).await.status(),
        200
    );
});

db_test!(an_idle_session_ends_after_twelve_hours, |app| {
    let (clinic_id, _) = app.create_clinic("Northside SMP", "front@northside.test");
    let owner = owner_session(&app, &clinic_id).await;
    // Used every 11 hours, it lives on.
    for _ in 0..3 {
        app.clock.advance(chrono::Duration::hours(11));
        assert_eq!(
            app.page("/console/settings", Some(&owner.cookie))
                .await
                .status(),
            200
        );
    }
    app.clock.advance(chrono::Duration::hours(12));
    let ended = app.page("/console/settings?x=1", Some(&owner.cookie)).await;
    assert_eq!(ended.status(), 303);
    assert_eq!(
        location(&ended),
        "/console/sign-in?next=%2Fconsole%2Fsettings%3Fx%3D1&ended=1"
    );
    assert!(set_cookies(&ended).iter().any(|c| c.contains("Max-Age=0")));
    let sign_in = app
        .page(&location(&ended), None)
        .await
        .text()
        .await
        .unwrap();
    let sign_in = sign_in.replace("&#x2f;", "/").replace("&#x3f;", "?");
    assert!(sign_in.contains("Your session has ended"), "{sign_in}");
    assert!(
        sign_in.contains("value=\"/console/settings?x=1\""),
        "{sign_in}"
    );

    // Without any cookie: to sign in, no "ended" notice.
    let none = app.page("/console/keys", None).await;
    assert_eq!(location(&none), "/console/sign-in?next=%2Fconsole%2Fkeys");
});

db_test!(a_session_ends_after_thirty_days_however_busy, |app| {
    let (clinic_id, _) = app.create_clinic("Northside SMP", "front@northside.test");
    let owner = owner_session(&app, &clinic_id).await;
    // Used every 11 hours: 65 x 11 h = 715 h, still within 30 days (720 h).
    for _ in 0..65 {
        app.clock.advance(chrono::Duration::hours(11));
        let used = app.page("/console/settings", Some(&owner.cookie)).await;
        assert_eq!(used.status(), 200);
    }
    // 726 h after sign-in, only 11 h idle: over by age.
    app.clock.advance(chrono::Duration::hours(11));
    let ended = app.page("/console/settings", Some(&owner.cookie)).await;
    assert_eq!(ended.status(), 303);
    assert!(location(&ended).ends_with("&ended=1"));
});

db_test!(signing_out_everywhere_ends_every_device, |app| {
    let (clinic_id, _) = app.create_clinic("Northside SMP", "front@northside.test");
    let phone = owner_session(&app, &clinic_id).await;
    let tablet = owner_session(&app, &clinic_id).await;
    let other = member_session(
        &app,
        &clinic_id,
        "Dee",
        "dee@northside.test",
        StaffRole::Staff,
    )
    .await;
    let out = app
        .form("/console/sign-out-everywhere", Some(&phone.cookie), &[])
        .await;
    assert_eq!(location(&out), "/console/sign-in?signed_out=everywhere");
    for gone in [&phone, &tablet] {
        assert_eq!(
            app.page("/console/settings", Some(&gone.cookie))
                .await
                .status(),
            303
        );
    }
    // Another person's session is theirs.
    assert_eq!(
        app.page("/console/settings", Some(&other.cookie))
            .await
            .status(),
        200
    );
});

db_test!(sign_in_attempts_are_rate_limited_per_address, |app| {
    app.create_clinic("Northside SMP", "front@northside.test");
    let per_minute = app.settings.console.sign_ins_per_minute as usize;
    for _ in 0..per_minute {
        let ok = app
            .form("/console/sign-in", None, &[("email", "x@northside.test")])
            .await;
        assert_eq!(ok.status(), 200);
    }
    let limited = app
        .form("/console/sign-in", None, &[("email", "x@northside.test")])
        .await;
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "60");
    assert!(limited.text().await.unwrap().contains("too many attempts"));
    // Link uses count too.
    let link = app
        .form("/console/sign-in/smpl_0123456789abcdef_x", None, &[])
        .await;
    assert_eq!(link.status(), 429);
    app.clock.advance(chrono::Duration::minutes(1));
    let again = app
        .form("/console/sign-in", None, &[("email", "x@northside.test")])
        .await;
    assert_eq!(again.status(), 200);
});

db_test!(staff_cannot_open_owners_pages_nor_post_to_them, |app| {
    let (clinic_id, _) = app.create_clinic("Northside SMP", "front@northside.test");
    let dee = member_session(
        &app,
        &clinic_id,
        "Dee",
        "dee@northside.test",
        StaffRole::Staff,
    )
    .await;
    for path in ["/console/staff", "/console/keys", "/console/audit"] {
        let refused = app.page(path, Some(&dee.cookie)).await;
        assert_eq!(refused.status(), 403, "{path}");
        assert!(refused.text().await.unwrap().contains("owners"), "{path}");
    }
    let keys = app
        .form("/console/keys", Some(&dee.cookie), &[("name", "Sneaky")])
        .await;
    assert_eq!(keys.status(), 403);
    let staff = app
        .form(
            "/console/staff",
            Some(&dee.cookie),
            &[("name", "Eve"), ("email", "eve@x.test"), ("role", "owner")],
        )
        .await;
    assert_eq!(staff.status(), 403);
    let settings = app
        .form("/console/settings", Some(&dee.cookie), &[("name", "Mine")])
        .await;
    assert_eq!(settings.status(), 403);
    // Settings read-only, and the navigation without the owners' pages.
    let page = app
        .page("/console/settings", Some(&dee.cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Only the clinic's owners can change these"),
        "{page}"
    );
    assert!(!page.contains("href=\"/console/keys\""), "{page}");
    let mut conn = app.pool.get().unwrap();
    assert_eq!(
        smp_aftercare::db::api_keys::count_active(&mut conn, &clinic_id).unwrap(),
        1
    );
    assert_eq!(
        smp_aftercare::db::staff::of_clinic(&mut conn, &clinic_id)
            .unwrap()
            .len(),
        2
    );
});

db_test!(
    one_clinic_never_sees_or_touches_another_on_the_console,
    |app| {
        let (a_id, a_key) = app.create_clinic("Northside SMP", "front@northside.test");
        let (b_id, _) = app.create_clinic("Southside SMP", "desk@southside.test");
        let a_staff =
            member_session(&app, &a_id, "Ann", "ann@northside.test", StaffRole::Staff).await;
        let b_owner = owner_session(&app, &b_id).await;
        let a_key_id = a_key.split('_').nth(1).unwrap().to_string();
        app.clinic_client(&a_key)
        .post("/v1/clients", serde_json::json!({"email": "ana@client.test", "name": "Ana Secret", "timezone": "UTC"}))
        .await;

        for path in [
            format!("/console/staff/{}/remove", a_staff.staff_id),
            format!("/console/keys/{a_key_id}/revoke"),
        ] {
            let seen = app.page(&path, Some(&b_owner.cookie)).await;
            assert_eq!(seen.status(), 404, "{path}");
            let touched = app.form(&path, Some(&b_owner.cookie), &[]).await;
            assert_eq!(touched.status(), 404, "{path}");
        }
        for path in [
            "/console/staff",
            "/console/keys",
            "/console/audit",
            "/console/settings",
        ] {
            let html = app
                .page(path, Some(&b_owner.cookie))
                .await
                .text()
                .await
                .unwrap();
            for secret in ["Northside", "ann@northside.test", "Ana Secret", &a_key_id] {
                assert!(!html.contains(secret), "{path} shows {secret}");
            }
        }
        // A's staff and key are untouched.
        assert_eq!(
            app.page("/console/settings", Some(&a_staff.cookie))
                .await
                .status(),
            200
        );
        let whoami = app.clinic_client(&a_key).get("/v1/clinic").await;
        assert_eq!(whoami.status(), 200);
    }
);

db_test!(the_prune_job_drops_ended_sessions_and_old_links, |app| {
    let (clinic_id, _) = app.create_clinic("Northside SMP", "front@northside.test");
    let _idle = owner_session(&app, &clinic_id).await;
    app.form(
        "/console/sign-in",
        None,
        &[("email", "front@northside.test")],
    )
    .await;
    wait_for_mail(&app, 1).await;
    app.clock.advance(chrono::Duration::hours(11));
    let _busy = owner_session(&app, &clinic_id).await;
    app.clock.advance(chrono::Duration::hours(2));
    // The first session is 13 h idle, the link expired 12 h 45 min ago (kept a day).
    assert_eq!(app.engine().prune(app.clock_now()).await.unwrap(), 1);
    app.clock.advance(chrono::Duration::hours(12));
    // Now the second session is idle too, and the link more than a day expired.
    assert_eq!(app.engine().prune(app.clock_now()).await.unwrap(), 2);
    let mut conn = app.pool.get().unwrap();
    use diesel::prelude::*;
    let left: i64 = smp_aftercare::db::schema::staff_sessions::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(left, 0);
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_https_the_cookie_is_secure_and_the_public_origin_may_post() {
    let app = crate::helpers::spawn_app_with(crate::helpers::Backend::Sqlite, |s| {
        s.server.public_url = "https://care.test".parse().unwrap();
    })
    .await
    .unwrap();
    app.create_clinic("Northside SMP", "front@northside.test");
    app.form(
        "/console/sign-in",
        None,
        &[("email", "front@northside.test")],
    )
    .await;
    let raw = wait_for_mail(&app, 1).await.pop().unwrap();
    assert!(
        raw.contains("https://care.test/console/sign-in/smpl_"),
        "{raw}"
    );
    let signed = app.form(&sign_in_path(&raw), None, &[]).await;
    let cookie = set_cookies(&signed)
        .into_iter()
        .find(|c| c.starts_with("smp_console=smps_"))
        .unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");

    // A browser without Fetch Metadata posting from the public origin is ours.
    let out = app
        .client
        .post(app.url("/console/sign-out"))
        .header("cookie", session_cookie_of(&signed))
        .header("origin", "https://care.test")
        .send()
        .await
        .unwrap();
    assert_eq!(location(&out), "/console/sign-in?signed_out=1");
    assert!(set_cookies(&out).iter().any(|c| c.contains("; Secure")));
}

db_test!(
    the_key_a_clinic_had_before_the_console_keeps_working,
    |app| {
        use diesel::connection::SimpleConnection;
        use diesel_migrations::MigrationHarness;
        use smp_aftercare::db::{self, DbConnection};
        // Back to the schema before the console (reverting the later migrations on the
        // way), with a clinic and its one key there.
        let mut conn = app.pool.get().unwrap();
        loop {
            let reverted = match &mut *conn {
                DbConnection::Sqlite(c) => c.revert_last_migration(db::SQLITE_MIGRATIONS),
                DbConnection::Postgresql(c) => c.revert_last_migration(db::POSTGRES_MIGRATIONS),
            }
            .expect("revert a migration");
            let version: String = reverted
                .to_string()
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            if version == "20261201000007" {
                break;
            }
        }
        let key = smp_aftercare::tokens::issue(smp_aftercare::tokens::TokenKind::ClinicKey);
        conn.batch_execute(&format!(
        "INSERT INTO clinics (id, name, email, api_key_id, api_key_hash, created_at, key_issued_at) \
         VALUES ('old-clinic', 'Oldtown SMP', 'desk@oldtown.test', '{}', '{}', \
         '2026-01-05 09:00:00', '2026-01-05 09:00:00')",
        key.id, key.hash
    ))
    .unwrap();
        db::run_migrations(&mut conn).expect("migrate again");
        drop(conn);

        let whoami = app.clinic_client(&key.token).get("/v1/clinic").await;
        assert_eq!(whoami.status(), 200);
        let body: serde_json::Value = whoami.json().await.unwrap();
        assert_eq!(body["name"], "Oldtown SMP");
        let mut conn = app.pool.get().unwrap();
        let keys = smp_aftercare::db::api_keys::of_clinic(&mut conn, "old-clinic").unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(
            (keys[0].id.as_str(), keys[0].name.as_str()),
            (key.id.as_str(), "First key")
        );
        // It has no owner yet: the command line adds one, who can then sign in.
        drop(conn);
        let out = app.cli(&[
            "clinic",
            "add-owner",
            "--id",
            "old-clinic",
            "--email",
            "owner@oldtown.test",
            "--name",
            "Olga",
        ]);
        assert!(out.status.success(), "{}", crate::helpers::stderr(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("owner added: Olga <owner@oldtown.test>"),
            "{stdout}"
        );
        let cookie = sign_in_by_email(&app, "owner@oldtown.test").await;
        let keys_page = app
            .page("/console/keys", Some(&cookie))
            .await
            .text()
            .await
            .unwrap();
        assert!(keys_page.contains("First key"), "{keys_page}");
    }
);
