//! The console's own services, on both backends: the clients roster (search, filters,
//! pages, each row's day), Today at the clinic, CSV import and re-import, and the
//! protocol's draft, preview, save and history.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use smp_aftercare::clock::Clock;
use smp_aftercare::db::deliveries::{self, Delivery};
use smp_aftercare::db::roster::{self as db_roster, Criteria, Slice};
use smp_aftercare::domain::{Channel, DeliveryStatus, InvitationStatus, Stage};
use smp_aftercare::service::clients::{self, NewClientInput, Onboarded};
use smp_aftercare::service::import;
use smp_aftercare::service::protocol_edit;
use smp_aftercare::service::roster::{self, Filter, ListQuery};
use smp_aftercare::service::{clinics, ClinicRef, Error};

use crate::db_test;
use crate::helpers::TestApp;

pub fn clinic(app: &TestApp, name: &str) -> ClinicRef {
    let mut conn = app.pool.get().unwrap();
    let email = format!("front@{}.example", name.to_lowercase().replace(' ', "-"));
    let owner = clinics::OwnerInput {
        name: format!("{name} owner"),
        email: email.clone(),
    };
    clinics::create(&mut conn, name, &email, owner, app.clock.now().naive_utc())
        .unwrap()
        .clinic
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

pub async fn onboard(app: &TestApp, clinic: &ClinicRef, name: &str, sessions: &[&str]) -> String {
    let input = NewClientInput {
        email: format!("{}@example.net", name.to_lowercase().replace(' ', ".")),
        name: name.to_string(),
        timezone: Some("Europe/London".to_string()),
        locale: None,
        planned_sessions: Some(3),
        sessions: sessions.iter().map(|s| date(s)).collect(),
        unreadable: Vec::new(),
    };
    match clients::onboard(&app.services, clinic, input, None, |_| Ok(String::new()))
        .await
        .unwrap()
    {
        Onboarded::Created { id, .. } => id,
        Onboarded::Replayed(_) => unreachable!("no idempotency key"),
    }
}

/// A reminder that went out (or not) yesterday morning.
fn reminder(app: &TestApp, client_id: &str, status: DeliveryStatus, error: Option<&str>) {
    let at = (app.clock.now() - Duration::days(1)).naive_utc();
    let row = Delivery {
        id: uuid::Uuid::now_v7().to_string(),
        client_id: client_id.to_string(),
        local_date: at.date(),
        channel: Channel::Email,
        target: deliveries::EMAIL_TARGET.to_string(),
        kind: smp_aftercare::domain::DeliveryKind::Reminder(
            smp_aftercare::domain::ReminderKind::DailyAftercare,
        ),
        idempotency_key: format!("{client_id}:test"),
        title: "t".into(),
        body: "b".into(),
        payload: "{}".into(),
        send_at: at,
        stale_at: at + Duration::hours(16),
        status,
        attempts: 1,
        next_attempt_at: at,
        lease_until: None,
        leased_by: None,
        last_error: error.map(str::to_string),
        sent_at: None,
        created_at: at,
        updated_at: at,
        correction: false,
    };
    let mut conn = app.pool.get().unwrap();
    assert!(deliveries::insert_if_absent(&mut conn, &row).unwrap());
}

async fn ids(
    s: &smp_aftercare::service::Services,
    clinic: &ClinicRef,
    filter: Filter,
) -> Vec<String> {
    let page = roster::list(s, clinic, query(None, filter, 1))
        .await
        .unwrap();
    page.rows.into_iter().map(|r| r.id).collect()
}

fn query(search: Option<&str>, filter: Filter, page: u32) -> ListQuery {
    ListQuery {
        search: search.map(str::to_string),
        filter,
        page,
    }
}

db_test!(
    the_roster_shows_each_clients_day_and_filters_and_pages,
    |app| {
        // Today is 2026-03-02 in London.
        let north = clinic(&app, "Northside");
        let healing = onboard(
            &app,
            &north,
            "Ana Healing",
            &["2026-02-01", "2026-02-11", "2026-02-21"],
        )
        .await;
        let healed = onboard(
            &app,
            &north,
            "Bo Healed",
            &["2026-01-01", "2026-01-11", "2026-01-21"],
        )
        .await;
        let series = onboard(&app, &north, "Cy Series", &["2026-02-20"]).await;
        let overdue = onboard(&app, &north, "Di Overdue", &["2026-02-01"]).await;
        for i in 0..50 {
            onboard(&app, &north, &format!("Filler {i:02}"), &[]).await;
        }
        reminder(
            &app,
            &healing,
            DeliveryStatus::Failed,
            Some("550 mailbox unavailable"),
        );
        reminder(&app, &series, DeliveryStatus::Sent, None);
        // Another clinic's client never shows.
        let south = clinic(&app, "Southside");
        onboard(&app, &south, "Ana Elsewhere", &["2026-02-21"]).await;

        let s = &app.services;
        let all = roster::list(s, &north, query(None, Filter::All, 1))
            .await
            .unwrap();
        assert_eq!((all.matching.n, all.pages, all.rows.len()), (54, 2, 50));
        assert_eq!(all.rows[0].name, "Ana Healing");
        let second = roster::list(s, &north, query(None, Filter::All, 2))
            .await
            .unwrap();
        assert_eq!(second.rows.len(), 4);
        // A page past the end shows the last one.
        assert_eq!(
            roster::list(s, &north, query(None, Filter::All, 9))
                .await
                .unwrap()
                .page,
            2
        );

        let ana = &roster::list(s, &north, query(Some("aNA"), Filter::All, 1))
            .await
            .unwrap()
            .rows;
        assert_eq!(ana.len(), 1, "case-insensitive, this clinic only");
        let row = &ana[0];
        assert_eq!(
            (row.stage, row.day, row.session_number),
            (Stage::Healing, Some(9), Some(3))
        );
        assert!(row.is_final_session);
        let last = row.last_reminder.as_ref().unwrap();
        assert_eq!(last.status, DeliveryStatus::Failed);
        assert_eq!(last.error.as_deref(), Some("550 mailbox unavailable"));
        assert_eq!(row.invitation, InvitationStatus::Pending);
        // By email, and LIKE's wildcards are plain characters.
        let by_email = roster::list(s, &north, query(Some("cy.series@"), Filter::All, 1))
            .await
            .unwrap();
        assert_eq!(by_email.rows[0].id, series);
        assert_eq!(
            roster::list(s, &north, query(Some("%"), Filter::All, 1))
                .await
                .unwrap()
                .matching
                .n,
            0
        );

        assert_eq!(ids(s, &north, Filter::Healing).await, vec![healing.clone()]);
        assert_eq!(ids(s, &north, Filter::Healed).await, vec![healed.clone()]);
        assert_eq!(
            ids(s, &north, Filter::InSeries).await,
            vec![series.clone(), overdue.clone()]
        );
        assert_eq!(
            ids(s, &north, Filter::RemindersFailing).await,
            vec![healing.clone()]
        );
        assert_eq!(
            ids(s, &north, Filter::Invited).await.len(),
            50,
            "first page of 54 invited"
        );
        assert!(ids(s, &north, Filter::InvitationFailed).await.is_empty());

        let cy = roster::list(s, &north, query(Some("Cy"), Filter::All, 1))
            .await
            .unwrap()
            .rows;
        let window = cy[0].next_session_window.unwrap();
        assert_eq!(
            (window.from, window.to, window.overdue),
            (date("2026-02-27"), date("2026-03-06"), false)
        );

        let today = roster::today(s, &north).await.unwrap();
        let names =
            |rows: &[roster::ClientRow]| rows.iter().map(|r| r.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&today.windows_open), ["Cy Series"]);
        assert_eq!(names(&today.overdue), ["Di Overdue"]);
        assert_eq!(names(&today.reminders_failing), ["Ana Healing"]);
        assert!(today.invitations_waiting.is_empty(), "sent today");
        app.clock.advance(Duration::days(3));
        let later = roster::today(s, &north).await.unwrap();
        // A group shows its first rows; its count says how many there are.
        assert_eq!(later.invitations_waiting.len(), roster::TODAY_GROUP_SIZE);
        assert_eq!(later.totals.invitations_waiting.n, 54);
        assert!(!later.totals.invitations_waiting.more);

        let bad = roster::list(s, &north, query(None, Filter::All, 0)).await;
        assert!(matches!(bad, Err(Error::Invalid { field, .. }) if field == "page"));
    }
);

const CSV: &str = "Name,Email,Time zone,Session dates\n\
                   Ana Import,ana.import@example.net,Europe/London,2026-02-20;2026-03-02\n\
                   Bad Row,not-an-email,Europe/London,2026-03-02\n\
                   Cy Import,cy.import@example.net,,\n";

db_test!(
    a_csv_import_previews_imports_and_re_imports_without_duplicates,
    |app| {
        let north = clinic(&app, "Northside");
        onboard(&app, &north, "Cy Import", &[]).await;
        let s = &app.services;

        let preview = import::preview(s, &north, CSV.as_bytes(), "Europe/Lisbon")
            .await
            .unwrap();
        assert_eq!((preview.new, preview.existing, preview.invalid), (1, 1, 1));
        assert_eq!(preview.rows[1].errors[0].field, "email");
        let listed = roster::list(s, &north, query(None, Filter::All, 1))
            .await
            .unwrap();
        assert_eq!(listed.matching.n, 1, "a preview changes nothing");

        let done = import::import(s, &north, "clients.csv", CSV.as_bytes(), "Europe/Lisbon")
            .await
            .unwrap();
        assert_eq!((done.new, done.existing, done.invalid), (1, 1, 1));
        let id = done.rows[0].client_id.clone().unwrap();
        let bundle = clients::get(s, &north, id).await.unwrap();
        assert_eq!(bundle.sessions.len(), 2);
        assert_eq!(bundle.client.timezone.name(), "Europe/London");
        assert_eq!(bundle.client.invitation_status, InvitationStatus::Pending);

        let again = import::import(s, &north, "clients.csv", CSV.as_bytes(), "Europe/Lisbon")
            .await
            .unwrap();
        assert_eq!((again.new, again.existing, again.invalid), (0, 2, 1));
        let listed = roster::list(s, &north, query(None, Filter::All, 1))
            .await
            .unwrap();
        assert_eq!(listed.matching.n, 2);

        // The same rows in another clinic are that clinic's own clients.
        let south = clinic(&app, "Southside");
        let elsewhere = import::import(s, &south, "clients.csv", CSV.as_bytes(), "UTC")
            .await
            .unwrap();
        assert_eq!(elsewhere.new, 2);
        assert_eq!(elsewhere.rows[2].timezone, "UTC");

        let e = import::preview(s, &north, b"email\nx@example.net\n", "UTC")
            .await
            .unwrap_err();
        assert!(
            matches!(e, Error::Invalid { ref field, .. } if field == "file"),
            "{e}"
        );
    }
);

db_test!(
    a_protocol_draft_previews_saves_and_shows_in_the_history,
    |app| {
        let north = clinic(&app, "Northside");
        let s = &app.services;
        let current = clinics::protocol(s, &north).await.unwrap();
        let mut form: Vec<protocol_edit::RuleEntry> = protocol_edit::form_of(&current.effective)
            .into_iter()
            .map(protocol_edit::RuleEntry::from)
            .collect();
        form[3].from = "10".into(); // gentle_washing_ok
        let overrides = protocol_edit::overrides_from_form(&current, &form).unwrap();
        let draft = protocol_edit::draft(&overrides).unwrap();
        let start = Utc
            .with_ymd_and_hms(2026, 3, 2, 0, 0, 0)
            .unwrap()
            .date_naive();
        let preview = protocol_edit::preview(&draft, start).unwrap();
        assert!(preview.days[9]
            .rules
            .iter()
            .any(|r| r.id.as_str() == "no_washing"));
        assert!(
            protocol_edit::history(s, &north).await.unwrap().is_empty(),
            "not saved yet"
        );

        protocol_edit::save(s, &north, overrides).await.unwrap();
        let history = protocol_edit::history(s, &north).await.unwrap();
        assert_eq!(history.len(), 1);
        assert!(
            history[0]
                .changes
                .contains(&"rules.gentle_washing_ok.from: 5 → 10".to_string()),
            "{:?}",
            history[0].changes
        );
        // Another clinic's history is its own.
        let south = clinic(&app, "Southside");
        assert!(protocol_edit::history(s, &south).await.unwrap().is_empty());
    }
);

db_test!(
    the_roster_reads_a_page_in_a_fixed_number_of_statements_whatever_the_clinics_size,
    |app| {
        use diesel::connection::{Connection, Instrumentation, InstrumentationEvent};
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;

        struct Count(Arc<AtomicUsize>);
        impl Instrumentation for Count {
            fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
                if let InstrumentationEvent::StartQuery { .. } = event {
                    self.0.fetch_add(1, Ordering::SeqCst);
                }
            }
        }

        let north = clinic(&app, "Northside");
        let statements = |app: &TestApp| {
            let mut conn = app.pool.get().unwrap();
            let counter = Arc::new(AtomicUsize::new(0));
            conn.set_instrumentation(Count(counter.clone()));
            let now = app.clock.now();
            let criteria = Criteria {
                clinic_id: &north.id,
                search: None,
                slice: Slice::All,
                now: now.naive_utc(),
            };
            let page = db_roster::page(&mut conn, &criteria, 0, roster::PAGE_SIZE as i64).unwrap();
            let rows = roster::rows(&mut conn, &north.id, page, now, 7, false).unwrap();
            conn.set_instrumentation(diesel::connection::get_default_instrumentation());
            (rows.len(), counter.load(Ordering::SeqCst))
        };
        for i in 0..3 {
            onboard(&app, &north, &format!("Small {i}"), &["2026-02-20"]).await;
        }
        let (clients, small) = statements(&app);
        assert_eq!(clients, 3);
        for i in 0..40 {
            let id = onboard(
                &app,
                &north,
                &format!("Large {i:02}"),
                &["2026-02-20", "2026-03-01"],
            )
            .await;
            reminder(&app, &id, DeliveryStatus::Sent, None);
        }
        let (clients, large) = statements(&app);
        assert_eq!(clients, 43);
        // The page, then its sessions, last reminders and the clinic's protocol (its
        // version, then that version): one statement per table, not per client.
        assert_eq!(
            (small, large),
            (5, 5),
            "the page, then one statement per table, not per client"
        );
    }
);

db_test!(owners_reads_refuse_others_and_stay_in_the_clinic, |app| {
    use smp_aftercare::domain::StaffRole;
    use smp_aftercare::service::audit;
    use smp_aftercare::service::authz::Actor;
    use smp_aftercare::service::{api_keys, staff};

    let north = clinic(&app, "Northside");
    let south = clinic(&app, "Southside");
    let at = app.clock.now();
    let (dee, sam) = {
        let mut conn = app.pool.get().unwrap();
        let mut add = |clinic: &ClinicRef, name: &str| {
            let email = format!("{}@staff.example", name.to_lowercase())
                .parse()
                .unwrap();
            staff::add(&mut conn, clinic, name, &email, StaffRole::Staff, at).unwrap()
        };
        (add(&north, "Dee"), add(&south, "Sam"))
    };
    let s = &app.services;
    let as_staff = ClinicRef {
        actor: dee.actor(),
        ..north.clone()
    };
    let as_key = ClinicRef {
        actor: Actor::ApiKey {
            id: "k".into(),
            name: "Booking system".into(),
        },
        ..north.clone()
    };
    for refused in [&as_staff, &as_key] {
        let forbidden = |result: Result<(), Error>| matches!(result, Err(Error::Forbidden(_)));
        assert!(forbidden(staff::list(s, refused).await.map(drop)));
        assert!(forbidden(
            staff::get(s, refused, dee.id.clone()).await.map(drop)
        ));
        assert!(forbidden(api_keys::list(s, refused).await.map(drop)));
        assert!(forbidden(audit::page(s, refused, 1).await.map(drop)));
    }

    // An owner reads the clinic's own records; another clinic's are not found.
    assert_eq!(
        staff::get(s, &north, dee.id.clone()).await.unwrap().name,
        "Dee"
    );
    let staff_names: Vec<String> = staff::list(s, &north)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.name)
        .collect();
    assert!(staff_names.contains(&"Dee".to_string()), "{staff_names:?}");
    assert!(!staff_names.contains(&"Sam".to_string()), "{staff_names:?}");
    let not_found = |result: Result<(), Error>| matches!(result, Err(Error::NotFound(_)));
    assert!(not_found(
        staff::get(s, &north, sam.id.clone()).await.map(drop)
    ));
    let north_keys = api_keys::list(s, &north).await.unwrap();
    let south_keys = api_keys::list(s, &south).await.unwrap();
    assert_eq!((north_keys.len(), south_keys.len()), (1, 1));
    assert_eq!(
        api_keys::get(s, &north, north_keys[0].id.clone())
            .await
            .unwrap()
            .id,
        north_keys[0].id
    );
    assert!(not_found(
        api_keys::get(s, &north, south_keys[0].id.clone())
            .await
            .map(drop)
    ));
    let log = audit::page(s, &north, 1).await.unwrap();
    assert!(!log.entries.is_empty());
    assert!(
        log.entries.iter().all(|e| !e.subject.contains("Sam")),
        "only Northside's log"
    );
});
