//! The console's access in real Chromium: sign in through the link the real SMTP
//! server received, a cross-site form post refused, sign out, an ended session sent
//! to sign in, and another clinic's ids answering "not found".

use std::time::Duration;

use smp_aftercare::config::email::{EmailTransport, SmtpTls};

use crate::browser::Browser;
use crate::console_support::*;
use crate::helpers::{spawn_app_with, Backend, TestApp};
use crate::peers::SmtpPeer;

pub async fn app_with_smtp(port: u16) -> TestApp {
    spawn_app_with(Backend::Sqlite, move |s| {
        s.email.transport = EmailTransport::Smtp;
        s.email.smtp.host = "127.0.0.1".into();
        s.email.smtp.port = port;
        s.email.smtp.tls = SmtpTls::None;
    })
    .await
    .unwrap()
}

/// The newest sign-in link the SMTP peer received after `seen` messages.
pub async fn link_from_peer(smtp: &SmtpPeer, seen: usize) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let messages = smtp.messages();
        if messages.len() > seen {
            return sign_in_path(messages.last().unwrap());
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no sign-in email reached the SMTP server"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Fills in the sign-in form and follows the emailed link to the end.
pub async fn sign_in(browser: &Browser, smtp: &SmtpPeer, email: &str, landing: &str) {
    let seen = smtp.messages().len();
    let field = browser.find("#field-email").await;
    field.send_keys(email).await.expect("type the address");
    browser.click("form button[type=submit]").await;
    browser.wait_text("h1", "Check your email").await;
    let link = link_from_peer(smtp, seen).await;
    browser.goto(&link).await;
    browser.wait_text("h1", "Sign in to Northside SMP").await;
    browser.click("#sign-in-button").await;
    browser.wait_path(landing).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_sign_in_by_email_sign_out_and_are_sent_back_when_a_session_ends() {
    let maildir = tempfile::tempdir().unwrap();
    let smtp = SmtpPeer::start(maildir.path());
    let app = app_with_smtp(smtp.peer.port).await;
    let (_, _) = app.create_clinic("Northside SMP", "front@northside.test");
    let (_, b_key) = app.create_clinic("Southside SMP", "desk@southside.test");
    let b_key_id = b_key.split('_').nth(1).unwrap().to_string();
    let browser = Browser::start(&app.address).await;

    // A console page without a session: to sign in, and back afterwards.
    browser.goto("/console/keys").await;
    browser
        .wait_path("/console/sign-in?next=%2Fconsole%2Fkeys")
        .await;
    browser.screenshot("console-sign-in").await;
    sign_in(&browser, &smtp, "front@northside.test", "/console/keys").await;
    assert_eq!(browser.text("h1").await, "API keys");
    assert_eq!(browser.text("nav [aria-current=page]").await, "API keys");
    // The owners' staff page at a tablet's size (the README shows it), and at 320 px.
    browser.goto("/console/staff").await;
    for (name, width, height, mobile) in [("console-staff", 1024, 768, false), ("", 320, 640, true)]
    {
        let metrics = serde_json::json!({
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile,
        });
        browser
            .page
            .must("Emulation.setDeviceMetricsOverride", metrics)
            .await;
        browser.goto("/console/staff").await;
        // (A wide table scrolls inside its own box; the page itself never sideways.)
        let overflow = browser
            .js(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
                vec![],
            )
            .await;
        assert_eq!(overflow, 0, "{width} px: the page scrolls sideways");
        if !name.is_empty() {
            browser.screenshot(name).await;
        }
    }
    let phone =
        serde_json::json!({"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": true});
    browser
        .page
        .must("Emulation.setDeviceMetricsOverride", phone)
        .await;
    browser.goto("/console/keys").await;
    let cookie_visible = browser
        .js("return document.cookie.includes('smp_console')", vec![])
        .await;
    assert_eq!(cookie_visible, false, "the session cookie is HttpOnly");

    // Another clinic's key in the URL: not found, nothing revoked.
    let foreign = format!("/console/keys/{b_key_id}/revoke");
    browser.goto(&foreign).await;
    assert_eq!(browser.text("h1").await, "Page not found");
    assert_eq!(
        app.clinic_client(&b_key).get("/v1/clinic").await.status(),
        200
    );

    // Another site's page posts a form at the console: refused, still signed in.
    let attack = format!(
        "data:text/html,<form method=post action='{}/console/sign-out-everywhere'>\
         <button id=go>win a prize</button></form>",
        app.address
    );
    browser
        .driver
        .goto(&attack)
        .await
        .expect("the other site's page");
    browser.click("#go").await;
    browser.wait_text("h1", "Not allowed").await;
    assert!(browser
        .text("main")
        .await
        .contains("came from another website"));
    browser.goto("/console/settings").await;
    assert_eq!(browser.text("h1").await, "Clinic settings");

    // Sign out: the next console page asks to sign in again.
    browser
        .click("form[action='/console/sign-out'] button")
        .await;
    browser.wait_path("/console/sign-in?signed_out=1").await;
    browser
        .wait_text("[role=status]", "You have signed out")
        .await;
    browser.goto("/console/settings").await;
    browser
        .wait_path("/console/sign-in?next=%2Fconsole%2Fsettings")
        .await;

    // Signed in again, then 12 hours without a click: the session has ended.
    sign_in(&browser, &smtp, "front@northside.test", "/console/settings").await;
    app.clock.advance(chrono::Duration::hours(12));
    browser.goto("/console/staff").await;
    browser
        .wait_path("/console/sign-in?next=%2Fconsole%2Fstaff&ended=1")
        .await;
    browser
        .wait_text("[role=status]", "Your session has ended")
        .await;

    browser.assert_no_console_errors_besides(&[&foreign, "sign-out-everywhere"]);
    browser.quit().await;
}
