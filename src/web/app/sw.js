/* The service worker of the client app. The server writes RELEASE, PRECACHE,
   IDB_KEYVAL and DATES (the app's one dates file) above this line.
   - Shows each push (one notification per kind and date: a repeat replaces it) and
     opens that day when it is tapped, in the window already open if there is one.
   - Registers a changed push subscription again (pushsubscriptionchange).
   - Keeps the app shell and its files, and answers the client's days from the 40 it
     keeps when there is no signal, saying when they were fetched. */
"use strict";
importScripts(IDB_KEYVAL, DATES);
const kv = self.idbKeyval;

const SHELL_CACHE = "smp-shell-" + RELEASE;
const DATA_CACHE = "smp-data";
const APP_SCREENS = /^\/($|today$|timeline$|settings$|days\/\d{4}-\d{2}-\d{2}$|invite\/)/;
const ICON = PRECACHE.find((url) => url.startsWith("/assets/icons/icon-192.png")) || "/assets/icons/icon-192.png";
const KEPT_API = /^\/(v1\/me(\/today|\/days\/[0-9-]+|\/timeline)?|app\/timeline\.svg)$/;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    await cache.addAll(["/today", ...PRECACHE]);
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("smp-shell-") && name !== SHELL_CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

/* ---------------------------------------------------------------- offline */

const { localDate, add: addDays, diff: daysBetween } = self.SMPDates;

/** Today for the client: the server's date when the days were fetched, moved on by the
    local days that passed since (the server's calendar, not this device's setting). */
function offlineToday(kept, zone) {
  const passed = daysBetween(localDate(kept.fetched_at, zone || "UTC"), localDate(Date.now(), zone || "UTC"));
  return addDays(kept.today, Math.max(0, passed));
}

function json(value, fetchedAt) {
  return new Response(JSON.stringify(value), {
    headers: { "Content-Type": "application/json", "X-SMP-Cached-At": fetchedAt },
  });
}

/** An answer for `url` from what this device kept, or undefined. */
async function kept(url) {
  const days = await kv.get("days");
  const profile = await kv.get("profile");
  const zone = profile && profile.timezone;
  if (days && days.days.length) {
    const byDate = (date) => days.days.find((d) => d.date === date);
    if (url.pathname === "/v1/me/today") {
      const today = byDate(offlineToday(days, zone));
      if (today) return json(today, days.fetched_at);
    }
    const match = url.pathname.match(/^\/v1\/me\/days\/(\d{4}-\d{2}-\d{2})$/);
    if (match && byDate(match[1])) return json(byDate(match[1]), days.fetched_at);
    if (url.pathname === "/v1/me/timeline" && url.searchParams.get("from")) {
      const from = url.searchParams.get("from");
      const to = url.searchParams.get("to") || from;
      const inRange = days.days.filter((d) => d.date >= from && d.date <= to);
      if (inRange.length) return json({ from, to, days: inRange }, days.fetched_at);
    }
  }
  if (url.pathname === "/v1/me" && profile) return json(profile, days ? days.fetched_at : "");
  const cache = await caches.open(DATA_CACHE);
  return cache.match(url.pathname + url.search);
}

async function networkFirstApi(request) {
  const url = new URL(request.url);
  try {
    const response = await fetch(request);
    if (response.ok) {
      const copy = response.clone();
      const headers = new Headers(copy.headers);
      headers.set("X-SMP-Cached-At", new Date().toISOString());
      const body = await copy.blob();
      const cache = await caches.open(DATA_CACHE);
      await cache.put(url.pathname + url.search, new Response(body, { headers }));
    }
    return response;
  } catch (offline) {
    const answer = await kept(url);
    if (answer) return answer;
    throw offline;
  }
}

async function networkFirstPage(request) {
  try {
    return await fetch(request);
  } catch (offline) {
    const cache = await caches.open(SHELL_CACHE);
    const shell = await cache.match("/today");
    if (shell) return shell;
    throw offline;
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(SHELL_CACHE);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && APP_SCREENS.test(url.pathname)) {
    event.respondWith(networkFirstPage(request));
  } else if (url.pathname.startsWith("/assets/")) {
    event.respondWith(cacheFirst(request));
  } else if (KEPT_API.test(url.pathname)) {
    event.respondWith(networkFirstApi(request));
  }
});

/* ---------------------------------------------------------------- pushes */

/** Fetches the next 40 days again (a push is a good moment: the client is about to look). */
async function refreshDays() {
  const token = await kv.get("token");
  const profile = await kv.get("profile");
  if (!token || !profile) return;
  const auth = { headers: { Authorization: "Bearer " + token } };
  const today = await fetch("/v1/me/today", auth);
  if (!today.ok) return;
  const from = (await today.json()).date;
  const response = await fetch("/v1/me/timeline?from=" + from + "&to=" + addDays(from, 39), auth);
  if (response.ok) {
    const timeline = await response.json();
    await kv.set("days", { fetched_at: new Date().toISOString(), today: from, days: timeline.days });
  }
}

self.addEventListener("push", (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch (e) {
    message = { title: "Aftercare", body: event.data ? event.data.text() : "" };
  }
  const kind = message.kind || "reminder";
  const date = message.date || "";
  const show = self.registration.showNotification(message.title || "Aftercare", {
    body: message.body || "",
    icon: ICON,
    badge: ICON,
    // One per kind and day: a repeat replaces the earlier one instead of stacking.
    tag: kind + ":" + date,
    data: { url: message.url || "/today", kind, date },
    lang: message.lang || "en",
  });
  event.waitUntil(Promise.all([show, refreshDays().catch(() => {})]));
});

/** `event.waitUntil(work)`, for a tap the browser reports; an event made by a script
    (DevTools, a test) may not wait, and the work goes on without it. */
function keepAlive(event, work) {
  if (event.isTrusted) event.waitUntil(work);
}

/** The path of `url` when it is ours (so the open window can go there), else the URL. */
function target(url) {
  const parsed = new URL(url, self.location.origin);
  return parsed.origin === self.location.origin ? parsed.pathname + parsed.search : parsed.href;
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = target((event.notification.data && event.notification.data.url) || "/today");
  keepAlive(event, (async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const open = windows.find((w) => new URL(w.url).origin === self.location.origin);
    if (open) {
      // Focus is allowed only for a real tap; going to the day must not depend on it.
      await open.focus().catch(() => {});
      if (open.navigate && url.startsWith("/")) {
        try {
          await open.navigate(url);
          return;
        } catch (e) {
          /* an uncontrolled window: ask the page instead */
        }
      }
      open.postMessage({ type: "open", url });
      return;
    }
    await self.clients.openWindow(url);
  })());
});

self.addEventListener("pushsubscriptionchange", (event) => {
  event.waitUntil((async () => {
    const token = await kv.get("token");
    if (!token) return;
    const auth = { Authorization: "Bearer " + token };
    let fresh = event.newSubscription;
    if (!fresh) {
      const key = event.oldSubscription && event.oldSubscription.options.applicationServerKey;
      let applicationServerKey = key;
      if (!applicationServerKey) {
        const answer = await (await fetch("/v1/push/vapid-public-key")).json();
        const text = answer.public_key;
        const padded = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
        applicationServerKey = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
      }
      fresh = await self.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey });
    }
    await fetch("/v1/me/push-subscriptions", {
      method: "POST",
      headers: { ...auth, "Content-Type": "application/json" },
      body: JSON.stringify(fresh.toJSON()),
    });
    if (event.oldSubscription) {
      const list = await (await fetch("/v1/me/push-subscriptions", { headers: auth })).json();
      const old = list.items.find((s) => s.endpoint === event.oldSubscription.endpoint);
      if (old) {
        await fetch("/v1/me/push-subscriptions/" + encodeURIComponent(old.id), { method: "DELETE", headers: auth });
      }
    }
  })());
});
