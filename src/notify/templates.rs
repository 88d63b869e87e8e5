//! Email bodies: minijinja templates embedded from `templates/email/`, so the binary needs
//! no files at run time. `*.html.j2` templates are HTML auto-escaped; `*.txt.j2` are not.
//!
//! Links go through the `href` filter, which accepts only absolute http(s) URLs and
//! escapes them for an attribute without mangling them.

use std::sync::OnceLock;

use chrono::NaiveDate;
use minijinja::{Environment, ErrorKind, UndefinedBehavior, Value};
use serde::Serialize;

use super::email::{OutgoingEmail, Recipient};

/// The embedded templates: (name, source).
const TEMPLATES: [(&str, &str); 7] = [
    (
        "layout.html.j2",
        include_str!("../../templates/email/layout.html.j2"),
    ),
    (
        "invitation.txt.j2",
        include_str!("../../templates/email/invitation.txt.j2"),
    ),
    (
        "invitation.html.j2",
        include_str!("../../templates/email/invitation.html.j2"),
    ),
    (
        "reminder.txt.j2",
        include_str!("../../templates/email/reminder.txt.j2"),
    ),
    (
        "reminder.html.j2",
        include_str!("../../templates/email/reminder.html.j2"),
    ),
    (
        "staff_sign_in.txt.j2",
        include_str!("../../templates/email/staff_sign_in.txt.j2"),
    ),
    (
        "staff_sign_in.html.j2",
        include_str!("../../templates/email/staff_sign_in.html.j2"),
    ),
];

/// A rendered message: subject, plain text and HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl RenderedEmail {
    /// An [`OutgoingEmail`] to `to` with this content; set `sender_name`, `reply_to` and
    /// `list_unsubscribe` on the result as needed.
    pub fn into_email(self, to: Recipient) -> OutgoingEmail {
        OutgoingEmail {
            to,
            sender_name: None,
            reply_to: None,
            subject: self.subject,
            text: self.text,
            html: self.html,
            list_unsubscribe: None,
        }
    }
}

/// The onboarding email.
#[derive(Debug, Clone)]
pub struct InvitationEmail {
    pub client_name: String,
    pub clinic_name: String,
    /// The clinic's address, shown as the contact (and usually the Reply-To).
    pub clinic_email: String,
    /// `{public_url}/invite/{token}`.
    pub accept_link: String,
    pub expires_on: NaiveDate,
    pub first_session_on: Option<NaiveDate>,
}

/// One aftercare reminder (the email twin of a push notification).
#[derive(Debug, Clone)]
pub struct ReminderEmail {
    pub client_name: String,
    pub clinic_name: String,
    /// Becomes the subject and the heading.
    pub title: String,
    /// Plain text: paragraphs separated by blank lines; lines starting with "- " are
    /// list items (the shape `domain::reminders` produces).
    pub body: String,
    /// Where the client sees the day in full.
    pub day_url: String,
    /// The one-click unsubscribe page (also sent as the `List-Unsubscribe` header).
    pub unsubscribe_url: String,
}

/// A console sign-in link for a staff member: asked for on the sign-in page, or sent
/// with a new account (then `inviter_name` says who gave it).
#[derive(Debug, Clone)]
pub struct StaffSignInEmail {
    pub staff_name: String,
    pub staff_email: String,
    pub clinic_name: String,
    /// `{public_url}/console/sign-in/{token}`.
    pub sign_in_link: String,
    /// `{public_url}/console/sign-in`, for the next time.
    pub sign_in_page: String,
    /// "15 minutes", "3 days".
    pub valid_for: String,
    pub invitation: Option<StaffInvitation>,
}

/// Who created the account, and as what.
#[derive(Debug, Clone)]
pub struct StaffInvitation {
    pub inviter_name: String,
    /// "owner" or "staff".
    pub role: String,
}

/// What the invitation's templates get: typed, so a value they need cannot be left out.
#[derive(Serialize)]
struct InvitationView<'a> {
    subject: &'a str,
    client_name: String,
    clinic_name: String,
    clinic_email: &'a str,
    accept_link: &'a str,
    expires_on: String,
    first_session_on: Option<String>,
}

/// What a reminder's templates get.
#[derive(Serialize)]
struct ReminderView<'a> {
    subject: &'a str,
    title: &'a str,
    client_name: String,
    clinic_name: String,
    body: &'a str,
    blocks: Vec<Block>,
    day_url: &'a str,
    unsubscribe_url: &'a str,
}

/// What a staff sign-in email's templates get.
#[derive(Serialize)]
struct StaffSignInView<'a> {
    subject: &'a str,
    staff_name: String,
    staff_email: &'a str,
    clinic_name: &'a str,
    sign_in_link: &'a str,
    sign_in_page: &'a str,
    valid_for: &'a str,
    /// Who created the account (a new account's email).
    inviter_name: Option<String>,
    role: Option<&'a str>,
    role_article: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("email template {template}: {source}")]
    Render {
        template: &'static str,
        #[source]
        source: minijinja::Error,
    },
}

/// Renders the invitation email.
pub fn render_invitation(invitation: &InvitationEmail) -> Result<RenderedEmail, TemplateError> {
    let subject = format!(
        "{} invites you to aftercare reminders for your SMP treatment",
        one_line(&invitation.clinic_name)
    );
    let ctx = InvitationView {
        subject: &subject,
        client_name: one_line(&invitation.client_name),
        clinic_name: one_line(&invitation.clinic_name),
        clinic_email: invitation.clinic_email.trim(),
        accept_link: invitation.accept_link.trim(),
        expires_on: long_date(invitation.expires_on),
        first_session_on: invitation.first_session_on.map(long_date),
    };
    Ok(RenderedEmail {
        text: render("invitation.txt.j2", &ctx)?,
        html: render("invitation.html.j2", &ctx)?,
        subject,
    })
}

/// Renders a reminder email: subject = title; "- " lines become an HTML list.
pub fn render_reminder(reminder: &ReminderEmail) -> Result<RenderedEmail, TemplateError> {
    let subject = one_line(&reminder.title);
    let ctx = ReminderView {
        subject: &subject,
        title: &subject,
        client_name: one_line(&reminder.client_name),
        clinic_name: one_line(&reminder.clinic_name),
        body: reminder.body.trim(),
        blocks: blocks(&reminder.body),
        day_url: reminder.day_url.trim(),
        unsubscribe_url: reminder.unsubscribe_url.trim(),
    };
    Ok(RenderedEmail {
        text: render("reminder.txt.j2", &ctx)?,
        html: render("reminder.html.j2", &ctx)?,
        subject,
    })
}

/// Renders a console sign-in (or new-account) email.
pub fn render_staff_sign_in(email: &StaffSignInEmail) -> Result<RenderedEmail, TemplateError> {
    let clinic_name = one_line(&email.clinic_name);
    let subject = match &email.invitation {
        Some(_) => format!("Your account in {clinic_name}'s aftercare console"),
        None => format!("Sign in to {clinic_name}'s aftercare console"),
    };
    let ctx = StaffSignInView {
        subject: &subject,
        staff_name: one_line(&email.staff_name),
        staff_email: email.staff_email.trim(),
        clinic_name: &clinic_name,
        sign_in_link: email.sign_in_link.trim(),
        sign_in_page: email.sign_in_page.trim(),
        valid_for: &email.valid_for,
        inviter_name: email.invitation.as_ref().map(|i| one_line(&i.inviter_name)),
        role: email.invitation.as_ref().map(|i| i.role.as_str()),
        role_article: match email.invitation.as_ref().map(|i| i.role.as_str()) {
            Some("owner") => "an",
            _ => "a",
        },
    };
    Ok(RenderedEmail {
        text: render("staff_sign_in.txt.j2", &ctx)?,
        html: render("staff_sign_in.html.j2", &ctx)?,
        subject,
    })
}

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_keep_trailing_newline(true);
        env.add_filter("href", href);
        for (name, source) in TEMPLATES {
            // The sources are part of the binary; `every_template_parses` guards them.
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("built-in email template {name}: {e}"));
        }
        env
    })
}

fn render(template: &'static str, ctx: &impl Serialize) -> Result<String, TemplateError> {
    let fail = |source| TemplateError::Render { template, source };
    environment()
        .get_template(template)
        .and_then(|t| t.render(Value::from_serialize(ctx)))
        .map_err(fail)
}

/// `{{ url|href }}`: an absolute http(s) URL, escaped for a quoted attribute only
/// (`&`, quotes, angle brackets), so the link stays readable in the HTML source.
fn href(value: String) -> Result<Value, minijinja::Error> {
    let url = url::Url::parse(value.trim()).map_err(|e| {
        minijinja::Error::new(
            ErrorKind::InvalidOperation,
            format!("href: {value:?} is not an absolute URL ({e})"),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(minijinja::Error::new(
            ErrorKind::InvalidOperation,
            format!("href: only http(s) links are allowed, not {value:?}"),
        ));
    }
    let mut out = String::with_capacity(url.as_str().len());
    for c in url.as_str().chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    Ok(Value::from_safe_string(out))
}

/// "Tuesday 14 April 2026".
fn long_date(date: NaiveDate) -> String {
    date.format("%A %-d %B %Y").to_string()
}

/// Names and titles go into a subject, a heading and a greeting: one line each.
fn one_line(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A paragraph (lines joined by line breaks) or a bullet list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct Block {
    kind: &'static str,
    lines: Vec<String>,
}

/// Splits a reminder body into paragraphs and lists: blank lines end a block, and a run of
/// "- " lines is a list.
fn blocks(body: &str) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::new();
    let mut open = false; // whether the last block may still grow
    for raw in body.lines() {
        let line = raw.trim();
        if line.is_empty() {
            open = false;
            continue;
        }
        let (kind, text) = match line.strip_prefix("- ") {
            Some(item) => ("list", item.trim()),
            None => ("paragraph", line),
        };
        match out.last_mut() {
            Some(last) if open && last.kind == kind => last.lines.push(text.to_string()),
            _ => out.push(Block {
                kind,
                lines: vec![text.to_string()],
            }),
        }
        open = true;
    }
    out
}

#[cfg(test)]
mod tests;
