/* What the device keeps, in IndexedDB (shared with the service worker, which needs the
   token to re-register a changed push subscription and to keep the days fresh):
   - "token": the client's access token; never leaves this device except to our API.
   - "profile": the last /v1/me, for the time zone when offline.
   - "days": the next 40 days as the API gave them, with the server's date of today
     and the instant they were fetched. */
"use strict";
(function () {
  const SMP = window.SMP;
  const kv = window.idbKeyval;

  SMP.store = {
    token: () => kv.get("token"),
    setToken: (token) => kv.set("token", token),
    profile: () => kv.get("profile"),
    setProfile: (profile) => kv.set("profile", profile),
    days: () => kv.get("days"),
    setDays: (days) => kv.set("days", days),
    /** Everything this device knows about the client goes, with the worker's copies. */
    forget: async () => {
      await kv.clear();
      if (window.caches) await caches.delete("smp-data");
    },
  };
})();
