package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/server/store"
)

// booking books an appointment for p's Couple with p.Therapist straight in the store (where a
// time in the past is not refused), starting at start and lasting an hour.
func (w *world) booking(p *practice, start time.Time, kind string) store.Appointment {
	w.t.Helper()
	a, err := w.store.CreateAppointment(context.Background(), store.NewAppointment{PracticeID: p.ID, CoupleID: p.CoupleID,
		TherapistID: p.Therapist.ID, StartsAt: start, EndsAt: start.Add(time.Hour), TimeZone: "UTC", Kind: kind, CreatedBy: p.Therapist.ID})
	if err != nil {
		w.t.Fatal(err)
	}
	return a
}

// pastBooking books p's Couple an hour that started a while ago, unique within the world.
func (w *world) pastBooking(p *practice) store.Appointment {
	w.t.Helper()
	return w.booking(p, time.Now().Add(-time.Duration(w.counter())*2*time.Hour).Truncate(time.Minute), store.KindInPerson)
}

// fullWeek gives p.Therapist working hours of 08:00 to 20:00 UTC on every day.
func (w *world) fullWeek(p *practice) {
	w.t.Helper()
	week := store.WeeklyHours{TimeZone: "UTC"}
	for day := range 7 {
		week.Hours = append(week.Hours, store.WorkingHours{Weekday: day, Starts: "08:00", Ends: "20:00"})
	}
	if err := w.store.SetWorkingHours(context.Background(), p.ID, p.Therapist.ID, week); err != nil {
		w.t.Fatal(err)
	}
}

// timeOff records days of time off for p.Therapist straight in the store, from first on.
func (w *world) timeOff(p *practice, first time.Time, days int, reason string) store.TimeOff {
	w.t.Helper()
	off, err := w.store.AddTimeOff(context.Background(), p.ID, p.Therapist.ID, p.Admin.ID,
		first.Format(time.DateOnly), first.AddDate(0, 0, days-1).Format(time.DateOnly), reason)
	if err != nil {
		w.t.Fatal(err)
	}
	return off
}

// request stores a partner's pending request for 10:00 UTC on a day of its own.
func (w *world) appointmentRequest(p *practice) int64 {
	w.t.Helper()
	start := time.Date(2031, 3, 3, 10, 0, 0, 0, time.UTC).AddDate(0, 0, int(w.counter()))
	r, err := w.store.CreateAppointmentRequest(context.Background(), p.ID, store.AppointmentRequest{CoupleID: p.CoupleID,
		TherapistID: p.Therapist.ID, RequestedBy: &p.PartnerA.ID, StartsAt: start, EndsAt: start.Add(time.Hour), TimeZone: "UTC", Kind: store.KindVideo})
	if err != nil {
		w.t.Fatal(err)
	}
	return r.ID
}

func schedulingMatrix() []matrixCase {
	practicePath := func(method, suffix string, body any) func(*world, *practice) (string, string, any) {
		return func(_ *world, p *practice) (string, string, any) {
			return method, "/api/v1/practices/" + id(p.ID) + suffix, body
		}
	}
	hoursPath := func(method string, body any) func(*world, *practice) (string, string, any) {
		return func(_ *world, p *practice) (string, string, any) {
			return method, "/api/v1/practices/" + id(p.ID) + "/members/" + id(p.Therapist.ID) + "/working-hours", body
		}
	}
	timeOffPath := func(method string, body func(w *world, p *practice) (string, any)) func(*world, *practice) (string, string, any) {
		return func(w *world, p *practice) (string, string, any) {
			suffix, b := body(w, p)
			return method, "/api/v1/practices/" + id(p.ID) + "/members/" + id(p.Therapist.ID) + "/time-off" + suffix, b
		}
	}
	appointmentAction := func(suffix string, body any, book func(*world, *practice) store.Appointment) func(*world, *practice) (string, string, any) {
		return func(w *world, p *practice) (string, string, any) {
			return http.MethodPost, "/api/v1/appointments/" + id(book(w, p).ID) + suffix, body
		}
	}
	future := func(kind string) func(*world, *practice) store.Appointment {
		return func(w *world, p *practice) store.Appointment {
			return w.booking(p, time.Date(2033, 1, 3, 9, 0, 0, 0, time.UTC).Add(time.Duration(w.counter())*2*time.Hour), kind)
		}
	}
	return []matrixCase{
		{name: "see the practice calendar", object: "appointment", action: "list", success: 200,
			request: practicePath(http.MethodGet, "/calendar", nil), relation: everyone(store.RelPractice)},
		{name: "book a series", object: "appointment", action: "create", success: 201,
			request: func(w *world, p *practice) (string, string, any) {
				start := time.Date(2034, 1, 2, 9, 0, 0, 0, time.UTC).Add(time.Duration(w.counter()) * 2 * time.Hour)
				return http.MethodPost, "/api/v1/couples/" + id(p.CoupleID) + "/appointment-series", map[string]any{
					"starts_at": start.Format(time.RFC3339), "time_zone": "UTC", "therapist_id": p.Therapist.ID, "interval_weeks": 2, "count": 2}
			}, relation: coupleRelation},
		{name: "move an appointment", object: "appointment", action: "move", success: 200,
			request: func(w *world, p *practice) (string, string, any) {
				a := future(store.KindPhone)(w, p)
				return http.MethodPost, "/api/v1/appointments/" + id(a.ID) + "/move",
					map[string]any{"starts_at": a.StartsAt.Add(30 * time.Minute).Format(time.RFC3339)}
			}, relation: coupleRelation},
		{name: "record attendance", object: "appointment", action: "attend", success: 200,
			request: appointmentAction("/attendance", map[string]any{"attendance": "attended"}, (*world).pastBooking), relation: coupleRelation},
		{name: "open a video appointment's live room", object: "appointment", action: "start", success: 201,
			request: appointmentAction("/live", nil, future(store.KindVideo)), relation: coupleRelation},
		{name: "read working hours", object: "working_hours", action: "read", success: 200,
			request: hoursPath(http.MethodGet, nil), relation: therapistSelf},
		{name: "set working hours", object: "working_hours", action: "update", success: 200,
			request: hoursPath(http.MethodPut, map[string]any{"time_zone": "Europe/Berlin",
				"hours": []map[string]any{{"weekday": 1, "starts": "09:00", "ends": "17:00"}}}), relation: therapistSelf},
		{name: "read time off", object: "time_off", action: "read", success: 200,
			request: timeOffPath(http.MethodGet, func(*world, *practice) (string, any) { return "", nil }), relation: therapistSelf},
		{name: "record time off", object: "time_off", action: "create", success: 201,
			request: timeOffPath(http.MethodPost, func(w *world, _ *practice) (string, any) {
				day := time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(w.counter())).Format(time.DateOnly)
				return "", map[string]any{"first_day": day, "last_day": day, "reason": "away"}
			}), relation: therapistSelf},
		{name: "remove time off", object: "time_off", action: "delete", success: 204,
			request: timeOffPath(http.MethodDelete, func(w *world, p *practice) (string, any) {
				return "/" + id(w.timeOff(p, time.Date(2041, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(w.counter())), 1, "away").ID), nil
			}), relation: therapistSelf},
		{name: "list open slots", object: "open_slot", action: "list", success: 200,
			request: func(_ *world, p *practice) (string, string, any) {
				return http.MethodGet, "/api/v1/couples/" + id(p.CoupleID) + "/open-slots?therapist_id=" + id(p.Therapist.ID), nil
			}, relation: coupleRelation},
		{name: "ask for a time", object: "appointment_request", action: "create", success: 201,
			request: func(w *world, p *practice) (string, string, any) {
				w.fullWeek(p)
				start := time.Date(2031, 3, 3, 10, 0, 0, 0, time.UTC).AddDate(0, 0, int(w.counter()))
				return http.MethodPost, "/api/v1/couples/" + id(p.CoupleID) + "/appointment-requests", map[string]any{
					"therapist_id": p.Therapist.ID, "starts_at": start.Format(time.RFC3339), "duration_minutes": 60}
			}, relation: coupleRelation},
		{name: "list requests", object: "appointment_request", action: "list", success: 200,
			request: func(_ *world, p *practice) (string, string, any) {
				return http.MethodGet, "/api/v1/couples/" + id(p.CoupleID) + "/appointment-requests", nil
			}, relation: coupleRelation},
		{name: "accept a request", object: "appointment_request", action: "decide", success: 200,
			request: func(w *world, p *practice) (string, string, any) {
				return http.MethodPost, "/api/v1/appointment-requests/" + id(w.appointmentRequest(p)) + "/accept", nil
			}, relation: coupleRelation},
		{name: "list rooms", object: "room", action: "list", success: 200,
			request: practicePath(http.MethodGet, "/rooms", nil), relation: everyone(store.RelPractice)},
		{name: "add a room", object: "room", action: "create", success: 201,
			request: func(w *world, p *practice) (string, string, any) {
				return http.MethodPost, "/api/v1/practices/" + id(p.ID) + "/rooms", map[string]any{"name": fmt.Sprintf("Room %d", w.counter())}
			}, relation: everyone(store.RelPractice)},
		{name: "read the cancellation window", object: "scheduling_settings", action: "read", success: 200,
			request: practicePath(http.MethodGet, "/scheduling-settings", nil), relation: everyone(store.RelPractice)},
		{name: "change the cancellation window", object: "scheduling_settings", action: "update", success: 200,
			request:  practicePath(http.MethodPut, "/scheduling-settings", map[string]any{"cancellation_window_hours": 48}),
			relation: everyone(store.RelPractice)},
	}
}

// localStarts lists the appointments' starts as local RFC 3339 times, as the API shows them.
func localStarts(list []store.Appointment) []string {
	out := make([]string, len(list))
	for i, a := range list {
		out[i] = a.StartsAt.Format(time.RFC3339)
	}
	return out
}

func TestSeriesKeepsWallClockTimeAcrossDaylightSaving(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	// New York leaves daylight saving time on Sunday 3 November 2030.
	for _, tc := range []struct {
		name     string
		interval int
		start    string
		want     []string
	}{
		{"weekly", 1, "2030-10-21T10:00", []string{"2030-10-21T10:00:00-04:00", "2030-10-28T10:00:00-04:00", "2030-11-04T10:00:00-05:00"}},
		{"every other week", 2, "2030-10-22T16:00", []string{"2030-10-22T16:00:00-04:00", "2030-11-05T16:00:00-05:00", "2030-11-19T16:00:00-05:00"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := p.FrontDesk.do(http.MethodPost, "/api/v1/couples/"+id(p.CoupleID)+"/appointment-series", map[string]any{
				"starts_at": tc.start, "time_zone": "America/New_York", "therapist_id": p.Therapist.ID, "interval_weeks": tc.interval,
				"count": 3, "kind": "video"})
			var body struct {
				Series       store.Series        `json:"series"`
				Appointments []store.Appointment `json:"appointments"`
			}
			res.JSON(t, &body)
			if res.Status != http.StatusCreated {
				t.Fatalf("series: %d %s", res.Status, res.Body)
			}
			if got := localStarts(body.Appointments); strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("occurrences %v, want %v", got, tc.want)
			}
			for _, a := range body.Appointments {
				if a.SeriesID == nil || *a.SeriesID != body.Series.ID || a.Kind != store.KindVideo || a.TherapistName != p.Therapist.Name {
					t.Errorf("occurrence %+v does not belong to series %d with its therapist", a, body.Series.ID)
				}
			}
		})
	}
}

func TestRescheduleOneOrThisAndFollowing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	book := func() []store.Appointment {
		// Four weekly Mondays, in a month of their own.
		start := time.Date(2031, 1, 6, 10, 0, 0, 0, time.UTC).AddDate(0, 0, 35*int(w.counter()))
		res := p.Therapist.do(http.MethodPost, "/api/v1/couples/"+id(p.CoupleID)+"/appointment-series", map[string]any{
			"starts_at": start.Format("2006-01-02T15:04"), "time_zone": "America/New_York", "interval_weeks": 1, "count": 4})
		var body struct {
			Appointments []store.Appointment `json:"appointments"`
		}
		res.JSON(t, &body)
		if res.Status != http.StatusCreated || len(body.Appointments) != 4 {
			t.Fatalf("series: %d %s", res.Status, res.Body)
		}
		return body.Appointments
	}
	series := func(a store.Appointment) []store.Appointment {
		list, err := w.store.SeriesAppointments(context.Background(), p.ID, *a.SeriesID)
		if err != nil {
			t.Fatal(err)
		}
		return inZoneAll(list)
	}
	t.Run("this and the following keep their wall-clock time across the change", func(t *testing.T) {
		// Weekly on Mondays from 21 October 2030; the second moves to Tuesday 15:30, and the rest follow.
		res := p.Therapist.do(http.MethodPost, "/api/v1/couples/"+id(p.CoupleID)+"/appointment-series", map[string]any{
			"starts_at": "2030-10-21T10:00", "time_zone": "America/New_York", "interval_weeks": 1, "count": 4})
		var body struct {
			Appointments []store.Appointment `json:"appointments"`
		}
		res.JSON(t, &body)
		if res.Status != http.StatusCreated {
			t.Fatalf("series: %d %s", res.Status, res.Body)
		}
		moved := p.Therapist.do(http.MethodPost, "/api/v1/appointments/"+id(body.Appointments[1].ID)+"/move",
			map[string]any{"starts_at": "2030-10-29T15:30", "scope": "following"})
		if moved.Status != http.StatusOK {
			t.Fatalf("move following: %d %s", moved.Status, moved.Body)
		}
		want := "2030-10-21T10:00:00-04:00 2030-10-29T15:30:00-04:00 2030-11-05T15:30:00-05:00 2030-11-12T15:30:00-05:00"
		if got := strings.Join(localStarts(series(body.Appointments[0])), " "); got != want {
			t.Errorf("series after the move:\n%s\nwant\n%s", got, want)
		}
	})
	t.Run("one occurrence moves alone and a skipped one stays skipped", func(t *testing.T) {
		list := book()
		if res := p.Therapist.do(http.MethodPost, "/api/v1/appointments/"+id(list[1].ID)+"/cancel", nil); res.Status != http.StatusOK {
			t.Fatalf("skip: %d %s", res.Status, res.Body)
		}
		res := p.Therapist.do(http.MethodPost, "/api/v1/appointments/"+id(list[2].ID)+"/move",
			map[string]any{"starts_at": list[2].StartsAt.Add(2 * time.Hour).Format(time.RFC3339)})
		if res.Status != http.StatusOK {
			t.Fatalf("move one: %d %s", res.Status, res.Body)
		}
		after := series(list[0])
		for i, want := range []struct {
			start  time.Time
			status string
		}{{list[0].StartsAt, "scheduled"}, {list[1].StartsAt, "cancelled"}, {list[2].StartsAt.Add(2 * time.Hour), "scheduled"}, {list[3].StartsAt, "scheduled"}} {
			if !after[i].StartsAt.Equal(want.start) || after[i].Status != want.status {
				t.Errorf("occurrence %d: %s %s, want %s %s", i, after[i].StartsAt, after[i].Status, want.start, want.status)
			}
		}
	})
	t.Run("moving the following onto one another is checked on the result", func(t *testing.T) {
		list := book()
		res := p.Therapist.do(http.MethodPost, "/api/v1/appointments/"+id(list[0].ID)+"/move",
			map[string]any{"starts_at": list[1].StartsAt.Format(time.RFC3339), "scope": "following"})
		if res.Status != http.StatusOK {
			t.Fatalf("shift the whole series a week on: %d %s", res.Status, res.Body)
		}
	})
	for _, tc := range []struct {
		name   string
		caller *actor
		body   map[string]any
		want   int
		field  string
	}{
		{"a single appointment has no following", p.Therapist, map[string]any{"scope": "following"}, http.StatusUnprocessableEntity, "scope"},
		{"never into the past", p.Therapist, map[string]any{"starts_at": "2020-01-06T10:00:00Z"}, http.StatusUnprocessableEntity, "starts_at"},
		{"a colleague may not know it", p.OtherTherapist, map[string]any{}, http.StatusNotFound, ""},
		{"another practice's administrator may not know it", w.B.Admin, map[string]any{}, http.StatusNotFound, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := w.booking(p, time.Date(2035, 1, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(w.counter())*2*time.Hour), store.KindPhone)
			if _, ok := tc.body["starts_at"]; !ok {
				tc.body["starts_at"] = a.StartsAt.Add(time.Hour).Format(time.RFC3339)
			}
			res := tc.caller.do(http.MethodPost, "/api/v1/appointments/"+id(a.ID)+"/move", tc.body)
			var body struct {
				Error errorBody `json:"error"`
			}
			res.JSON(t, &body)
			if res.Status != tc.want || body.Error.Field != tc.field {
				t.Errorf("%d %s, want %d naming %q", res.Status, res.Body, tc.want, tc.field)
			}
		})
	}
}

func inZoneAll(list []store.Appointment) []store.Appointment {
	for i := range list {
		list[i] = inZone(list[i])
	}
	return list
}

func TestDoubleBookingNamesTheAppointmentInTheWay(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	ctx := context.Background()
	// A couple seen by both therapists, and a room.
	shared := w.couple(p.ID, "Shared couple", p.Therapist.ID)
	if err := w.store.SetCoupleCareTeam(ctx, p.ID, shared, []int64{p.Therapist.ID, p.OtherTherapist.ID}); err != nil {
		t.Fatal(err)
	}
	room, err := w.store.CreateRoom(ctx, p.ID, "Garden room")
	if err != nil {
		t.Fatal(err)
	}
	book := func(caller *actor, couple int64, body map[string]any) *response {
		body["time_zone"] = "Europe/Berlin"
		return caller.do(http.MethodPost, "/api/v1/couples/"+id(couple)+"/appointments", body)
	}
	for _, first := range []struct {
		couple int64
		body   map[string]any
	}{
		{shared, map[string]any{"starts_at": "2030-07-01T14:00", "therapist_id": p.Therapist.ID}},
		{p.OtherCoupleID, map[string]any{"starts_at": "2030-07-02T09:00", "therapist_id": p.OtherTherapist.ID, "room_id": room.ID}},
	} {
		if res := book(p.FrontDesk, first.couple, first.body); res.Status != http.StatusCreated {
			t.Fatalf("first booking: %d %s", res.Status, res.Body)
		}
	}
	for _, tc := range []struct {
		name    string
		caller  *actor
		couple  int64
		body    map[string]any
		field   string
		message string
	}{
		{"the therapist is busy", p.Therapist, p.CoupleID, map[string]any{"starts_at": "2030-07-01T14:30"}, "starts_at",
			"A therapist already has an appointment from 14:00 to 14:50 on Monday 1 July 2030."},
		{"the couple is with another therapist", p.OtherTherapist, shared, map[string]any{"starts_at": "2030-07-01T14:10"}, "starts_at",
			"This couple already has an appointment with A therapist from 14:00 to 14:50 on Monday 1 July 2030."},
		{"the room is taken", p.Admin, p.CoupleID, map[string]any{"starts_at": "2030-07-02T09:20", "therapist_id": p.Therapist.ID, "room_id": room.ID}, "room_id",
			"Garden room is booked from 09:00 to 09:50 on Tuesday 2 July 2030."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := book(tc.caller, tc.couple, tc.body)
			var body struct {
				Error errorBody `json:"error"`
			}
			res.JSON(t, &body)
			if res.Status != http.StatusConflict || body.Error.Field != tc.field || body.Error.Message != tc.message {
				t.Errorf("%d %s, want 409 on %s saying %q", res.Status, res.Body, tc.field, tc.message)
			}
		})
	}
	// Another practice's front desk cannot book this practice's couple at all.
	if res := book(w.B.FrontDesk, p.CoupleID, map[string]any{"starts_at": "2030-07-03T14:00", "therapist_id": p.Therapist.ID}); res.Status != http.StatusNotFound {
		t.Errorf("another practice's front desk books: %d %s", res.Status, res.Body)
	}
}

func TestABookingInThePastNeedsToSayItRecordsAPastSession(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	path := "/api/v1/couples/" + id(p.CoupleID) + "/appointments"
	now := time.Now().UTC().Truncate(time.Minute)
	yesterday := now.Add(-24 * time.Hour).Format(time.RFC3339)
	// A series recorded from a past first session starts at another hour than the single one.
	yesterdayEarlier := now.Add(-27 * time.Hour).Format(time.RFC3339)
	tomorrow := now.Add(24 * time.Hour).Format(time.RFC3339)
	for _, tc := range []struct {
		name   string
		caller *actor
		body   map[string]any
		want   int
		field  string
	}{
		{"a past time alone is refused", p.Therapist, map[string]any{"starts_at": yesterday}, http.StatusUnprocessableEntity, "starts_at"},
		{"recorded as a past session", p.Therapist, map[string]any{"starts_at": yesterday, "record_past": true}, http.StatusCreated, ""},
		{"a time to come is not a past session", p.Therapist, map[string]any{"starts_at": tomorrow, "record_past": true}, http.StatusUnprocessableEntity, "record_past"},
		{"a series cannot start in the past unasked", p.Therapist, map[string]any{"starts_at": yesterday, "interval_weeks": 1, "count": 2}, http.StatusUnprocessableEntity, "starts_at"},
		{"a series starts from its recorded past session", p.Therapist, map[string]any{"starts_at": yesterdayEarlier, "record_past": true, "interval_weeks": 1, "count": 2}, http.StatusCreated, ""},
		{"a series to come does not start from a past session", p.Therapist, map[string]any{"starts_at": tomorrow, "record_past": true, "interval_weeks": 1, "count": 2}, http.StatusUnprocessableEntity, "record_past"},
		{"another practice's therapist cannot record a series for the couple", w.B.Therapist, map[string]any{"starts_at": yesterdayEarlier, "record_past": true, "interval_weeks": 1, "count": 2}, http.StatusNotFound, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := path
			if _, ok := tc.body["interval_weeks"]; ok {
				target = "/api/v1/couples/" + id(p.CoupleID) + "/appointment-series"
			}
			res := tc.caller.do(http.MethodPost, target, tc.body)
			var body struct {
				Error errorBody `json:"error"`
			}
			res.JSON(t, &body)
			if res.Status != tc.want || body.Error.Field != tc.field {
				t.Errorf("%d %s, want %d naming %q", res.Status, res.Body, tc.want, tc.field)
			}
		})
	}
}

func TestAttendanceIsRecordedOnceByItsRules(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	now := time.Now().Truncate(time.Minute)
	at := func(d time.Duration) func() store.Appointment {
		// Bookings of one offset lie 61 minutes apart, so the couple's hours never overlap.
		return func() store.Appointment {
			return w.booking(p, now.Add(d).Add(time.Duration(w.counter())*61*time.Minute), store.KindInPerson)
		}
	}
	for _, tc := range []struct {
		name       string
		caller     *actor
		book       func() store.Appointment
		attendance string
		want       int
		status     string
	}{
		{"attended once it has started", p.Therapist, func() store.Appointment { return w.pastBooking(p) }, "attended", http.StatusOK, "scheduled"},
		{"the front desk records a no-show", p.FrontDesk, func() store.Appointment { return w.pastBooking(p) }, "no_show", http.StatusOK, "scheduled"},
		{"not attended before it starts", p.Therapist, at(72 * time.Hour), "attended", http.StatusUnprocessableEntity, ""},
		{"a late cancellation inside the window", p.Therapist, at(2 * time.Hour), "late_cancel", http.StatusOK, "cancelled"},
		{"no late cancellation outside the window", p.Therapist, at(72 * time.Hour), "late_cancel", http.StatusUnprocessableEntity, ""},
		{"a cancellation before the start", p.Admin, at(72 * time.Hour), "cancelled", http.StatusOK, "cancelled"},
		{"no cancellation once it has started", p.Therapist, func() store.Appointment { return w.pastBooking(p) }, "cancelled", http.StatusUnprocessableEntity, ""},
		{"a partner may read it but not record it", p.PartnerA, func() store.Appointment { return w.pastBooking(p) }, "attended", http.StatusForbidden, ""},
		{"a colleague may not know it", p.OtherTherapist, func() store.Appointment { return w.pastBooking(p) }, "attended", http.StatusNotFound, ""},
		{"another practice's front desk may not know it", w.B.FrontDesk, func() store.Appointment { return w.pastBooking(p) }, "attended", http.StatusNotFound, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := tc.book()
			res := tc.caller.do(http.MethodPost, "/api/v1/appointments/"+id(a.ID)+"/attendance", map[string]any{"attendance": tc.attendance})
			var got store.Appointment
			res.JSON(t, &got)
			if res.Status != tc.want {
				t.Fatalf("%d %s, want %d", res.Status, res.Body, tc.want)
			}
			if tc.want != http.StatusOK {
				return
			}
			if got.Attendance == nil || *got.Attendance != tc.attendance || got.AttendanceRecordedAt == nil || got.Status != tc.status {
				t.Errorf("recorded %s", res.Body)
			}
			if again := tc.caller.do(http.MethodPost, "/api/v1/appointments/"+id(a.ID)+"/attendance", map[string]any{"attendance": tc.attendance}); again.Status != http.StatusConflict {
				t.Errorf("recorded twice: %d %s", again.Status, again.Body)
			}
		})
	}
}

func TestAnAttendedAppointmentLinksItsNoteForTheCareTeamOnly(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	a := w.pastBooking(p)
	if res := p.Therapist.do(http.MethodPost, "/api/v1/appointments/"+id(a.ID)+"/attendance", map[string]any{"attendance": "attended"}); res.Status != http.StatusOK {
		t.Fatalf("attended: %d %s", res.Status, res.Body)
	}
	res := p.Therapist.do(http.MethodPost, "/api/v1/couples/"+id(p.CoupleID)+"/notes", map[string]any{"template": "soap", "appointment_id": a.ID})
	var note store.Note
	res.JSON(t, &note)
	if res.Status != http.StatusCreated || note.AppointmentID == nil || *note.AppointmentID != a.ID {
		t.Fatalf("note on the appointment: %d %s", res.Status, res.Body)
	}
	other := p.OtherTherapist.do(http.MethodPost, "/api/v1/couples/"+id(p.OtherCoupleID)+"/notes", map[string]any{"template": "soap", "appointment_id": a.ID})
	if other.Status != http.StatusUnprocessableEntity {
		t.Errorf("a note of another couple names the appointment: %d %s", other.Status, other.Body)
	}
	for _, tc := range []struct {
		reader   *actor
		seesNote bool
	}{{p.Therapist, true}, {p.PartnerA, false}, {p.FrontDesk, false}, {p.Admin, false}} {
		var got store.Appointment
		res := tc.reader.do(http.MethodGet, "/api/v1/appointments/"+id(a.ID), nil)
		res.JSON(t, &got)
		if res.Status != http.StatusOK || (got.NoteID != nil) != tc.seesNote || (tc.seesNote && *got.NoteID != note.ID) {
			t.Errorf("%s reads the appointment: %d %s, sees note: %v", tc.reader.Name, res.Status, res.Body, tc.seesNote)
		}
	}
}

func TestRecordAttendanceTxCommitsWithItsCaller(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	a := w.pastBooking(p)
	ctx := context.Background()
	tx, err := w.store.DB().BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.RecordAttendanceTx(ctx, tx, p.ID, a.ID, store.AttendanceAttended, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	got, err := w.store.AppointmentByID(ctx, p.ID, a.ID)
	if err != nil || got.Attendance != nil {
		t.Fatalf("attendance after the caller rolled back: %v %v", got.Attendance, err)
	}
	if err := store.RecordAttendanceTx(ctx, mustTx(t, w), w.B.ID, a.ID, store.AttendanceAttended, time.Now()); fault.ErrorCode(err) != fault.NotFound {
		t.Errorf("recording in another practice: %v, want not found", err)
	}
}

func TestRecordingAttendanceChargesTheAppointmentOnceWithItsTransaction(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	ctx := context.Background()
	charges := func(appointmentID int64) int {
		t.Helper()
		var n int
		if err := w.store.DB().GetContext(ctx, &n, `SELECT count(*) FROM ledger_entries
			WHERE appointment_id = $1 AND kind = 'charge'`, appointmentID); err != nil {
			t.Fatal(err)
		}
		return n
	}

	rolledBack := w.pastBooking(p)
	tx := mustTx(t, w)
	if err := store.RecordAttendanceTx(ctx, tx, p.ID, rolledBack.ID, store.AttendanceAttended, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if got, err := w.store.AppointmentByID(ctx, p.ID, rolledBack.ID); err != nil || got.Attendance != nil || charges(rolledBack.ID) != 0 {
		t.Fatalf("after a rollback: attendance %v, %d charges, %v; want neither", got.Attendance, charges(rolledBack.ID), err)
	}

	attended := w.pastBooking(p)
	res := p.Therapist.do(http.MethodPost, "/api/v1/appointments/"+id(attended.ID)+"/attendance", map[string]any{"attendance": "attended"})
	if res.Status != http.StatusOK {
		t.Fatalf("recording attendance: %d %s", res.Status, res.Body)
	}
	if n := charges(attended.ID); n != 1 {
		t.Errorf("an attended session has %d charges, want 1", n)
	}
	// Charging it again by hand answers the charge attendance made.
	res = p.FrontDesk.do(http.MethodPost, "/api/v1/appointments/"+id(attended.ID)+"/charges", map[string]any{"kind": "session"})
	if res.Status/100 != 2 || charges(attended.ID) != 1 {
		t.Errorf("charging an attended session again: %d, %d charges; want 1", res.Status, charges(attended.ID))
	}
}

func mustTx(t *testing.T, w *world) *sqlx.Tx {
	t.Helper()
	tx, err := w.store.DB().BeginTxx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback() })
	return tx
}

func TestPartnersAskForOpenSlotsAndTheTherapistDecides(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	hoursPath := "/api/v1/practices/" + id(p.ID) + "/members/" + id(p.Therapist.ID) + "/working-hours"
	if res := p.Therapist.do(http.MethodPut, hoursPath, map[string]any{"time_zone": "America/New_York", "hours": []map[string]any{
		{"weekday": 1, "starts": "09:00", "ends": "12:00"}}}); res.Status != http.StatusOK {
		t.Fatalf("working hours: %d %s", res.Status, res.Body)
	}
	if res := p.Therapist.do(http.MethodPut, hoursPath, map[string]any{"time_zone": "America/New_York", "hours": []map[string]any{
		{"weekday": 1, "starts": "09:00", "ends": "12:00"}, {"weekday": 1, "starts": "11:00", "ends": "13:00"}}}); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("overlapping hours: %d %s", res.Status, res.Body)
	}
	// Monday 4 November 2030 is the first Monday after the change to standard time; 10:00 there is booked.
	w.booking(p, time.Date(2030, 11, 4, 15, 0, 0, 0, time.UTC), store.KindInPerson)
	slotsPath := "/api/v1/couples/" + id(p.CoupleID) + "/open-slots?therapist_id=" + id(p.Therapist.ID) +
		"&from=2030-10-28T00:00:00Z&to=2030-11-05T00:00:00Z&duration_minutes=60"
	var slots struct {
		Slots []store.Slot `json:"slots"`
	}
	res := p.PartnerB.do(http.MethodGet, slotsPath, nil)
	res.JSON(t, &slots)
	var got []string
	for _, s := range slots.Slots {
		got = append(got, s.StartsAt.UTC().Format(time.RFC3339))
	}
	want := "2030-10-28T13:00:00Z 2030-10-28T14:00:00Z 2030-10-28T15:00:00Z 2030-11-04T14:00:00Z 2030-11-04T16:00:00Z"
	if res.Status != http.StatusOK || strings.Join(got, " ") != want {
		t.Fatalf("open slots: %d %v, want %s", res.Status, got, want)
	}
	if res := p.OtherPartner.do(http.MethodGet, slotsPath, nil); res.Status != http.StatusNotFound {
		t.Errorf("another couple's partner reads the slots: %d", res.Status)
	}
	requests := "/api/v1/couples/" + id(p.CoupleID) + "/appointment-requests"
	ask := func(start string) *response {
		return p.PartnerA.do(http.MethodPost, requests, map[string]any{"therapist_id": p.Therapist.ID, "starts_at": start,
			"duration_minutes": 60, "kind": "video"})
	}
	if res := ask("2030-11-04T15:00:00Z"); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("asking for a booked time: %d %s", res.Status, res.Body)
	}
	var accepted, declined store.AppointmentRequest
	ask("2030-11-04T14:00:00Z").JSON(t, &accepted)
	ask("2030-11-04T16:00:00Z").JSON(t, &declined)
	if accepted.Status != store.RequestPending || accepted.TherapistName != p.Therapist.Name {
		t.Fatalf("request: %+v", accepted)
	}
	for _, decider := range []*actor{p.PartnerA, p.FrontDesk, p.OtherTherapist, w.B.Therapist} {
		if res := decider.do(http.MethodPost, "/api/v1/appointment-requests/"+id(accepted.ID)+"/accept", nil); res.Status != http.StatusNotFound {
			t.Errorf("%s accepts: %d %s", decider.Name, res.Status, res.Body)
		}
	}
	if res := p.Therapist.do(http.MethodPost, "/api/v1/appointment-requests/"+id(accepted.ID)+"/accept", nil); res.Status != http.StatusOK {
		t.Fatalf("accept: %d %s", res.Status, res.Body)
	}
	if res := p.Therapist.do(http.MethodPost, "/api/v1/appointment-requests/"+id(declined.ID)+"/decline", nil); res.Status != http.StatusOK {
		t.Fatalf("decline: %d %s", res.Status, res.Body)
	}
	if res := p.Therapist.do(http.MethodPost, "/api/v1/appointment-requests/"+id(declined.ID)+"/accept", nil); res.Status != http.StatusConflict {
		t.Errorf("accepting a declined request: %d %s", res.Status, res.Body)
	}
	for _, reader := range []*actor{p.PartnerA, p.PartnerB, p.Therapist, p.FrontDesk} {
		var list struct {
			Requests []store.AppointmentRequest `json:"requests"`
		}
		reader.do(http.MethodGet, requests, nil).JSON(t, &list)
		states := map[int64]string{}
		for _, r := range list.Requests {
			states[r.ID] = r.Status
		}
		if states[accepted.ID] != store.RequestAccepted || states[declined.ID] != store.RequestDeclined {
			t.Errorf("%s sees request states %v", reader.Name, states)
		}
	}
	var booked store.Appointment
	for _, r := range []int64{accepted.ID} {
		got, err := w.store.AppointmentRequestByID(context.Background(), p.ID, r)
		if err != nil || got.AppointmentID == nil {
			t.Fatalf("accepted request books nothing: %+v %v", got, err)
		}
		p.PartnerB.do(http.MethodGet, "/api/v1/appointments/"+id(*got.AppointmentID), nil).JSON(t, &booked)
	}
	if booked.Kind != store.KindVideo || !booked.StartsAt.Equal(time.Date(2030, 11, 4, 14, 0, 0, 0, time.UTC)) {
		t.Errorf("booked %+v", booked)
	}
}

func TestAVideoAppointmentOpensOneLiveRoom(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	video := w.booking(p, time.Now().Add(10*time.Minute).Truncate(time.Minute), store.KindVideo)
	path := "/api/v1/appointments/" + id(video.ID) + "/live"
	if res := p.PartnerA.do(http.MethodPost, path, nil); res.Status != http.StatusForbidden {
		t.Errorf("a partner opens the room: %d %s", res.Status, res.Body)
	}
	var first, again struct {
		LiveSessionID int64 `json:"live_session_id"`
	}
	res := p.Therapist.do(http.MethodPost, path, nil)
	res.JSON(t, &first)
	if res.Status != http.StatusCreated || first.LiveSessionID == 0 {
		t.Fatalf("open: %d %s", res.Status, res.Body)
	}
	res = p.Therapist.do(http.MethodPost, path, nil)
	res.JSON(t, &again)
	if res.Status != http.StatusOK || again.LiveSessionID != first.LiveSessionID {
		t.Errorf("open again: %d %s, want the same session %d", res.Status, res.Body, first.LiveSessionID)
	}
	var seen store.Appointment
	p.PartnerB.do(http.MethodGet, "/api/v1/appointments/"+id(video.ID), nil).JSON(t, &seen)
	if seen.LiveSessionID == nil || *seen.LiveSessionID != first.LiveSessionID {
		t.Errorf("the partner's appointment does not link the live room: %+v", seen)
	}
	if res := p.PartnerB.do(http.MethodGet, "/api/v1/live/"+id(first.LiveSessionID), nil); res.Status != http.StatusOK {
		t.Errorf("the partner opens the linked live session: %d %s", res.Status, res.Body)
	}
	phone := w.booking(p, time.Now().Add(3*time.Hour).Truncate(time.Minute), store.KindPhone)
	if res := p.Therapist.do(http.MethodPost, "/api/v1/appointments/"+id(phone.ID)+"/live", nil); res.Status != http.StatusConflict {
		t.Errorf("a phone appointment opens a room: %d %s", res.Status, res.Body)
	}
}

func TestOpeningAVideoRoomAtOnceStartsOneLiveSession(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	// Several appointments, each opened by several callers at once, give the race many chances.
	const appointments, callers = 5, 8
	type opened struct {
		appointment int64
		status      int
		session     int64
	}
	results := make(chan opened, appointments*callers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range appointments {
		video := w.booking(p, time.Now().Add(time.Duration(i+1)*2*time.Hour).Truncate(time.Minute), store.KindVideo)
		path := "/api/v1/appointments/" + id(video.ID) + "/live"
		for range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				var body struct {
					LiveSessionID int64 `json:"live_session_id"`
				}
				res := p.Therapist.do(http.MethodPost, path, nil)
				_ = json.Unmarshal(res.Body, &body)
				results <- opened{video.ID, res.Status, body.LiveSessionID}
			}()
		}
	}
	close(start)
	wg.Wait()
	close(results)
	created := map[int64]int{}
	sessions := map[int64]map[int64]bool{}
	for r := range results {
		switch r.status {
		case http.StatusCreated:
			created[r.appointment]++
		case http.StatusOK:
		default:
			t.Errorf("appointment %d: a caller got %d", r.appointment, r.status)
		}
		if sessions[r.appointment] == nil {
			sessions[r.appointment] = map[int64]bool{}
		}
		sessions[r.appointment][r.session] = true
	}
	for appointment, seen := range sessions {
		if created[appointment] != 1 || len(seen) != 1 || seen[0] {
			t.Errorf("appointment %d: %d callers got sessions %v, %d of them with 201", appointment, callers, seen, created[appointment])
		}
	}
	var started int
	if err := w.store.DB().Get(&started, `SELECT count(*) FROM live_sessions WHERE couple_id = $1`, p.CoupleID); err != nil || started != appointments {
		t.Errorf("the couple has %d live sessions (%v), want %d", started, err, appointments)
	}
}

func TestThePracticeCalendarShowsEveryTherapistToAdministratorsAndTheFrontDesk(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	w.booking(p, time.Date(2031, 2, 3, 9, 0, 0, 0, time.UTC), store.KindInPerson)
	if _, err := w.store.CreateAppointment(context.Background(), store.NewAppointment{PracticeID: p.ID, CoupleID: p.OtherCoupleID,
		TherapistID: p.OtherTherapist.ID, StartsAt: time.Date(2031, 2, 3, 9, 0, 0, 0, time.UTC), EndsAt: time.Date(2031, 2, 3, 10, 0, 0, 0, time.UTC),
		TimeZone: "UTC"}); err != nil {
		t.Fatal(err)
	}
	week := "/api/v1/practices/" + id(p.ID) + "/calendar?from=2031-02-03T00:00:00Z&to=2031-02-10T00:00:00Z"
	for _, tc := range []struct {
		reader *actor
		want   int
	}{{p.Admin, http.StatusOK}, {p.FrontDesk, http.StatusOK}, {p.Therapist, http.StatusNotFound}, {p.PartnerA, http.StatusNotFound}, {w.B.FrontDesk, http.StatusNotFound}} {
		res := tc.reader.do(http.MethodGet, week, nil)
		if res.Status != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.reader.Name, res.Status, res.Body, tc.want)
			continue
		}
		if tc.want != http.StatusOK {
			continue
		}
		var cal struct {
			Appointments []store.Appointment    `json:"appointments"`
			Therapists   []store.CalendarPerson `json:"therapists"`
			Couples      []store.CalendarCouple `json:"couples"`
		}
		res.JSON(t, &cal)
		names := map[string]bool{}
		for _, a := range cal.Appointments {
			names[a.TherapistName] = true
		}
		if len(cal.Appointments) != 2 || !names[p.Therapist.Name] || !names[p.OtherTherapist.Name] || len(cal.Therapists) != 2 || len(cal.Couples) != 2 {
			t.Errorf("%s sees %s", tc.reader.Name, res.Body)
		}
		if strings.Contains(string(res.Body), "infidelity") {
			t.Errorf("the calendar carries a couple's concerns: %s", res.Body)
		}
	}
}

func TestAFrontDeskIsInvitedAndReadsNoClinicalWork(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	res := p.Admin.do(http.MethodPost, "/api/v1/practices/"+id(p.ID)+"/invites", map[string]any{"email": "desk@x.test", "role": "front_desk"})
	if res.Status != http.StatusCreated {
		t.Fatalf("invite a front desk: %d %s", res.Status, res.Body)
	}
	for _, path := range []string{"/notes", "/checkins", "/measures", "/progress", "/commitments", "/assignments", "/live-sessions", ""} {
		if res := p.FrontDesk.do(http.MethodGet, "/api/v1/couples/"+id(p.CoupleID)+path, nil); res.Status != http.StatusNotFound {
			t.Errorf("the front desk reads %q: %d %s", path, res.Status, res.Body)
		}
	}
}

// A therapist's time off closes their open slots and refuses bookings into it with a conflict that
// names the days but never the reason, unless staff override; partners never see the reason.
func TestTimeOffClosesSlotsAndRefusesBookingsUnlessStaffOverride(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	w.fullWeek(p)
	const reason = "Knee surgery recovery"
	monday := time.Date(2031, 4, 7, 0, 0, 0, 0, time.UTC)
	res := p.Therapist.do(http.MethodPost, "/api/v1/practices/"+id(p.ID)+"/members/"+id(p.Therapist.ID)+"/time-off",
		map[string]any{"first_day": "2031-04-07", "last_day": "2031-04-08", "reason": reason})
	if res.Status != http.StatusCreated {
		t.Fatalf("record time off: %d %s", res.Status, res.Body)
	}
	at := func(day time.Time, hour int) string {
		return day.Add(time.Duration(hour) * time.Hour).Format(time.RFC3339)
	}

	t.Run("open slots leave the days out", func(t *testing.T) {
		for _, who := range []*actor{p.PartnerA, p.FrontDesk} {
			res := who.do(http.MethodGet, "/api/v1/couples/"+id(p.CoupleID)+"/open-slots?therapist_id="+id(p.Therapist.ID)+
				"&from="+at(monday.AddDate(0, 0, -1), 0)+"&to="+at(monday.AddDate(0, 0, 3), 0)+"&duration_minutes=60", nil)
			var body struct{ Slots []store.Slot }
			res.JSON(t, &body)
			days := map[string]int{}
			for _, s := range body.Slots {
				days[s.StartsAt.UTC().Format(time.DateOnly)]++
			}
			if res.Status != http.StatusOK || days["2031-04-07"]+days["2031-04-08"] != 0 || days["2031-04-06"] != 12 || days["2031-04-09"] != 12 {
				t.Errorf("%s: slots by day %v (%d)", who.Email, days, res.Status)
			}
			if strings.Contains(string(res.Body), reason) {
				t.Errorf("%s: the slots tell the reason", who.Email)
			}
		}
	})

	book := func(who *actor, start string, override bool) *response {
		return who.do(http.MethodPost, "/api/v1/couples/"+id(p.CoupleID)+"/appointments", map[string]any{
			"starts_at": start, "therapist_id": p.Therapist.ID, "duration_minutes": 60, "override_time_off": override})
	}
	for _, tc := range []struct {
		name     string
		who      *actor
		start    string
		override bool
		want     int
	}{
		{"the front desk is refused a booking in the time off", p.FrontDesk, at(monday, 10), false, http.StatusConflict},
		{"the therapist is refused one on the last day", p.Therapist, at(monday.AddDate(0, 0, 1), 19), false, http.StatusConflict},
		{"a booking the day after is free", p.FrontDesk, at(monday.AddDate(0, 0, 2), 9), false, http.StatusCreated},
		{"the front desk overrides the time off", p.FrontDesk, at(monday, 11), true, http.StatusCreated},
		{"an administrator overrides it", p.Admin, at(monday, 13), true, http.StatusCreated},
		{"a partner may not book at all", p.PartnerA, at(monday, 15), true, http.StatusForbidden},
		{"another practice's front desk may not know the couple", w.B.FrontDesk, at(monday, 16), true, http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := book(tc.who, tc.start, tc.override)
			if res.Status != tc.want {
				t.Fatalf("%d %s, want %d", res.Status, res.Body, tc.want)
			}
			if tc.want == http.StatusConflict && (res.ErrorCode() != fault.Conflict ||
				!strings.Contains(string(res.Body), "time off from Monday 7 April 2031 to Tuesday 8 April 2031") ||
				strings.Contains(string(res.Body), reason)) {
				t.Errorf("the refusal does not name the time off, or tells its reason: %s", res.Body)
			}
		})
	}

	t.Run("a series and a move into the time off are refused", func(t *testing.T) {
		res := p.FrontDesk.do(http.MethodPost, "/api/v1/couples/"+id(p.CoupleID)+"/appointment-series", map[string]any{
			"starts_at": at(monday.AddDate(0, 0, -7), 17), "therapist_id": p.Therapist.ID, "interval_weeks": 1, "count": 3})
		if res.Status != http.StatusConflict || strings.Contains(string(res.Body), reason) {
			t.Errorf("series: %d %s", res.Status, res.Body)
		}
		a := w.booking(p, monday.AddDate(0, 0, 3).Add(9*time.Hour), store.KindPhone)
		res = p.Therapist.do(http.MethodPost, "/api/v1/appointments/"+id(a.ID)+"/move", map[string]any{"starts_at": at(monday, 9)})
		if res.Status != http.StatusConflict || strings.Contains(string(res.Body), reason) {
			t.Errorf("move: %d %s", res.Status, res.Body)
		}
	})

	t.Run("a partner's request into it is refused without the reason", func(t *testing.T) {
		res := p.PartnerA.do(http.MethodPost, "/api/v1/couples/"+id(p.CoupleID)+"/appointment-requests", map[string]any{
			"therapist_id": p.Therapist.ID, "starts_at": at(monday, 14), "duration_minutes": 60})
		if res.Status != http.StatusUnprocessableEntity || strings.Contains(string(res.Body), reason) {
			t.Errorf("%d %s", res.Status, res.Body)
		}
	})

	t.Run("staff see the reason on the calendars, partners see none of it", func(t *testing.T) {
		week := "?from=" + at(monday, 0) + "&to=" + at(monday.AddDate(0, 0, 7), 0)
		for _, tc := range []struct {
			who  *actor
			path string
			want int
		}{
			{p.Therapist, "/members/" + id(p.Therapist.ID) + "/time-off" + week, http.StatusOK},
			{p.FrontDesk, "/calendar" + week, http.StatusOK},
			{p.Admin, "/calendar" + week, http.StatusOK},
			{p.PartnerA, "/members/" + id(p.Therapist.ID) + "/time-off" + week, http.StatusNotFound},
			{p.PartnerB, "/calendar" + week, http.StatusNotFound},
			{p.OtherTherapist, "/members/" + id(p.Therapist.ID) + "/time-off" + week, http.StatusNotFound},
			{w.B.Admin, "/members/" + id(p.Therapist.ID) + "/time-off" + week, http.StatusNotFound},
		} {
			res := tc.who.do(http.MethodGet, "/api/v1/practices/"+id(p.ID)+tc.path, nil)
			var body struct {
				TimeOff []store.TimeOff `json:"time_off"`
			}
			res.JSON(t, &body)
			if res.Status != tc.want {
				t.Errorf("%s %s: %d %s, want %d", tc.who.Email, tc.path, res.Status, res.Body, tc.want)
				continue
			}
			if tc.want == http.StatusOK && (len(body.TimeOff) != 1 || body.TimeOff[0].Reason != reason ||
				body.TimeOff[0].FirstDay != "2031-04-07" || body.TimeOff[0].LastDay != "2031-04-08") {
				t.Errorf("%s %s: %s", tc.who.Email, tc.path, res.Body)
			}
			if tc.want != http.StatusOK && strings.Contains(string(res.Body), reason) {
				t.Errorf("%s %s: tells the reason", tc.who.Email, tc.path)
			}
		}
	})
}
