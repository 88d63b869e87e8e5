/* Every day of the plan at a glance: the picture the server draws (stages as bands,
   sessions and milestones marked) and the same facts as a list for screen readers. */
"use strict";
(function () {
  const SMP = window.SMP;
  const el = SMP.el;

  /** Consecutive days of one stage of one session, as the picture's bands. */
  function runs(days) {
    const out = [];
    for (const day of days) {
      const last = out[out.length - 1];
      if (last && last.stage === day.stage && last.session === day.session_number) last.days.push(day);
      else out.push({ stage: day.stage, session: day.session_number, title: day.stage_title, days: [day] });
    }
    return out;
  }

  function range(run) {
    const first = run.days[0].date;
    const last = run.days[run.days.length - 1].date;
    return first === last ? SMP.date.short(first) : SMP.t("timeline.range", {
      from: SMP.date.short(first), to: SMP.date.short(last),
    });
  }

  SMP.views.timeline = async function () {
    const [timeline, picture] = await Promise.all([
      SMP.api("GET", "/v1/me/timeline"),
      SMP.apiText("/app/timeline.svg").catch(() => ""),
    ]);
    const figure = el("figure", { class: "card timeline-figure" },
      el("div", { class: "timeline-picture", id: "timeline-picture" }),
      el("figcaption", { class: "muted" }, SMP.t("timeline.caption")));
    // Our own server's SVG, every text in it escaped there; parsed as SVG, not HTML.
    const svg = new DOMParser().parseFromString(picture, "image/svg+xml").documentElement;
    if (svg && svg.nodeName === "svg") figure.firstChild.append(document.importNode(svg, true));
    const list = el("ol", { class: "timeline-list", "aria-label": SMP.t("timeline.list_label") },
      runs(timeline.days).map((run) => {
        const marks = [];
        for (const day of run.days) {
          if (day.day === 0) {
            marks.push(el("li", { class: "mark session" }, SMP.icon("calendar"),
              SMP.t("timeline.session_on", { n: day.session_number, date: SMP.date.long(day.date) })));
          }
          for (const m of day.milestones) {
            marks.push(el("li", { class: "mark milestone" }, SMP.icon("star"),
              SMP.t("timeline.milestone_on", { title: m.title, date: SMP.date.short(day.date) })));
          }
        }
        return el("li", { class: "run stage-" + run.stage },
          el("h2", {}, el("span", { class: "swatch stage-" + run.stage, "aria-hidden": "true" }),
            range(run), " · ", run.title),
          marks.length ? el("ul", {}, marks) : null);
      }));
    SMP.show(
      el("h1", {}, SMP.t("timeline.title")),
      el("p", { class: "muted" }, SMP.t("timeline.lead", {
        from: SMP.date.long(timeline.from), to: SMP.date.long(timeline.to),
      })),
      figure,
      list);
    const today = document.querySelector("#timeline-picture .tl-today line");
    if (today) today.scrollIntoView({ block: "nearest", inline: "center" });
    if (timeline.offline) {
      SMP.status(SMP.t("offline.last_updated", { time: SMP.date.time(timeline.offline) }), "warn");
    }
  };
})();
