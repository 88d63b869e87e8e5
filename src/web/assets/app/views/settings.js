/* The client's choices: when reminders come and how, which ones, SPF, time zone; the
   calendar feed; downloading my data; signing this device out. Saved through PATCH
   /v1/me/preferences, with the API's complaint shown next to the field it names. The kinds
   a client may mute and the SPF choices come with the preferences, so this script keeps no
   list of its own. */
"use strict";
(function () {
  const SMP = window.SMP;
  const el = SMP.el;

  function field(id, label, control, hint) {
    const hintNode = hint ? el("p", { class: "hint", id: id + "-hint" }, hint) : null;
    const error = el("p", { class: "error", id: id + "-error", hidden: true });
    control.id = id;
    control.setAttribute("aria-describedby", [hint ? id + "-hint" : null, id + "-error"].filter(Boolean).join(" "));
    return el("div", { class: "field", "data-field": id }, el("label", { for: id }, label), control, hintNode, error);
  }

  function zones(current) {
    const all = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
    const list = all.includes(current) ? all : [current, ...all];
    return list.map((zone) => el("option", { value: zone, selected: zone === current }, zone.replace(/_/g, " ")));
  }

  function preferencesForm(me) {
    const prefs = me.preferences;
    const form = el("form", { class: "card settings-form", "aria-labelledby": "prefs-title", novalidate: true });
    const time = el("input", { type: "time", name: "reminder_time", value: prefs.reminder_time, required: true });
    const push = el("input", { type: "checkbox", name: "push", checked: prefs.channels.push });
    const email = el("input", { type: "checkbox", name: "email", checked: prefs.channels.email });
    const spf = el("select", { name: "spf_reminders" },
      (prefs.spf_choices || [prefs.spf_reminders]).map((v) =>
        el("option", { value: v, selected: prefs.spf_reminders === v }, SMP.t("settings.spf_" + v))));
    const zone = el("select", { name: "timezone" }, zones(prefs.timezone));
    const muted = el("fieldset", { class: "kinds", id: "muted", "aria-describedby": "muted-error" },
      el("legend", {}, SMP.t("settings.kinds_legend")),
      (prefs.mutable_kinds || []).map((kind) => el("label", { class: "check" },
        el("input", { type: "checkbox", name: "kind", value: kind, checked: !prefs.muted.includes(kind) }),
        SMP.t("kinds." + kind))),
      el("p", { class: "error", id: "muted-error", hidden: true }));
    const device = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const zoneNotice = device && device !== prefs.timezone
      ? el("div", { class: "notice warn", id: "zone-notice" },
        el("p", {}, SMP.t("settings.zone_differs", { device, stored: prefs.timezone })),
        el("button", {
          type: "button", class: "secondary", id: "use-device-zone",
          onclick() { zone.value = device; form.requestSubmit(); },
        }, SMP.t("settings.use_zone", { zone: device })))
      : null;
    const saved = el("p", { class: "notice ok", role: "status", hidden: true });
    form.append(
      el("h2", { id: "prefs-title" }, SMP.t("settings.reminders_title")),
      field("reminder_time", SMP.t("settings.time"), time, SMP.t("settings.time_hint")),
      el("fieldset", { class: "channels" }, el("legend", {}, SMP.t("settings.channels_legend")),
        el("label", { class: "check" }, push, SMP.t("settings.push")),
        el("label", { class: "check" }, email, SMP.t("settings.email", { email: me.email }))),
      field("spf_reminders", SMP.t("settings.spf"), spf, SMP.t("settings.spf_hint")),
      muted,
      zoneNotice,
      field("timezone", SMP.t("settings.zone"), zone, SMP.t("settings.zone_hint")),
      el("p", {}, el("button", { type: "submit", id: "save-settings" }, SMP.t("settings.save"))),
      saved);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      for (const error of form.querySelectorAll(".error")) error.hidden = true;
      for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
      saved.hidden = true;
      const body = {
        reminder_time: time.value,
        timezone: zone.value,
        spf_reminders: spf.value,
        channels: { push: push.checked, email: email.checked },
        muted: [...form.querySelectorAll('input[name="kind"]')].filter((c) => !c.checked).map((c) => c.value),
      };
      try {
        const updated = await SMP.api("PATCH", "/v1/me/preferences", body);
        await SMP.store.setProfile(updated);
        saved.textContent = SMP.t("settings.saved");
        saved.hidden = false;
        if (zoneNotice && updated.preferences.timezone === device) zoneNotice.remove();
      } catch (e) {
        const errors = (e.problem && e.problem.errors) || [];
        let placed = 0;
        for (const { field: name, message } of errors) {
          const key = name.split(/[.[]/)[0];
          const target = form.querySelector("#" + CSS.escape(key) + "-error");
          const input = form.querySelector("#" + CSS.escape(key));
          if (!target) continue;
          target.textContent = message;
          target.hidden = false;
          if (input) input.setAttribute("aria-invalid", "true");
          placed += 1;
        }
        if (!placed) {
          saved.className = "notice danger";
          saved.textContent = e.message;
          saved.hidden = false;
        }
      }
    });
    return form;
  }

  function calendarCard() {
    const card = el("section", { class: "card calendar", "aria-labelledby": "calendar-title" },
      el("h2", { id: "calendar-title" }, SMP.icon("calendar"), SMP.t("calendar.title")),
      el("p", {}, SMP.t("calendar.lead")));
    const body = el("div", { id: "calendar-body" });
    card.append(body);
    const render = (state, url, webcalUrl) => {
      body.replaceChildren();
      if (url) {
        const webcal = webcalUrl || url.replace(/^https?:/, "webcal:");
        body.append(
          el("p", {}, SMP.t("calendar.ready")),
          el("p", {}, el("a", { class: "button", href: webcal, id: "calendar-subscribe" }, SMP.t("calendar.subscribe"))),
          el("label", { for: "calendar-url" }, SMP.t("calendar.url_label")),
          el("input", { id: "calendar-url", type: "url", readonly: true, value: url }),
          el("p", { class: "hint" }, SMP.t("calendar.secret")));
      } else if (state && state.active) {
        body.append(el("p", {}, SMP.t("calendar.active_since", { date: SMP.date.time(state.created_at) })));
      }
      const create = el("button", {
        type: "button", id: "calendar-create", class: state && state.active ? "secondary" : "",
        async onclick() {
          const issued = await SMP.api("POST", "/v1/me/calendar");
          render({ active: true, created_at: issued.created_at }, issued.url, issued.webcal_url);
        },
      }, state && state.active ? SMP.t("calendar.new_link") : SMP.t("calendar.add"));
      body.append(el("p", {}, create));
      if (state && state.active) {
        body.append(el("p", {}, el("button", {
          type: "button", class: "secondary", id: "calendar-revoke",
          async onclick() {
            await SMP.api("DELETE", "/v1/me/calendar");
            render({ active: false }, null);
            SMP.status(SMP.t("calendar.revoked"), "ok");
          },
        }, SMP.t("calendar.revoke"))));
      }
    };
    SMP.api("GET", "/v1/me/calendar").then((state) => render(state, null), () => render(null, null));
    return card;
  }

  /* GET /v1/me/export with the device's token, saved through a Blob link (a plain
     link could not send the token). */
  function dataCard() {
    const done = el("p", { class: "notice", role: "status", id: "export-status", hidden: true });
    const button = el("button", {
      type: "button", class: "secondary", id: "export-data",
      async onclick() {
        done.hidden = true;
        button.disabled = true;
        try {
          const token = await SMP.store.token();
          const response = await fetch("/v1/me/export", {
            headers: { Accept: "application/json", Authorization: "Bearer " + token },
            cache: "no-store",
          });
          if (response.status === 401) SMP.signedOut();
          if (!response.ok) throw new Error("HTTP " + response.status);
          const disposition = response.headers.get("content-disposition") || "";
          const named = disposition.match(/filename="([^"]+)"/);
          const blob = await response.blob();
          const url = URL.createObjectURL(blob);
          const name = named ? named[1] : "smp-aftercare.json";
          const link = el("a", { href: url, download: name, hidden: true });
          document.body.append(link);
          link.click();
          link.remove();
          setTimeout(() => URL.revokeObjectURL(url), 60000);
          done.className = "notice ok";
          done.textContent = SMP.t("export.done");
        } catch (e) {
          done.className = "notice danger";
          done.textContent = SMP.t("export.failed");
        } finally {
          done.hidden = false;
          button.disabled = false;
        }
      },
    }, SMP.t("export.button"));
    return el("section", { class: "card export", "aria-labelledby": "export-title" },
      el("h2", { id: "export-title" }, SMP.t("export.title")),
      el("p", {}, SMP.t("export.lead")),
      el("p", {}, button),
      done);
  }

  function signOutCard() {
    return el("section", { class: "card sign-out", "aria-labelledby": "signout-title" },
      el("h2", { id: "signout-title" }, SMP.t("settings.sign_out_title")),
      el("p", {}, SMP.t("settings.sign_out_lead")),
      el("button", {
        type: "button", class: "danger", id: "sign-out",
        async onclick() {
          if (!window.confirm(SMP.t("settings.sign_out_confirm"))) return;
          await SMP.push.disableHere().catch(() => {});
          await SMP.store.forget();
          SMP.signedOut();
        },
      }, SMP.t("settings.sign_out")));
  }

  SMP.views.settings = async function () {
    const me = await SMP.api("GET", "/v1/me");
    await SMP.store.setProfile(me);
    SMP.show(
      el("h1", {}, SMP.t("settings.title")),
      await SMP.push.panel(),
      preferencesForm(me),
      calendarCard(),
      dataCard(),
      signOutCard());
  };
})();
