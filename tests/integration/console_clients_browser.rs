//! The console's client, import and protocol pages in real headless Chromium: onboard
//! a client and see the invitation go out, import a CSV with one bad row, record
//! sessions and see the timeline change, edit the protocol and see the live preview;
//! another clinic's client id in a URL is a 404 page. Screenshots (tablet size) of the
//! clients list, a client's page and the protocol page go to `docs/screenshots/`.

use serde_json::json;
use thirtyfour::prelude::*;

use crate::browser::Browser;
use crate::console_support::{owner_session, Signed};
use crate::helpers::{spawn_app, Backend, TestApp};

/// A browser signed in as `who` (the session cookie a sign-in sets), tablet-sized.
async fn signed_in_browser(app: &TestApp, who: &Signed) -> Browser {
    let browser = Browser::start(&app.address).await;
    browser
        .page
        .must(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 1024, "height": 768, "deviceScaleFactor": 1, "mobile": false}),
        )
        .await;
    // A cookie is set on the page's origin: open a page of ours first.
    browser.goto("/assets/base.css").await;
    let (name, value) = who.cookie.split_once('=').unwrap();
    let mut cookie = Cookie::new(name.to_string(), value.to_string());
    cookie.set_path("/console");
    cookie.set_same_site(SameSite::Lax);
    browser.driver.add_cookie(cookie).await.expect("cookie set");
    browser
}

async fn fill(browser: &Browser, css: &str, value: &str) {
    let field = browser.find(css).await;
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

/// A date input's value (typing into one depends on the browser's locale).
async fn set_date(browser: &Browser, css: &str, date: &str) {
    let script = "document.querySelector(arguments[0]).value = arguments[1]; return true;";
    browser.js(script, vec![json!(css), json!(date)]).await;
}

async fn count(browser: &Browser, css: &str) -> usize {
    browser.find_all(css).await.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_onboard_import_record_sessions_and_edit_the_protocol_in_chromium() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let (clinic_id, _) = app.create_clinic("Northside SMP", "front@northside.example");
    let owner = owner_session(&app, &clinic_id).await;
    let browser = signed_in_browser(&app, &owner).await;

    // Onboard: a mistake first, shown next to its field, then the real thing.
    browser.goto("/console/clients/new").await;
    fill(&browser, "#field-name", "Ana Pereira").await;
    fill(&browser, "#field-email", "ana.pereira@").await;
    fill(&browser, "#field-timezone", "Europe/London").await;
    browser.click("#onboard-form button[type=submit]").await;
    assert!(!browser.text("#error-email").await.is_empty());
    let described = browser
        .find("#field-email")
        .await
        .attr("aria-describedby")
        .await
        .unwrap();
    assert!(described.unwrap_or_default().contains("error-email"));
    fill(&browser, "#field-email", "ana.pereira@example.net").await;
    set_date(&browser, "#field-first_session", "2026-03-02").await;
    browser.click("#onboard-form button[type=submit]").await;
    browser.wait_text("#notice", "Client onboarded").await;
    assert!(browser.text("#today-title").await.contains("Today"));
    browser.wait_text("main", "Invitation queued").await;
    let client_path = browser.current_path().await;
    let client_path = client_path.split('?').next().unwrap().to_string();

    // The engine sends the invitation; the page says so.
    let report = app.flush_outbox().await;
    assert_eq!(report.sent, 1, "{report:?}");
    browser.goto(&client_path).await;
    browser.wait_text("main", "Invitation sent").await;

    // Record a session: the timeline gains a pin.
    let pins = count(&browser, ".tl-session").await;
    assert_eq!(pins, 1);
    set_date(&browser, "#field-date", "2026-03-12").await;
    browser.click("#add-session button[type=submit]").await;
    browser.wait_text("#notice", "Session recorded").await;
    assert_eq!(
        count(&browser, ".tl-session").await,
        2,
        "the timeline shows the new session"
    );
    assert_eq!(count(&browser, "li.session").await, 2);
    browser
        .js("window.scrollTo(0, 0); return true;", vec![])
        .await;
    browser.screenshot("console-client").await;

    // Import a CSV with one bad row: preview, then import.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("clients.csv");
    std::fs::write(
        &file,
        "name,email,time zone,session dates\n\
         Bruno Costa,bruno@example.net,Europe/Lisbon,2026-02-20;2026-03-02\n\
         Carla Dias,carla@,Europe/London,2026-03-01\n\
         Dan Evans,dan@example.net,,\n",
    )
    .unwrap();
    browser.goto("/console/clients/import").await;
    browser
        .find("#field-file")
        .await
        .send_keys(file.to_string_lossy().to_string())
        .await
        .unwrap();
    browser.click("#import-form button[type=submit]").await;
    browser.wait_text("#preview-summary", "2 new clients").await;
    assert!(browser.text(".import-invalid").await.contains("email"));
    browser.click("#import-confirm button[type=submit]").await;
    browser
        .wait_text("#import-result", "Imported 2 clients.")
        .await;

    // The list: search and filter.
    browser.goto("/console/clients").await;
    browser.wait_text("#clients-summary", "3 clients").await;
    browser.screenshot("console-clients").await;
    fill(&browser, "#field-q", "bruno").await;
    browser.click(".search-form button[type=submit]").await;
    browser.wait_text("#clients-summary", "1 client").await;
    assert!(browser.text(".clients-table").await.contains("Bruno Costa"));

    // The protocol: a change shows in the live preview before anything is saved.
    browser.goto("/console/protocol").await;
    let wash_day_9 =
        "return Array.from(document.querySelectorAll('#preview tbody tr'))[9].textContent";
    assert!(!browser
        .js(wash_day_9, vec![])
        .await
        .as_str()
        .unwrap()
        .contains("no_washing"));
    // Each rule's days sit under the "Advanced" disclosure (console_protocol.rs tests
    // the plain fields and takes the protocol page's screenshots).
    browser.click("#advanced > summary").await;
    fill(&browser, "[name='rules.gentle_washing_ok.from']", "10").await;
    browser.wait_text("#preview-summary", "Unsaved draft").await;
    let day_9 = browser.js(wash_day_9, vec![]).await;
    assert!(day_9.as_str().unwrap().contains("no_washing"), "{day_9}");
    browser.click("#rules-form button:not(.secondary)").await;
    browser.wait_text("#notice", "Protocol saved").await;
    browser
        .wait_text(".history", "rules.gentle_washing_ok.from: 5 → 10")
        .await;

    // The refused onboarding form answered 422 on purpose; nothing else failed.
    let refused = format!("\"url\":\"{}/console/clients\"", app.address);
    browser.assert_no_console_errors_besides(&[refused.as_str()]);
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_clinics_client_in_the_url_is_a_404_page_in_chromium() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let (north_id, _) = app.create_clinic("Northside", "front@northside.example");
    let (south_id, _) = app.create_clinic("Southside", "front@southside.example");
    let north = owner_session(&app, &north_id).await;
    let south = owner_session(&app, &south_id).await;
    let form = [
        ("name", "Ana"),
        ("email", "ana@example.net"),
        ("timezone", "Europe/London"),
        ("first_session", "2026-03-02"),
        ("planned_sessions", "3"),
    ];
    let created = app
        .form("/console/clients", Some(&north.cookie), &form)
        .await;
    let location = crate::console_support::location(&created);
    let path = location.split('?').next().unwrap().to_string();

    let browser = signed_in_browser(&app, &south).await;
    browser.goto(&path).await;
    assert_eq!(browser.text("h1").await, "Page not found");
    browser.goto(&format!("{path}/erase")).await;
    assert_eq!(browser.text("h1").await, "Page not found");
    browser.assert_no_console_errors_besides(&[path.as_str()]);
    browser.quit().await;
}
