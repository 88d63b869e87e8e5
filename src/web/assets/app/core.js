/* The app's core: its texts (one file per locale, loaded once), a DOM builder that
   only ever sets text (never HTML from data), date helpers for local calendar dates,
   and the status line. Every other script adds to the same `SMP` namespace. */
"use strict";
(function () {
  const SMP = (window.SMP = window.SMP || {});
  SMP.views = {};
  let strings = {};

  /** Loads the locale file the page names (cached by the browser and the worker). */
  SMP.loadStrings = async function () {
    const meta = document.querySelector('meta[name="smp-strings"]');
    const response = await fetch(meta.content);
    strings = await response.json();
    return strings;
  };

  function lookup(key) {
    return key.split(".").reduce((node, part) => (node == null ? undefined : node[part]), strings);
  }

  /** The text at `key`, with `{name}` placeholders from `values`. */
  SMP.t = function (key, values) {
    let text = lookup(key);
    if (typeof text !== "string") {
      console.warn("missing text", key);
      return key;
    }
    for (const [name, value] of Object.entries(values || {})) {
      text = text.split("{" + name + "}").join(String(value));
    }
    return text;
  };
  SMP.has = (key) => typeof lookup(key) === "string";
  SMP.list = (key) => lookup(key) || [];

  /** `el("p", {class: "x", href: "/y"}, "text", child, ...)`: children are text or nodes. */
  SMP.el = function (tag, attributes, ...children) {
    const svg = tag === "svg" || tag === "rect" || tag === "use";
    const node = svg
      ? document.createElementNS("http://www.w3.org/2000/svg", tag)
      : document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === false || value == null) continue;
      if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child == null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  };

  /** An icon from the sprite (decorative: the text next to it says the same). */
  SMP.icon = function (name) {
    const svg = SMP.el("svg", { class: "icon", "aria-hidden": "true", focusable: "false" });
    const use = document.createElementNS("http://www.w3.org/2000/svg", "use");
    use.setAttribute("href", SMP.iconSprite + "#" + name);
    svg.append(use);
    return svg;
  };

  /* Local calendar dates travel as "YYYY-MM-DD" (arithmetic: dates.js, shared with the
     service worker). They are written the way the device's language writes dates (2 March, or March 2). */
  const dateLocale = () => navigator.language || strings.locale || "en";
  const dates = self.SMPDates;
  SMP.date = {
    parse: dates.parse,
    iso: dates.iso,
    add: dates.add,
    diff: dates.diff,
    long(iso) {
      return new Intl.DateTimeFormat(dateLocale(), {
        weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: "UTC",
      }).format(SMP.date.parse(iso));
    },
    short(iso) {
      return new Intl.DateTimeFormat(dateLocale(), {
        day: "numeric", month: "short", timeZone: "UTC",
      }).format(SMP.date.parse(iso));
    },
    weekday(iso) {
      return new Intl.DateTimeFormat(dateLocale(), {
        weekday: "narrow", timeZone: "UTC",
      }).format(SMP.date.parse(iso));
    },
    /** Today's date in an IANA zone, as the server computes it. */
    today(zone) {
      return dates.localDate(Date.now(), zone);
    },
    time(instant) {
      return new Intl.DateTimeFormat(dateLocale(), {
        dateStyle: "medium", timeStyle: "short",
      }).format(new Date(instant));
    },
  };

  /** One line at the top of the page: offline, saved, failed. */
  SMP.status = function (text, kind) {
    const line = document.getElementById("status");
    if (!line) return;
    line.hidden = !text;
    line.textContent = text || "";
    line.className = "status" + (kind ? " " + kind : "");
  };

  /** Replaces the screen's content and moves focus to its heading (screen readers). */
  SMP.show = function (...nodes) {
    const view = document.getElementById("view");
    view.replaceChildren(...nodes);
    const heading = view.querySelector("h1");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus({ preventScroll: true });
    }
  };
})();
