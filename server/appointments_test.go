package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/amendcare/amend/server/store"
)

// appointment books an hour for p's Couple with p.Therapist, hours after a fixed future start.
func (w *world) appointment(p *practice) int64 {
	w.t.Helper()
	start := time.Date(2031, 1, 6, 9, 0, 0, 0, time.UTC).Add(time.Duration(w.counter()) * 2 * time.Hour)
	a, err := w.store.CreateAppointment(context.Background(), store.NewAppointment{PracticeID: p.ID, CoupleID: p.CoupleID,
		TherapistID: p.Therapist.ID, StartsAt: start, EndsAt: start.Add(time.Hour), TimeZone: "Europe/Berlin", CreatedBy: p.Therapist.ID})
	if err != nil {
		w.t.Fatal(err)
	}
	return a.ID
}

// therapistSelf models how a fixture actor stands to p.Therapist's membership.
func therapistSelf(p *practice, a *actor) string {
	if a == p.Therapist {
		return store.RelSelf
	}
	return store.RelPractice
}

func appointmentMatrix(couplePath pathBuilder) []matrixCase {
	memberPath := func(method, suffix string) func(*world, *practice) (string, string, any) {
		return func(_ *world, p *practice) (string, string, any) {
			return method, "/api/v1/practices/" + id(p.ID) + "/members/" + id(p.Therapist.ID) + suffix, nil
		}
	}
	return []matrixCase{
		{name: "book an appointment", object: "appointment", action: "create", success: 201,
			request: func(w *world, p *practice) (string, string, any) {
				start := time.Date(2032, 3, 1, 10, 0, 0, 0, time.UTC).Add(time.Duration(w.counter()) * 2 * time.Hour)
				return http.MethodPost, "/api/v1/couples/" + id(p.CoupleID) + "/appointments",
					map[string]any{"starts_at": start.Format(time.RFC3339), "time_zone": "America/New_York", "therapist_id": p.Therapist.ID}
			}, relation: coupleRelation},
		{name: "list a couple's appointments", object: "appointment", action: "list", success: 200,
			request: couplePath(http.MethodGet, "/appointments", nil), relation: coupleRelation},
		{name: "read an appointment", object: "appointment", action: "read", success: 200,
			request: func(w *world, p *practice) (string, string, any) {
				return http.MethodGet, "/api/v1/appointments/" + id(w.appointment(p)), nil
			}, relation: coupleRelation},
		{name: "cancel an appointment", object: "appointment", action: "cancel", success: 200,
			request: func(w *world, p *practice) (string, string, any) {
				return http.MethodPost, "/api/v1/appointments/" + id(w.appointment(p)) + "/cancel", nil
			}, relation: coupleRelation},
		{name: "read own schedule", object: "appointment", action: "list", success: 200,
			request: memberPath(http.MethodGet, "/appointments"), relation: therapistSelf},
		{name: "make a calendar link", object: "calendar_feed", action: "rotate", success: 201,
			request: memberPath(http.MethodPost, "/calendar-feed"), relation: therapistSelf},
		{name: "turn the calendar link off", object: "calendar_feed", action: "revoke", success: 204,
			request: func(w *world, p *practice) (string, string, any) {
				_, hash := newToken()
				if err := w.store.RotateCalendarFeed(context.Background(), p.ID, p.Therapist.ID, hash); err != nil {
					w.t.Fatal(err)
				}
				return http.MethodDelete, "/api/v1/practices/" + id(p.ID) + "/members/" + id(p.Therapist.ID) + "/calendar-feed", nil
			}, relation: therapistSelf},
	}
}

func TestAppointmentsAreTimeZoneAwareAndNeverDoubleBooked(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	path := "/api/v1/couples/" + id(p.CoupleID) + "/appointments"
	// 14:00 in Berlin in July is 12:00 UTC.
	res := p.Therapist.do(http.MethodPost, path, map[string]any{"starts_at": "2030-07-01T14:00", "time_zone": "Europe/Berlin", "duration_minutes": 60})
	var a store.Appointment
	res.JSON(t, &a)
	if res.Status != http.StatusCreated || !a.StartsAt.Equal(time.Date(2030, 7, 1, 12, 0, 0, 0, time.UTC)) ||
		!a.EndsAt.Equal(time.Date(2030, 7, 1, 13, 0, 0, 0, time.UTC)) || !strings.Contains(string(res.Body), `"starts_at":"2030-07-01T14:00:00+02:00"`) {
		t.Fatalf("local time in Berlin: %d %s", res.Status, res.Body)
	}
	for _, tc := range []struct {
		name string
		body map[string]any
		want int
	}{
		{"same hour given with an offset", map[string]any{"starts_at": "2030-07-01T08:30:00-04:00", "time_zone": "America/New_York"}, http.StatusConflict},
		{"overlapping the end", map[string]any{"starts_at": "2030-07-01T12:59:00Z", "time_zone": "UTC"}, http.StatusConflict},
		{"right after", map[string]any{"starts_at": "2030-07-01T13:00:00Z", "time_zone": "UTC"}, http.StatusCreated},
	} {
		if res := p.Therapist.do(http.MethodPost, path, tc.body); res.Status != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, res.Status, res.Body, tc.want)
		}
	}
	// Another therapist's appointment at the same time is fine; the first therapist's is not, on any couple.
	other := p.OtherTherapist.do(http.MethodPost, "/api/v1/couples/"+id(p.OtherCoupleID)+"/appointments",
		map[string]any{"starts_at": "2030-07-01T12:00:00Z", "time_zone": "UTC"})
	if other.Status != http.StatusCreated {
		t.Errorf("another therapist at the same time: %d %s", other.Status, other.Body)
	}
	// Cancelling frees the slot.
	if res := p.Therapist.do(http.MethodPost, "/api/v1/appointments/"+id(a.ID)+"/cancel", nil); res.Status != http.StatusOK {
		t.Fatalf("cancel: %d %s", res.Status, res.Body)
	}
	if res := p.Therapist.do(http.MethodPost, "/api/v1/appointments/"+id(a.ID)+"/cancel", nil); res.Status != http.StatusConflict {
		t.Errorf("cancel twice: %d, want 409", res.Status)
	}
	if res := p.Therapist.do(http.MethodPost, path, map[string]any{"starts_at": "2030-07-01T12:00:00Z", "time_zone": "UTC"}); res.Status != http.StatusCreated {
		t.Errorf("booking a cancelled slot: %d %s", res.Status, res.Body)
	}
	var list struct {
		Appointments []store.Appointment `json:"appointments"`
	}
	p.PartnerB.do(http.MethodGet, path+"?from=2030-07-01T00:00:00Z&to=2030-07-02T00:00:00Z", nil).JSON(t, &list)
	if len(list.Appointments) != 2 {
		t.Errorf("partner sees %d scheduled appointments that day, want 2", len(list.Appointments))
	}
	p.Therapist.do(http.MethodGet, "/api/v1/practices/"+id(p.ID)+"/members/"+id(p.Therapist.ID)+"/appointments?include_cancelled=true", nil).JSON(t, &list)
	if len(list.Appointments) != 3 {
		t.Errorf("therapist's schedule with cancellations has %d appointments, want 3", len(list.Appointments))
	}
	if res := p.OtherTherapist.do(http.MethodGet, "/api/v1/practices/"+id(p.ID)+"/members/"+id(p.Therapist.ID)+"/appointments", nil); res.Status != http.StatusNotFound {
		t.Errorf("a colleague reads another therapist's schedule: %d", res.Status)
	}
}

func TestAppointmentValidation(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	path := "/api/v1/couples/" + id(p.CoupleID) + "/appointments"
	for _, tc := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"unknown time zone", map[string]any{"starts_at": "2030-01-01T10:00", "time_zone": "Mars/Olympus"}, "time_zone"},
		{"not a time", map[string]any{"starts_at": "next tuesday"}, "starts_at"},
		{"ends before it starts", map[string]any{"starts_at": "2030-01-01T10:00:00Z", "ends_at": "2030-01-01T09:00:00Z"}, "ends_at"},
		{"both end and duration", map[string]any{"starts_at": "2030-01-01T10:00:00Z", "ends_at": "2030-01-01T11:00:00Z", "duration_minutes": 60}, "duration_minutes"},
		{"therapist not on the care team", map[string]any{"starts_at": "2030-01-01T10:00:00Z", "therapist_id": p.OtherTherapist.ID}, "therapist_id"},
	} {
		res := p.Therapist.do(http.MethodPost, path, tc.body)
		var body struct {
			Error errorBody `json:"error"`
		}
		res.JSON(t, &body)
		if res.Status != http.StatusUnprocessableEntity || body.Error.Field != tc.field {
			t.Errorf("%s: %d %s, want 422 naming %s", tc.name, res.Status, res.Body, tc.field)
		}
	}
	if res := p.PartnerA.do(http.MethodPost, path, map[string]any{"starts_at": "2030-01-01T10:00:00Z"}); res.Status != http.StatusNotFound && res.Status != http.StatusForbidden {
		t.Errorf("a partner books: %d", res.Status)
	}
}

func TestCalendarFeedIsPrivateRevocableAndNamesNobody(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	appointment := w.appointment(p)
	feedPath := "/api/v1/practices/" + id(p.ID) + "/members/" + id(p.Therapist.ID) + "/calendar-feed"
	res := p.Therapist.do(http.MethodPost, feedPath, nil)
	var feed struct {
		Token string `json:"token"`
		URL   string `json:"url"`
	}
	res.JSON(t, &feed)
	if res.Status != http.StatusCreated || !strings.HasSuffix(feed.URL, ".ics") {
		t.Fatalf("rotate: %d %s", res.Status, res.Body)
	}
	var stored int
	if err := w.store.DB().Get(&stored, `SELECT count(*) FROM calendar_feeds WHERE token_hash = $1`, []byte(feed.Token)); err != nil || stored != 0 {
		t.Errorf("the token itself is stored (%d rows, %v)", stored, err)
	}
	cal := w.request(http.MethodGet, feed.URL, nil, nil)
	body := string(cal.Body)
	if cal.Status != http.StatusOK || !strings.HasPrefix(cal.Header.Get("Content-Type"), "text/calendar") {
		t.Fatalf("feed: %d %s %s", cal.Status, cal.Header.Get("Content-Type"), body)
	}
	for _, want := range []string{"BEGIN:VCALENDAR", "SUMMARY:Counseling session", "UID:appointment-" + id(appointment) + "@amend",
		"DESCRIPTION:Couple reference C-" + id(p.CoupleID), "DTSTART:", "\r\n"} {
		if !strings.Contains(body, want) {
			t.Errorf("feed lacks %q:\n%s", want, body)
		}
	}
	for _, secret := range []string{"Couple A", p.PartnerA.Name, p.PartnerB.Name, p.Therapist.Name, "infidelity"} {
		if strings.Contains(body, secret) {
			t.Errorf("feed names %q:\n%s", secret, body)
		}
	}
	// Rotating retires the old link; revoking turns the feed off.
	var rotated struct {
		URL string `json:"url"`
	}
	p.Therapist.do(http.MethodPost, feedPath, nil).JSON(t, &rotated)
	if res := w.request(http.MethodGet, feed.URL, nil, nil); res.Status != http.StatusNotFound {
		t.Errorf("old link after rotation: %d", res.Status)
	}
	if res := w.request(http.MethodGet, rotated.URL, nil, nil); res.Status != http.StatusOK {
		t.Errorf("new link: %d", res.Status)
	}
	if res := p.Therapist.do(http.MethodDelete, feedPath, nil); res.Status != http.StatusNoContent {
		t.Errorf("revoke: %d", res.Status)
	}
	if res := w.request(http.MethodGet, rotated.URL, nil, nil); res.Status != http.StatusNotFound {
		t.Errorf("link after revoking: %d", res.Status)
	}
	if res := p.Therapist.do(http.MethodDelete, feedPath, nil); res.Status != http.StatusNotFound {
		t.Errorf("revoking when off: %d", res.Status)
	}
	for _, path := range []string{"/api/v1/calendar/nonsense.ics", "/api/v1/calendar/" + strings.Repeat("A", 43) + ".ics"} {
		if res := w.request(http.MethodGet, path, nil, nil); res.Status != http.StatusNotFound {
			t.Errorf("%s: %d", path, res.Status)
		}
	}
	if res := p.OtherTherapist.do(http.MethodPost, feedPath, nil); res.Status != http.StatusNotFound {
		t.Errorf("a colleague makes another therapist's link: %d", res.Status)
	}
}
