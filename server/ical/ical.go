// Package ical writes RFC 5545 calendars: the therapist's calendar feed and the event attached to
// appointment reminders.
package ical

import (
	"fmt"
	"strings"
	"time"
)

// Event is one calendar entry.
type Event struct {
	UID          string
	Start, End   time.Time
	LastModified time.Time
	Summary      string
	Description  string
	Cancelled    bool
	Sequence     int
}

// Calendar renders events as a calendar named name, stamped now.
func Calendar(name string, events []Event, now time.Time) string {
	const stamp = "20060102T150405Z"
	var b strings.Builder
	line := func(format string, args ...any) {
		fmt.Fprintf(&b, format, args...)
		b.WriteString("\r\n")
	}
	line("BEGIN:VCALENDAR")
	line("VERSION:2.0")
	line("PRODID:-//Amend//Counseling sessions//EN")
	line("CALSCALE:GREGORIAN")
	line("METHOD:PUBLISH")
	line("X-WR-CALNAME:%s", escape(name))
	for _, e := range events {
		status := "CONFIRMED"
		if e.Cancelled {
			status = "CANCELLED"
		}
		line("BEGIN:VEVENT")
		line("UID:%s", e.UID)
		line("DTSTAMP:%s", now.UTC().Format(stamp))
		line("LAST-MODIFIED:%s", e.LastModified.UTC().Format(stamp))
		line("DTSTART:%s", e.Start.UTC().Format(stamp))
		line("DTEND:%s", e.End.UTC().Format(stamp))
		line("SUMMARY:%s", escape(e.Summary))
		if e.Description != "" {
			line("DESCRIPTION:%s", escape(e.Description))
		}
		line("STATUS:%s", status)
		line("SEQUENCE:%d", e.Sequence)
		line("END:VEVENT")
	}
	line("END:VCALENDAR")
	return b.String()
}

// escape writes text as an RFC 5545 TEXT value on one line.
var escape = strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`).Replace
