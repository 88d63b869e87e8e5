//! The console on a clinic's own plain-http server (`http://clinic.lan:PORT`), as a
//! front desk on a local network runs it. Chromium sends no Fetch Metadata to a
//! plain-http origin other than localhost, so the cross-site guard reads `Origin`:
//! with `Referrer-Policy: no-referrer` every form posted `Origin: null` and was refused.

use crate::browser::Browser;
use crate::console_browser::{app_with_smtp, sign_in};
use crate::peers::SmtpPeer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_works_on_a_plain_http_host_name() {
    let maildir = tempfile::tempdir().unwrap();
    let smtp = SmtpPeer::start(maildir.path());
    let app = app_with_smtp(smtp.peer.port).await;
    app.create_clinic("Northside SMP", "front@northside.test");
    let port = app.address.rsplit(':').next().unwrap();
    let base = format!("http://clinic.lan:{port}");
    let rules = "--host-resolver-rules=MAP clinic.lan 127.0.0.1".to_string();
    let browser = Browser::start_with(&base, &[rules]).await;

    browser.goto("/console/staff").await;
    browser
        .wait_path("/console/sign-in?next=%2Fconsole%2Fstaff")
        .await;
    // The link's form, the sign-in's POST, then a form of a signed-in page.
    sign_in(&browser, &smtp, "front@northside.test", "/console/staff").await;
    let url = browser.driver.current_url().await.unwrap();
    assert_eq!(url.host_str(), Some("clinic.lan"), "{url}");
    assert_eq!(browser.text("h1").await, "Staff");
    browser
        .click("form[action='/console/sign-out'] button")
        .await;
    browser.wait_path("/console/sign-in?signed_out=1").await;
    browser.goto("/console/staff").await;
    browser
        .wait_path("/console/sign-in?next=%2Fconsole%2Fstaff")
        .await;
}
