#![allow(dead_code)] // shared by the console tests; not each uses every helper
//! Console test helpers: staff accounts and sessions minted through the services (no
//! sign-in email needed), and requests that carry the session cookie the way a
//! browser does (with `Sec-Fetch-Site: same-origin` on form posts).

use smp_aftercare::db::staff as repo;
use smp_aftercare::domain::StaffRole;
use smp_aftercare::service::authz::Actor;
use smp_aftercare::service::{staff, ClinicRef};

use crate::helpers::TestApp;

/// A signed-in staff member: their ids and the `Cookie` header value.
#[derive(Debug, Clone)]
pub struct Signed {
    pub clinic_id: String,
    pub staff_id: String,
    pub cookie: String,
}

/// The clinic as the command line acts for it.
pub fn cli_ref(app: &TestApp, clinic_id: &str) -> ClinicRef {
    let mut conn = app.pool.get().unwrap();
    let clinic = smp_aftercare::db::clinics::find(&mut conn, clinic_id)
        .unwrap()
        .expect("clinic exists");
    ClinicRef {
        id: clinic.id,
        name: clinic.name,
        email: clinic.email,
        actor: Actor::Cli,
    }
}

/// A session for the clinic's first owner (the account `clinic create` made).
pub async fn owner_session(app: &TestApp, clinic_id: &str) -> Signed {
    let owner = {
        let mut conn = app.pool.get().unwrap();
        repo::of_clinic(&mut conn, clinic_id)
            .unwrap()
            .into_iter()
            .find(|m| m.role == StaffRole::Owner)
            .expect("the clinic has an owner")
    };
    session_for(app, clinic_id, &owner.id).await
}

/// A new account at the clinic with `role`, signed in.
pub async fn member_session(
    app: &TestApp,
    clinic_id: &str,
    name: &str,
    email: &str,
    role: StaffRole,
) -> Signed {
    let clinic = cli_ref(app, clinic_id);
    let mut conn = app.pool.get().unwrap();
    let email = email.parse().unwrap();
    let member = staff::add(&mut conn, &clinic, name, &email, role, app.clock_now()).unwrap();
    drop(conn);
    session_for(app, clinic_id, &member.id).await
}

pub async fn session_for(app: &TestApp, clinic_id: &str, staff_id: &str) -> Signed {
    let session = staff::open_session(&app.services, clinic_id.to_string(), staff_id.to_string())
        .await
        .expect("session opens");
    Signed {
        clinic_id: clinic_id.to_string(),
        staff_id: staff_id.to_string(),
        cookie: format!("smp_console={}", session.token),
    }
}

impl TestApp {
    pub fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        use smp_aftercare::clock::Clock;
        self.clock.now()
    }

    /// GET as a browser page navigation, with the cookie if given.
    pub async fn page(&self, path: &str, cookie: Option<&str>) -> reqwest::Response {
        let mut request = self
            .client
            .get(self.url(path))
            .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
            .header("sec-fetch-site", "none");
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send().await.expect("request")
    }

    /// A form post from one of our own pages.
    pub async fn form(
        &self,
        path: &str,
        cookie: Option<&str>,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        self.form_from(path, cookie, fields, "same-origin").await
    }

    /// A form post whose `Sec-Fetch-Site` is `site`.
    pub async fn form_from(
        &self,
        path: &str,
        cookie: Option<&str>,
        fields: &[(&str, &str)],
        site: &str,
    ) -> reqwest::Response {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let mut request = self
            .client
            .post(self.url(path))
            .header("accept", "text/html")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("sec-fetch-site", site)
            .body(body);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send().await.expect("request")
    }
}

/// The `Location` of a redirect.
pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// The `Set-Cookie` values of a response.
pub fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

/// The path (and query) of the console sign-in link in a raw email:
/// `/console/sign-in/smpl_...[?next=...]`.
pub fn sign_in_path(raw_email: &str) -> String {
    let decoded = crate::peers::decode_quoted_printable(raw_email);
    let start = decoded
        .find("/console/sign-in/smpl_")
        .expect("a sign-in link in the email");
    decoded[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "_-/?=%.".contains(*c))
        .collect()
}

/// Waits (up to 10 s) until the file transport has written `count` messages: sign-in
/// emails go out in the background.
pub async fn wait_for_mail(app: &TestApp, count: usize) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let mail = app.mail_files();
        if mail.len() >= count {
            // A file the transport is still writing: read again until it stands still.
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            let again = app.mail_files();
            if again == mail {
                return mail;
            }
            continue;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("expected {count} emails, have {}", mail.len());
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The `smp_console=...` pair of a response's session cookie.
pub fn session_cookie_of(response: &reqwest::Response) -> String {
    set_cookies(response)
        .into_iter()
        .find(|c| c.starts_with("smp_console=smps_"))
        .and_then(|c| c.split(';').next().map(str::to_string))
        .expect("a session cookie")
}

/// Signs in through the emailed link as the account with `email`, as a browser would:
/// asks for a link, opens it, presses the button. Returns the cookie pair.
pub async fn sign_in_by_email(app: &TestApp, email: &str) -> String {
    let before = app.mail_files().len();
    let asked = app
        .form("/console/sign-in", None, &[("email", email)])
        .await;
    assert_eq!(asked.status(), 200);
    let mail = wait_for_mail(app, before + 1).await;
    let path = sign_in_path(mail.last().unwrap());
    let signed = app
        .form(&path, None, &[("next", "/console/settings")])
        .await;
    assert_eq!(signed.status(), 303, "{}", signed.text().await.unwrap());
    session_cookie_of(&signed)
}
