//! "What should my scalp look like, and what may I do?": a client's days, for the
//! client and for their clinic.

use chrono::{DateTime, Days, NaiveDate, Utc};

use super::client_auth::{day_bundle_of_token, Authenticated};
use super::clients::load_for_clinic;
use super::{validate, ClientBundle, ClientRecord, ClinicRef, Error, Services};
use crate::domain::timeline::DayView;

/// Longest range `/timeline` answers in one call.
pub const MAX_TIMELINE_DAYS: i64 = 400;

/// Which day: today in the client's zone, or a given local date ("YYYY-MM-DD").
pub enum Which {
    Today,
    Date(String),
}

/// Whose days: the signed-in client, or a client of the clinic.
pub enum Whose {
    Me(Box<Authenticated>),
    OfClinic(ClinicRef, String),
}

async fn bundle(s: &Services, whose: Whose) -> Result<ClientBundle, Error> {
    s.read(move |conn| match whose {
        Whose::Me(client) => Ok(ClientBundle::load(conn, client.into_row())?),
        Whose::OfClinic(clinic, id) => load_for_clinic(conn, &clinic.id, &id),
    })
    .await
}

impl Which {
    /// The given date, checked; None for today, which needs the client's zone.
    fn given(&self) -> Result<Option<NaiveDate>, Error> {
        match self {
            Which::Today => Ok(None),
            Which::Date(value) => Ok(Some(validate::date("date", value)?)),
        }
    }
}

/// The day `which` names in the bundle's client's zone.
fn day_of(s: &Services, bundle: &ClientBundle, date: Option<NaiveDate>) -> Result<DayView, Error> {
    let date = date.unwrap_or_else(|| bundle.today(s.now()));
    Ok(bundle.day(date)?)
}

pub async fn day(s: &Services, whose: Whose, which: Which) -> Result<DayView, Error> {
    let date = which.given()?;
    let bundle = bundle(s, whose).await?;
    day_of(s, &bundle, date)
}

/// [`day`] for the client of an access token, authenticated in the same database call
/// as the read: `GET /v1/me/today` is what every client's phone asks, and a second hop
/// to the blocking pool was a tenth of its cost. None for an unknown or altered token
/// (checked before the date, so a caller without a valid token learns nothing more).
pub async fn my_day(s: &Services, token: String, which: Which) -> Result<Option<DayView>, Error> {
    let found = s
        .read(move |conn| day_bundle_of_token(conn, &token))
        .await?;
    let Some(bundle) = found else {
        return Ok(None);
    };
    let date = which.given()?.unwrap_or_else(|| bundle.today(s.now()));
    Ok(Some(bundle.day(date)?))
}

/// A range of days.
#[derive(Debug)]
pub struct Timeline {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: Vec<DayView>,
}

/// The days from `from` to `to`. By default from the day before the first session
/// (or today) to 35 days after the last session (or today), capped at the longest
/// range answered.
pub async fn timeline(
    s: &Services,
    whose: Whose,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<Timeline, Error> {
    let from = from.map(|v| validate::date("from", v)).transpose()?;
    let to = to.map(|v| validate::date("to", v)).transpose()?;
    let bundle = bundle(s, whose).await?;
    range_of(&bundle, from, to, s.now())
}

/// [`timeline`] of a client already read (the console's client page).
pub fn timeline_of(
    record: &ClientRecord,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<Timeline, Error> {
    range_of(record.bundle(), from, to, now)
}

fn range_of(
    bundle: &ClientBundle,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<Timeline, Error> {
    let today = bundle.today(now);
    let first = bundle.sessions.first().map_or(today, |s| s.date);
    let last = bundle.sessions.last().map_or(today, |s| s.date);
    let from = from.unwrap_or_else(|| first.pred_opt().unwrap_or(first));
    let longest = Days::new((MAX_TIMELINE_DAYS - 1) as u64);
    let to = to.unwrap_or_else(|| (last + Days::new(35)).max(from).min(from + longest));
    if to < from {
        return Err(Error::invalid(
            "to",
            format!("{to} is before from ({from})"),
        ));
    }
    if (to - from).num_days() >= MAX_TIMELINE_DAYS {
        return Err(Error::invalid(
            "to",
            format!("a timeline covers at most {MAX_TIMELINE_DAYS} days"),
        ));
    }
    Ok(Timeline {
        from,
        to,
        days: bundle.range(from, to)?,
    })
}
