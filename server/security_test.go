package server

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/frontend"
	"github.com/amendcare/amend/realtime"
	"github.com/amendcare/amend/realtime/floor"
	"github.com/amendcare/amend/server/store"
)

// createdID reads the id of what a request created, failing unless it answered want.
func createdID(t *testing.T, res *response, want int, what string) int64 {
	t.Helper()
	if res.Status != want {
		t.Fatalf("create %s: %d %s", what, res.Status, res.Body)
	}
	var body struct {
		ID     int64 `json:"id"`
		Invite struct {
			ID int64 `json:"id"`
		} `json:"invite"`
	}
	res.JSON(t, &body)
	var list struct {
		Assignments []struct {
			ID int64 `json:"id"`
		} `json:"assignments"`
	}
	_ = json.Unmarshal(res.Body, &list) // only assigning answers a list
	switch {
	case body.ID != 0:
		return body.ID
	case len(list.Assignments) > 0:
		return list.Assignments[0].ID
	case body.Invite.ID != 0:
		return body.Invite.ID
	}
	t.Fatalf("create %s: no id in %s", what, res.Body)
	return 0
}

// practiceObjects creates one object of every kind in practice p through the API, as the people
// who would, and returns their ids by the path parameter that names them.
type practiceObjects struct {
	couples, assignments, checkins, commitments, measures, notes, appointments, appointmentRequests, lives,
	exercises, invites, members, services, forms, formTemplates, documents, plans []int64
}

func createPracticeObjects(t *testing.T, w *world, p *practice) practiceObjects {
	t.Helper()
	var o practiceObjects
	couple := "/api/v1/couples/" + id(p.CoupleID)
	practice := "/api/v1/practices/" + id(p.ID)
	o.couples = []int64{p.CoupleID, createdID(t, p.Admin.do(http.MethodPost, practice+"/couples",
		map[string]any{"label": "Couple made over the API", "therapists": []int64{p.Therapist.ID}}), http.StatusCreated, "couple")}
	exercise := createdID(t, p.Therapist.do(http.MethodPost, practice+"/exercises", sampleExercise("A look back")), http.StatusCreated, "exercise")
	o.exercises = []int64{exercise}
	assignment := createdID(t, p.Therapist.do(http.MethodPost, couple+"/assignments",
		map[string]any{"exercise_id": exercise, "for": "a"}), http.StatusCreated, "assignment")
	o.assignments = []int64{assignment}
	answers := map[string]any{"answers": map[string]any{"moment": "The walk on Sunday.", "closeness": 4}}
	if res := p.PartnerA.do(http.MethodPost, "/api/v1/assignments/"+id(assignment)+"/submit", answers); res.Status != http.StatusOK {
		t.Fatalf("submit a response: %d %s", res.Status, res.Body)
	}
	if res := p.Therapist.do(http.MethodPost, "/api/v1/assignments/"+id(assignment)+"/comments", map[string]any{"body": "Thank you."}); res.Status != http.StatusCreated {
		t.Fatalf("comment: %d %s", res.Status, res.Body)
	}
	o.checkins = []int64{createdID(t, p.PartnerA.do(http.MethodPost, couple+"/checkins",
		map[string]any{"trust": 6, "safety": 7, "visibility": "partner"}), http.StatusCreated, "check-in")}
	o.commitments = []int64{createdID(t, p.PartnerA.do(http.MethodPost, couple+"/commitments",
		map[string]any{"text": "Phone stays face up on the table.", "cadence": "daily"}), http.StatusCreated, "commitment")}
	o.measures = []int64{createdID(t, p.PartnerB.do(http.MethodPost, couple+"/measures",
		map[string]any{"measure_key": "csi4", "answers": csi4Answers(3), "visibility": "partner"}), http.StatusCreated, "measure")}
	o.measures = append(o.measures, createdID(t, p.PartnerA.do(http.MethodPost, couple+"/measures",
		map[string]any{"measure_key": "phq9", "answers": phq9Answers(1, 0)}), http.StatusCreated, "PHQ-9"))
	signedPlan := createdID(t, p.Therapist.do(http.MethodPost, couple+"/treatment-plans", samplePlan("Distance.")), http.StatusCreated, "plan")
	if res := p.Therapist.do(http.MethodPost, "/api/v1/treatment-plans/"+id(signedPlan)+"/sign", nil); res.Status != http.StatusOK {
		t.Fatalf("sign a plan: %d %s", res.Status, res.Body)
	}
	o.plans = []int64{signedPlan, createdID(t, p.Therapist.do(http.MethodPost, couple+"/treatment-plans", samplePlan("Revised.")), http.StatusCreated, "draft plan")}
	if res := p.Therapist.do(http.MethodPut, couple+"/measure-schedules/phq9", map[string]any{"every_weeks": 2}); res.Status != http.StatusOK {
		t.Fatalf("schedule: %d %s", res.Status, res.Body)
	}
	o.notes = []int64{createdID(t, p.Therapist.do(http.MethodPost, couple+"/notes", map[string]any{"template": "soap"}), http.StatusCreated, "note")}
	o.appointments = []int64{createdID(t, p.Therapist.do(http.MethodPost, couple+"/appointments",
		map[string]any{"starts_at": "2031-07-01T12:00:00Z"}), http.StatusCreated, "appointment")}
	w.fullWeek(p)
	o.appointmentRequests = []int64{createdID(t, p.PartnerA.do(http.MethodPost, couple+"/appointment-requests",
		map[string]any{"therapist_id": p.Therapist.ID, "starts_at": "2031-07-02T10:00:00Z", "duration_minutes": 60}), http.StatusCreated, "appointment request")}
	o.lives = []int64{startSession(t, p, nil).ID}
	o.invites = []int64{
		createdID(t, p.Admin.do(http.MethodPost, practice+"/invites", map[string]any{"email": "new.colleague@" + id(p.ID) + ".test", "role": "therapist"}), http.StatusCreated, "staff invite"),
		createdID(t, p.Therapist.do(http.MethodPost, "/api/v1/couples/"+id(o.couples[1])+"/invites", map[string]any{"seat": "a", "email": "partner@" + id(p.ID) + ".test"}), http.StatusCreated, "partner invite"),
	}
	if res := p.Therapist.do(http.MethodPost, practice+"/members/"+id(p.Therapist.ID)+"/calendar-feed", nil); res.Status != http.StatusCreated {
		t.Fatalf("calendar feed: %d %s", res.Status, res.Body)
	}
	o.members = []int64{p.Therapist.ID, p.PartnerA.ID, p.Admin.ID}
	o.formTemplates = []int64{createdID(t, p.Admin.do(http.MethodPost, practice+"/form-templates", sampleFormTemplate("Practice intake")),
		http.StatusCreated, "form template")}
	// The signed consent comes first: the sweeps that try one id per route try that one.
	for _, key := range []string{"couples_consent", "partner_intake"} {
		res := p.Therapist.do(http.MethodPost, couple+"/forms", map[string]any{"builtin": key, "for": "a"})
		var sent struct{ Forms []struct{ ID int64 } }
		if res.Status != http.StatusCreated || json.Unmarshal(res.Body, &sent) != nil {
			t.Fatalf("send %s: %d %s", key, res.Status, res.Body)
		}
		o.forms = append(o.forms, sent.Forms[0].ID)
	}
	consent, intake := "/api/v1/forms/"+id(o.forms[0]), "/api/v1/forms/"+id(o.forms[1])
	for _, step := range []struct {
		path string
		body any
	}{
		{intake + "/submit", map[string]any{"answers": markedAnswers(mustForm("partner_intake").Fields, "swept", true)}},
		{consent + "/sign", map[string]any{"answers": markedAnswers(mustForm("couples_consent").Fields, "swept", false), "name": "A", "confirm": true}},
	} {
		if res := p.PartnerA.do(http.MethodPost, step.path, step.body); res.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", step.path, res.Status, res.Body)
		}
	}
	o.documents = []int64{createdID(t, p.PartnerA.do(http.MethodPost, couple+"/documents?visibility=partner", upload(pngBytes)),
		http.StatusCreated, "document")}
	o.services = []int64{createdID(t, p.Admin.do(http.MethodPost, practice+"/billing/services",
		map[string]any{"cpt_code": "9999T", "description": "Intake", "duration_minutes": 60, "fee_cents": 9000}), http.StatusCreated, "service")}
	return o
}

// sweepBodies are valid bodies for the routes that take one, so that every refusal below comes
// from the access check and not from validation. Routes missing here are sent no body.
func sweepBodies(other *practice) map[string]any {
	return map[string]any{
		"POST /api/v1/practices/:pid/couples":            map[string]any{"label": "Intruder couple"},
		"PATCH /api/v1/couples/:id":                      map[string]any{"label": "Renamed"},
		"PUT /api/v1/couples/:id/care-team":              map[string]any{"therapists": []int64{other.Therapist.ID}},
		"POST /api/v1/couples/:id/invites":               map[string]any{"seat": "b", "email": "intruder@x.test"},
		"POST /api/v1/couples/:id/assignments":           map[string]any{"exercise_id": 1, "for": "a"},
		"PUT /api/v1/assignments/:id/draft":              map[string]any{"answers": map[string]any{"moment": "x"}},
		"POST /api/v1/assignments/:id/submit":            map[string]any{},
		"PUT /api/v1/assignments/:id/visibility":         map[string]any{"visibility": "partner"},
		"POST /api/v1/assignments/:id/review":            map[string]any{"feedback": "Seen."},
		"POST /api/v1/assignments/:id/comments":          map[string]any{"body": "Hello."},
		"POST /api/v1/couples/:id/checkins":              map[string]any{"trust": 1, "safety": 1},
		"PATCH /api/v1/checkins/:id":                     map[string]any{"trust": 0},
		"POST /api/v1/couples/:id/commitments":           map[string]any{"text": "Intrude.", "cadence": "daily"},
		"POST /api/v1/commitments/:id/checks":            map[string]any{"status": "missed"},
		"POST /api/v1/couples/:id/measures":              map[string]any{"measure_key": "csi4", "answers": csi4Answers(1)},
		"PATCH /api/v1/measures/:id":                     map[string]any{"visibility": "partner"},
		"PUT /api/v1/couples/:id/measure-schedules/:key": map[string]any{"every_weeks": 1},
		"POST /api/v1/couples/:id/treatment-plans":       samplePlan("Intruder plan."),
		"PUT /api/v1/treatment-plans/:id":                samplePlan("Rewritten plan."),
		"POST /api/v1/couples/:id/notes":                 map[string]any{"template": "dap"},
		"PATCH /api/v1/notes/:id":                        map[string]any{"sections": map[string]string{"plan": "changed"}},
		"POST /api/v1/notes/:id/addenda":                 map[string]any{"text": "Later."},
		"POST /api/v1/couples/:id/appointments":          map[string]any{"starts_at": "2031-08-01T12:00:00Z"},
		"POST /api/v1/couples/:id/erase":                 map[string]any{"confirm": "Couple B"},
		"POST /api/v1/couples/:id/live-sessions":         map[string]any{},
		"POST /api/v1/live/:id/commands":                 `{"id":"intrude","type":"moderator","text":"Hello."}`,
		"PATCH /api/v1/practices/:pid/members/:uid":      map[string]any{"disabled": true},
		"POST /api/v1/practices/:pid/invites":            map[string]any{"email": "intruder@x.test", "role": "admin"},
		"POST /api/v1/practices/:pid/exercises":          sampleExercise("Intruder exercise"),
		"PUT /api/v1/practices/:pid/exercises/:id":       sampleExercise("Rewritten"),
		"POST /api/v1/appointments/:id/move":             map[string]any{"starts_at": "2031-08-02T12:00:00Z"},
		"PUT /api/v1/practices/:pid/mail-settings":       map[string]any{"reminder_lead_minutes": []int{60}},
		"PUT /api/v1/practices/:pid/security-settings":   map[string]any{"require_second_factor": false},
		"PUT /api/v1/practices/:pid/billing/services/:sid": map[string]any{"cpt_code": "9999T", "description": "Taken over",
			"duration_minutes": 60, "fee_cents": 1},
		"PUT /api/v1/practices/:pid/members/:uid/license": map[string]any{"license_number": "Forged"},
		"PUT /api/v1/couples/:id/billing/shares":          map[string]any{"shares": []any{}},
		"POST /api/v1/couples/:id/billing/entries":        map[string]any{"kind": "write_off", "amount_cents": 100},
		"PUT /api/v1/couples/:id/diagnoses":               map[string]any{"diagnoses": []map[string]any{{"code": "Z63.0"}}},
		"POST /api/v1/appointments/:id/charges":           map[string]any{"kind": "session"},
		"PUT /api/v1/practices/:pid/billing":              map[string]any{"name": "Taken over"},
		"POST /api/v1/practices/:pid/billing/services":    map[string]any{"cpt_code": "9999T", "description": "Intruder service"},
		"POST /api/v1/practices/:pid/form-templates":      sampleFormTemplate("Intruder form"),
		"PUT /api/v1/practices/:pid/form-templates/:id":   sampleFormTemplate("Rewritten form"),
		"POST /api/v1/couples/:id/forms":                  map[string]any{"builtin": "partner_intake", "for": "a"},
		"PUT /api/v1/forms/:id/draft":                     map[string]any{"answers": map[string]any{"hopes": "x"}},
		"POST /api/v1/forms/:id/submit":                   map[string]any{},
		"POST /api/v1/forms/:id/sign":                     map[string]any{"name": "Intruder", "confirm": true},
		"PUT /api/v1/forms/:id/visibility":                map[string]any{"visibility": "partner"},
		"POST /api/v1/couples/:id/documents":              upload(pngBytes),
		"PUT /api/v1/documents/:id/visibility":            map[string]any{"visibility": "partner"},
		"POST /api/v1/appointments/:id/attendance":        map[string]any{"attendance": "attended"},
		"POST /api/v1/couples/:id/appointment-series": map[string]any{"starts_at": "2031-08-01T12:00:00Z",
			"interval_weeks": 1, "count": 2},
		"POST /api/v1/couples/:id/appointment-requests":         map[string]any{"therapist_id": other.Therapist.ID, "starts_at": "2031-08-01T12:00:00Z"},
		"POST /api/v1/practices/:pid/rooms":                     map[string]any{"name": "Intruder room"},
		"PUT /api/v1/practices/:pid/members/:uid/working-hours": map[string]any{"time_zone": "UTC", "hours": []any{}},
		"PUT /api/v1/practices/:pid/scheduling-settings":        map[string]any{"cancellation_window_hours": 1},
		"POST /api/v1/practices/:pid/members/:uid/time-off":     map[string]any{"first_day": "2031-08-01", "last_day": "2031-08-02"},
	}
}

// sweepIDs maps a route's id parameter to the objects of practice B it names: the first path
// segment says which kind an :id is.
func sweepIDs(route string, o practiceObjects) ([]int64, bool) {
	switch {
	case strings.HasPrefix(route, "/api/v1/couples/:id"):
		return o.couples, true
	case strings.HasPrefix(route, "/api/v1/assignments/:id"):
		return o.assignments, true
	case strings.HasPrefix(route, "/api/v1/checkins/:id"):
		return o.checkins, true
	case strings.HasPrefix(route, "/api/v1/commitments/:id"):
		return o.commitments, true
	case strings.HasPrefix(route, "/api/v1/measures/:id"):
		return o.measures, true
	case strings.HasPrefix(route, "/api/v1/treatment-plans/:id"):
		return o.plans, true
	case strings.HasPrefix(route, "/api/v1/notes/:id"):
		return o.notes, true
	case strings.HasPrefix(route, "/api/v1/appointments/:id"):
		return o.appointments, true
	case strings.HasPrefix(route, "/api/v1/appointment-requests/:id"):
		return o.appointmentRequests, true
	case strings.HasPrefix(route, "/api/v1/live/:id"):
		return o.lives, true
	case strings.HasPrefix(route, "/api/v1/forms/:id"):
		return o.forms, true
	case strings.HasPrefix(route, "/api/v1/documents/:id"):
		return o.documents, true
	case strings.HasPrefix(route, "/api/v1/practices/:pid/form-templates/:id"):
		return o.formTemplates, true
	case strings.HasPrefix(route, "/api/v1/practices/:pid/exercises/:id"):
		return o.exercises, true
	case strings.HasPrefix(route, "/api/v1/practices/:pid/invites/:id"):
		return o.invites, true
	case strings.HasPrefix(route, "/api/v1/practices/:pid/members/:uid"):
		return o.members, true
	case strings.HasPrefix(route, "/api/v1/practices/:pid/billing/services/:sid"):
		return o.services, true
	}
	return nil, false
}

// tableDigests fingerprints the content of every guarded table.
func (w *world) tableDigests() map[string]string {
	w.t.Helper()
	digests := map[string]string{}
	for _, table := range w.guardedTables() {
		var digest string
		if err := w.store.DB().Get(&digest, `SELECT coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') FROM "`+table+`" t`); err != nil {
			w.t.Fatal(err)
		}
		digests[table] = digest
	}
	return digests
}

// TestEveryObjectOfAnotherPracticeAnswers404 creates one object of every kind in practice B
// through the API, then tries every route that takes such an id, with every method, as each
// person of practice A: each answers 404, as for an id that does not exist, and nothing of
// practice B changes. A route with an id this test does not know fails it, so new routes join
// the sweep.
func TestEveryObjectOfAnotherPracticeAnswers404(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	objects := createPracticeObjects(t, w, w.B)
	bodies := sweepBodies(w.A)
	before := w.tableDigests()
	tried := 0
	for _, route := range w.api.engine.Routes() {
		if !strings.HasPrefix(route.Path, "/api/v1/") || !strings.Contains(route.Path, "/:") || strings.Contains(route.Path, ":token") {
			continue
		}
		key := route.Method + " " + route.Path
		var paths []string
		ids, named := sweepIDs(route.Path, objects)
		switch {
		case named && strings.HasPrefix(route.Path, "/api/v1/practices/:pid/"):
			// B's object under B's practice, and under A's own practice.
			for _, n := range ids {
				for _, pid := range []int64{w.B.ID, w.A.ID} {
					path := strings.Replace(route.Path, ":pid", id(pid), 1)
					paths = append(paths, pathParam.ReplaceAllString(path, id(n)))
				}
			}
		case named:
			for _, n := range ids {
				paths = append(paths, strings.NewReplacer(":id", id(n), ":kind", "session", ":key", "phq9").Replace(route.Path))
			}
		case strings.Count(route.Path, "/:") == 1 && strings.HasPrefix(route.Path, "/api/v1/practices/:pid"):
			paths = append(paths, strings.Replace(route.Path, ":pid", id(w.B.ID), 1))
		default:
			t.Errorf("%s: the sweep does not know which object this route's id names", key)
			continue
		}
		if route.Method == http.MethodGet && !slices.ContainsFunc(paths, func(path string) bool { return readBySomeoneIn(w.B, path) }) {
			t.Errorf("%s: nobody in practice B reads any of %v, so their 404s prove nothing", key, paths)
		}
		for _, path := range paths {
			for _, who := range w.A.cast() {
				res := who.do(route.Method, path, bodies[key])
				if res.Status != http.StatusNotFound || res.ErrorCode() != fault.NotFound {
					t.Errorf("%s %s as %s: %d %s, want 404", route.Method, path, who.Name, res.Status, truncate(res.Body))
				}
				tried++
			}
		}
	}
	if tried < 300 {
		t.Fatalf("only %d requests tried", tried)
	}
	t.Logf("%d requests as practice A's people", tried)
	after := w.tableDigests()
	for table, digest := range before {
		if after[table] != digest {
			t.Errorf("table %s changed", table)
		}
	}
}

// readBySomeoneIn reports whether one of p's people may read path: the object exists and the
// sweep's 404s come from the access check.
func readBySomeoneIn(p *practice, path string) bool {
	for _, who := range p.cast() {
		if res := who.do(http.MethodGet, path, nil); res.Status == http.StatusOK || res.Status == http.StatusUpgradeRequired {
			return true
		}
	}
	return false
}

// TestTokensAreSinglePurposeUnguessableAndStoredHashed issues a sign-in, an invite and a
// calendar link and checks that each opens only its own door, carries 256 random bits, and
// appears nowhere in the database in the clear.
func TestTokensAreSinglePurposeUnguessableAndStoredHashed(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	res := login(w, "therapist@a.test", testPassword, nil)
	var signedIn sessionBody
	res.JSON(t, &signedIn)
	var invite inviteCreated
	res = w.A.Admin.do(http.MethodPost, "/api/v1/practices/"+id(w.A.ID)+"/invites", map[string]any{"email": "new@a.test", "role": "therapist"})
	res.JSON(t, &invite)
	var feed struct{ Token string }
	res = w.A.Therapist.do(http.MethodPost, "/api/v1/practices/"+id(w.A.ID)+"/members/"+id(w.A.Therapist.ID)+"/calendar-feed", nil)
	res.JSON(t, &feed)
	tokens := map[string]string{"session": signedIn.Token, "invite": invite.Token, "calendar": feed.Token}

	for kind, token := range tokens {
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || len(raw) < 16 {
			t.Errorf("%s token %q carries %d bytes, want at least 16 random bytes", kind, token, len(raw))
		}
		// Nowhere in the database, in any table or column, as text or as bytes.
		var tables []string
		if err := w.store.DB().Select(&tables, `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`); err != nil {
			t.Fatal(err)
		}
		for _, table := range tables {
			var found int
			if err := w.store.DB().Get(&found, `SELECT count(*) FROM "`+table+`" t WHERE strpos(t::text, $1) > 0 OR strpos(t::text, $2) > 0`,
				token, hex.EncodeToString([]byte(token))); err != nil {
				t.Fatal(err)
			}
			if found > 0 {
				t.Errorf("the %s token is stored in the clear in %s", kind, table)
			}
		}
	}
	var hashed int
	if err := w.store.DB().Get(&hashed, `SELECT (SELECT count(*) FROM auth_sessions WHERE token_hash = $1)
		+ (SELECT count(*) FROM invites WHERE token_hash = $2) + (SELECT count(*) FROM calendar_feeds WHERE token_hash = $3)`,
		hashToken(signedIn.Token), hashToken(invite.Token), hashToken(feed.Token)); err != nil || hashed != 3 {
		t.Errorf("hashes of the three tokens found %d times (%v), want 3", hashed, err)
	}

	bearer := func(token string) map[string]string { return map[string]string{"Authorization": "Bearer " + token} }
	cases := []struct {
		name   string
		method string
		path   string
		header map[string]string
		want   int
	}{
		{"session token signs in", http.MethodGet, "/api/v1/me", bearer(signedIn.Token), http.StatusOK},
		{"invite token does not sign in", http.MethodGet, "/api/v1/me", bearer(invite.Token), http.StatusUnauthorized},
		{"calendar token does not sign in", http.MethodGet, "/api/v1/me", bearer(feed.Token), http.StatusUnauthorized},
		{"calendar token as a cookie", http.MethodGet, "/api/v1/me", map[string]string{"Cookie": sessionCookie + "=" + feed.Token}, http.StatusUnauthorized},
		{"invite token shows its invite", http.MethodGet, "/api/v1/invites/" + invite.Token, nil, http.StatusOK},
		{"session token is no invite", http.MethodGet, "/api/v1/invites/" + signedIn.Token, nil, http.StatusNotFound},
		{"calendar token is no invite", http.MethodGet, "/api/v1/invites/" + feed.Token, nil, http.StatusNotFound},
		{"calendar token opens its feed", http.MethodGet, "/api/v1/calendar/" + feed.Token + ".ics", nil, http.StatusOK},
		{"session token is no calendar", http.MethodGet, "/api/v1/calendar/" + signedIn.Token + ".ics", nil, http.StatusNotFound},
		{"invite token is no calendar", http.MethodGet, "/api/v1/calendar/" + invite.Token + ".ics", nil, http.StatusNotFound},
		{"session token accepts no invite", http.MethodPost, "/api/v1/invites/" + signedIn.Token + "/accept", nil, http.StatusNotFound},
		{"calendar token accepts no invite", http.MethodPost, "/api/v1/invites/" + feed.Token + "/accept", nil, http.StatusNotFound},
	}
	for _, tc := range cases {
		var body any
		if tc.method == http.MethodPost {
			body = map[string]any{"name": "Someone New", "password": "a long enough password"}
		}
		if res := w.request(tc.method, tc.path, body, tc.header); res.Status != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, res.Status, truncate(res.Body), tc.want)
		}
	}
	// A second sign-in gets a token of its own.
	var again sessionBody
	login(w, "therapist@a.test", testPassword, nil).JSON(t, &again)
	if again.Token == signedIn.Token {
		t.Error("two sign-ins got the same token")
	}
}

// TestWebAppIsServedUnderAStrictContentSecurityPolicy checks the policy on the app's page, its
// assets and the API: scripts and styles from the app's own origin only, no inline code, no
// eval, no plugins, no framing; the microphone and camera (for the live room's voice) to the
// app's own origin only.
func TestWebAppIsServedUnderAStrictContentSecurityPolicy(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	app := frontend.NewHandler(fstest.MapFS{
		"index.html":              {Data: []byte(`<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body></body></html>`)},
		"assets/index-abc123.js":  {Data: []byte(`console.log("app")`)},
		"assets/index-abc123.css": {Data: []byte(`body{margin:0}`)},
	})
	api, err := New(Deps{Store: w.store, Policy: w.policy, Registry: prometheus.NewRegistry(),
		Logger: slog.New(slog.DiscardHandler), Ready: w.store.Ping, App: app})
	if err != nil {
		t.Fatal(err)
	}
	srv := newTestServer(t, api.Handler())
	defer srv.Close()
	for _, path := range []string{"/", "/couples/12", "/assets/index-abc123.js", "/assets/index-abc123.css", "/api/v1/me", "/readyz"} {
		res, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if path != "/api/v1/me" && res.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", path, res.StatusCode)
		}
		csp := res.Header.Get("Content-Security-Policy")
		directives := map[string]string{}
		for _, d := range strings.Split(csp, ";") {
			name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
			directives[name] = value
		}
		for name, want := range map[string]string{
			"default-src": "'self'", "script-src": "'self'", "style-src": "'self'", "object-src": "'none'",
			"base-uri": "'none'", "frame-ancestors": "'none'", "form-action": "'self'",
		} {
			if directives[name] != want {
				t.Errorf("%s: %s is %q, want %q (policy %q)", path, name, directives[name], want, csp)
			}
		}
		for _, loose := range []string{"unsafe-inline", "unsafe-eval", "unsafe-hashes", "*", "data: 'self'", "http:", "https:"} {
			if strings.Contains(strings.ReplaceAll(csp, "img-src 'self' data:", ""), loose) {
				t.Errorf("%s: the policy allows %s: %q", path, loose, csp)
			}
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: nosniff %q, framing %q", path, res.Header.Get("X-Content-Type-Options"), res.Header.Get("X-Frame-Options"))
		}
		if got, want := res.Header.Get("Permissions-Policy"), "camera=(self), microphone=(self), geolocation=()"; got != want {
			t.Errorf("%s: Permissions-Policy %q, want %q", path, got, want)
		}
	}
}

// TestLiveSocketRefusesCrossSiteHandshakes tries the ways another site might pass for Amend's
// own page when opening a live connection with a partner's cookie.
func TestLiveSocketRefusesCrossSiteHandshakes(t *testing.T) {
	t.Parallel()
	w, _ := newLiveWorld(t, 1, liveConfig(newTestClock()))
	session := startSession(t, w.A, nil)
	host := strings.TrimPrefix(w.srv.URL, "http://")
	for _, origin := range []string{
		"https://elsewhere.example", "null", "http://" + host + ".elsewhere.example",
		"http://elsewhere.example/" + host, "http://127.0.0.2" + host[strings.Index(host, ":"):], "file://",
	} {
		ws, res, err := websocket.DefaultDialer.Dial(wsURL(w.srv.URL, session.ID, ""),
			http.Header{"Cookie": {sessionCookie + "=" + w.A.PartnerA.Token}, "Origin": {origin}})
		if err == nil {
			ws.Close()
			t.Errorf("origin %q: connected", origin)
			continue
		}
		if res == nil || res.StatusCode != http.StatusForbidden {
			t.Errorf("origin %q: %v, want 403", origin, res)
		}
	}
}

// TestDisabledMemberIsDisconnectedAtOnce shows that disabling closes the member's live
// connections on the spot, not at the next periodic sign-in check (set far away here).
func TestDisabledMemberIsDisconnectedAtOnce(t *testing.T) {
	t.Parallel()
	cfg := liveConfig(newTestClock())
	cfg.AliveEvery = time.Hour
	w, _ := newLiveWorld(t, 1, cfg)
	session := startSession(t, w.A, nil)
	a := dial(t, w.srv.URL, w.A.PartnerA, session.ID, "")
	b := dial(t, w.srv.URL, w.A.PartnerB, session.ID, "")
	res := w.A.Admin.do(http.MethodPatch, "/api/v1/practices/"+id(w.A.ID)+"/members/"+id(w.A.PartnerA.ID), map[string]any{"disabled": true})
	if res.Status != http.StatusOK {
		t.Fatalf("disable: %d %s", res.Status, res.Body)
	}
	start := time.Now()
	if code := a.closed(); code != websocket.ClosePolicyViolation {
		t.Fatalf("the disabled member's connection closed with %d", code)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("the disabled member stayed connected %v", took)
	}
	b.expect(func(f frame) bool { return f.Type == realtime.FramePresence && !slices.Contains(f.Present, "a") })
	// And they cannot come back.
	if _, res, err := websocket.DefaultDialer.Dial(wsURL(w.srv.URL, session.ID, ""),
		http.Header{"Authorization": {"Bearer " + w.A.PartnerA.Token}}); err == nil || res == nil || res.StatusCode < 400 {
		t.Fatalf("the disabled member reconnected: %v", res)
	}
}

// TestDisablingAMembershipEndsOnlyThatPracticesLiveConnections: a partner of practice A who is
// also a member of practice B keeps their live session in A when B disables them, and loses it
// when A does.
func TestDisablingAMembershipEndsOnlyThatPracticesLiveConnections(t *testing.T) {
	t.Parallel()
	cfg := liveConfig(newTestClock())
	cfg.AliveEvery = time.Hour
	w, _ := newLiveWorld(t, 1, cfg)
	target := w.A.PartnerA
	if _, err := w.store.AddMember(context.Background(), w.B.ID, target.Email, target.Name, "", store.RoleTherapist); err != nil {
		t.Fatal(err)
	}
	session := startSession(t, w.A, nil)
	a := dial(t, w.srv.URL, target, session.ID, "")
	for _, tc := range []struct {
		practice *practice
		stays    bool
	}{
		{w.B, true},
		{w.A, false},
	} {
		path := "/api/v1/practices/" + id(tc.practice.ID) + "/members/" + id(target.ID)
		if res := tc.practice.Admin.do(http.MethodPatch, path, map[string]any{"disabled": true}); res.Status != http.StatusOK {
			t.Fatalf("disable in practice %d: %d %s", tc.practice.ID, res.Status, res.Body)
		}
		if tc.stays {
			a.refused(map[string]any{"type": floor.CommandGrant, "seat": "a"}, "not_allowed")
		} else if code := a.closed(); code != websocket.ClosePolicyViolation {
			t.Fatalf("disabled in practice A, the connection closed with %d", code)
		}
	}
}

// TestALiveConnectionLastsWhileItsMembershipDoes checks the test every instance runs on its
// connections: the sign-in holds and the user is an active member of the session's practice.
func TestALiveConnectionLastsWhileItsMembershipDoes(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	target := w.A.PartnerA
	if _, err := w.store.AddMember(ctx, w.B.ID, target.Email, target.Name, "", store.RoleTherapist); err != nil {
		t.Fatal(err)
	}
	var sessionID int64
	if err := w.store.DB().Get(&sessionID, `SELECT id FROM auth_sessions WHERE user_id = $1`, target.ID); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name           string
		change         func() error
		aliveA, aliveB bool
	}{
		{"both memberships active", func() error { return nil }, true, true},
		{"disabled in practice B", func() error { return w.store.SetMemberDisabled(ctx, w.B.ID, target.ID, true) }, true, false},
		{"signed out", func() error {
			_, err := w.store.DB().Exec(`DELETE FROM auth_sessions WHERE id = $1`, sessionID)
			return err
		}, false, false},
	} {
		if err := tc.change(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		inA, inB := store.SignIn{AuthSession: sessionID, PracticeID: w.A.ID}, store.SignIn{AuthSession: sessionID, PracticeID: w.B.ID}
		ended, err := w.store.EndedSignIns(ctx, []store.SignIn{inA, inB})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for _, check := range []struct {
			in   store.SignIn
			want bool
		}{{inA, tc.aliveA}, {inB, tc.aliveB}} {
			if alive := !slices.Contains(ended, check.in); alive != check.want {
				t.Errorf("%s: alive in practice %d = %v, want %v", tc.name, check.in.PracticeID, alive, check.want)
			}
		}
	}
}

// TestLiveCommandsAreRateLimitedPerConnection floods one connection with commands and drafts at
// the default limits while the client reads everything: the excess is stored nowhere and told in
// at most one rate_limited error a second, naming how many messages were refused, so the
// refusals never fill the send queue (kept small here) and the connection stays open; another
// participant is not slowed.
func TestLiveCommandsAreRateLimitedPerConnection(t *testing.T) {
	t.Parallel()
	cfg := liveConfig(newTestClock())
	cfg.SendQueue = 64
	w, _ := newLiveWorld(t, 1, cfg)
	p := w.A
	session := startSession(t, p, nil)
	chair := dial(t, w.srv.URL, p.Therapist, session.ID, "")
	a := dial(t, w.srv.URL, p.PartnerA, session.ID, "")
	chair.do(cmd("grant", "seat", "a"))

	const flood = 300
	started := time.Now()
	for i := range flood {
		a.send(cmd("say", "text", "Again and again "+id(int64(i))))
	}
	acked, refused, reports := 0, 0, 0
	for acked+refused < flood {
		f := a.expect(func(f frame) bool { return f.Type == realtime.FrameAck || f.Type == realtime.FrameError })
		switch {
		case f.Type == realtime.FrameAck:
			acked++
		case f.Code == fault.RateLimited && f.Refused > 0:
			refused += f.Refused
			reports++
		default:
			t.Fatalf("flooded say: %s", f.raw)
		}
	}
	if acked+refused != flood || acked < 40 || refused == 0 {
		t.Fatalf("%d says acknowledged and %d refused of %d, want the burst of 40 through and the rest refused", acked, refused, flood)
	}
	if most := int(time.Since(started)/time.Second) + 2; reports > most {
		t.Fatalf("%d rate_limited errors in %v, want at most one a second", reports, time.Since(started))
	}
	// The connection is open: a say goes through once the limit allows it.
	for deadline := time.Now().Add(10 * time.Second); ; {
		msgID := a.send(cmd("say", "id", "after-the-flood", "text", "I will slow down."))
		f := a.expect(func(f frame) bool { return f.Type == realtime.FrameAck || f.Type == realtime.FrameError })
		if f.Type == realtime.FrameAck && f.ID == msgID {
			acked++
			break
		}
		if f.Code != fault.RateLimited || time.Now().After(deadline) {
			t.Fatalf("after the flood: %s", f.raw)
		}
	}
	for range 60 {
		a.send(cmd("draft", "text", "typing"))
	}
	a.expect(func(f frame) bool { return f.Type == realtime.FrameError && f.Code == fault.RateLimited })

	// The chair's own allowance is untouched.
	last := chair.do(cmd("moderator", "text", "Let us slow down."))
	chair.until(last)
	if got := len(chair.eventTexts(floor.EventUtterance)); got != acked {
		t.Fatalf("the chair heard %d says, %d were acknowledged", got, acked)
	}
	var stored int
	if err := w.store.DB().Get(&stored, `SELECT count(*) FROM session_events WHERE session_id = $1 AND kind = 'utterance'`, session.ID); err != nil || stored != acked {
		t.Fatalf("%d says stored (%v), %d acknowledged", stored, err, acked)
	}
}

// TestSecureDeploymentMarksCookieSecureAndSendsHSTS checks the settings for a deployment behind
// HTTPS: the session cookie is never sent over plain HTTP and browsers are told to keep to HTTPS.
func TestSecureDeploymentMarksCookieSecureAndSendsHSTS(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	api, err := New(Deps{Config: Config{CookieSecure: true}, Store: w.store, Policy: w.policy,
		Registry: prometheus.NewRegistry(), Logger: slog.New(slog.DiscardHandler), Ready: w.store.Ping})
	if err != nil {
		t.Fatal(err)
	}
	w.srv = newTestServer(t, api.Handler())
	defer w.srv.Close()
	res := login(w, "admin@a.test", testPassword, nil)
	if res.Status != http.StatusOK {
		t.Fatalf("login: %d %s", res.Status, res.Body)
	}
	cookie := res.Header.Get("Set-Cookie")
	for _, want := range []string{"Secure", "HttpOnly", "SameSite=Lax"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("cookie %q lacks %s", cookie, want)
		}
	}
	if hsts := res.Header.Get("Strict-Transport-Security"); !strings.Contains(hsts, "max-age=") {
		t.Errorf("Strict-Transport-Security: %q", hsts)
	}
}
