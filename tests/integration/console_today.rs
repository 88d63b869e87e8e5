//! The console's Today work list, a client's notes and a client's page: booking the
//! next session, resending an invitation and marking a client contacted from Today's
//! rows (in headless Chromium at a tablet's and a phone's size, and as plain form posts
//! on both databases); notes added, listed newest first, refused in words and erased
//! with the client; the "first reminder" text before, on and after the first session
//! day; the reminders of a client's page in pages of 100 with Older/Newer links.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use serde_json::json;
use smp_aftercare::db::deliveries::{self, Delivery};
use smp_aftercare::db::{audit, notes};
use smp_aftercare::domain::{Channel, DeliveryStatus};
use smp_aftercare::service::ClinicRef;
use thirtyfour::prelude::*;

use crate::browser::Browser;
use crate::console_services::{clinic, onboard};
use crate::console_support::{location, owner_session, Signed};
use crate::db_test;
use crate::helpers::{spawn_app, Backend, TestApp};

fn at(y: i32, m: u32, d: u32, h: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

/// Ana (session 1 of 3 on Sun 22 Feb: her next-session window is open), Bruno (no
/// session) and Carla (session 1 on Sun 1 Feb: her next session is overdue), all
/// invited on Wed 25 Feb and not accepted; today is Mon 2 Mar.
async fn front_desk(app: &TestApp) -> (ClinicRef, String, String, String) {
    app.clock.set(at(2026, 2, 25, 7));
    let north = clinic(app, "Northside");
    let ana = onboard(app, &north, "Ana Pereira", &["2026-02-22"]).await;
    let bruno = onboard(app, &north, "Bruno Costa", &[]).await;
    let carla = onboard(app, &north, "Carla Dias", &["2026-02-01"]).await;
    app.clock.set(at(2026, 3, 2, 7));
    (north, ana, bruno, carla)
}

fn actions_of(app: &TestApp, clinic_id: &str) -> Vec<String> {
    let mut conn = app.pool.get().unwrap();
    audit::page(&mut conn, clinic_id, 0, 500)
        .unwrap()
        .into_iter()
        .map(|row| row.action)
        .collect()
}

fn note_count(app: &TestApp, client_id: &str) -> i64 {
    let mut conn = app.pool.get().unwrap();
    notes::count_of_client(&mut conn, client_id).unwrap()
}

async fn body(response: reqwest::Response) -> String {
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(!status.is_redirection(), "{status}: signed out?");
    text
}

// ---- Today's actions as form posts, on both databases ----

db_test!(today_rows_book_resend_and_mark_contacted, |app| {
    let (north, ana, bruno, carla) = front_desk(&app).await;
    let owner = owner_session(&app, &north.id).await;
    let cookie = Some(owner.cookie.as_str());
    app.flush_outbox().await;

    let page = body(app.page("/console", cookie).await).await;
    for row in [
        format!("id=\"windows-{ana}\""),
        format!("id=\"invitations-{ana}\""),
        format!("id=\"invitations-{bruno}\""),
        format!("id=\"overdue-{carla}\""),
    ] {
        assert!(page.contains(&row), "{row} missing");
    }
    assert!(
        page.contains("due Sun 1 Mar to Sun 8 Mar"),
        "dates in words"
    );
    assert!(
        page.contains("invited Wed 25 Feb, the email went out"),
        "dates and statuses in words"
    );

    // Refused, in words next to the row, nothing recorded.
    let book = format!("/console/today/{ana}/book");
    for (date, words) in [
        ("", "Choose the date of the next session first."),
        ("2026-02-30", "is not a calendar date"),
        ("2026-02-22", "already a session on 2026-02-22"),
    ] {
        let refused = app
            .form(&book, cookie, &[("group", "windows"), ("date", date)])
            .await;
        assert_eq!(refused.status(), 422, "{date}");
        let page = body(refused).await;
        let error =
            format!("<p class=\"error row-error\" id=\"windows-{ana}-error\" role=\"alert\">");
        let at = page
            .find(&error)
            .unwrap_or_else(|| panic!("no row error for {date:?}"));
        assert!(
            page[at..].contains(words),
            "{date:?}: {}",
            &page[at..at + 300]
        );
        assert!(page.contains(&format!("aria-describedby=\"windows-{ana}-error\"")));
    }
    assert!(!actions_of(&app, &north.id).contains(&"session.added".to_string()));

    // Book the next session from the row.
    let booked = app
        .form(
            &book,
            cookie,
            &[("group", "windows"), ("date", "2026-03-05")],
        )
        .await;
    assert_eq!(booked.status(), 303);
    let back = location(&booked);
    assert_eq!(back, format!("/console?done=booked&client={ana}#windows"));
    let page = body(app.page(&back, cookie).await).await;
    assert!(
        page.contains("Next session for Ana Pereira booked on Thu 5 Mar"),
        "{page}"
    );
    assert!(
        !page.contains(&format!("id=\"windows-{ana}\"")),
        "booked: off the list"
    );

    // Mark Bruno contacted: the row and his page say who and when.
    let contacted = app
        .form(
            &format!("/console/today/{bruno}/contacted"),
            cookie,
            &[("group", "invitations")],
        )
        .await;
    assert_eq!(contacted.status(), 303);
    let page = body(app.page(&location(&contacted), cookie).await).await;
    assert!(page.contains("Bruno Costa is marked as contacted."));
    assert!(
        page.contains("Contacted Mon 2 Mar, 07:00 by Northside owner"),
        "{page}"
    );
    let client = body(app.page(&format!("/console/clients/{bruno}"), cookie).await).await;
    assert!(client.contains("<span class=\"badge ok\">Contacted</span>"));
    assert!(client.contains("Mon 2 Mar, 07:00"));

    // Resend Bruno's invitation: a new email goes out.
    let resent = app
        .form(
            &format!("/console/today/{bruno}/invitation"),
            cookie,
            &[("group", "invitations")],
        )
        .await;
    assert_eq!(resent.status(), 303);
    let page = body(app.page(&location(&resent), cookie).await).await;
    assert!(page.contains("A new invitation is on its way to Bruno Costa"));
    assert!(
        !page.contains(&format!("id=\"invitations-{bruno}\"")),
        "a fresh invitation: no nudge for 3 days"
    );
    let before = app.mail_files().len();
    assert_eq!(app.flush_outbox().await.sent, 1);
    let mail = app.mail_files();
    assert_eq!(mail.len(), before + 1);
    assert!(mail.last().unwrap().contains("bruno.costa@example.net"));

    let actions = actions_of(&app, &north.id);
    for action in [
        "session.added",
        "client.invitation_resent",
        "client.contacted",
    ] {
        assert!(
            actions.contains(&action.to_string()),
            "{action} not audited"
        );
    }

    // From another site: refused, nothing recorded.
    let before = note_count(&app, &ana);
    let forged = app
        .form_from(
            &format!("/console/today/{ana}/contacted"),
            cookie,
            &[("group", "windows")],
            "cross-site",
        )
        .await;
    assert_eq!(forged.status(), 403);
    assert_eq!(note_count(&app, &ana), before);
    // Another clinic's client: not found, nothing recorded.
    let south = clinic(&app, "Southside");
    let theirs = onboard(&app, &south, "Cleo Elsewhere", &[]).await;
    let other = app
        .form(&format!("/console/today/{theirs}/contacted"), cookie, &[])
        .await;
    assert_eq!(other.status(), 404);
    assert_eq!(note_count(&app, &theirs), 0);
});

// ---- Notes, on both databases ----

db_test!(
    notes_are_listed_newest_first_refused_in_words_and_erased,
    |app| {
        let north = clinic(&app, "Northside");
        let ana = onboard(&app, &north, "Ana Pereira", &["2026-02-22"]).await;
        let owner = owner_session(&app, &north.id).await;
        let cookie = Some(owner.cookie.as_str());
        let path = format!("/console/clients/{ana}/notes");

        let first = app.form(&path, cookie, &[("note", "Prefers a call")]).await;
        assert_eq!(first.status(), 303);
        assert_eq!(
            location(&first),
            format!("/console/clients/{ana}?done=note_added#notes-title")
        );
        app.clock.advance(Duration::minutes(150));
        let second = app
            .form(&path, cookie, &[("note", "Booked by phone\r\nafter 5pm")])
            .await;
        assert_eq!(second.status(), 303);
        assert_eq!(note_count(&app, &ana), 2);

        let page = body(app.page(&format!("/console/clients/{ana}"), cookie).await).await;
        let newer = page
            .find("Booked by phone\nafter 5pm")
            .expect("the second note");
        let older = page.find("Prefers a call").expect("the first note");
        assert!(newer < older, "newest first");
        assert!(
            page.contains("Mon 2 Mar, 09:30"),
            "the second note's time in words"
        );
        assert!(
            page.contains("Mon 2 Mar, 07:00"),
            "the first note's time in words"
        );
        assert!(page.contains("<strong>Northside owner</strong>"));

        // Refused: empty, too long, a control character; in words next to the field, the
        // text kept, nothing stored.
        let long = "x".repeat(2001);
        for (text, words) in [
            ("   ", "Write the note first; it is empty."),
            (
                long.as_str(),
                "A note has at most 2000 characters; this one has 2001.",
            ),
            ("Called\u{1b}[31m twice", "control character"),
            ("tab\there", "control character"),
        ] {
            let refused = app.form(&path, cookie, &[("note", text)]).await;
            assert_eq!(refused.status(), 422, "{text:?}");
            let page = body(refused).await;
            let at = page
                .find("<p class=\"error\" id=\"error-note\">")
                .unwrap_or_else(|| panic!("no error next to the field for {text:?}"));
            assert!(page[at..].contains(words), "{text:?}");
            assert!(page.contains("aria-describedby=\"error-note\""));
        }
        let kept = app
            .form(&path, cookie, &[("note", &"y".repeat(2001))])
            .await;
        assert!(
            body(kept).await.contains(&"y".repeat(2001)),
            "the text comes back"
        );
        assert_eq!(note_count(&app, &ana), 2, "nothing stored");

        let contacted = app
            .form(&format!("/console/clients/{ana}/contacted"), cookie, &[])
            .await;
        assert_eq!(contacted.status(), 303);
        assert_eq!(note_count(&app, &ana), 3);
        let actions = actions_of(&app, &north.id);
        assert_eq!(
            actions.iter().filter(|a| *a == "client.note_added").count(),
            2
        );
        assert!(actions.contains(&"client.contacted".to_string()));

        // Erasing the client erases their notes.
        let erased = app
            .form(
                &format!("/console/clients/{ana}/erase"),
                cookie,
                &[("confirm", "Ana Pereira")],
            )
            .await;
        assert_eq!(erased.status(), 303);
        assert_eq!(note_count(&app, &ana), 0);
    }
);

// ---- The first reminder's text, on both databases ----

db_test!(
    the_first_reminder_text_is_true_before_on_and_after_the_first_day,
    |app| {
        let north = clinic(&app, "Northside");
        let ana = onboard(&app, &north, "Ana Pereira", &["2026-03-05"]).await;
        let none = onboard(&app, &north, "Bruno Costa", &[]).await;
        let owner = owner_session(&app, &north.id).await;
        let cookie = Some(owner.cookie.as_str());
        let text = |page: &str| {
            let start = page
                .find("id=\"no-reminders\">")
                .unwrap_or_else(|| panic!("no text in {page}"));
            let rest = &page[start + 18..];
            rest[..rest.find("</p>").unwrap()].to_string()
        };
        let page_of = |id: &str| format!("/console/clients/{id}");

        let before = text(&body(app.page(&page_of(&ana), cookie).await).await);
        assert_eq!(
            before,
            "No reminder yet. The first goes out on Thu 5 Mar, the client&#x27;s first session \
         day, at 08:00."
        );
        // (A console session ends after a while idle: a new one on each day.)
        app.clock.set(at(2026, 3, 5, 12));
        let owner = owner_session(&app, &north.id).await;
        let cookie = Some(owner.cookie.as_str());
        let on = text(&body(app.page(&page_of(&ana), cookie).await).await);
        assert!(
            on.contains("Today is the client&#x27;s first session day"),
            "{on}"
        );
        app.clock.set(at(2026, 3, 9, 12));
        let owner = owner_session(&app, &north.id).await;
        let cookie = Some(owner.cookie.as_str());
        let after = text(&body(app.page(&page_of(&ana), cookie).await).await);
        assert!(
            after.contains("The first session day, Thu 5 Mar, has passed"),
            "{after}"
        );
        assert!(!after.contains("The first goes out"));
        let no_session = text(&body(app.page(&page_of(&none), cookie).await).await);
        assert!(
            no_session.contains("once a session is recorded"),
            "{no_session}"
        );
    }
);

// ---- The client's reminders in pages, on both databases ----

fn reminder_row(client_id: &str, n: usize) -> Delivery {
    let day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Duration::days((n / 2) as i64);
    let at = day.and_hms_opt(8, 0, 0).unwrap();
    Delivery {
        id: uuid::Uuid::now_v7().to_string(),
        client_id: client_id.to_string(),
        local_date: day,
        channel: Channel::Email,
        target: format!("{}{n}", deliveries::EMAIL_TARGET),
        kind: smp_aftercare::domain::DeliveryKind::Reminder(
            smp_aftercare::domain::ReminderKind::DailyAftercare,
        ),
        idempotency_key: format!("{client_id}:paging:{n}"),
        title: format!("Reminder number {n:03}"),
        body: "b".into(),
        payload: "{}".into(),
        send_at: at,
        stale_at: at + Duration::hours(16),
        status: DeliveryStatus::Sent,
        attempts: 1,
        next_attempt_at: at,
        lease_until: None,
        leased_by: None,
        last_error: None,
        sent_at: Some(at),
        created_at: at,
        updated_at: at,
        correction: false,
    }
}

fn titles(page: &str) -> Vec<String> {
    page.match_indices("Reminder number ")
        .map(|(i, _)| page[i..i + 19].to_string())
        .collect()
}

fn link(page: &str, id: &str) -> Option<String> {
    let start = page.find(&format!("id=\"{id}\""))?;
    let tag_start = page[..start].rfind("<a ")?;
    let href = &page[tag_start..];
    let href = &href[href.find("href=\"")? + 6..];
    let href = href[..href.find('"')?].replace("&#x2f;", "/");
    Some(href.replace("&amp;", "&"))
}

db_test!(a_clients_reminders_page_older_and_newer, |app| {
    let north = clinic(&app, "Northside");
    let ana = onboard(&app, &north, "Ana Pereira", &["2026-01-01"]).await;
    let owner = owner_session(&app, &north.id).await;
    let cookie = Some(owner.cookie.as_str());
    // The clinic is in London: in April, an hour ahead of UTC.
    let settings = [
        ("name", "Northside"),
        ("reply_to", ""),
        ("timezone", "Europe/London"),
        ("reminder_time", "08:00"),
    ];
    let saved = app.form("/console/settings", cookie, &settings).await;
    assert_eq!(saved.status(), 303);
    {
        let mut conn = app.pool.get().unwrap();
        for n in 0..230 {
            assert!(deliveries::insert_if_absent(&mut conn, &reminder_row(&ana, n)).unwrap());
        }
    }
    let first = body(app.page(&format!("/console/clients/{ana}"), cookie).await).await;
    let page_1 = titles(&first);
    assert_eq!(page_1.len(), 100);
    assert_eq!(page_1[0], "Reminder number 229", "newest first");
    assert!(link(&first, "deliveries-newer").is_none());
    let older = link(&first, "deliveries-older").expect("an Older link");

    let second = body(app.page(&older, cookie).await).await;
    let page_2 = titles(&second);
    assert_eq!(page_2.len(), 100);
    let third_path = link(&second, "deliveries-older").expect("an Older link");
    let third = body(app.page(&third_path, cookie).await).await;
    let page_3 = titles(&third);
    assert_eq!(page_3.len(), 30);
    assert!(
        link(&third, "deliveries-older").is_none(),
        "the oldest page"
    );
    let mut all: Vec<String> = [page_1.clone(), page_2.clone(), page_3].concat();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 230, "every reminder once");

    // Newer walks back the same pages.
    let back = link(&third, "deliveries-newer").expect("a Newer link");
    assert_eq!(titles(&body(app.page(&back, cookie).await).await), page_2);
    let back = link(&second, "deliveries-newer").expect("a Newer link");
    assert_eq!(titles(&body(app.page(&back, cookie).await).await), page_1);
    // Dates and times in words.
    assert!(first.contains("Tue 14 Apr"), "a local date in words");
    assert!(
        first.contains("Tue 14 Apr, 09:00"),
        "sent at, in the clinic's zone"
    );

    // A cursor that is not one: the newest page, said so.
    let garbage = body(
        app.page(&format!("/console/clients/{ana}?older=zzz"), cookie)
            .await,
    )
    .await;
    assert!(garbage.contains("That page of reminders is not there any more"));
    assert_eq!(titles(&garbage), page_1);
});

// ---- In Chromium, at a tablet's and a phone's size ----

async fn resize(browser: &Browser, width: u32, height: u32, mobile: bool) {
    let metrics =
        json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile});
    browser
        .page
        .must("Emulation.setDeviceMetricsOverride", metrics)
        .await;
}

async fn signed_in(app: &TestApp, who: &Signed) -> Browser {
    let browser = Browser::start(&app.address).await;
    resize(&browser, 820, 1180, false).await;
    browser.goto("/assets/base.css").await;
    let (name, value) = who.cookie.split_once('=').unwrap();
    let mut cookie = Cookie::new(name.to_string(), value.to_string());
    cookie.set_path("/console");
    cookie.set_same_site(SameSite::Lax);
    browser.driver.add_cookie(cookie).await.expect("cookie set");
    browser
}

async fn sideways(browser: &Browser) -> serde_json::Value {
    browser
        .js(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
            vec![],
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_front_desk_works_todays_list_in_chromium() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let (north, ana, bruno, carla) = front_desk(&app).await;
    // Dan, onboarded today, waits for his second session too.
    let dan = onboard(&app, &north, "Dan Evans", &["2026-02-21"]).await;
    app.flush_outbox().await;
    {
        // Carla's reminder yesterday bounced.
        let mut row = reminder_row(&carla, 0);
        let yesterday = at(2026, 3, 1, 8).naive_utc();
        row.local_date = yesterday.date();
        (row.send_at, row.next_attempt_at, row.status) =
            (yesterday, yesterday, DeliveryStatus::Failed);
        row.sent_at = None;
        row.last_error = Some("550 mailbox unavailable".into());
        let mut conn = app.pool.get().unwrap();
        assert!(deliveries::insert_if_absent(&mut conn, &row).unwrap());
    }
    let owner = owner_session(&app, &north.id).await;
    let browser = signed_in(&app, &owner).await;
    browser.goto("/console").await;
    browser
        .wait_text(&format!("#windows-{ana}"), "Ana Pereira")
        .await;

    // Book with no date: the reason next to the row.
    browser
        .click(&format!("#windows-{ana} .row-book button"))
        .await;
    browser
        .wait_text(
            &format!("#windows-{ana}-error"),
            "Choose the date of the next session first.",
        )
        .await;
    // Book the next session from the row.
    let script = "document.querySelector(arguments[0]).value = arguments[1]; return true;";
    let field = format!("#windows-{ana}-date");
    browser
        .js(script, vec![json!(field), json!("2026-03-05")])
        .await;
    browser
        .click(&format!("#windows-{ana} .row-book button"))
        .await;
    browser
        .wait_text(
            "#notice",
            "Next session for Ana Pereira booked on Thu 5 Mar",
        )
        .await;
    assert!(browser
        .find_all(&format!("#windows-{ana}"))
        .await
        .is_empty());
    assert!(
        browser.text("#windows").await.contains("Dan Evans"),
        "{dan} stays"
    );

    // Mark Carla and Bruno contacted: the rows say who and when.
    for (group, who, name) in [
        ("overdue", &carla, "Carla Dias"),
        ("invitations", &bruno, "Bruno Costa"),
    ] {
        browser
            .click(&format!("#{group}-{who} form[action$='/contacted'] button"))
            .await;
        browser
            .wait_text("#notice", &format!("{name} is marked as contacted."))
            .await;
        browser
            .wait_text(
                &format!("#{group}-{who} .work-contacted"),
                "Contacted Mon 2 Mar, 07:00 by Northside owner",
            )
            .await;
    }

    // Resend Bruno's invitation; the email goes out.
    let before = app.mail_files().len();
    browser
        .click(&format!(
            "#invitations-{bruno} form[action$='/invitation'] button"
        ))
        .await;
    browser
        .wait_text("#notice", "A new invitation is on its way to Bruno Costa")
        .await;
    assert_eq!(app.flush_outbox().await.sent, 1);
    let mail = app.mail_files();
    assert_eq!(mail.len(), before + 1);
    assert!(mail.last().unwrap().contains("bruno.costa@example.net"));
    assert_eq!(sideways(&browser).await, 0, "820 px: no sideways scrolling");
    browser
        .js("window.scrollTo(0, 0); return true;", vec![])
        .await;
    browser.screenshot("console-today").await;

    resize(&browser, 390, 844, true).await;
    browser.goto("/console").await;
    assert_eq!(sideways(&browser).await, 0, "390 px: no sideways scrolling");
    browser.screenshot("console-today-390").await;
    resize(&browser, 320, 640, true).await;
    browser.goto("/console").await;
    assert_eq!(sideways(&browser).await, 0, "320 px: no sideways scrolling");

    // On Carla's page: the contact, then a note of one's own.
    resize(&browser, 820, 1180, false).await;
    browser.goto(&format!("/console/clients/{carla}")).await;
    browser.wait_text("#notes", "Contacted").await;
    let note = browser.find("#field-note").await;
    note.send_keys("Prefers a call after 5pm.").await.unwrap();
    browser.click("#note-form button[type=submit]").await;
    browser.wait_text("#notice", "Note added.").await;
    let newest = browser.text("#notes li:first-child").await;
    assert!(newest.contains("Prefers a call after 5pm."), "{newest}");
    assert!(newest.contains("Northside owner"), "{newest}");
    browser
        .js("window.scrollTo(0, 0); return true;", vec![])
        .await;
    browser.screenshot("console-client").await;

    // The refused booking answered 422 on purpose; nothing else failed.
    let refused = format!("{}/console/today/{ana}/book", app.address);
    browser.assert_no_console_errors_besides(&[refused.as_str()]);
    browser.quit().await;
}
