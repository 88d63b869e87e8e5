/* The invitation landing page (rendered by the server): the button accepts with a POST
   (a mail scanner's GET never spends the link), keeps the access token on this device
   and opens today. On an iPhone, the page first shows how to add the app to the Home
   Screen: only that app may receive reminders, and it starts on this page to accept. */
"use strict";
(function () {
  const SMP = window.SMP;

  SMP.views.invite = async function () {
    const view = document.getElementById("view");
    const state = view.dataset.inviteState;
    if (state === "accepted" && (await SMP.store.token())) {
      window.location.replace("/today");
      return;
    }
    if (state !== "open") return;
    const button = document.getElementById("accept");
    const error = document.getElementById("accept-error");
    if (SMP.push.isIos() && !SMP.push.standalone()) {
      document.getElementById("ios-install").hidden = false;
      button.classList.add("secondary");
      button.textContent = SMP.t("invite.open.button_without_reminders");
    }
    button.disabled = false;
    button.addEventListener("click", async () => {
      button.disabled = true;
      error.hidden = true;
      try {
        const path = "/v1/invitations/" + encodeURIComponent(view.dataset.token) + "/accept";
        const accepted = await SMP.api("POST", path, undefined, { anonymous: true });
        await SMP.store.forget();
        await SMP.store.setToken(accepted.access_token);
        window.location.assign("/today");
      } catch (e) {
        error.textContent = e.message;
        error.hidden = false;
        button.disabled = e.status === 0 || e.status === 429 ? false : true;
      }
    });
  };
})();
