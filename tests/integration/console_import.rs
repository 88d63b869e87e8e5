//! The console's CSV import over HTTP, on both backends: an upload without its closing
//! boundary gets an answer, a 20 MB body is refused early with a page at the file
//! field, a row's line is the same in the preview and after the import (LF and CRLF
//! files), dates are read in the clinic's order, and an import is one entry of the
//! audit log. In real Chromium: the same journey, and the preview at 390 px.

use std::time::Duration;

use serde_json::json;
use smp_aftercare::service::clinics::{self, SettingsInput};
use thirtyfour::prelude::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::browser::Browser;
use crate::console_support::{cli_ref, owner_session, Signed};
use crate::db_test;
use crate::helpers::{spawn_app, Backend, TestApp};

const BOUNDARY: &str = "----smp-import-test-5c1e";

/// A clinic in `zone`, and its owner signed in.
async fn clinic_in(app: &TestApp, zone: &str) -> Signed {
    let email = format!("front@{}.example", zone.replace('/', "-").to_lowercase());
    let (clinic_id, _) = app.create_clinic("Northside", &email);
    let input = SettingsInput {
        name: "Northside".into(),
        reply_to: String::new(),
        timezone: zone.into(),
        reminder_time: "08:00".into(),
    };
    clinics::update_settings(&app.services, &cli_ref(app, &clinic_id), input)
        .await
        .unwrap();
    owner_session(app, &clinic_id).await
}

/// One part of a multipart body: a name, a file name for a file, the bytes.
struct Part<'a>(&'a str, Option<&'a str>, &'a [u8]);

/// The parts as a browser frames them (RFC 7578), without the closing boundary.
fn open_body(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for Part(name, file, bytes) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let disposition = match file {
            Some(file) => format!(
                "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\n\
                 Content-Type: text/csv\r\n\r\n"
            ),
            None => format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n"),
        };
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body
}

fn closed_body(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = open_body(parts);
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Posts `body` to the import page as the page's own form; a 30 s client timeout only
/// detects a hang (an answer comes at once or never).
async fn post(app: &TestApp, who: &Signed, body: Vec<u8>) -> (u16, String) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client
        .post(app.url("/console/clients/import"))
        .header("accept", "text/html")
        .header("sec-fetch-site", "same-origin")
        .header("cookie", &who.cookie)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await
        .expect("an answer, not a hang");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// Sends `body` (with its length, or chunked) over a raw connection, and reads the
/// answer's status and page whether or not the server read the body: a refusal may
/// come, and the connection close, long before the last byte is sent.
async fn raw_upload(app: &TestApp, who: &Signed, body: Vec<u8>, chunked: bool) -> (u16, String) {
    let address = app.address.trim_start_matches("http://").to_string();
    let stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let framing = if chunked {
        "transfer-encoding: chunked".to_string()
    } else {
        format!("content-length: {}", body.len())
    };
    let head = format!(
        "POST /console/clients/import HTTP/1.1\r\nhost: {address}\r\naccept: text/html\r\n\
         sec-fetch-site: same-origin\r\ncookie: {}\r\n\
         content-type: multipart/form-data; boundary={BOUNDARY}\r\n{framing}\r\n\r\n",
        who.cookie
    );
    let sender = tokio::spawn(async move {
        writer.write_all(head.as_bytes()).await?;
        for piece in body.chunks(64 * 1024) {
            if chunked {
                let mut framed = format!("{:x}\r\n", piece.len()).into_bytes();
                framed.extend_from_slice(piece);
                framed.extend_from_slice(b"\r\n");
                writer.write_all(&framed).await?;
            } else {
                writer.write_all(piece).await?;
            }
        }
        if chunked {
            writer.write_all(b"0\r\n\r\n").await?;
        }
        std::io::Result::Ok(())
    });
    let mut answer = Vec::new();
    let read = async {
        let mut buf = vec![0; 64 * 1024];
        loop {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
            if let Some(page) = complete_page(&answer) {
                return page;
            }
        }
        complete_page(&answer).unwrap_or_default()
    };
    let page = tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .expect("an answer, not a hang");
    sender.abort();
    let status = String::from_utf8_lossy(&answer)
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, page)
}

/// The body of an HTTP answer in `raw` once all of it (by its Content-Length) is there.
fn complete_page(raw: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(str::to_string)
        })?
        .trim()
        .parse()
        .ok()?;
    (body.len() >= length).then(|| body[..length].to_string())
}

db_test!(
    an_upload_without_its_closing_boundary_gets_an_answer,
    |app| {
        let owner = clinic_in(&app, "Europe/London").await;
        let csv = b"name,email\nAna,ana@example.net\n";
        // Ends after the file's CRLF; or in the middle of the file.
        let whole = open_body(&[
            Part("step", None, b"preview"),
            Part("file", Some("a.csv"), csv),
        ]);
        let cut = whole[..whole.len() - 10].to_vec();
        for body in [whole, cut] {
            let (status, page) = post(&app, &owner, body).await;
            assert_eq!(status, 400, "{page}");
            assert!(page.contains(r#"id="error-file""#), "{page}");
            assert!(page.contains("the upload broke off"), "{page}");
        }
        // The same upload, closed, is read.
        let closed = closed_body(&[
            Part("step", None, b"preview"),
            Part("file", Some("a.csv"), csv),
        ]);
        let (status, page) = post(&app, &owner, closed).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("<strong>1</strong> new client"), "{page}");
    }
);

db_test!(a_20_mb_upload_is_refused_early_at_the_file_field, |app| {
    let owner = clinic_in(&app, "Europe/London").await;
    // One 20 MB file; forty fields of 512 KB, each under the file's bound.
    let twenty_mb = vec![b'x'; 20 * 1024 * 1024];
    let one_file = closed_body(&[
        Part("step", None, b"preview"),
        Part("file", Some("big.csv"), &twenty_mb),
    ]);
    let half_mb = vec![b'x'; 512 * 1024];
    let parts: Vec<Part<'_>> = (0..40).map(|_| Part("note", None, &half_mb)).collect();
    let many_fields = closed_body(&parts);
    for (body, chunked) in [(&one_file, false), (&one_file, true), (&many_fields, false)] {
        let (status, page) = raw_upload(&app, &owner, body.clone(), chunked).await;
        assert_eq!(status, 413, "chunked: {chunked}: {page}");
        assert!(page.contains(r#"id="error-file""#), "{page}");
        assert!(page.contains("the file is larger than 512 KB"), "{page}");
        assert!(page.contains("split it in parts"), "{page}");
    }
    // A file over its own bound, in a body under the whole's, is refused the same way.
    let big = vec![b'x'; 600 * 1024];
    let body = closed_body(&[
        Part("step", None, b"preview"),
        Part("file", Some("big.csv"), &big),
    ]);
    let (status, page) = post(&app, &owner, body).await;
    assert_eq!(status, 413, "{page}");
    assert!(page.contains("the file is larger than 512 KB"), "{page}");
    // Many small fields: not our form.
    let parts: Vec<Part<'_>> = (0..9).map(|_| Part("step", None, b"preview")).collect();
    let (status, page) = post(&app, &owner, closed_body(&parts)).await;
    assert_eq!(status, 400, "{page}");
    assert!(unescape(&page).contains("not this page's form"), "{page}");
    // The service still answers a good upload on a new connection.
    let csv = b"name,email\nAna,ana@example.net\n";
    let body = closed_body(&[
        Part("step", None, b"preview"),
        Part("file", Some("a.csv"), csv),
    ]);
    assert_eq!(post(&app, &owner, body).await.0, 200);
});

/// `html` with the entities our templates write turned back into characters.
fn unescape(html: &str) -> String {
    html.replace("&#x2f;", "/")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The value of the hidden input `name` in `page`, as a browser would read it.
fn hidden(page: &str, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {page}"))
        + marker.len();
    unescape(&page[start..start + page[start..].find('"').unwrap()])
}

/// The line numbers of the rows a page shows, in order.
fn lines_shown(page: &str) -> Vec<u64> {
    page.split(r#"id="import-line-"#)
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].parse().unwrap())
        .collect()
}

db_test!(
    preview_and_import_show_the_same_lines_and_log_one_entry,
    |app| {
        let owner = clinic_in(&app, "Europe/London").await;
        let lf = "name,email,time zone,session dates\n\
              Ana Lf,ana.lf@example.net,,20/02/2026;02/03/2026\n\
              \n\
              Bad Lf,bad@,,02/03/2026\n\
              Cy Lf,cy.lf@example.net,Europe/Lisbon,2026-03-01\n";
        let crlf = lf
            .replace("Lf", "Crlf")
            .replace(".lf@", ".crlf@")
            .replace('\n', "\r\n");
        for (file, csv) in [
            ("clients-lf.csv", lf.to_string()),
            ("clients-crlf.csv", crlf),
        ] {
            let body = closed_body(&[
                Part("step", None, b"preview"),
                Part("file", Some(file), csv.as_bytes()),
            ]);
            let (status, preview) = post(&app, &owner, body).await;
            assert_eq!(status, 200, "{preview}");
            assert_eq!(lines_shown(&preview), [2, 4, 5], "{file}");
            assert!(
                preview.contains("<strong>2</strong> new clients"),
                "{preview}"
            );

            // The import sends what the preview's form carries.
            let (name, data) = (hidden(&preview, "file_name"), hidden(&preview, "file_data"));
            assert_eq!(name, file);
            let body = closed_body(&[
                Part("step", None, b"import"),
                Part("file_name", None, name.as_bytes()),
                Part("file_data", None, data.as_bytes()),
            ]);
            let (status, done) = post(&app, &owner, body).await;
            assert_eq!(status, 200, "{done}");
            assert!(done.contains("Imported 2 clients."), "{done}");
            assert_eq!(
                lines_shown(&done),
                [2, 4, 5],
                "{file}: the same lines as the preview"
            );
        }
        let audit = app.page("/console/audit", Some(&owner.cookie)).await;
        let audit = audit.text().await.unwrap();
        for file in ["clients-lf.csv", "clients-crlf.csv"] {
            let entry = format!("Imported 2 clients from {file}, 1 row refused");
            assert_eq!(audit.matches(&entry).count(), 1, "{entry} in {audit}");
        }
        assert_eq!(audit.matches(r#"data-action="client.imported""#).count(), 2);
    }
);

db_test!(dates_are_read_in_the_clinics_order, |app| {
    let csv = b"name,email,session dates\nAna,ana@example.net,14/02/2026\n";
    let body = || {
        closed_body(&[
            Part("step", None, b"preview"),
            Part("file", Some("a.csv"), csv),
        ])
    };
    let uk = clinic_in(&app, "Europe/London").await;
    let form = app.page("/console/clients/import", Some(&uk.cookie)).await;
    let form = unescape(&form.text().await.unwrap());
    assert!(
        form.contains("written as 14/03/2026 (day/month/year) or 2026-03-14"),
        "{form}"
    );
    let (status, page) = post(&app, &uk, body()).await;
    assert_eq!(status, 200);
    let page = unescape(&page);
    assert!(page.contains("<strong>1</strong> new client"), "{page}");

    let us = clinic_in(&app, "America/New_York").await;
    let (_, page) = post(&app, &us, body()).await;
    let page = unescape(&page);
    assert!(page.contains("<strong>0</strong> new clients"), "{page}");
    let refused = "<strong>sessions</strong>: \"14/02/2026\" is not a day of the calendar: \
                   write dates as 03/14/2026 (month/day/year) or 2026-03-14";
    assert!(page.contains(refused), "{page}");
});

/// The page's widest point against the viewport, and where `css`'s box is.
async fn fits(browser: &Browser, css: &str) -> (bool, serde_json::Value) {
    let script = "const r = document.querySelector(arguments[0]).getBoundingClientRect();
        return {scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
                left: r.left, right: r.right};";
    let at = browser.js(script, vec![json!(css)]).await;
    let f = |k: &str| at[k].as_f64().unwrap();
    let fits = f("scroll") <= f("inner") && f("left") >= 0.0 && f("right") <= f("inner");
    (fits, at)
}

async fn choose_and_preview(browser: &Browser, file: &std::path::Path) {
    browser.goto("/console/clients/import").await;
    let path = file.to_string_lossy().to_string();
    browser
        .find("#field-file")
        .await
        .send_keys(path)
        .await
        .unwrap();
    browser.click("#import-form button[type=submit]").await;
    browser.wait_text("#preview-summary", "new client").await;
}

async fn lines_in(browser: &Browser) -> Vec<String> {
    let mut lines = Vec::new();
    for cell in browser.find_all("td.import-line").await {
        lines.push(cell.text().await.unwrap());
    }
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_front_desk_imports_a_spreadsheets_csv_in_chromium() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let owner = clinic_in(&app, "Europe/London").await;
    let browser = Browser::start(&app.address).await;
    browser.goto("/assets/base.css").await;
    let (name, value) = owner.cookie.split_once('=').unwrap();
    let mut cookie = Cookie::new(name.to_string(), value.to_string());
    cookie.set_path("/console");
    cookie.set_same_site(SameSite::Lax);
    browser.driver.add_cookie(cookie).await.unwrap();
    let tablet = json!({"width": 1024, "height": 768, "deviceScaleFactor": 1, "mobile": false});
    let phone =
        |width: u32| json!({"width": width, "height": 844, "deviceScaleFactor": 1, "mobile": true});
    browser
        .page
        .must("Emulation.setDeviceMetricsOverride", tablet.clone())
        .await;

    // A UK clinic's files, day first, saved with LF and with CRLF (as a spreadsheet
    // saves CSV): the preview's lines are the file's, and the result says the same.
    let dir = tempfile::tempdir().unwrap();
    let lf = "name,email,time zone,session dates\n\
              Ana Lf,ana.lf@example.net,,20/02/2026;02/03/2026\n\
              Bad Lf,bad.lf@,,02/03/2026\n\
              \n\
              Cy Lf,cy.lf@example.net,Europe/Lisbon,14/02/2026\n";
    let crlf = lf
        .replace("Lf", "Crlf")
        .replace(".lf@", ".crlf@")
        .replace('\n', "\r\n");
    for (file, csv) in [
        ("clients-lf.csv", lf.to_string()),
        ("clients-crlf.csv", crlf),
    ] {
        let path = dir.path().join(file);
        std::fs::write(&path, csv).unwrap();
        choose_and_preview(&browser, &path).await;
        browser.wait_text("#preview-summary", "2 new clients").await;
        let preview = lines_in(&browser).await;
        assert_eq!(preview, ["2", "3", "5"], "{file}");
        assert!(browser.text("#import-line-3").await.contains("email"));
        browser.click("#import-confirm button[type=submit]").await;
        browser
            .wait_text("#import-result", "Imported 2 clients.")
            .await;
        assert!(browser.text("#import-result").await.contains(file));
        assert_eq!(
            lines_in(&browser).await,
            preview,
            "{file}: the result's lines"
        );
    }
    // The day-first dates are the sessions recorded.
    let client = browser
        .find("#import-line-2 a")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    browser.goto(&client).await;
    browser.wait_text("main", "Crlf").await;
    let script =
        "return [...document.querySelectorAll('li.session input[type=date]')].map(i => i.value);";
    let sessions = browser.js(script, vec![]).await;
    assert_eq!(sessions, json!(["2026-02-20", "2026-03-02"]));

    // The audit log: one entry per import, naming the file.
    browser.goto("/console/audit").await;
    let imports = browser
        .find_all(r#"tr[data-action="client.imported"]"#)
        .await;
    assert_eq!(imports.len(), 2);
    let newest = imports[0].text().await.unwrap();
    assert!(
        newest.contains("Imported 2 clients from clients-crlf.csv, 1 row refused"),
        "{newest}"
    );

    // On a phone: the reason a row was refused is in view, and nothing scrolls sideways.
    let path = dir.path().join("phone.csv");
    let long = "Dee Phone,dee@,Europe/Atlantis_Underwater_Station,31/02/2026 03/15/2026\n";
    std::fs::write(
        &path,
        format!(
            "{}{long}",
            lf.replace("Lf", "Phone").replace(".lf@", ".phone@")
        ),
    )
    .unwrap();
    browser
        .page
        .must("Emulation.setDeviceMetricsOverride", tablet.clone())
        .await;
    choose_and_preview(&browser, &path).await;
    let reason = "#import-line-6 .row-errors li:last-child";
    let (ok, at) = fits(&browser, reason).await;
    assert!(ok, "tablet: {at}");
    browser.screenshot("console-import").await;
    for width in [390, 320] {
        browser
            .page
            .must("Emulation.setDeviceMetricsOverride", phone(width))
            .await;
        browser.goto("/console/clients/import").await;
        choose_and_preview(&browser, &path).await;
        browser
            .js(
                "document.querySelector(arguments[0]).scrollIntoView(); return true;",
                vec![json!(reason)],
            )
            .await;
        let (ok, at) = fits(&browser, reason).await;
        assert!(ok, "{width} px: {at}");
        let (ok, at) = fits(&browser, "#import-line-6").await;
        assert!(ok, "{width} px: {at}");
        if width == 390 {
            browser.screenshot("console-import-390").await;
        }
    }
    browser.assert_no_console_errors();
    browser.quit().await;
}
