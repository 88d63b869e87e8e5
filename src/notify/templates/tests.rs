use super::*;

fn invitation() -> InvitationEmail {
    InvitationEmail {
        client_name: "Sam Client".into(),
        clinic_name: "Hairline Studio".into(),
        clinic_email: "desk@hairline.test".into(),
        accept_link: "https://care.test/invite/tok_abc?x=1&y=2".into(),
        expires_on: NaiveDate::from_ymd_opt(2026, 4, 14).unwrap(),
        first_session_on: Some(NaiveDate::from_ymd_opt(2026, 4, 20).unwrap()),
    }
}

fn reminder() -> ReminderEmail {
    ReminderEmail {
        client_name: "Sam Client".into(),
        clinic_name: "Hairline Studio".into(),
        title: "Your aftercare today (day 3)".into(),
        body: concat!(
            "Today's aftercare:\n- Do not wash your scalp.\n",
            "- Keep your scalp out of the sun.\n\nYour next session window opens on 19 March."
        )
        .into(),
        day_url: "https://care.test/app/days/2026-03-15".into(),
        unsubscribe_url: "https://care.test/unsubscribe/u_tok".into(),
    }
}

#[test]
fn every_template_parses() {
    let env = environment();
    for (name, _) in TEMPLATES {
        env.get_template(name).unwrap();
    }
}

#[test]
fn invitation_explains_what_the_client_gets() {
    let mail = render_invitation(&invitation()).unwrap();
    assert_eq!(
        mail.subject,
        "Hairline Studio invites you to aftercare reminders for your SMP treatment"
    );
    for part in [&mail.text, &mail.html] {
        for needle in [
            "Sam Client",
            "Hairline Studio",
            "Tuesday 14 April 2026",
            "Monday 20 April 2026",
            "every day while your scalp heals",
            "wash",
            "sun",
            "SPF",
            "milestones",
            "push notification",
            "email",
            "local morning time",
            "How to stop them",
            "desk@hairline.test",
        ] {
            assert!(
                part.to_lowercase().contains(&needle.to_lowercase()),
                "missing {needle:?} in:\n{part}"
            );
        }
    }
    assert!(mail
        .text
        .contains("\nhttps://care.test/invite/tok_abc?x=1&y=2\n"));
    assert!(mail
        .html
        .contains("href=\"https://care.test/invite/tok_abc?x=1&amp;y=2\""));
    // The visible copy of the link is readable in the source too.
    assert!(mail
        .html
        .contains(">https://care.test/invite/tok_abc?x=1&amp;y=2</a>"));
    assert!(!mail.text.contains("{{") && !mail.html.contains("{{"));
    assert!(!mail.text.contains("\n\n\n"), "{}", mail.text);
}

#[test]
fn invitation_without_a_first_session_says_nothing_about_it() {
    let mail = render_invitation(&InvitationEmail {
        first_session_on: None,
        ..invitation()
    })
    .unwrap();
    assert!(!mail.text.contains("first session"));
    assert!(!mail.html.contains("first session"));
    assert!(!mail.text.contains("\n\n\n"), "{}", mail.text);
}

#[test]
fn html_is_escaped_and_text_is_not() {
    let mail = render_invitation(&InvitationEmail {
        client_name: "<script>alert(1)</script>".into(),
        clinic_name: "Tom & Jerry's \"Studio\"".into(),
        ..invitation()
    })
    .unwrap();
    assert!(!mail.html.contains("<script>"), "{}", mail.html);
    assert!(mail.html.contains("&lt;script&gt;"));
    assert!(mail.html.contains("Tom &amp; Jerry"));
    assert!(!mail.html.contains("Tom & Jerry"));
    assert!(mail.text.contains("Hi <script>alert(1)</script>,"));
    assert!(mail.text.contains("Tom & Jerry's \"Studio\""));

    let mail = render_reminder(&ReminderEmail {
        client_name: "<b>Sam</b>".into(),
        body: "Intro <img src=x>\n- <i>rule</i>".into(),
        ..reminder()
    })
    .unwrap();
    assert!(!mail.html.contains("<b>Sam") && !mail.html.contains("<img"));
    assert!(mail
        .html
        .contains("<li style=\"margin-bottom:8px;\">&lt;i&gt;rule"));
}

#[test]
fn html_parts_are_self_contained_and_accessible() {
    let invitation = render_invitation(&invitation()).unwrap().html;
    let reminder = render_reminder(&reminder()).unwrap().html;
    for html in [invitation, reminder] {
        assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
        assert!(html.contains("<html lang=\"en\">"));
        assert!(html.contains("<meta charset=\"utf-8\">"));
        assert!(html.contains("<title>"));
        assert!(html.contains("<h1"));
        for banned in ["<img", "<script", "<link", "@import", "url(", "<iframe"] {
            assert!(!html.contains(banned), "{banned} in {html}");
        }
        // Every link is absolute http(s) (or mailto:).
        for href in html.split("href=\"").skip(1) {
            assert!(
                href.starts_with("https://") || href.starts_with("mailto:"),
                "{href}"
            );
        }
    }
}

#[test]
fn reminder_renders_bullets_as_a_list_and_shows_unsubscribe_in_both_parts() {
    let mail = render_reminder(&reminder()).unwrap();
    assert_eq!(mail.subject, "Your aftercare today (day 3)");
    assert!(mail.html.contains("Your aftercare today (day 3)</h1>"));
    let list_start = mail.html.find("<ul").unwrap();
    let list_end = mail.html.find("</ul>").unwrap();
    let list = &mail.html[list_start..list_end];
    assert_eq!(list.matches("<li").count(), 2, "{list}");
    assert!(list.contains("Do not wash your scalp."));
    assert!(list.contains("Keep your scalp out of the sun."));
    assert!(!list.contains("- "));
    assert!(
        mail.html
            .contains("<p style=\"margin:0 0 16px;\">Today&#x27;s aftercare:</p>"),
        "{}",
        mail.html
    );
    assert!(mail
        .html
        .contains("Your next session window opens on 19 March.</p>"));

    assert!(mail
        .text
        .contains("- Do not wash your scalp.\n- Keep your scalp out of the sun."));
    assert!(mail.text.contains("\nhttps://care.test/unsubscribe/u_tok"));
    assert!(mail
        .text
        .contains("\nhttps://care.test/app/days/2026-03-15\n"));
    assert!(mail
        .html
        .contains("href=\"https://care.test/unsubscribe/u_tok\""));
    assert!(mail
        .html
        .contains("href=\"https://care.test/app/days/2026-03-15\""));
    assert!(mail.text.to_lowercase().contains("stop reminder emails"));
    assert!(mail
        .html
        .to_lowercase()
        .contains("unsubscribe from reminder emails"));
}

#[test]
fn titles_and_names_stay_on_one_line() {
    let mail = render_reminder(&ReminderEmail {
        title: "Day 3\r\nBcc: x".into(),
        client_name: "Sam\nClient".into(),
        ..reminder()
    })
    .unwrap();
    assert_eq!(mail.subject, "Day 3 Bcc: x");
    assert!(mail.text.starts_with("Hi Sam Client,\n"));
}

#[test]
fn links_must_be_http_urls() {
    for bad in ["javascript:alert(1)", "/relative/path", "not a url"] {
        let err = render_reminder(&ReminderEmail {
            unsubscribe_url: bad.into(),
            ..reminder()
        })
        .unwrap_err();
        assert!(err.to_string().contains("reminder.html.j2"), "{err}");
        let err = render_invitation(&InvitationEmail {
            accept_link: bad.into(),
            ..invitation()
        })
        .unwrap_err();
        assert!(err.to_string().contains("href"), "{err}");
    }
}

#[test]
fn body_blocks() {
    let b = |kind: &'static str, lines: &[&str]| Block {
        kind,
        lines: lines.iter().map(|s| s.to_string()).collect(),
    };
    assert_eq!(
        blocks("Intro\nsecond line\n- a\n-  b\nAfter\n\n- c\n\n\nEnd"),
        vec![
            b("paragraph", &["Intro", "second line"]),
            b("list", &["a", "b"]),
            b("paragraph", &["After"]),
            b("list", &["c"]),
            b("paragraph", &["End"]),
        ]
    );
    assert_eq!(blocks(""), vec![]);
    assert_eq!(
        blocks("-not a bullet"),
        vec![b("paragraph", &["-not a bullet"])]
    );
}

#[test]
fn into_email_carries_the_content() {
    let rendered = render_reminder(&reminder()).unwrap();
    let email = rendered
        .clone()
        .into_email(Recipient::new("Sam", "sam@client.test"));
    assert_eq!(email.subject, rendered.subject);
    assert_eq!(email.text, rendered.text);
    assert_eq!(email.html, rendered.html);
    assert_eq!(email.to.address, "sam@client.test");
}
