//! Stable identifiers shared by the API, the protocol file and the database.
//!
//! These strings are a public contract (domain.md, "Names the API and the protocol file
//! use"): clients and clinics store them, so a variant may be added but never renamed.
//! Each enum serializes as its snake_case id, and `as_str`/`FromStr` use the same id.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An identifier that is not one of the known ids of its kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} \"{value}\"; expected one of: {}", expected.join(", "))]
pub struct UnknownId {
    /// What was being parsed: "stage", "rule", "reminder kind", ...
    pub kind: &'static str,
    pub value: String,
    pub expected: &'static [&'static str],
}

/// Declares an enum whose variants map one-to-one onto stable snake_case ids.
macro_rules! stable_id {
    (
        $(#[$meta:meta])*
        $name:ident, $what:literal {
            $($(#[$vmeta:meta])* $variant:ident => $id:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Every id, in declaration order.
            pub const IDS: &'static [&'static str] = &[$($id),+];

            /// The stable snake_case id.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $id),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownId;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($id => Ok($name::$variant),)+
                    _ => Err(UnknownId {
                        kind: $what,
                        value: s.to_string(),
                        expected: Self::IDS,
                    }),
                }
            }
        }
    };
}

stable_id! {
    /// Healing stage of the scalp on a date. The order is the order a session goes
    /// through, so within one session the stage never decreases.
    Stage, "stage" {
        /// Before the first session.
        PreTreatment => "pre_treatment",
        SessionDay => "session_day",
        Fresh => "fresh",
        Settling => "settling",
        /// Day 7 until the next session (non-final sessions).
        Settled => "settled",
        /// Days 7-29 after the final session.
        Healing => "healing",
        /// Day 30 on after the final session.
        Healed => "healed",
    }
}

stable_id! {
    /// An aftercare rule a client follows on a day.
    RuleId, "rule" {
        NoWashing => "no_washing",
        NoHeavySweating => "no_heavy_sweating",
        NoSwimming => "no_swimming",
        GentleWashingOk => "gentle_washing_ok",
        AvoidSun => "avoid_sun",
        DailySpf => "daily_spf",
        NoPoolsSaunasHeavyExercise => "no_pools_saunas_heavy_exercise",
    }
}

impl RuleId {
    /// Whether the rule is kept by not doing something ("do not wash", "avoid the
    /// sun"); the others say what to do. The day view carries it, so no face keeps a
    /// list of its own.
    pub fn is_avoidance(self) -> bool {
        matches!(
            self,
            RuleId::NoWashing
                | RuleId::NoHeavySweating
                | RuleId::NoSwimming
                | RuleId::AvoidSun
                | RuleId::NoPoolsSaunasHeavyExercise
        )
    }
}

stable_id! {
    /// What a reminder is about: the daily aftercare message, one milestone, or the
    /// correction of a message a same-day change contradicted. Every kind except
    /// `DailyAftercare` and `PlanChanged` is also a milestone of the timeline.
    ReminderKind, "reminder kind" {
        DailyAftercare => "daily_aftercare",
        GentleWashingAllowed => "gentle_washing_allowed",
        SunAvoidanceOver => "sun_avoidance_over",
        NextSessionWindowOpen => "next_session_window_open",
        NextSessionOverdue => "next_session_overdue",
        HealingComplete => "healing_complete",
        TouchUpDue => "touch_up_due",
        /// Sent when a same-day change by the clinic contradicts the morning's message.
        PlanChanged => "plan_changed",
    }
}

/// What a delivery row carries: one of the client's reminders, or their invitation
/// email (which goes through the same outbox: retries, history, the status the clinic
/// sees, but no reminder: the planner neither counts nor cancels it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryKind {
    Reminder(ReminderKind),
    Invitation,
}

impl DeliveryKind {
    pub const INVITATION_ID: &'static str = "invitation";

    /// The stored id: the reminder kind's, or `invitation`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryKind::Reminder(kind) => kind.as_str(),
            DeliveryKind::Invitation => DeliveryKind::INVITATION_ID,
        }
    }

    /// Every kind, reminders first.
    pub fn all() -> impl Iterator<Item = DeliveryKind> {
        ReminderKind::ALL
            .iter()
            .map(|k| DeliveryKind::Reminder(*k))
            .chain([DeliveryKind::Invitation])
    }
}

impl fmt::Display for DeliveryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DeliveryKind {
    type Err = UnknownId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == DeliveryKind::INVITATION_ID {
            return Ok(DeliveryKind::Invitation);
        }
        s.parse()
            .map(DeliveryKind::Reminder)
            .map_err(|e: UnknownId| UnknownId {
                kind: "delivery kind",
                ..e
            })
    }
}

impl From<ReminderKind> for DeliveryKind {
    fn from(kind: ReminderKind) -> DeliveryKind {
        DeliveryKind::Reminder(kind)
    }
}

stable_id! {
    /// How a reminder reaches the client.
    Channel, "channel" {
        Push => "push",
        Email => "email",
    }
}

stable_id! {
    /// How often the client wants to be reminded of daily SPF (see `reminders`).
    SpfFrequency, "SPF frequency" {
        Daily => "daily",
        Weekly => "weekly",
        Off => "off",
    }
}

impl Default for SpfFrequency {
    /// domain.md: daily SPF continues until the client turns it down.
    fn default() -> Self {
        SpfFrequency::Daily
    }
}

stable_id! {
    /// Which sessions a stage or rule of the protocol applies after.
    Scope, "scope" {
        /// After every session, the final one included.
        EverySession => "every_session",
        /// After every session except the final one.
        NonFinalSession => "non_final_session",
        /// Only after the final session.
        FinalSession => "final_session",
    }
}

impl Scope {
    /// Does an entry with this scope apply after a session that is (or is not) final?
    pub fn applies(self, is_final_session: bool) -> bool {
        match self {
            Scope::EverySession => true,
            Scope::NonFinalSession => !is_final_session,
            Scope::FinalSession => is_final_session,
        }
    }
}

stable_id! {
    /// Where a delivery (one message on one channel to one target) stands.
    /// `pending` -> `sending` (claimed under a lease) -> `sent` | `retry` | `failed` |
    /// `dead`; `pending`/`retry` -> `expired` once its local day is over, or `cancelled`
    /// when a re-plan no longer wants it.
    DeliveryStatus, "delivery status" {
        Pending => "pending",
        Sending => "sending",
        Sent => "sent",
        Retry => "retry",
        Failed => "failed",
        Dead => "dead",
        Expired => "expired",
        Cancelled => "cancelled",
    }
}

impl DeliveryStatus {
    /// Not yet handed to a sender: a re-plan may still rewrite or cancel it.
    pub const UNSENT: [DeliveryStatus; 2] = [DeliveryStatus::Pending, DeliveryStatus::Retry];
    /// Not settled yet: unsent, or claimed by a sender right now.
    pub const UNSETTLED: [DeliveryStatus; 3] = [
        DeliveryStatus::Pending,
        DeliveryStatus::Retry,
        DeliveryStatus::Sending,
    ];

    /// Did not reach the client and will not on its own (failed, dead, expired unsent),
    /// or is being retried after an error.
    pub const FAILING: [DeliveryStatus; 4] = [
        DeliveryStatus::Failed,
        DeliveryStatus::Dead,
        DeliveryStatus::Expired,
        DeliveryStatus::Retry,
    ];

    /// One of [`DeliveryStatus::UNSENT`].
    pub fn is_unsent(self) -> bool {
        DeliveryStatus::UNSENT.contains(&self)
    }
}

stable_id! {
    /// Where a client's invitation stands, as the clinic sees it.
    InvitationStatus, "invitation status" {
        /// Issued; the email is queued (or being retried).
        Pending => "pending",
        Sent => "sent",
        /// The email could not be delivered; the clinic can fix the address and resend.
        Failed => "failed",
        Accepted => "accepted",
    }
}

stable_id! {
    /// What a clinic's staff member may do in the console.
    StaffRole, "staff role" {
        /// Everything staff can, plus staff accounts, API keys, settings and the audit log.
        Owner => "owner",
        /// Clients, sessions and the protocol.
        Staff => "staff",
    }
}

stable_id! {
    /// Something a client may report in a check-in. The order is the order the app
    /// lists them in: the common signs of healing first, the urgent ones last.
    Symptom, "symptom" {
        Redness => "redness",
        Tenderness => "tenderness",
        Swelling => "swelling",
        Itching => "itching",
        /// Flaking or a light crust.
        Flaking => "flaking",
        /// Bumps or a rash: possibly a reaction to the pigment.
        BumpsOrRash => "bumps_or_rash",
        /// Dots spreading or blurring into each other.
        PigmentSpreading => "pigment_spreading",
        /// Redness that spreads, or feels hot to the touch.
        RednessSpreadingOrHot => "redness_spreading_or_hot",
        /// Yellow or green discharge.
        Discharge => "discharge",
        FeverOrUnwell => "fever_or_unwell",
    }
}

stable_id! {
    /// How a reported symptom is judged on its day after the session. Ordered by
    /// concern, so the worst of several symptoms is their maximum.
    CheckInLevel, "check-in level" {
        /// Normal healing: the client reads the reassurance.
        Expected => "expected",
        /// Worth a look: the client reads advice and the clinic sees it.
        Watch => "watch",
        /// Contact the clinic today; the text says when to seek medical care.
        Urgent => "urgent",
    }
}

stable_id! {
    /// Why the protocol asks the client for a photo of the scalp on a day.
    PhotoRequestKind, "photo request" {
        /// A day of every non-final session (7): the practitioner plans the next one.
        PlanNextSession => "plan_next_session",
        /// A day after the final session (30): the healed result.
        HealedResult => "healed_result",
        /// Every so many months after the final session: the fade record that times
        /// the touch-up.
        FadeRecord => "fade_record",
    }
}

#[cfg(test)]
mod tests {
    use super::RuleId;

    #[test]
    fn washing_gently_and_spf_are_the_rules_to_do() {
        let dos: Vec<&str> = RuleId::ALL
            .iter()
            .filter(|id| !id.is_avoidance())
            .map(|id| id.as_str())
            .collect();
        assert_eq!(dos, ["gentle_washing_ok", "daily_spf"]);
    }
}
