//! Each client's stored standing (what the console's list filters and Today's groups
//! read) agrees with the domain timeline's day view, for every client, after each kind
//! of change: onboarding, a session added, edited or deleted, the protocol edited, and
//! days passing; on both backends.

use chrono::{Days, Duration, NaiveDate};
use diesel::prelude::*;
use smp_aftercare::clock::Clock;
use smp_aftercare::db::bundle::ClientBundle;
use smp_aftercare::db::schema::clients;
use smp_aftercare::domain::protocol::{ProtocolOverrides, WindowSpec};
use smp_aftercare::service::clients::{self as client_service, NewClientInput, Onboarded};
use smp_aftercare::service::protocol_edit;
use smp_aftercare::service::sessions::{self, NewSessionInput, SessionChange};
use smp_aftercare::service::ClinicRef;

use crate::console_services::clinic;
use crate::db_test;
use crate::helpers::TestApp;

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

async fn onboard(app: &TestApp, clinic: &ClinicRef, name: &str, zone: &str, sessions: &[&str]) -> String {
    let input = NewClientInput {
        email: format!("{}@example.net", name.to_lowercase().replace(' ', ".")),
        name: name.to_string(),
        timezone: Some(zone.to_string()),
        locale: None,
        planned_sessions: Some(3),
        sessions: sessions.iter().map(|s| date(s)).collect(),
        unreadable: Vec::new(),
    };
    match client_service::onboard(&app.services, clinic, input, None, |_| Ok(String::new()))
        .await
        .unwrap()
    {
        Onboarded::Created { id, .. } => id,
        Onboarded::Replayed(_) => unreachable!("no idempotency key"),
    }
}

/// The client's sessions' ids, by date.
fn session_ids(app: &TestApp, client_id: &str) -> Vec<String> {
    let mut conn = app.pool.get().unwrap();
    let client = smp_aftercare::db::clients::find(&mut conn, client_id)
        .unwrap()
        .unwrap();
    let bundle = ClientBundle::load(&mut conn, client).unwrap();
    bundle.sessions.into_iter().map(|s| s.id).collect()
}

type Stored = (String, String, String, bool, bool, Option<String>);

/// Every client's stored standing against their day view today (the timeline itself,
/// not `domain::standing`), and how many clients were compared.
fn assert_agrees(app: &TestApp, when: &str) -> usize {
    let mut conn = app.pool.get().unwrap();
    let stored: Vec<Stored> = clients::table
        .select((
            clients::id,
            clients::name,
            clients::stage,
            clients::in_series,
            clients::final_session,
            clients::booking,
        ))
        .load(&mut conn)
        .unwrap();
    for (id, name, stage, in_series, is_final, booking) in &stored {
        let client = smp_aftercare::db::clients::find(&mut conn, id).unwrap().unwrap();
        let bundle = ClientBundle::load(&mut conn, client).unwrap();
        let today = bundle.today(app.clock.now());
        let view = bundle.day(today).unwrap();
        let at = format!("{when}, {name} on {today}");
        assert_eq!(stage, view.stage.as_str(), "stage: {at}");
        let between = view.session_number.is_some() && !view.is_final_session;
        assert_eq!(*in_series, between, "in a series: {at}");
        assert_eq!(*is_final, view.is_final_session, "final: {at}");
        let needs_booking = view
            .next_session_window
            .filter(|_| view.next_session_on.is_none());
        let expected = needs_booking.map(|w| {
            if w.overdue {
                "overdue"
            } else if w.from <= today + Days::new(6) {
                "soon"
            } else {
                "later"
            }
        });
        assert_eq!(booking.as_deref(), expected, "booking: {at}");
    }
    stored.len()
}

db_test!(
    the_stored_standing_follows_the_timeline_through_every_change,
    |app| {
        // Today is 2026-03-02, 07:00 UTC (already 20:00 in Auckland).
        let s = &app.services;
        let north = clinic(&app, "Northside");
        onboard(&app, &north, "Ann None", "Europe/London", &[]).await;
        let bo = onboard(&app, &north, "Bo Series", "Europe/London", &["2026-02-20"]).await;
        let cy = onboard(&app, &north, "Cy Overdue", "Europe/London", &["2026-02-01"]).await;
        let di = onboard(
            &app,
            &north,
            "Di Final",
            "America/New_York",
            &["2026-01-01", "2026-01-20", "2026-02-10"],
        )
        .await;
        let ed = onboard(&app, &north, "Ed Booked", "Europe/London", &["2026-03-05"]).await;
        onboard(&app, &north, "Fa Auckland", "Pacific/Auckland", &["2026-02-24"]).await;
        assert_eq!(assert_agrees(&app, "onboarded"), 6);

        let add = |id: &str, on: &str| {
            let input = NewSessionInput {
                date: date(on),
                number: None,
                is_final: None,
                notes: None,
            };
            sessions::add(s, &north, id.to_string(), input)
        };
        let (booked, _) = add(&bo, "2026-03-04").await.unwrap();
        add(&cy, "2026-03-02").await.unwrap();
        assert_agrees(&app, "sessions added");

        let ed_session = session_ids(&app, &ed).remove(0);
        let earlier = SessionChange {
            date: Some(date("2026-02-26")),
            ..SessionChange::default()
        };
        sessions::edit(s, &north, ed.clone(), ed_session, earlier)
            .await
            .unwrap();
        assert_agrees(&app, "a session edited");

        sessions::delete(s, &north, bo.clone(), booked).await.unwrap();
        let last_of_di = session_ids(&app, &di).remove(2);
        sessions::delete(s, &north, di.clone(), last_of_di).await.unwrap();
        assert_agrees(&app, "sessions deleted");

        // A later window: who is due soon, overdue or later changes for the clinic;
        // the planning tick renews every client of it.
        let overrides = ProtocolOverrides {
            next_session_window: Some(WindowSpec {
                from: Some(20),
                to: Some(40),
            }),
            ..ProtocolOverrides::default()
        };
        protocol_edit::save(s, &north, overrides).await.unwrap();
        app.engine().plan(app.clock.now()).await.unwrap();
        assert_agrees(&app, "protocol edited");

        // Day after day (the stage, the window opening and closing), each planning tick
        // renews what went stale at the clients' local midnights.
        for day in 1..=45 {
            app.clock.advance(Duration::days(1));
            app.engine().plan(app.clock.now()).await.unwrap();
            assert_agrees(&app, &format!("{day} days on"));
        }
    }
);
