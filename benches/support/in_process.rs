//! The parts of one response timed in process, on one thread, with no HTTP: the
//! database read (the services' own read, as the handler runs it), building the view, and its
//! JSON. What wrk measures on top of these is HTTP, the hand-offs between threads and
//! the contention of two workers, so their sum is the floor a response cannot go below
//! with these statements and views, and the budget a goal leaves can be set against it.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;
use smp_aftercare::bench::{day_bundle_of_token, read_page, ClientView};
use smp_aftercare::db::DbPool;

/// Mean microseconds of each part of one response.
pub struct Parts {
    pub read_us: f64,
    pub build_us: f64,
    pub json_us: f64,
    pub bytes: usize,
}

impl Parts {
    pub fn total_us(&self) -> f64 {
        self.read_us + self.build_us + self.json_us
    }
}

/// Each part runs on its own for about this long (after one untimed run).
const PART: Duration = Duration::from_millis(700);

/// Mean microseconds of `work` over as many runs as fit in [`PART`].
fn mean_us<T>(mut work: impl FnMut() -> T) -> f64 {
    std::hint::black_box(work());
    let (start, mut runs) = (Instant::now(), 0u32);
    while start.elapsed() < PART {
        std::hint::black_box(work());
        runs += 1;
    }
    start.elapsed().as_secs_f64() * 1e6 / f64::from(runs)
}

/// `GET /v1/me/today`: the client of `token` with their sessions and clinic's
/// protocol version in one statement and the token's check, the day, its JSON.
pub fn today(pool: &DbPool, token: &str, now: DateTime<Utc>) -> Parts {
    let mut conn = pool.get().expect("a connection");
    let read = || {
        day_bundle_of_token(&mut conn, token)
            .expect("read")
            .expect("the token's client")
    };
    time_parts(read, |bundle| {
        bundle.day(bundle.today(now)).expect("the day")
    })
}

/// `GET /v1/clients?limit=50`: the first page of the clinic's clients and their
/// sessions in one snapshot, the clinic's views, their JSON (without the key check).
pub fn list(pool: &DbPool, clinic_id: &str) -> Parts {
    let mut conn = pool.get().expect("a connection");
    let read = || read_page(&mut conn, clinic_id, None, 50).expect("read the page");
    time_parts(read, |page| {
        page.items
            .iter()
            .map(ClientView::for_clinic)
            .collect::<Vec<_>>()
    })
}

/// Times `read`, then `build` on what it read, then the JSON of what that built.
fn time_parts<R, V: Serialize>(mut read: impl FnMut() -> R, build: impl Fn(&R) -> V) -> Parts {
    let read_us = mean_us(&mut read);
    let read = read();
    let build_us = mean_us(|| build(&read));
    let view = build(&read);
    let json_us = mean_us(|| serde_json::to_vec(&view).expect("JSON"));
    Parts {
        read_us,
        build_us,
        json_us,
        bytes: serde_json::to_vec(&view).expect("JSON").len(),
    }
}
