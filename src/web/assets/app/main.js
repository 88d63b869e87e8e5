/* Start-up: texts, the service worker, then the screen the path names. Without a
   token on this device the app says how to get one (the clinic's invitation link). */
"use strict";
(function () {
  const SMP = window.SMP;
  const el = SMP.el;

  /** Nobody is signed in on this device (or the token stopped working). */
  SMP.signedOut = function () {
    SMP.store.forget().catch(() => {});
    document.body.classList.add("signed-out");
    SMP.show(el("section", { class: "card", "aria-labelledby": "signed-out-title" },
      el("h1", { id: "signed-out-title" }, SMP.t("signed_out.title")),
      el("p", {}, SMP.t("signed_out.message")),
      el("p", { class: "next-step" }, SMP.t("signed_out.action"))));
  };

  function failed(error) {
    SMP.show(el("section", { class: "card", "aria-labelledby": "failed-title" },
      el("h1", { id: "failed-title" }, SMP.t("errors.failed_title")),
      el("p", {}, error.message || String(error)),
      el("p", { class: "next-step" }, SMP.t("errors.failed_action")),
      el("p", {}, el("button", { type: "button", onclick: () => window.location.reload() }, SMP.t("errors.retry")))));
  }

  async function registerWorker() {
    if (!("serviceWorker" in navigator)) return;
    try {
      await navigator.serviceWorker.register("/sw.js", { scope: "/" });
    } catch (e) {
      console.warn("service worker not registered", e);
    }
  }

  /** The worker asks the page to go to a day (a notification was tapped). */
  function listenToWorker() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.addEventListener("message", (event) => {
      if (event.data && event.data.type === "open" && typeof event.data.url === "string") {
        const url = new URL(event.data.url, window.location.origin);
        if (url.origin === window.location.origin) window.location.assign(url.pathname);
      }
    });
  }

  function markNav(screen) {
    for (const link of document.querySelectorAll(".app-nav a")) {
      if (link.dataset.screen === screen) link.setAttribute("aria-current", "page");
    }
  }

  async function route() {
    const view = document.getElementById("view");
    const screen = view.dataset.screen;
    markNav(screen === "day" ? "today" : screen);
    if (screen === "invite") return SMP.views.invite();
    if (!(await SMP.store.token())) return SMP.signedOut();
    SMP.push.ensure().catch((e) => console.warn("push registration check failed", e));
    // The profile (time zone) lets the worker tell "today" when there is no signal.
    SMP.api("GET", "/v1/me").then(SMP.store.setProfile).catch(() => {});
    if (screen === "timeline") return SMP.views.timeline();
    if (screen === "settings") return SMP.views.settings();
    if (screen === "day") return SMP.views.day(window.location.pathname.split("/").pop());
    return SMP.views.day(null);
  }

  async function boot() {
    SMP.iconSprite = document.querySelector('meta[name="smp-icons"]').content;
    await SMP.loadStrings();
    registerWorker();
    listenToWorker();
    window.addEventListener("offline", () => SMP.status(SMP.t("offline.now"), "warn"));
    window.addEventListener("online", () => SMP.status("", null));
    try {
      await route();
    } catch (e) {
      if (e instanceof SMP.ApiError && e.status === 401) return;
      failed(e);
    }
  }

  document.addEventListener("DOMContentLoaded", boot);
})();
