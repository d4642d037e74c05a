package mail

import (
	"slices"
	"time"
)

// Reminder is one reminder of an appointment: how long before it, and when that is.
type Reminder struct {
	Lead time.Duration
	At   time.Time
}

// Reminders are the reminders of an appointment starting at start, one per lead time (in
// minutes), earliest first. Reminders whose time has passed by now are left out; so is a lead
// time given twice.
func Reminders(start time.Time, leadMinutes []int64, now time.Time) []Reminder {
	var out []Reminder
	for _, minutes := range leadMinutes {
		lead := time.Duration(minutes) * time.Minute
		at := start.Add(-lead)
		if minutes <= 0 || !at.After(now) || slices.ContainsFunc(out, func(r Reminder) bool { return r.Lead == lead }) {
			continue
		}
		out = append(out, Reminder{Lead: lead, At: at})
	}
	slices.SortFunc(out, func(a, b Reminder) int { return a.At.Compare(b.At) })
	return out
}
