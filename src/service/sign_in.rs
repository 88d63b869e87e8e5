//! Console sign-in by emailed one-time link. Asking for a link never says whether the
//! address has an account (every request gets the same answer, and the email goes out
//! in the background, so not even the timing tells). A link (`smpl_{id}_{secret}`,
//! only its SHA-256 stored) works once, within `console.sign_in_link_minutes`; opening
//! it shows a button, and only the button's POST spends it, because mail scanners
//! open links. Spending it starts a new session and ends the one the browser had.

use chrono::{DateTime, Duration, Utc};

use super::audit::{self, Action, Subject};
use super::authz;
use super::staff::{self, Member, NewSession};
use super::{validate, ClinicRef, Error, Services};
use crate::db::staff::{self as repo, SignInLink};
use crate::db::{self, DbConnection};
use crate::notify::email::Recipient;
use crate::notify::templates::{self, StaffInvitation, StaffSignInEmail};
use crate::tokens::{self, TokenKind};

/// Prefix of sign-in link tokens.
pub const SIGN_IN_TOKEN_KIND: TokenKind = TokenKind::SignIn;

/// Stores a new link for the account, in the caller's transaction; returns its token.
pub fn issue_link(
    conn: &mut DbConnection,
    staff_id: &str,
    lifetime: Duration,
    now: DateTime<Utc>,
) -> Result<String, Error> {
    let token = tokens::issue(SIGN_IN_TOKEN_KIND);
    let at = now.naive_utc();
    repo::insert_link(
        conn,
        &SignInLink {
            id: token.id.clone(),
            staff_id: staff_id.to_string(),
            token_hash: token.hash.clone(),
            created_at: at,
            expires_at: at + lifetime,
            used_at: None,
        },
    )?;
    Ok(token.token)
}

/// "15 minutes", "1 hour", "3 days".
pub fn spoken(lifetime: Duration) -> String {
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    let minutes = lifetime.num_minutes();
    if minutes % (24 * 60) == 0 {
        plural(minutes / (24 * 60), "day")
    } else if minutes % 60 == 0 {
        plural(minutes / 60, "hour")
    } else {
        plural(minutes, "minute")
    }
}

/// Sends a link email in the background: the request that asked for it answers at
/// once, whether or not the address has an account. A failed send is logged; the
/// person asks again (a sign-in link is worth nothing minutes later, so it is not
/// retried like a client's reminder).
fn send_in_background(s: &Services, to: Recipient, email: StaffSignInEmail) {
    let mailer = s.mailer.clone();
    let clinic_name = email.clinic_name.clone();
    tokio::spawn(async move {
        let rendered = match templates::render_staff_sign_in(&email) {
            Ok(rendered) => rendered,
            Err(e) => {
                tracing::error!(error = %e, "sign-in email failed to render");
                return;
            }
        };
        let mut message = rendered.into_email(to);
        message.sender_name = Some(clinic_name);
        match mailer.send(&message).await {
            // With the file transport nobody receives it: say where it is.
            Ok(sent) => {
                if let Some(file) = sent.file {
                    let (to, file) = (&message.to.address, file.display());
                    tracing::info!(path = %file, "sign-in link for {to} written to {file}");
                }
            }
            Err(e) => tracing::warn!(error = %e, "console sign-in email not sent"),
        }
    });
}

/// Emails a new account its first sign-in link.
pub fn send_invitation(
    s: &Services,
    clinic: &ClinicRef,
    member: &Member,
    token: &str,
    lifetime: Duration,
) {
    let email = StaffSignInEmail {
        staff_name: member.name.clone(),
        staff_email: member.email.clone(),
        clinic_name: clinic.name.clone(),
        sign_in_link: s.links.console_sign_in(token, None),
        sign_in_page: s.links.console_sign_in_page(),
        valid_for: spoken(lifetime),
        invitation: Some(StaffInvitation {
            inviter_name: clinic.actor.display_name(),
            role: member.role.as_str().to_string(),
        }),
    };
    send_in_background(s, Recipient::new(&member.name, &member.email), email);
}

/// Emails a sign-in link to every account with this address (one per clinic), each
/// leading to `next` (a console path the caller checked). Answers the same whether
/// or not there is an account; only a malformed address is refused.
pub async fn request(s: &Services, email: &str, next: Option<String>) -> Result<(), Error> {
    let email = validate::email("email", email)?;
    let (lifetime, now) = (s.settings.console.link_lifetime(), s.now());
    let address = email.as_str().to_string();
    let issued = s
        .db(move |conn| {
            db::write_transaction(conn, |conn| {
                let accounts = repo::with_email(conn, &address)?;
                accounts
                    .into_iter()
                    .map(|(member, clinic)| {
                        let token = issue_link(conn, &member.id, lifetime, now)?;
                        Ok((member, clinic, token))
                    })
                    .collect::<Result<Vec<_>, Error>>()
            })
        })
        .await?;
    for (member, clinic, token) in issued {
        let message = StaffSignInEmail {
            staff_name: member.name.clone(),
            staff_email: member.email.clone(),
            clinic_name: clinic.name.clone(),
            sign_in_link: s.links.console_sign_in(&token, next.as_deref()),
            sign_in_page: s.links.console_sign_in_page(),
            valid_for: spoken(lifetime),
            invitation: None,
        };
        send_in_background(s, Recipient::new(&member.name, &member.email), message);
    }
    Ok(())
}

/// A link the operator printed at the command line (`staff sign-in-link`).
#[derive(Debug, Clone)]
pub struct OperatorLink {
    pub token: String,
    pub staff_name: String,
    pub staff_email: String,
    pub clinic_id: String,
    pub clinic_name: String,
}

/// Issues a sign-in link for the account with this address (at `clinic_id` when the
/// address has accounts at several clinics) without sending an email: the operator
/// hands it over. Single use and as short-lived as an emailed one; recorded in the
/// clinic's audit log under the command line.
pub fn issue_from_command_line(
    conn: &mut DbConnection,
    email: &str,
    clinic_id: Option<&str>,
    lifetime: Duration,
    now: DateTime<Utc>,
) -> Result<OperatorLink, Error> {
    let email = validate::email("email", email)?;
    db::write_transaction(conn, |conn| {
        let accounts: Vec<_> = repo::with_email(conn, email.as_str())?
            .into_iter()
            .filter(|(_, clinic)| clinic_id.is_none_or(|id| clinic.id == id))
            .collect();
        let (member, clinic) = match accounts.as_slice() {
            [] => {
                let at = clinic_id
                    .map(|id| format!(" at clinic {id}"))
                    .unwrap_or_default();
                return Err(Error::NotFound(format!(
                    "no console account with {}{at} (see `clinic list`)",
                    email.as_str()
                )));
            }
            [one] => one.clone(),
            several => {
                let clinics: Vec<String> = several
                    .iter()
                    .map(|(_, c)| format!("{} ({})", c.id, c.name))
                    .collect();
                return Err(Error::invalid(
                    "clinic",
                    format!(
                        "{} has an account at several clinics; choose one: {}",
                        email.as_str(),
                        clinics.join(", ")
                    ),
                ));
            }
        };
        let token = issue_link(conn, &member.id, lifetime, now)?;
        let at = ClinicRef {
            id: clinic.id.clone(),
            name: clinic.name.clone(),
            email: clinic.email.clone(),
            actor: authz::Actor::Cli,
        };
        audit::record(
            conn,
            &at,
            Action::SignInLinkIssued,
            &Subject::staff(&member.id, &member.name),
            "sign-in link issued from the command line",
            now,
        )?;
        Ok(OperatorLink {
            token,
            staff_name: member.name,
            staff_email: member.email,
            clinic_id: clinic.id,
            clinic_name: clinic.name,
        })
    })
}

/// Whom a link signs in, for the page that shows its button.
#[derive(Debug, Clone)]
pub struct LinkInfo {
    pub staff_name: String,
    pub staff_email: String,
    pub clinic_name: String,
}

fn not_valid() -> Error {
    Error::NotFound("this sign-in link is not valid; ask for a new one".into())
}

fn used() -> Error {
    Error::Gone("this sign-in link has already been used; ask for a new one".into())
}

fn expired() -> Error {
    Error::Gone("this sign-in link has expired; ask for a new one".into())
}

/// Whether a link would sign in now, and whom: read only (opening a link spends nothing).
pub async fn check(s: &Services, token: String) -> Result<LinkInfo, Error> {
    let id = tokens::parse_id(SIGN_IN_TOKEN_KIND, &token)
        .ok_or_else(not_valid)?
        .to_string();
    let now = s.now().naive_utc();
    s.db(move |conn| {
        let (link, member, clinic) = repo::find_link(conn, &id)?.ok_or_else(not_valid)?;
        if !tokens::verify(&token, &link.token_hash) {
            return Err(not_valid());
        }
        if link.used_at.is_some() {
            return Err(used());
        }
        if link.expires_at <= now {
            return Err(expired());
        }
        Ok(LinkInfo {
            staff_name: member.name,
            staff_email: member.email,
            clinic_name: clinic.name,
        })
    })
    .await
}

/// Spends the link and starts a session. `previous` is the session token the browser
/// still had, if any: that session ends, so a session id planted in a browser before
/// sign-in is worth nothing after it.
pub async fn redeem(
    s: &Services,
    token: String,
    previous: Option<String>,
) -> Result<NewSession, Error> {
    let id = tokens::parse_id(SIGN_IN_TOKEN_KIND, &token)
        .ok_or_else(not_valid)?
        .to_string();
    let now = s.now();
    s.db(move |conn| {
        db::write_transaction(conn, |conn| {
            let (link, member, clinic) = repo::find_link(conn, &id)?.ok_or_else(not_valid)?;
            if !tokens::verify(&token, &link.token_hash) {
                return Err(not_valid());
            }
            if link.used_at.is_some() {
                return Err(used());
            }
            if link.expires_at <= now.naive_utc() {
                return Err(expired());
            }
            // Guarded: of two requests racing with one link, one signs in.
            if !repo::spend_link(conn, &link.id, now.naive_utc())? {
                return Err(used());
            }
            if let Some(previous) = previous.as_deref() {
                end_presented_session(conn, previous)?;
            }
            repo::set_last_sign_in(conn, &member.id, now.naive_utc())?;
            let session = staff::start_session(conn, member, &clinic, now)?;
            let signed_in = &session.signed_in;
            let subject = Subject::staff(&signed_in.member.id, &signed_in.member.name);
            audit::record(conn, &signed_in.clinic, Action::SignedIn, &subject, "", now)?;
            Ok(session)
        })
    })
    .await
}

/// Ends the session a cookie presents, only when the cookie holds its secret: an id
/// alone (public: it is the token's middle) must not end somebody else's session.
fn end_presented_session(conn: &mut DbConnection, presented: &str) -> Result<(), Error> {
    let Some(id) = tokens::parse_id(staff::SESSION_TOKEN_KIND, presented) else {
        return Ok(());
    };
    if let Some((session, _, _)) = repo::find_session(conn, id)? {
        if tokens::verify(presented, &session.token_hash) {
            repo::delete_session(conn, id)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_are_spoken_in_their_largest_whole_unit() {
        assert_eq!(spoken(Duration::minutes(15)), "15 minutes");
        assert_eq!(spoken(Duration::minutes(60)), "1 hour");
        assert_eq!(spoken(Duration::hours(72)), "3 days");
        assert_eq!(spoken(Duration::hours(25)), "25 hours");
        assert_eq!(spoken(Duration::minutes(1)), "1 minute");
    }
}
