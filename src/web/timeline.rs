//! The timeline as a picture: one SVG for the client app and the clinic console, drawn
//! on the server from the same `DayView`s the API returns. Stages are coloured bands
//! (colours come from the stylesheet, by stage id, so dark mode and contrast are CSS's
//! business), sessions are numbered pins, milestones are diamonds above the band, and
//! today is a dashed line. Every mark has a `<title>`; the whole has a `<title>` and a
//! `<desc>` for screen readers. Pages show the same facts as a list beside it.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::i18n;
use crate::domain::timeline::DayView;

/// Width of one day, in SVG units (the picture scrolls sideways when wider than the page).
const DAY: i64 = 10;
const HEIGHT: i64 = 104;
const BAND_TOP: i64 = 30;
const BAND_HEIGHT: i64 = 34;

#[derive(Debug, Serialize)]
struct Band {
    x: i64,
    width: i64,
    stage: &'static str,
    title: String,
    /// The stage title when it fits inside the band.
    label: Option<String>,
    label_x: i64,
}

#[derive(Debug, Serialize)]
struct Pin {
    x: i64,
    label: String,
    title: String,
}

#[derive(Debug, Serialize)]
struct Tick {
    x: i64,
    label: String,
}

#[derive(Debug, Serialize)]
struct Picture {
    id: String,
    width: i64,
    height: i64,
    band_top: i64,
    band_height: i64,
    band_bottom: i64,
    title: String,
    desc: String,
    bands: Vec<Band>,
    sessions: Vec<Pin>,
    milestones: Vec<Pin>,
    ticks: Vec<Tick>,
    today: Option<Pin>,
}

/// "3 Mar".
pub fn short_date(locale: &str, date: NaiveDate) -> String {
    let month = i18n::text(locale, &format!("months_short.{}", date.month0()));
    format!("{} {month}", date.day())
}

/// The SVG of `days` (consecutive dates, as the timeline answers them). `id` makes the
/// element ids unique on a page that shows several.
pub fn svg(days: &[DayView], today: Option<NaiveDate>, locale: &str, id: &str) -> String {
    let picture = picture(days, today, locale, id);
    super::pages::render("timeline.svg.j2", &picture).unwrap_or_else(|e| {
        tracing::error!(error = %e, "the timeline picture failed to render");
        String::new()
    })
}

fn picture(days: &[DayView], today: Option<NaiveDate>, locale: &str, id: &str) -> Picture {
    let first = days.first().map(|d| d.date);
    let x_of = |date: NaiveDate| first.map_or(0, |f| (date - f).num_days() * DAY);
    let label_fits = |label: &str, width: i64| (label.chars().count() as i64) * 7 + 12 <= width;

    let mut bands: Vec<Band> = Vec::new();
    for (start, run) in runs(days) {
        let (from, to) = (run[0].date, run[run.len() - 1].date);
        let width = run.len() as i64 * DAY;
        let name = start.stage_title.clone();
        let span = if from == to {
            short_date(locale, from)
        } else {
            format!("{} – {}", short_date(locale, from), short_date(locale, to))
        };
        bands.push(Band {
            x: x_of(from),
            width,
            stage: start.stage.as_str(),
            title: format!("{name}: {span}"),
            label: label_fits(&name, width).then(|| name.clone()),
            label_x: x_of(from) + width / 2,
        });
    }

    let sessions = days
        .iter()
        .filter(|d| d.day == Some(0))
        .map(|d| {
            let number = d.session_number.unwrap_or_default().to_string();
            Pin {
                x: x_of(d.date) + DAY / 2,
                title: format!(
                    "{}: {}",
                    i18n::text_with(locale, "timeline.session", &[("n", &number)]),
                    short_date(locale, d.date)
                ),
                label: number,
            }
        })
        .collect();

    let milestones = days
        .iter()
        .flat_map(|d| d.milestones.iter().map(move |m| (d.date, m)))
        .map(|(date, m)| Pin {
            x: x_of(date) + DAY / 2,
            label: m.title.clone(),
            title: format!("{}: {}", m.title, short_date(locale, date)),
        })
        .collect();

    let ticks = days
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 7 == 0)
        .map(|(_, d)| Tick {
            x: x_of(d.date),
            label: short_date(locale, d.date),
        })
        .collect();

    let today = today
        .filter(|t| days.iter().any(|d| d.date == *t))
        .map(|t| Pin {
            x: x_of(t) + DAY / 2,
            label: i18n::text(locale, "timeline.today"),
            title: format!(
                "{}: {}",
                i18n::text(locale, "timeline.today"),
                short_date(locale, t)
            ),
        });

    let (title, desc) = match (days.first(), days.last()) {
        (Some(a), Some(b)) => (
            i18n::text(locale, "timeline.picture_title"),
            i18n::text_with(
                locale,
                "timeline.picture_desc",
                &[
                    ("from", &short_date(locale, a.date)),
                    ("to", &short_date(locale, b.date)),
                    (
                        "stages",
                        &bands
                            .iter()
                            .map(|b| b.title.as_str())
                            .collect::<Vec<_>>()
                            .join("; "),
                    ),
                ],
            ),
        ),
        _ => (i18n::text(locale, "timeline.picture_title"), String::new()),
    };

    Picture {
        id: id.to_string(),
        width: (days.len().max(1) as i64) * DAY,
        height: HEIGHT,
        band_top: BAND_TOP,
        band_height: BAND_HEIGHT,
        band_bottom: BAND_TOP + BAND_HEIGHT,
        title,
        desc,
        bands,
        sessions,
        milestones,
        ticks,
        today,
    }
}

/// Consecutive days of one stage of one session (a new session restarts a band).
fn runs(days: &[DayView]) -> Vec<(&DayView, &[DayView])> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=days.len() {
        let boundary = i == days.len()
            || days[i].stage != days[start].stage
            || days[i].session_number != days[start].session_number;
        if boundary {
            out.push((&days[start], &days[start..i]));
            start = i;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::protocol::Protocol;
    use crate::domain::timeline::{self, Plan, Session};

    fn days() -> Vec<DayView> {
        let date = |d: &str| d.parse::<NaiveDate>().unwrap();
        let plan = Plan::new(
            3,
            vec![
                Session {
                    date: date("2026-03-02"),
                    final_marked: false,
                },
                Session {
                    date: date("2026-03-12"),
                    final_marked: false,
                },
            ],
        )
        .unwrap();
        timeline::range(
            &plan,
            &Protocol::default_protocol(),
            date("2026-03-01"),
            date("2026-03-31"),
            "en",
        )
    }

    #[test]
    fn stages_become_bands_and_sessions_pins() {
        let days = days();
        let p = picture(&days, Some("2026-03-15".parse().unwrap()), "en", "t");
        let stages: Vec<&str> = p.bands.iter().map(|b| b.stage).collect();
        assert_eq!(
            stages,
            [
                "pre_treatment",
                "session_day",
                "fresh",
                "settling",
                "settled",
                "session_day",
                "fresh",
                "settling",
                "settled"
            ]
        );
        assert_eq!(p.bands[2].title, "Fresh: 3 Mar – 5 Mar");
        assert_eq!(p.sessions.len(), 2);
        assert_eq!(p.sessions[1].title, "Session 2: 12 Mar");
        assert_eq!(p.sessions[1].x, 11 * DAY + DAY / 2);
        let milestones: Vec<&str> = p.milestones.iter().map(|m| m.title.as_str()).collect();
        assert!(
            milestones.contains(&"Sun avoidance is over: 23 Mar"),
            "{milestones:?}"
        );
        assert_eq!(p.today.as_ref().unwrap().x, 14 * DAY + DAY / 2);
        assert_eq!(p.width, 31 * DAY);
    }

    #[test]
    fn the_svg_escapes_clinic_texts_and_names_itself() {
        let mut days = days();
        days[2].stage_title = "<script>alert(1)</script>".into();
        let svg = svg(&days, None, "en", "x");
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("aria-labelledby=\"x-title x-desc\""), "{svg}");
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;"), "{svg}");
    }
}
