/* Local calendar dates as "YYYY-MM-DD", the one copy for the app's pages (core.js) and
   its service worker (sw.js imports this file): they are handled at noon UTC so that no
   time zone or daylight-saving change can move them to another day. */
"use strict";
self.SMPDates = Object.freeze({
  parse(iso) {
    const [y, m, d] = iso.split("-").map(Number);
    return new Date(Date.UTC(y, m - 1, d, 12));
  },
  iso(date) {
    return date.toISOString().slice(0, 10);
  },
  add(iso, days) {
    const date = self.SMPDates.parse(iso);
    date.setUTCDate(date.getUTCDate() + days);
    return self.SMPDates.iso(date);
  },
  diff(a, b) {
    return Math.round((self.SMPDates.parse(b) - self.SMPDates.parse(a)) / 86400000);
  },
  /** The local calendar date of `instant` in an IANA zone (the runtime's without one). */
  localDate(instant, zone) {
    const parts = new Intl.DateTimeFormat("en-CA", {
      timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
    }).formatToParts(new Date(instant));
    const get = (type) => parts.find((p) => p.type === type).value;
    return get("year") + "-" + get("month") + "-" + get("day");
  },
});
