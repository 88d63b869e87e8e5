/* Reminders on this device: Web Push through the service worker.
   - Permission is asked only after the client presses "Enable reminders".
   - The subscription is registered with our API; when the API says it is disabled
     (the push service said it is gone), the app subscribes again and registers anew.
   - On an iPhone or iPad, push works only in the app added to the Home Screen: there
     the app shows how to add it instead of a button that cannot work. */
"use strict";
(function () {
  const SMP = window.SMP;

  function base64UrlToBytes(text) {
    const padded = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  }

  const push = {
    isIos() {
      return /iPad|iPhone|iPod/.test(navigator.userAgent)
        || (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
    },
    standalone() {
      return window.matchMedia("(display-mode: standalone)").matches || navigator.standalone === true;
    },
    supported() {
      return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
    },

    /** "ios-install" | "unsupported" | "denied" | "on" | "off" */
    async state() {
      if (push.isIos() && !push.standalone()) return "ios-install";
      if (!push.supported()) return "unsupported";
      if (Notification.permission === "denied") return "denied";
      const subscription = await push.current();
      return subscription && Notification.permission === "granted" ? "on" : "off";
    },

    async current() {
      const registration = await navigator.serviceWorker.ready;
      return registration.pushManager.getSubscription();
    },

    async subscribe() {
      const registration = await navigator.serviceWorker.ready;
      const { public_key: key } = await SMP.api("GET", "/v1/push/vapid-public-key");
      const subscribing = registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: base64UrlToBytes(key),
      });
      // A browser whose push service cannot be reached may never answer: say so.
      const gaveUp = new Promise((_, reject) =>
        setTimeout(() => reject(new Error(SMP.t("push.no_answer"))), 20000));
      return Promise.race([subscribing, gaveUp]);
    },

    register(subscription) {
      return SMP.api("POST", "/v1/me/push-subscriptions", subscription.toJSON());
    },

    /** The button: permission (now, after the press), subscription, registration. */
    async enable() {
      const permission = await Notification.requestPermission();
      if (permission !== "granted") throw new Error(SMP.t("push.permission_refused"));
      const subscription = (await push.current()) || (await push.subscribe());
      await push.register(subscription);
      await SMP.api("PATCH", "/v1/me/preferences", { channels: { push: true } });
      return subscription;
    },

    /** At every start: keep this device's registration alive. A subscription the API
        disabled (gone at the push service) is replaced by a new one. */
    async ensure() {
      if (!push.supported() || Notification.permission !== "granted") return;
      const subscription = await push.current();
      if (!subscription) return;
      const { items } = await SMP.api("GET", "/v1/me/push-subscriptions");
      const known = items.find((s) => s.endpoint === subscription.endpoint);
      if (known && known.status === "active") return;
      let fresh = subscription;
      if (known) {
        await subscription.unsubscribe();
        fresh = await push.subscribe();
      }
      await push.register(fresh);
    },

    /** Sign-out: this device's registration goes, the browser's subscription too. */
    async disableHere() {
      if (!push.supported()) return;
      const subscription = await push.current().catch(() => null);
      if (!subscription) return;
      try {
        const { items } = await SMP.api("GET", "/v1/me/push-subscriptions");
        const mine = items.find((s) => s.endpoint === subscription.endpoint);
        if (mine) await SMP.api("DELETE", "/v1/me/push-subscriptions/" + encodeURIComponent(mine.id));
      } finally {
        await subscription.unsubscribe();
      }
    },

    /** The block the Today and Settings screens show for reminders on this device. */
    async panel() {
      const el = SMP.el;
      const state = await push.state();
      const box = el("section", { class: "card push-panel", "aria-labelledby": "push-title" },
        el("h2", { id: "push-title" }, SMP.t("push.title")));
      if (state === "ios-install") {
        box.append(
          el("p", {}, SMP.t("push.ios.lead")),
          el("ol", { class: "ios-steps" },
            el("li", {}, SMP.t("push.ios.step_share")),
            el("li", {}, SMP.t("push.ios.step_add")),
            el("li", {}, SMP.t("push.ios.step_open"))));
        box.id = "ios-install";
        return box;
      }
      if (state === "unsupported") {
        box.append(el("p", {}, SMP.t("push.unsupported")));
        return box;
      }
      if (state === "denied") {
        box.append(el("p", {}, SMP.t("push.denied")));
        return box;
      }
      if (state === "on") {
        box.append(el("p", { class: "push-on" }, SMP.icon("bell"), SMP.t("push.on")));
        return box;
      }
      const message = el("p", { class: "form-error", role: "alert", hidden: true });
      const button = el("button", {
        type: "button",
        id: "enable-reminders",
        async onclick() {
          button.disabled = true;
          message.hidden = true;
          try {
            await push.enable();
            box.replaceWith(await push.panel());
          } catch (e) {
            message.textContent = SMP.t("push.failed", { reason: e.message || String(e) });
            message.hidden = false;
            button.disabled = false;
          }
        },
      }, SMP.icon("bell"), SMP.t("push.enable"));
      box.append(el("p", {}, SMP.t("push.lead")), el("p", {}, button), message);
      return box;
    },
  };
  SMP.push = push;
})();
