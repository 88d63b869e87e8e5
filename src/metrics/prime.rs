//! Every metric family in the first scrape: the closed label sets at zero.

use super::labels::{
    method_label, ChannelLabels, ClassLabels, DeliveryLabels, JobLabels, OutcomeLabels,
    RequestLabels, RouteLabels,
};
use super::{channel_name, InvitationOutcome, Job, Metrics, PlannedRows};
use crate::domain::{Channel, DeliveryKind, DeliveryStatus};

impl Metrics {
    /// Every series of a closed label set at zero, so each family is in the first
    /// scrape (a family without a series is not written at all, and an alert or a
    /// dashboard cannot tell "none yet" from "not exported").
    pub(super) fn prime(&self) {
        let finals = DeliveryStatus::ALL.iter().filter(|s| {
            !matches!(
                s,
                DeliveryStatus::Pending | DeliveryStatus::Sending | DeliveryStatus::Retry
            )
        });
        for kind in DeliveryKind::all() {
            for channel in Channel::ALL {
                for status in finals.clone() {
                    let _ = self.deliveries.get_or_create(&DeliveryLabels {
                        kind: kind.as_str(),
                        channel: channel_name(*channel),
                        status: status.as_str(),
                    });
                }
            }
        }
        for channel in Channel::ALL {
            let labels = ChannelLabels {
                channel: channel_name(*channel),
            };
            let _ = self.retries.get_or_create(&labels);
            let _ = self.send_seconds.get_or_create(&labels);
        }
        for class in ["2xx", "4xx", "5xx", "other", "none"] {
            let _ = self.push_responses.get_or_create(&ClassLabels { class });
        }
        for job in [Job::Plan, Job::Dispatch] {
            let labels = JobLabels { job: job.as_str() };
            let _ = self.tick_seconds.get_or_create(&labels);
            let _ = self.tick_rows.get_or_create(&labels);
        }
        self.planned(PlannedRows::default());
        for outcome in [
            InvitationOutcome::Issued,
            InvitationOutcome::Accepted,
            InvitationOutcome::Invalid,
            InvitationOutcome::AlreadyAccepted,
            InvitationOutcome::Expired,
            InvitationOutcome::RateLimited,
        ] {
            let _ = self.invitations.get_or_create(&OutcomeLabels {
                outcome: outcome.as_str(),
            });
        }
    }

    /// The HTTP families at zero for each declared API route (`method`, template), as
    /// answered successfully: present from the first scrape, before any request.
    pub fn prime_routes<'a>(&self, routes: impl IntoIterator<Item = (&'a str, String)>) {
        for (method, route) in routes {
            let method = method_label(method);
            let _ = self.http_seconds.get_or_create(&RouteLabels {
                method,
                route: route.clone(),
            });
            let _ = self.http_requests.get_or_create(&RequestLabels {
                method,
                route,
                status: "2xx",
            });
        }
    }
}
