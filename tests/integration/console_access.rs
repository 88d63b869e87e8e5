//! The console's access rules through its routes: sessions, sign-out, the cross-site
//! guard, owners' pages, and clinics that never see each other.

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
