//! Staff accounts and their console sessions. Owners invite and remove staff; the
//! command line creates a clinic's first owner. A session is server-side: the cookie
//! carries a token (`smps_{id}_{secret}`) of which only the SHA-256 is stored, and it
//! ends after `console.session_idle_minutes` unused or `console.session_max_days`.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;

use super::audit::{self, Action, Subject};
use super::authz::{self, Actor};
use super::{sign_in, validate, ClinicRef, Error, Services};
use crate::db::clinics::Clinic;
use crate::db::staff::{self as repo, Staff, StaffSession};
use crate::db::{self, clinics, DbConnection};
use crate::domain::{EmailAddress, StaffRole};
use crate::tokens::{self, TokenKind};

/// Prefix of console session tokens (the cookie's value).
pub const SESSION_TOKEN_KIND: TokenKind = TokenKind::Session;

/// A session's idle clock is written at most this often.
const TOUCH_RESOLUTION_SECS: i64 = 60;

/// A staff account as pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub id: String,
    pub clinic_id: String,
    pub email: String,
    pub name: String,
    pub role: StaffRole,
    pub created_at: DateTime<Utc>,
    pub last_sign_in_at: Option<DateTime<Utc>>,
}

impl From<Staff> for Member {
    fn from(row: Staff) -> Member {
        Member {
            id: row.id,
            clinic_id: row.clinic_id,
            email: row.email,
            name: row.name,
            role: row.role,
            created_at: row.created_at.and_utc(),
            last_sign_in_at: row.last_sign_in_at.map(|t| t.and_utc()),
        }
    }
}

impl Member {
    pub fn is_owner(&self) -> bool {
        self.role == StaffRole::Owner
    }

    /// The audit actor this member acts as.
    pub fn actor(&self) -> Actor {
        Actor::Staff {
            id: self.id.clone(),
            name: self.name.clone(),
            role: self.role,
        }
    }
}

/// The clinic as `member` acts for it.
pub fn clinic_ref(clinic: &Clinic, member: &Member) -> ClinicRef {
    ClinicRef {
        id: clinic.id.clone(),
        name: clinic.name.clone(),
        email: clinic.email.clone(),
        actor: member.actor(),
    }
}

/// Creates an account at the clinic, in the caller's transaction, and records it.
pub fn add(
    conn: &mut DbConnection,
    clinic: &ClinicRef,
    name: &str,
    email: &EmailAddress,
    role: StaffRole,
    at: DateTime<Utc>,
) -> Result<Member, Error> {
    if repo::email_taken(conn, &clinic.id, email.as_str())? {
        return Err(Error::invalid(
            "email",
            format!("{email} already has an account at this clinic"),
        ));
    }
    let row = Staff {
        id: uuid::Uuid::now_v7().to_string(),
        clinic_id: clinic.id.clone(),
        email: email.as_str().to_string(),
        name: name.to_string(),
        role,
        created_at: at.naive_utc(),
        last_sign_in_at: None,
    };
    repo::insert(conn, &row)?;
    let detail = format!("{email}, {}", role_label(role));
    let subject = Subject::staff(&row.id, &row.name);
    audit::record(conn, clinic, Action::StaffInvited, &subject, &detail, at)?;
    Ok(row.into())
}

fn role_label(role: StaffRole) -> &'static str {
    match role {
        StaffRole::Owner => "owner",
        StaffRole::Staff => "staff",
    }
}

/// The clinic's accounts, owners first; owners only.
pub async fn list(s: &Services, clinic: &ClinicRef) -> Result<Vec<Member>, Error> {
    let rows = authz::owners_read(s, clinic, |conn, clinic_id| {
        Ok(repo::of_clinic(conn, clinic_id)?)
    })
    .await?;
    Ok(rows.into_iter().map(Member::from).collect())
}

/// One of the clinic's accounts; another clinic's is "not found". Owners only.
pub async fn get(s: &Services, clinic: &ClinicRef, id: String) -> Result<Member, Error> {
    authz::owners_read(s, clinic, move |conn, clinic_id| {
        repo::find_for_clinic(conn, clinic_id, &id)?
            .map(Member::from)
            .ok_or_else(|| Error::NotFound("no such staff member".into()))
    })
    .await
}

/// The invitation form as sent.
#[derive(Debug, Clone, Default)]
pub struct InviteInput {
    pub name: String,
    pub email: String,
    /// "owner" or "staff".
    pub role: String,
}

/// Creates an account and emails its owner a sign-in link (valid
/// `console.staff_invitation_hours`); owners only. Every field's problem comes back.
pub async fn invite(
    s: &Services,
    clinic: &ClinicRef,
    input: InviteInput,
) -> Result<Member, Vec<Error>> {
    authz::require_owner(clinic).map_err(|e| vec![e])?;
    let mut errors = Vec::new();
    let name = validate::name("name", &input.name).map_err(|e| errors.push(e));
    let email = validate::email("email", &input.email).map_err(|e| errors.push(e));
    let role = input
        .role
        .parse::<StaffRole>()
        .map_err(|_| errors.push(Error::invalid("role", "choose owner or staff")));
    let (Ok(name), Ok(email), Ok(role)) = (name, email, role) else {
        return Err(errors);
    };
    let (actor, now) = (clinic.clone(), s.now());
    let lifetime = s.settings.console.invitation_lifetime();
    let (member, link) = s
        .db(move |conn| {
            db::write_transaction(conn, |conn| {
                let member = add(conn, &actor, &name, &email, role, now)?;
                let link = sign_in::issue_link(conn, &member.id, lifetime, now)?;
                Ok((member, link))
            })
        })
        .await
        .map_err(|e| vec![e])?;
    sign_in::send_invitation(s, clinic, &member, &link, lifetime);
    Ok(member)
}

/// Removes an account; its sessions end at once. Owners only; nobody removes their
/// own account, and the last owner stays.
pub async fn remove(s: &Services, clinic: &ClinicRef, id: String) -> Result<Member, Error> {
    authz::require_owner(clinic)?;
    if clinic.actor.id() == Some(id.as_str()) {
        return Err(Error::Conflict(
            "you cannot remove your own account; ask another owner".into(),
        ));
    }
    let (actor, now) = (clinic.clone(), s.now());
    s.db(move |conn| {
        db::write_transaction(conn, |conn| {
            let member = repo::find_for_clinic(conn, &actor.id, &id)?
                .ok_or_else(|| Error::NotFound("no such staff member".into()))?;
            if member.role == StaffRole::Owner && repo::count_owners(conn, &actor.id)? <= 1 {
                return Err(Error::Conflict(
                    "this is the clinic's only owner; make someone else an owner first".into(),
                ));
            }
            repo::delete_for_clinic(conn, &actor.id, &id)?;
            let detail = format!("{}, {}", member.email, role_label(member.role));
            let subject = Subject::staff(&member.id, &member.name);
            audit::record(conn, &actor, Action::StaffRemoved, &subject, &detail, now)?;
            Ok(member.into())
        })
    })
    .await
}

/// The command line's `clinic add-owner`: an owner account for an existing clinic
/// (clinics registered before the console had none).
pub fn add_owner(
    conn: &mut DbConnection,
    clinic_id: &str,
    name: &str,
    email: &str,
    now: NaiveDateTime,
) -> Result<Member, Error> {
    let name = validate::name("name", name)?;
    let email = validate::email("email", email)?;
    db::write_transaction(conn, |conn| {
        let clinic = clinics::find(conn, clinic_id)?
            .ok_or_else(|| Error::NotFound(format!("no clinic with id {clinic_id}")))?;
        let clinic = ClinicRef {
            id: clinic.id,
            name: clinic.name,
            email: clinic.email,
            actor: Actor::Cli,
        };
        add(
            conn,
            &clinic,
            &name,
            &email,
            StaffRole::Owner,
            now.and_utc(),
        )
    })
}

/// A signed-in staff member: who, for which clinic, in which session.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub member: Member,
    pub clinic: ClinicRef,
    pub session_id: String,
}

/// A session just started: `token` goes into the cookie and is not kept.
pub struct NewSession {
    pub token: String,
    pub signed_in: SignedIn,
}

/// What a session cookie stands for.
pub enum Resolved {
    Valid(Box<SignedIn>),
    /// It was a session, and it ended (idle too long, too old, signed out elsewhere
    /// or the account removed).
    Ended,
    /// Not a token of ours.
    Unknown,
}

/// Starts a session for the account, in the caller's transaction.
pub fn start_session(
    conn: &mut DbConnection,
    staff: Staff,
    clinic: &Clinic,
    at: DateTime<Utc>,
) -> Result<NewSession, Error> {
    let token = tokens::issue(SESSION_TOKEN_KIND);
    let at = at.naive_utc();
    repo::insert_session(
        conn,
        &StaffSession {
            id: token.id.clone(),
            staff_id: staff.id.clone(),
            token_hash: token.hash.clone(),
            created_at: at,
            last_seen_at: at,
        },
    )?;
    let member = Member::from(staff);
    Ok(NewSession {
        token: token.token,
        signed_in: SignedIn {
            clinic: clinic_ref(clinic, &member),
            member,
            session_id: token.id,
        },
    })
}

/// Starts a session for one of the clinic's accounts without a sign-in link: for
/// tests and tools that act as a staff member. The console itself signs in only
/// through `sign_in::redeem`.
pub async fn open_session(
    s: &Services,
    clinic_id: String,
    staff_id: String,
) -> Result<NewSession, Error> {
    let now = s.now();
    s.db(move |conn| {
        db::write_transaction(conn, |conn| {
            let staff = repo::find_for_clinic(conn, &clinic_id, &staff_id)?
                .ok_or_else(|| Error::NotFound("no such staff member".into()))?;
            let clinic = clinics::find(conn, &clinic_id)?
                .ok_or_else(|| Error::NotFound("no such clinic".into()))?;
            start_session(conn, staff, &clinic, now)
        })
    })
    .await
}

/// The session behind a cookie's token. A session past its idle or absolute limit
/// is deleted and reported as ended; a valid one's idle clock moves on.
pub async fn resolve(s: &Services, token: String) -> Result<Resolved, Error> {
    let Some(id) = tokens::parse_id(SESSION_TOKEN_KIND, &token).map(str::to_string) else {
        return Ok(Resolved::Unknown);
    };
    let now = s.now();
    let console = s.settings.console.clone();
    s.db(move |conn| {
        let Some((session, staff, clinic)) = repo::find_session(conn, &id)? else {
            // A well-formed token without a row: ended (signed out, expired and pruned,
            // or the account removed).
            return Ok(Resolved::Ended);
        };
        if !tokens::verify(&token, &session.token_hash) {
            return Ok(Resolved::Unknown);
        }
        let at = now.naive_utc();
        let idle = at - session.last_seen_at >= console.idle_timeout();
        let too_old = at - session.created_at >= console.max_session();
        // The writes here are housekeeping: a database that refuses writes (read-only,
        // a standby) still lets staff read, and an ended session stays ended (the
        // check above repeats on every request; the prune job deletes it later).
        if idle || too_old {
            if let Err(e) = repo::delete_session(conn, &session.id) {
                tracing::warn!(error = %e, "could not delete an ended console session");
            }
            return Ok(Resolved::Ended);
        }
        let resolution = chrono::Duration::seconds(TOUCH_RESOLUTION_SECS);
        if let Err(e) = repo::touch_session(conn, &session.id, at, resolution) {
            tracing::warn!(error = %e, "could not move a console session's idle clock");
        }
        let member = Member::from(staff);
        Ok(Resolved::Valid(Box::new(SignedIn {
            clinic: clinic_ref(&clinic, &member),
            member,
            session_id: session.id,
        })))
    })
    .await
}

/// Ends this session (sign out).
pub async fn end(s: &Services, signed_in: &SignedIn) -> Result<(), Error> {
    let id = signed_in.session_id.clone();
    s.db(move |conn| Ok(repo::delete_session(conn, &id)?))
        .await?;
    Ok(())
}

/// Ends every session of the member, on every device (sign out everywhere).
pub async fn end_everywhere(s: &Services, signed_in: &SignedIn) -> Result<usize, Error> {
    let (clinic, staff_id, now) = (
        signed_in.clinic.clone(),
        signed_in.member.id.clone(),
        s.now(),
    );
    let name = signed_in.member.name.clone();
    s.db(move |conn| {
        db::write_transaction(conn, |conn| {
            let ended = repo::delete_sessions_of(conn, &staff_id)?;
            let detail = format!("{ended} session{}", if ended == 1 { "" } else { "s" });
            let subject = Subject::staff(&staff_id, &name);
            audit::record(
                conn,
                &clinic,
                Action::SignedOutEverywhere,
                &subject,
                &detail,
                now,
            )?;
            Ok(ended)
        })
    })
    .await
}
