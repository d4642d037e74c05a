package server

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/amendcare/amend/policy"
	"github.com/amendcare/amend/server/mail"
	"github.com/amendcare/amend/server/mail/mailtest"
	"github.com/amendcare/amend/server/store"
)

func mailMatrix() []matrixCase {
	practicePath := func(method, suffix string, body any) func(*world, *practice) (string, string, any) {
		return func(_ *world, p *practice) (string, string, any) {
			return method, "/api/v1/practices/" + id(p.ID) + suffix, body
		}
	}
	return []matrixCase{
		{name: "read the mail settings", object: "mail_settings", action: "read", success: 200,
			request: practicePath(http.MethodGet, "/mail-settings", nil), relation: everyone(store.RelPractice)},
		{name: "set the reminder lead times", object: "mail_settings", action: "update", success: 200,
			request:  practicePath(http.MethodPut, "/mail-settings", map[string]any{"reminder_lead_minutes": []int{60}}),
			relation: everyone(store.RelPractice)},
		{name: "read the development mailbox", object: "mailbox", action: "read", success: 200,
			request: practicePath(http.MethodGet, "/mailbox", nil), relation: everyone(store.RelPractice)},
		{name: "move an appointment", object: "appointment", action: "move", success: 200,
			request: func(w *world, p *practice) (string, string, any) {
				start := time.Date(2033, 5, 2, 9, 0, 0, 0, time.UTC).Add(time.Duration(w.counter()) * 2 * time.Hour)
				return http.MethodPost, "/api/v1/appointments/" + id(w.appointment(p)) + "/move",
					map[string]any{"starts_at": start.Format(time.RFC3339)}
			}, relation: coupleRelation},
	}
}

// quickRetry retries a failed send after a tenth of a second.
type quickRetry struct{}

func (quickRetry) NextRetry(*rivertype.JobRow) time.Time {
	return time.Now().Add(100 * time.Millisecond)
}

// mailWorld is a world whose mail is sent to a running mailpit by a started runner, on a clock the
// test moves (the server's clock too). When the test ends, every message it sent is scanned for clinical text and names.
type mailWorld struct {
	*world
	pit   *mailtest.Mailpit
	clock *testClock
}

func newMailWorld(t *testing.T) *mailWorld {
	t.Helper()
	pit := mailtest.Start(t)
	clock := newTestClock()
	w := &mailWorld{world: newWorldWith(t, policy.DefaultPolicy(), Config{Now: clock.now}, mail.Config{SMTPURL: pit.SMTPURL(),
		BaseURL: "http://amend.test", PollInterval: 20 * time.Millisecond, Retry: quickRetry{}, Now: clock.now}),
		pit: pit, clock: clock}
	w.startMail()
	t.Cleanup(func() { w.scanForPrivateText(t) })
	return w
}

// startMail starts the world's mail runner until the test ends.
func (w *world) startMail() {
	w.t.Helper()
	if err := w.mail.Start(context.Background()); err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		w.mail.Stop(ctx)
	})
}

// privateText is every piece of text in the world that mail must never carry: people's names,
// couple labels, and what partners and therapists wrote (answers, comments, commitments, check-ins,
// assignment notes, feedback, clinical notes).
func (w *mailWorld) privateText() []string {
	w.t.Helper()
	var out []string
	for _, p := range []*practice{w.A, w.B} {
		for _, a := range p.cast() {
			out = append(out, a.Name)
		}
	}
	for _, query := range []string{
		`SELECT label FROM couples`,
		`SELECT note FROM assignments WHERE note <> ''`,
		`SELECT feedback FROM assignments WHERE feedback IS NOT NULL AND feedback <> ''`,
		`SELECT note FROM checkins WHERE note <> ''`,
		`SELECT value FROM responses, jsonb_each_text(answers) WHERE length(value) > 6`,
		`SELECT body FROM comments`,
		`SELECT text FROM commitments`,
		`SELECT value FROM notes, jsonb_each_text(sections) WHERE length(value) > 6`,
		`SELECT text FROM note_addenda`,
	} {
		var texts []string
		if err := w.store.DB().Select(&texts, query); err != nil {
			w.t.Fatal(err)
		}
		out = append(out, texts...)
	}
	return out
}

// scanForPrivateText fails the test when any message mailpit received carries private text.
func (w *mailWorld) scanForPrivateText(t *testing.T) {
	private := w.privateText()
	for _, m := range w.pit.All() {
		var whole strings.Builder
		whole.WriteString(m.Subject + "\n" + m.Text + "\n" + m.HTML)
		for name, values := range m.Headers {
			whole.WriteString("\n" + name + ": " + strings.Join(values, " "))
		}
		for _, file := range m.Files {
			whole.WriteString("\n" + file)
		}
		for _, text := range private {
			if strings.Contains(whole.String(), text) {
				t.Errorf("message %q to %s carries private text %q", m.Subject, m.To[0].Address, text)
			}
		}
	}
}

// messagesTo returns, in full, the messages received for an address.
func (w *mailWorld) messagesTo(address string) []mailtest.Message {
	w.t.Helper()
	var out []mailtest.Message
	for _, s := range w.pit.Messages() {
		if slices.ContainsFunc(s.To, func(a mailtest.Address) bool { return strings.EqualFold(a.Address, address) }) {
			out = append(out, w.pit.Message(s.ID))
		}
	}
	return out
}

// waitForJobs polls until n mail jobs match condition (SQL over river_job).
func (w *world) waitForJobs(n int, condition string, args ...any) {
	w.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := w.countJobs(condition, args...)
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("%d mail jobs where %s, want %d", got, condition, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (w *world) countJobs(condition string, args ...any) int {
	w.t.Helper()
	var n int
	if err := w.store.DB().Get(&n, `SELECT count(*) FROM river_job WHERE kind = 'mail' AND (`+condition+`)`, args...); err != nil {
		w.t.Fatal(err)
	}
	return n
}

var linkPattern = regexp.MustCompile(`http://amend\.test/[^\s"<>]+`)

// links returns the distinct links of a message's text part.
func links(m mailtest.Message) []string {
	return slices.Compact(linkPattern.FindAllString(m.Text, -1))
}

// An invitation reaches the invitee with the one-time link the API shows (the copy-link button
// keeps working), in a text and an HTML part, with an unsubscribe link.
func TestInvitationMailCarriesTheAcceptLink(t *testing.T) {
	t.Parallel()
	w := newMailWorld(t)
	for _, tc := range []struct {
		name   string
		invite func() inviteCreated
		to     string
	}{
		{"staff invitation", func() inviteCreated {
			return createInvite(t, w.A.Admin, w.A.ID, "new.therapist@a.test", "therapist")
		}, "new.therapist@a.test"},
		{"partner invitation", func() inviteCreated {
			res := w.A.OtherTherapist.do(http.MethodPost, "/api/v1/couples/"+id(w.A.OtherCoupleID)+"/invites",
				map[string]string{"email": "partner.b@a.test", "seat": "b"})
			if res.Status != http.StatusCreated {
				t.Fatalf("partner invite: %d %s", res.Status, res.Body)
			}
			var created inviteCreated
			res.JSON(t, &created)
			return created
		}, "partner.b@a.test"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			created := tc.invite()
			if created.Token == "" {
				t.Fatal("the API no longer shows the invite link")
			}
			deadline := time.Now().Add(15 * time.Second)
			var got []mailtest.Message
			for len(got) == 0 && time.Now().Before(deadline) {
				got = w.messagesTo(tc.to)
			}
			if len(got) != 1 {
				t.Fatalf("got %d messages to %s, want 1", len(got), tc.to)
			}
			m := got[0]
			if !strings.Contains(m.Subject, "Practice A") || m.HTML == "" || m.Text == "" {
				t.Errorf("message: subject %q, text %d bytes, html %d bytes", m.Subject, len(m.Text), len(m.HTML))
			}
			if want := "http://amend.test/invite/" + created.Token; !slices.Contains(links(m), want) {
				t.Errorf("links %v do not include %s", links(m), want)
			}
			if !strings.Contains(m.Text, "http://amend.test/unsubscribe?token=") || len(m.Headers["List-Unsubscribe"]) != 1 {
				t.Errorf("no unsubscribe link: %s", m.Text)
			}
		})
	}
}

// Reminders go to both partners and the therapist at the practice's lead times before the
// appointment; moving it moves them and cancelling it cancels them. The clock is moved, never slept.
func TestAppointmentRemindersFollowMovesAndCancellation(t *testing.T) {
	t.Parallel()
	w := newMailWorld(t)
	t0 := w.clock.now()
	book := func(start time.Time) int64 {
		res := w.A.Therapist.do(http.MethodPost, "/api/v1/couples/"+id(w.A.CoupleID)+"/appointments",
			map[string]any{"starts_at": start.UTC().Format(time.RFC3339), "time_zone": "Europe/Berlin"})
		if res.Status != http.StatusCreated {
			t.Fatalf("book: %d %s", res.Status, res.Body)
		}
		var a store.Appointment
		res.JSON(t, &a)
		return a.ID
	}
	firstStart := t0.Add(30 * time.Hour).Truncate(time.Minute)
	apptID := book(firstStart)
	scheduled := func(version int, at time.Time) int {
		return w.countJobs(`state = 'scheduled' AND (args->'appointment'->>'id')::bigint = $1
			AND (args->'appointment'->>'version')::int = $2 AND scheduled_at = $3`, apptID, version, at)
	}
	for _, lead := range []time.Duration{24 * time.Hour, 2 * time.Hour} {
		if n := scheduled(1, firstStart.Add(-lead)); n != 3 {
			t.Fatalf("%d reminders %s before, want 3 (two partners and the therapist)", n, lead)
		}
	}

	// The wrong people cannot move it.
	for _, a := range []*actor{w.A.PartnerA, w.A.OtherTherapist, w.B.Therapist} {
		if res := a.do(http.MethodPost, "/api/v1/appointments/"+id(apptID)+"/move",
			map[string]any{"starts_at": t0.Add(60 * time.Hour).UTC().Format(time.RFC3339)}); res.Status < 400 {
			t.Errorf("%s moved the appointment: %d", a.Name, res.Status)
		}
	}

	newStart := t0.Add(50 * time.Hour).Truncate(time.Minute)
	res := w.A.Therapist.do(http.MethodPost, "/api/v1/appointments/"+id(apptID)+"/move",
		map[string]any{"starts_at": newStart.UTC().Format(time.RFC3339)})
	if res.Status != http.StatusOK {
		t.Fatalf("move: %d %s", res.Status, res.Body)
	}
	for _, lead := range []time.Duration{24 * time.Hour, 2 * time.Hour} {
		if n := scheduled(2, newStart.Add(-lead)); n != 3 {
			t.Fatalf("%d moved reminders %s before, want 3", n, lead)
		}
	}

	// The old 24-hour reminders fall due and find the appointment moved: nothing is sent.
	w.clock.advance(7 * time.Hour)
	w.waitForJobs(3, `state = 'cancelled' AND (args->'appointment'->>'version')::int = 1`)
	if n := len(w.pit.Messages()); n != 0 {
		t.Fatalf("%d messages sent for a moved appointment's old time", n)
	}

	// The new 24-hour reminders fall due: three messages, each with the new time and an .ics.
	w.clock.advance(20 * time.Hour)
	w.pit.WaitFor(3, 30*time.Second)
	for _, a := range []*actor{w.A.PartnerA, w.A.PartnerB, w.A.Therapist} {
		got := w.messagesTo(a.Email)
		if len(got) != 1 {
			t.Fatalf("%s got %d reminders, want 1", a.Name, len(got))
		}
		m := got[0]
		berlin, _ := time.LoadLocation("Europe/Berlin")
		if when := newStart.In(berlin).Format("15:04"); !strings.Contains(m.Text, when) || !strings.Contains(m.Subject, "Practice A") {
			t.Errorf("reminder to %s lacks the time %s or the practice: %q %s", a.Name, when, m.Subject, m.Text)
		}
		ics := m.Files["appointment.ics"]
		if !strings.Contains(ics, "DTSTART:"+newStart.UTC().Format("20060102T150405Z")) || !strings.Contains(ics, "SEQUENCE:2") {
			t.Errorf("reminder to %s has calendar %q", a.Name, ics)
		}
	}

	// Cancelled: every reminder still waiting is dropped when due.
	if res := w.A.Therapist.do(http.MethodPost, "/api/v1/appointments/"+id(apptID)+"/cancel", nil); res.Status != http.StatusOK {
		t.Fatalf("cancel: %d %s", res.Status, res.Body)
	}
	w.clock.advance(23 * time.Hour)
	w.waitForJobs(6, `state = 'cancelled' AND args->>'type' = 'appointment_reminder' AND scheduled_at > $1`,
		t0.Add(27*time.Hour))
	if n := len(w.pit.Messages()); n != 3 {
		t.Errorf("%d messages after the cancellation, want the 3 sent before it", n)
	}
}

// The reminder times follow the lead times, leave out those already past, and are in order.
func TestReminderTimes(t *testing.T) {
	start := time.Date(2030, 4, 1, 15, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		leads []int64
		now   time.Time
		want  []time.Time
	}{
		{"defaults, booked days ahead", []int64{1440, 120}, start.Add(-72 * time.Hour),
			[]time.Time{start.Add(-24 * time.Hour), start.Add(-2 * time.Hour)}},
		{"booked for tomorrow morning: the 24-hour reminder has passed", []int64{1440, 120}, start.Add(-5 * time.Hour),
			[]time.Time{start.Add(-2 * time.Hour)}},
		{"booked an hour ahead: none", []int64{1440, 120}, start.Add(-time.Hour), nil},
		{"no lead times: none", nil, start.Add(-72 * time.Hour), nil},
		{"a lead time given twice counts once", []int64{60, 60}, start.Add(-72 * time.Hour), []time.Time{start.Add(-time.Hour)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []time.Time
			for _, r := range mail.Reminders(start, tc.leads, tc.now) {
				got = append(got, r.At)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// Exercise notices, the review digest and invitations together: the people who should hear get
// "something is waiting", nobody else does, and the scan at the end finds no private text in any.
func TestExerciseMailSaysOnlyThatSomethingIsWaiting(t *testing.T) {
	t.Parallel()
	w := newMailWorld(t)
	p := w.A
	res := p.Therapist.do(http.MethodPost, "/api/v1/couples/"+id(p.CoupleID)+"/assignments", map[string]any{
		"exercise_id": w.builtinStep(p, "apology").ID, "for": "a", "note": "Private note about the affair for partner a"})
	if res.Status != http.StatusCreated {
		t.Fatalf("assign: %d %s", res.Status, res.Body)
	}
	var created struct {
		Assignments []store.Assignment `json:"assignments"`
	}
	res.JSON(t, &created)
	assignmentID := created.Assignments[0].ID
	w.checkin(p, p.PartnerA, w.pastDay(), "partner", 3)
	w.commitment(p, p.PartnerA, "daily", w.pastDay())
	w.submitStep(p, assignmentID)
	if res := p.Therapist.do(http.MethodPost, "/api/v1/assignments/"+id(assignmentID)+"/comments",
		map[string]string{"body": "A comment quoting what partner a admitted"}); res.Status != http.StatusCreated {
		t.Fatalf("comment: %d %s", res.Status, res.Body)
	}
	if err := w.mail.QueueDigests(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := w.mail.QueueDigests(context.Background()); err != nil {
		t.Fatal(err)
	}
	res = p.Therapist.do(http.MethodPost, "/api/v1/assignments/"+id(assignmentID)+"/review",
		map[string]string{"feedback": "Feedback naming the secret the partner shared"})
	if res.Status != http.StatusOK {
		t.Fatalf("review: %d %s", res.Status, res.Body)
	}
	w.pit.WaitFor(3, 30*time.Second)
	for _, tc := range []struct {
		name     string
		who      *actor
		subjects []string
	}{
		{"the partner hears of the assignment and the review", p.PartnerA,
			[]string{"Something is waiting for you in Amend", "Something is waiting for you in Amend"}},
		{"the care-team therapist gets one digest", p.Therapist, []string{"Work is waiting for your review in Amend"}},
		{"the other partner hears nothing", p.PartnerB, nil},
		{"a therapist off the care team hears nothing", p.OtherTherapist, nil},
		{"another practice hears nothing", w.B.Therapist, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var subjects []string
			for _, m := range w.messagesTo(tc.who.Email) {
				subjects = append(subjects, m.Subject)
				if tc.who == p.PartnerA && !slices.Contains(links(m), fmt.Sprintf("http://amend.test/assignments/%d", assignmentID)) {
					t.Errorf("notice links %v", links(m))
				}
			}
			if !slices.Equal(subjects, tc.subjects) {
				t.Errorf("got %q, want %q", subjects, tc.subjects)
			}
		})
	}
}

// An unsubscribe link turns off one kind of mail for its own address only, and what is turned off
// is not sent; a link altered to name someone else is refused. Security mail has no such link.
func TestUnsubscribeLinkTurnsOffOneKindOfMail(t *testing.T) {
	t.Parallel()
	w := newMailWorld(t)
	createInvite(t, w.A.Admin, w.A.ID, "first@a.test", "therapist")
	m := w.pit.WaitFor(1, 15*time.Second)[0]
	var token string
	for _, link := range links(w.pit.Message(m.ID)) {
		if u, err := url.Parse(link); err == nil && u.Path == "/unsubscribe" {
			token = u.Query().Get("token")
		}
	}
	if token == "" {
		t.Fatal("no unsubscribe link")
	}
	parts := strings.Split(token, ".")
	forged := strings.Join([]string{base64.RawURLEncoding.EncodeToString([]byte("admin@a.test")), parts[1], parts[2]}, ".")
	for _, tc := range []struct {
		name, token string
		status      int
	}{
		{"another address with the same signature is refused", forged, http.StatusNotFound},
		{"a garbled token is refused", "nonsense", http.StatusNotFound},
		{"the link from the mail works", token, http.StatusOK},
		{"and works again", token, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if res := w.request(http.MethodPost, "/api/v1/mail/unsubscribe", map[string]string{"token": tc.token}, nil); res.Status != tc.status {
				t.Errorf("got %d %s, want %d", res.Status, res.Body, tc.status)
			}
		})
	}
	prefs, err := w.store.MailPreferencesFor(context.Background(), "first@a.test")
	if err != nil || prefs.Invitations || !prefs.Reminders {
		t.Fatalf("preferences after unsubscribing: %+v %v", prefs, err)
	}
	if prefs, _ := w.store.MailPreferencesFor(context.Background(), "admin@a.test"); !prefs.Invitations {
		t.Error("the forged link unsubscribed someone else")
	}
	created := createInvite(t, w.A.Admin, w.A.ID, "first@a.test", "admin")
	w.waitForJobs(1, `state = 'cancelled' AND args->>'key' = $1`, fmt.Sprintf("invite:%d", created.Invite.ID))

	// Security mail ignores preferences and has no unsubscribe link.
	tx, err := w.store.DB().Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := w.mail.EnqueueSecurity(context.Background(), tx.Tx, mail.KindPasswordReset, "test", "first@a.test", "/reset/xyz"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	w.pit.WaitFor(2, 15*time.Second)
	got := w.messagesTo("first@a.test")
	reset := got[0]
	if reset.Subject != "Reset your Amend password" || strings.Contains(reset.Text, "unsubscribe") ||
		len(reset.Headers["List-Unsubscribe"]) != 0 || !slices.Contains(links(reset), "http://amend.test/reset/xyz") {
		t.Errorf("security mail: %q %v %s", reset.Subject, reset.Headers["List-Unsubscribe"], reset.Text)
	}
}

// Preferences are each person's own: read and set through /me, refused when incomplete.
func TestMailPreferencesAreEachPersonsOwn(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	off := map[string]bool{"invitations": true, "reminders": false, "exercises": true, "digest": false}
	if res := w.A.PartnerA.do(http.MethodPut, "/api/v1/me/mail-preferences", off); res.Status != http.StatusOK {
		t.Fatalf("set: %d %s", res.Status, res.Body)
	}
	for _, tc := range []struct {
		name      string
		who       *actor
		reminders bool
	}{
		{"the person who set them sees them", w.A.PartnerA, false},
		{"their partner's are untouched", w.A.PartnerB, true},
		{"another practice's are untouched", w.B.PartnerA, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.who.do(http.MethodGet, "/api/v1/me/mail-preferences", nil)
			var prefs store.MailPreferences
			res.JSON(t, &prefs)
			if res.Status != http.StatusOK || prefs.Reminders != tc.reminders {
				t.Errorf("got %d %+v", res.Status, prefs)
			}
		})
	}
	if res := w.A.PartnerA.doInvalid(http.MethodPut, "/api/v1/me/mail-preferences", map[string]bool{"reminders": true}); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("incomplete preferences: %d %s", res.Status, res.Body)
	}
	if res := w.request(http.MethodGet, "/api/v1/me/mail-preferences", nil, nil); res.Status != http.StatusUnauthorized {
		t.Errorf("signed out: %d", res.Status)
	}
}

// With no mail server the mail is kept in the development mailbox, which only the demo practice's
// administrators can open.
func TestDevelopmentMailboxShowsMailToTheDemoAdministratorOnly(t *testing.T) {
	t.Parallel()
	w := newWorldWith(t, policy.DefaultPolicy(), Config{MailboxPractices: []string{"Practice A"}}, mail.Config{})
	w.startMail()
	created := createInvite(t, w.A.Admin, w.A.ID, "kept@a.test", "therapist")
	createInvite(t, w.B.Admin, w.B.ID, "kept@b.test", "therapist")
	var box struct {
		Messages []store.SentMail `json:"messages"`
	}
	deadline := time.Now().Add(15 * time.Second)
	for len(box.Messages) == 0 && time.Now().Before(deadline) {
		res := w.A.Admin.do(http.MethodGet, "/api/v1/practices/"+id(w.A.ID)+"/mailbox", nil)
		if res.Status != http.StatusOK {
			t.Fatalf("demo admin: %d %s", res.Status, res.Body)
		}
		res.JSON(t, &box)
	}
	if len(box.Messages) != 1 || box.Messages[0].Recipient != "kept@a.test" || box.Messages[0].TextBody == nil ||
		!strings.Contains(*box.Messages[0].TextBody, "/invite/"+created.Token) {
		t.Fatalf("mailbox: %+v", box.Messages)
	}
	for _, tc := range []struct {
		name string
		who  *actor
		pid  int64
	}{
		{"a therapist of the demo practice", w.A.Therapist, w.A.ID},
		{"a partner of the demo practice", w.A.PartnerA, w.A.ID},
		{"another practice's administrator, at their own practice", w.B.Admin, w.B.ID},
		{"another practice's administrator, at the demo practice", w.B.Admin, w.A.ID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if res := tc.who.do(http.MethodGet, "/api/v1/practices/"+id(tc.pid)+"/mailbox", nil); res.Status != http.StatusNotFound {
				t.Errorf("got %d %s, want 404", res.Status, res.Body)
			}
		})
	}
}

// An invitation revoked before its mail goes out is not mailed: the link would not work.
func TestRevokedInvitationIsNotMailed(t *testing.T) {
	t.Parallel()
	pit := mailtest.Start(t)
	w := newWorldWith(t, policy.DefaultPolicy(), Config{}, mail.Config{SMTPURL: pit.SMTPURL(),
		BaseURL: "http://amend.test", PollInterval: 20 * time.Millisecond, Retry: quickRetry{}})
	revoked := createInvite(t, w.A.Admin, w.A.ID, "revoked@a.test", "therapist")
	createInvite(t, w.A.Admin, w.A.ID, "kept@a.test", "therapist")
	if res := w.A.Admin.do(http.MethodDelete, "/api/v1/practices/"+id(w.A.ID)+"/invites/"+id(revoked.Invite.ID), nil); res.Status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", res.Status, res.Body)
	}
	w.startMail()
	w.waitForJobs(1, `state = 'cancelled' AND args->>'key' = $1`, fmt.Sprintf("invite:%d", revoked.Invite.ID))
	list := pit.WaitFor(1, 15*time.Second)
	if len(list) != 1 || list[0].To[0].Address != "kept@a.test" {
		t.Errorf("mailed %+v, want only the invitation that is still open", list)
	}
}
