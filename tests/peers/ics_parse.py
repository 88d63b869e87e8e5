#!/usr/bin/env python3
"""Parses an iCalendar feed with Python's `icalendar` (an implementation other than
ours) and prints what a calendar app would see, as one JSON object on stdout.

Usage: python3 ics_parse.py < feed.ics

Output:
  {"calendar": {PROPERTY: value as written, ...},
   "events": [{"uid", "summary", "description", "url", "transp",
               "dtstart", "dtend", "all_day", "dtstamp"}, ...],
   "content_lines": {"crlf": bool, "longest_octets": int}}

`dtstart`/`dtend` are ISO dates (`all_day` is true when both are DATE values, not
date-times); `dtstamp` is an ISO UTC instant. Anything the parser refuses, and any
event without UID, DTSTART or DTSTAMP, is an error: exit status 1, the reason on
stderr.
"""

from __future__ import annotations

import datetime as dt
import json
import sys

import icalendar


def fail(why: str) -> None:
    print(f"ics_parse: {why}", file=sys.stderr)
    sys.exit(1)


def main() -> None:
    raw = sys.stdin.buffer.read()
    # RFC 5545 3.1: lines end with CRLF and are folded at 75 octets.
    lines = raw.split(b"\r\n")
    crlf = raw.endswith(b"\r\n") and all(b"\n" not in line for line in lines)
    longest = max((len(line) for line in lines), default=0)
    try:
        calendar = icalendar.Calendar.from_ical(raw)
    except Exception as e:  # noqa: BLE001 - any refusal is the answer
        fail(f"not iCalendar: {e}")
    if calendar.name != "VCALENDAR":
        fail(f"top-level component is {calendar.name}")
    props = {key: calendar[key].to_ical().decode() for key in calendar.keys()}
    events = []
    for event in calendar.walk("VEVENT"):
        for required in ("UID", "DTSTART", "DTSTAMP"):
            if required not in event:
                fail(f"an event has no {required}")
        start = event.decoded("DTSTART")
        end = event.decoded("DTEND") if "DTEND" in event else None
        stamp = event.decoded("DTSTAMP")
        if not isinstance(stamp, dt.datetime) or stamp.utcoffset() != dt.timedelta(0):
            fail(f"DTSTAMP {stamp!r} is not a UTC date-time")
        is_date = lambda v: isinstance(v, dt.date) and not isinstance(v, dt.datetime)  # noqa: E731
        events.append({
            "uid": str(event["UID"]),
            "summary": str(event.get("SUMMARY", "")),
            "description": str(event.get("DESCRIPTION", "")),
            "url": str(event.get("URL", "")),
            "transp": str(event.get("TRANSP", "")),
            "dtstart": start.isoformat(),
            "dtend": end.isoformat() if end is not None else None,
            "all_day": is_date(start) and (end is None or is_date(end)),
            "dtstamp": stamp.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        })
    json.dump({
        "calendar": props,
        "events": events,
        "content_lines": {"crlf": crlf, "longest_octets": longest},
    }, sys.stdout)


if __name__ == "__main__":
    main()
