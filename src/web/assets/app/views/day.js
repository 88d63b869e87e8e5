/* "What should my scalp look like today, and what may I do?": one day, as the API
   answers /v1/me/today or /v1/me/days/{date}, with the coming 14 days as a strip. */
"use strict";
(function () {
  const SMP = window.SMP;
  const el = SMP.el;

  /** Each rule's icon, as the server names them in the page (no list of rules here). */
  const iconsMeta = document.querySelector('meta[name="smp-rule-icons"]');
  const ICONS = iconsMeta ? JSON.parse(iconsMeta.content) : {};
  SMP.rules = { ICONS };

  function dayLine(day) {
    if (day.session_number == null) {
      if (day.days_until_first_session === 1) return SMP.t("day.first_session_tomorrow");
      if (day.days_until_first_session != null) {
        return SMP.t("day.first_session_in", { days: day.days_until_first_session });
      }
      return SMP.t("day.no_session_yet");
    }
    const values = { day: day.day, session: day.session_number, total: day.total_sessions };
    return day.day === 0 ? SMP.t("day.session_today", values) : SMP.t("day.day_after_session", values);
  }

  function rulesCard(day) {
    const item = (rule) => el("li", { "data-rule": rule.id }, SMP.icon(ICONS[rule.id] || "check"), rule.text);
    // The API says which rules are kept by not doing something ("avoid").
    const donts = day.rules.filter((r) => r.avoid === true);
    const dos = day.rules.filter((r) => r.avoid !== true);
    const card = el("section", { class: "card rules", "aria-labelledby": "rules-title" },
      el("h2", { id: "rules-title" }, SMP.t("day.rules_title")));
    if (!day.rules.length) card.append(el("p", {}, SMP.t("day.no_rules")));
    if (dos.length) {
      card.append(el("div", { class: "rule-group do" },
        el("h3", {}, SMP.icon("check"), SMP.t("day.do")), el("ul", {}, dos.map(item))));
    }
    if (donts.length) {
      card.append(el("div", { class: "rule-group dont" },
        el("h3", {}, SMP.icon("cross"), SMP.t("day.dont")), el("ul", {}, donts.map(item))));
    }
    return card;
  }

  function milestonesCard(day) {
    if (!day.milestones.length) return null;
    return el("section", { class: "card milestones", "aria-labelledby": "milestones-title" },
      el("h2", { id: "milestones-title" }, SMP.icon("star"), SMP.t("day.milestones_title")),
      el("ul", {}, day.milestones.map((m) =>
        el("li", { "data-milestone": m.id }, el("strong", {}, m.title), " ", m.text))));
  }

  function tomorrowCard(day) {
    if (!day.tomorrow.length) return null;
    return el("section", { class: "card tomorrow", "aria-labelledby": "tomorrow-title" },
      el("h2", { id: "tomorrow-title" }, SMP.t("day.tomorrow_title")),
      el("ul", {}, day.tomorrow.map((sentence) => el("li", {}, sentence))));
  }

  function nextSessionCard(day) {
    let text;
    if (day.next_session_on) {
      text = SMP.t("day.next_session_booked", { date: SMP.date.long(day.next_session_on) });
    } else if (day.next_session_window && day.next_session_window.overdue) {
      text = SMP.t("day.next_session_overdue", { to: SMP.date.long(day.next_session_window.to) });
    } else if (day.next_session_window) {
      text = SMP.t("day.next_session_window", {
        from: SMP.date.long(day.next_session_window.from), to: SMP.date.long(day.next_session_window.to),
      });
    } else {
      return null;
    }
    const overdue = day.next_session_window && day.next_session_window.overdue && !day.next_session_on;
    return el("section", { class: "card next-session" + (overdue ? " overdue" : ""), "aria-labelledby": "next-title" },
      el("h2", { id: "next-title" }, SMP.icon("calendar"), SMP.t("day.next_session_title")),
      el("p", {}, text));
  }

  function healingCard(day) {
    if (!day.is_final_session || day.day == null || !day.healing_complete_on) return null;
    const total = SMP.date.diff(day.session_date, day.healing_complete_on);
    const card = el("section", { class: "card healing", "aria-labelledby": "healing-title" },
      el("h2", { id: "healing-title" }, SMP.t("day.healing_title")));
    if (day.day >= total) {
      card.append(el("p", {}, SMP.t("day.healed_since", { date: SMP.date.long(day.healing_complete_on) })));
      if (day.touch_up_due_on) {
        card.append(el("p", {}, SMP.t("day.touch_up", { date: SMP.date.long(day.touch_up_due_on) })));
      }
      return card;
    }
    const label = SMP.t("day.healing_progress", { day: day.day, total });
    card.append(
      el("p", { id: "healing-label" }, label),
      el("progress", { max: total, value: day.day, "aria-labelledby": "healing-label" }),
      el("p", { class: "muted" }, SMP.t("day.healing_done_on", { date: SMP.date.long(day.healing_complete_on) })));
    return card;
  }

  function strip(days, selected) {
    if (!days || !days.length) return null;
    return el("section", { class: "strip-card", "aria-labelledby": "strip-title" },
      el("h2", { id: "strip-title", class: "visually-hidden" }, SMP.t("day.strip_title")),
      el("ol", { class: "strip" }, days.slice(0, 14).map((d) => el("li", {},
        el("a", {
          href: "/days/" + d.date,
          class: "stage-" + d.stage,
          "aria-current": d.date === selected ? "date" : false,
          "aria-label": SMP.date.short(d.date) + ": " + d.stage_title,
          title: d.stage_title,
        },
        el("span", { class: "wd", "aria-hidden": "true" }, SMP.date.weekday(d.date)),
        el("span", { class: "dn", "aria-hidden": "true" }, SMP.date.parse(d.date).getUTCDate()))))),
      el("ul", { class: "strip-legend" }, [...new Map(days.slice(0, 14).map((d) => [d.stage, d])).values()]
        .map((d) => el("li", {}, el("span", { class: "swatch stage-" + d.stage, "aria-hidden": "true" }), d.stage_title))));
  }

  function dayNav(date) {
    return el("nav", { class: "day-nav", "aria-label": SMP.t("day.nav_label") },
      el("a", { href: "/days/" + SMP.date.add(date, -1), rel: "prev" }, SMP.icon("left"), SMP.t("day.previous")),
      el("a", { href: "/today" }, SMP.t("nav.today")),
      el("a", { href: "/days/" + SMP.date.add(date, 1), rel: "next" }, SMP.t("day.next"), SMP.icon("right")));
  }

  /** The screen. `date` is null for today. */
  SMP.views.day = async function (date) {
    const day = await SMP.api("GET", date ? "/v1/me/days/" + date : "/v1/me/today");
    const isToday = !date;
    // Today's strip is the first 14 of the 40 days the worker keeps for offline use.
    const span = isToday ? 39 : 13;
    const window = await SMP.api("GET",
      "/v1/me/timeline?from=" + day.date + "&to=" + SMP.date.add(day.date, span)).catch(() => null);
    if (isToday && window && !window.offline) {
      await SMP.store.setDays({ fetched_at: new Date().toISOString(), today: day.date, days: window.days });
    }
    const nodes = [
      el("header", { class: "day-head" },
        el("h1", {}, isToday ? SMP.t("day.today_heading", { date: SMP.date.long(day.date) }) : SMP.date.long(day.date)),
        el("p", { class: "day-line" }, dayLine(day))),
      el("section", { class: "card stage stage-card-" + day.stage, "aria-labelledby": "stage-title" },
        el("p", { class: "eyebrow" }, SMP.t("day.stage_label")),
        el("h2", { id: "stage-title" }, day.stage_title),
        el("p", { class: "expect" }, day.expect)),
      rulesCard(day),
      milestonesCard(day),
      tomorrowCard(day),
      nextSessionCard(day),
      healingCard(day),
      strip(window && window.days, day.date),
      dayNav(day.date),
    ];
    if (isToday) {
      // Today shows the reminders block only while there is something to do about it.
      const panel = await SMP.push.panel().catch(() => null);
      if (panel && !panel.querySelector(".push-on")) nodes.splice(2, 0, panel);
    }
    SMP.show(...nodes.filter(Boolean));
    if (day.offline) {
      SMP.status(SMP.t("offline.last_updated", { time: SMP.date.time(day.offline) }), "warn");
    }
  };
})();
