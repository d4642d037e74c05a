package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

// decodedInputs are the bodies the main endpoints accept: sign-in, invite acceptance, couples,
// assignment drafts and submissions, check-ins, commitments, measures, notes, appointments,
// live sessions, invites, members, exercises and erasure.
var decodedInputs = []func() any{
	func() any { return new(loginInput) },
	func() any { return new(acceptInput) },
	func() any { return new(coupleInput) },
	func() any { return new(coupleUpdate) },
	func() any { return new(careTeamInput) },
	func() any { return new(partnerInviteInput) },
	func() any { return new(assignmentInput) },
	func() any { return new(answersInput) },
	func() any { return new(submitInput) },
	func() any { return new(visibilityInput) },
	func() any { return new(commentInput) },
	func() any { return new(checkinInput) },
	func() any { return new(checkinPatch) },
	func() any { return new(commitmentInput) },
	func() any { return new(checkInput) },
	func() any { return new(measureInput) },
	func() any { return new(noteInput) },
	func() any { return new(notePatch) },
	func() any { return new(appointmentInput) },
	func() any { return new(liveSessionInput) },
	func() any { return new(staffInviteInput) },
	func() any { return new(memberUpdate) },
	func() any { return new(exerciseInput) },
	func() any { return new(eraseInput) },
}

// fuzzBodyLimit is small, so the fuzzer reaches the too-large answer too.
const fuzzBodyLimit = 4 << 10

// FuzzRequestDecoding sends any bytes as the body of any main endpoint's input, through the same
// binding the handlers use. The body is either accepted — then it is exactly one JSON object
// whose fields all belong to the input and pass its validation — or refused with a 4xx JSON
// error that names a code and a message. Nothing panics and nothing answers 5xx.
func FuzzRequestDecoding(f *testing.F) {
	for i, body := range []string{
		`{"email":"admin@a.test","password":"correct horse battery"}`,
		`{"name":"Robin","password":"a long enough password"}`,
		`{"label":"Couple","concerns":["infidelity"],"therapists":[3]}`,
		`{"label":null,"status":"paused"}`,
		`{"therapists":[1,2]}`,
		`{"seat":"a","email":"robin@x.test"}`,
		`{"exercise_id":4,"for":"both","due_on":"2031-02-03"}`,
		`{"answers":{"moment":"The walk.","closeness":4}}`,
		`{}`,
		`{"visibility":"partner"}`,
		`{"body":"Thank you.","parent_id":2}`,
		`{"trust":5,"safety":6,"feeling":"calm","visibility":"private"}`,
		`{"trust":11}`,
		`{"text":"Phone face up.","cadence":"daily"}`,
		`{"status":"kept","day":"2031-02-03"}`,
		`{"measure_key":"csi4","answers":{"happiness":3}}`,
		`{"template":"soap","sections":{"plan":"x"}}`,
		`{"sections":{}}`,
		`{"starts_at":"2031-07-01T14:00","time_zone":"Europe/Berlin","duration_minutes":60}`,
		`{"mode":"listener","turn_seconds":90}`,
		`{"email":"x@x.test","role":"admin"}`,
		`{"roles":["therapist","admin"],"disabled":false}`,
		`{"title":"T","who":"both_together","default_visibility":"therapist","fields":[{"key":"k","kind":"scale","min":1,"max":5}]}`,
		`{"confirm":"Couple A"}`,
		`{"email":"admin@a.test","password":"correct horse battery","admin":true}`,
	} {
		f.Add(uint8(i), []byte(body))
	}
	s := &Server{validate: newValidator()}
	gin.SetMode(gin.ReleaseMode)
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		newInput := decodedInputs[int(which)%len(decodedInputs)]
		in := newInput()
		rec := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(rec)
		c.Request = httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		c.Request.Body = http.MaxBytesReader(rec, c.Request.Body, fuzzBodyLimit)
		if s.bindJSON(c, in) {
			if c.IsAborted() || rec.Body.Len() != 0 {
				t.Fatalf("%T accepted %q but answered %d %s", in, body, rec.Code, rec.Body)
			}
			// Accepted means one JSON object with only the input's own fields.
			if trimmed := bytes.TrimSpace(body); !json.Valid(body) || len(trimmed) == 0 || trimmed[0] != '{' {
				t.Fatalf("%T accepted %q, which is not one JSON object", in, body)
			}
			again := newInput()
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.DisallowUnknownFields()
			if err := dec.Decode(again); err != nil || !reflect.DeepEqual(in, again) {
				t.Fatalf("%T accepted %q, which the standard decoder reads as %v", in, body, err)
			}
			return
		}
		switch rec.Code {
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
		default:
			t.Fatalf("%T refused %q with %d", in, body, rec.Code)
		}
		var answer struct {
			Error *errorBody `json:"error"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil || answer.Error == nil ||
			answer.Error.Code == "" || answer.Error.Message == "" {
			t.Fatalf("%T refused %q without a JSON error: %s", in, body, rec.Body)
		}
	})
}

// hostileQueryValues are query parameter values no endpoint may choke on.
var hostileQueryValues = []string{
	"", "-1", "0", "abc", "99999999999999999999", "1e400", "\x00", "\xff\xfe", strings.Repeat("x", 8000),
	"2024-13-45", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59+14:00", "'; DROP TABLE couples; --", "%", "_", "true", "null",
}

// queryParameters are the query parameters each endpoint reads, by route.
var queryParameters = map[string][]string{
	"/api/v1/practices/:pid/couples":                    {"status", "q", "therapist"},
	"/api/v1/practices/:pid/members":                    {"role"},
	"/api/v1/practices/:pid/invites":                    {"open"},
	"/api/v1/practices/:pid/audit":                      {"object_type", "action", "outcome", "actor_id", "object_id", "since", "until", "before", "limit"},
	"/api/v1/practices/:pid/exercises/:id":              {"version"},
	"/api/v1/practices/:pid/members/:uid/appointments":  {"from", "to", "include_cancelled"},
	"/api/v1/couples/:id/appointments":                  {"from", "to", "include_cancelled"},
	"/api/v1/couples/:id/checkins":                      {"from", "to"},
	"/api/v1/couples/:id/notes":                         {"live_session_id"},
	"/api/v1/live/:id/transcript":                       {"after", "limit"},
	"/api/v1/live/:id/ws":                               {"after"},
	"/api/v1/practices/:pid/billing/report":             {"from", "to"},
	"/api/v1/practices/:pid/billing/ledger.csv":         {"from", "to"},
	"/api/v1/practices/:pid/members/:uid/statement":     {"from", "to"},
	"/api/v1/practices/:pid/members/:uid/invoice.pdf":   {"from", "to"},
	"/api/v1/practices/:pid/members/:uid/superbill.pdf": {"from", "to"},
	"/api/v1/couples/:id/billing/statement":             {"from", "to"},
}

// TestHostileQueryParametersOnEveryReadEndpoint sends malformed, out-of-range, oversize and
// binary values in every query parameter an endpoint reads, and all of them at once to every
// other GET route, with ids of objects the caller may read: each answers 2xx or a 4xx JSON
// error, never 5xx.
func TestHostileQueryParametersOnEveryReadEndpoint(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	objects := createPracticeObjects(t, w, w.A)
	var every []string
	for _, names := range queryParameters {
		every = append(every, names...)
	}
	tried := 0
	for _, route := range w.api.engine.Routes() {
		// The notice stream reads no query and answers without end: notices_test.go covers it.
		if route.Method != http.MethodGet || !strings.HasPrefix(route.Path, "/api/v1/") || strings.Contains(route.Path, ":token") ||
			route.Path == "/api/v1/me/events" {
			continue
		}
		paths := []string{strings.Replace(route.Path, ":pid", id(w.A.ID), 1)}
		if ids, ok := sweepIDs(route.Path, objects); ok {
			paths = paths[:0]
			for _, n := range ids {
				paths = append(paths, pathParam.ReplaceAllString(strings.Replace(route.Path, ":pid", id(w.A.ID), 1), id(n)))
			}
		}
		// The first of these who may read the route plain, with the first id they may read it
		// with, is the one whose query is parsed.
		var who *actor
		var path string
	find:
		for _, candidatePath := range paths {
			for _, candidate := range []*actor{w.A.Therapist, w.A.Admin, w.A.PartnerA} {
				if res := candidate.do(http.MethodGet, candidatePath, nil); res.Status < 300 || res.Status == http.StatusUpgradeRequired {
					who, path = candidate, candidatePath
					break find
				}
			}
		}
		if who == nil {
			t.Errorf("GET %s: nobody reads it", paths)
			continue
		}
		var queries []url.Values
		for _, name := range queryParameters[route.Path] {
			for _, value := range hostileQueryValues {
				queries = append(queries, url.Values{name: {value}})
			}
		}
		for _, value := range hostileQueryValues[:8] {
			all := url.Values{}
			for _, name := range every {
				all.Add(name, value)
			}
			queries = append(queries, all)
		}
		for _, q := range queries {
			query := q.Encode()
			res := who.doInvalid(http.MethodGet, path+"?"+query, nil)
			tried++
			if res.Status >= 500 {
				t.Errorf("GET %s?%s as %s: %d %s", path, truncate([]byte(query)), who.Name, res.Status, truncate(res.Body))
				continue
			}
			if res.Status >= 400 && res.ErrorCode() == "" {
				t.Errorf("GET %s?%s as %s: %d without a JSON error", path, truncate([]byte(query)), who.Name, res.Status)
			}
		}
	}
	t.Logf("%d requests", tried)
}
