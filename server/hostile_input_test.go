package server

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/amendcare/amend/fault"
)

// hostileBodies are request bodies no endpoint may accept or choke on.
var hostileBodies = map[string]string{
	"not JSON":        `{"label": `,
	"wrong type":      `{"email": ["a"], "name": {"x": 1}, "label": 7, "mode": false, "roles": "admin", "answers": 3}`,
	"array":           `[1, 2, 3]`,
	"string":          `"hello"`,
	"null":            `null`,
	"deeply nested":   strings.Repeat(`{"a":`, 100_000) + `1` + strings.Repeat(`}`, 100_000),
	"oversize":        `{"note": "` + strings.Repeat("x", 2<<20) + `"}`,
	"trailing data":   `{} {}`,
	"unknown field":   `{"definitely_not_a_field": true}`,
	"invalid UTF-8":   "{\"label\": \"\xff\xfe\"}",
	"huge number":     `{"seconds": 1e400, "turn_seconds": 99999999999999999999}`,
	"duplicate keys":  `{"email": "a@b.test", "email": 5}`,
	"control chars":   "{\"label\": \"a\u0000b\"}",
	"whitespace only": "   \n\t ",
}

var pathParam = regexp.MustCompile(`:[a-z]+`)

// TestHostileBodiesOnEveryEndpoint sends malformed, oversize, deeply nested and wrong-typed
// bodies to every endpoint that takes one, as an administrator and a therapist of the practice
// that owns the objects. Each must answer a 4xx JSON error and change nothing.
func TestHostileBodiesOnEveryEndpoint(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ids := map[string]int64{":pid": w.A.ID, ":uid": w.A.Therapist.ID}
	before := w.tableCounts()
	tested := 0
	for _, route := range w.api.engine.Routes() {
		if route.Method == http.MethodGet || route.Method == http.MethodDelete || !strings.HasPrefix(route.Path, "/api/v1/") {
			continue
		}
		path := pathParam.ReplaceAllStringFunc(route.Path, func(p string) string {
			if v, ok := ids[p]; ok {
				return id(v)
			}
			if p == ":token" {
				token, _ := newToken()
				return token
			}
			return id(w.A.CoupleID)
		})
		for name, body := range hostileBodies {
			for _, caller := range []*actor{w.A.Admin, w.A.Therapist} {
				res := caller.doInvalid(route.Method, path, body)
				if res.Status < 400 || res.Status >= 500 {
					t.Errorf("%s %s with %s as %s: got %d %s", route.Method, route.Path, name, caller.Name, res.Status, truncate(res.Body))
					continue
				}
				var e struct {
					Error *errorBody `json:"error"`
				}
				if err := json.Unmarshal(res.Body, &e); err != nil || e.Error == nil || e.Error.Code == "" || e.Error.Message == "" {
					t.Errorf("%s %s with %s: not a JSON error: %s", route.Method, route.Path, name, truncate(res.Body))
				}
				tested++
			}
		}
	}
	if tested == 0 {
		t.Fatal("no endpoint took a body")
	}
	after := w.tableCounts()
	for table, n := range before {
		if after[table] != n {
			t.Errorf("table %s changed from %d to %d rows", table, n, after[table])
		}
	}
}

// guardedTables lists every table but the audit log, sign-ins and the migration bookkeeping,
// which requests may legitimately touch.
func (w *world) guardedTables() []string {
	w.t.Helper()
	var tables []string
	if err := w.store.DB().Select(&tables, `
		SELECT tablename FROM pg_tables WHERE schemaname = 'public'
		  AND tablename NOT IN ('audit_log', 'auth_sessions', 'goose_db_version')`); err != nil {
		w.t.Fatal(err)
	}
	return tables
}

// tableCounts counts the rows of every guarded table.
func (w *world) tableCounts() map[string]int64 {
	w.t.Helper()
	counts := map[string]int64{}
	for _, table := range w.guardedTables() {
		var n int64
		if err := w.store.DB().Get(&n, `SELECT count(*) FROM "`+table+`"`); err != nil {
			w.t.Fatal(err)
		}
		counts[table] = n
	}
	return counts
}

func truncate(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

// TestOverlongRequestHeadAnswersAJSONError: a request line and headers over the API's limit get
// 431 with a JSON too_large error, before authentication, whoever sends them.
func TestOverlongRequestHeadAnswersAJSONError(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	long := strings.Repeat("x", maxRequestHeadBytes)
	for _, tc := range []struct {
		name    string
		path    string
		headers map[string]string
	}{
		{"signed in, long query", "/api/v1/practices/" + id(w.A.ID) + "/couples?q=" + long, map[string]string{"Authorization": "Bearer " + w.A.Therapist.Token}},
		{"another practice's member, long query", "/api/v1/practices/" + id(w.A.ID) + "/couples?q=" + long, map[string]string{"Authorization": "Bearer " + w.B.Therapist.Token}},
		{"anonymous, long header", "/api/v1/me", map[string]string{"X-Padding": long}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := w.request(http.MethodGet, tc.path, nil, tc.headers)
			if res.Status != http.StatusRequestHeaderFieldsTooLarge || res.ErrorCode() != fault.TooLarge {
				t.Errorf("got %d %s, want 431 too_large", res.Status, truncate(res.Body))
			}
		})
	}
}
