package server

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/amendcare/amend/server/store"
)

func TestAuditLogRecordsChangesAndDenials(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	created := createInvite(t, w.A.Admin, w.A.ID, "audited@a.test", "therapist")
	w.A.Therapist.do(http.MethodPost, "/api/v1/practices/"+id(w.A.ID)+"/invites", map[string]string{"email": "x@a.test", "role": "therapist"})
	w.A.Admin.do(http.MethodGet, "/api/v1/practices/"+id(w.A.ID)+"/members", nil)

	var page struct {
		Entries    []store.AuditEntry `json:"entries"`
		NextBefore int64              `json:"next_before"`
	}
	res := w.A.Admin.do(http.MethodGet, "/api/v1/practices/"+id(w.A.ID)+"/audit?object_type=invite", nil)
	res.JSON(t, &page)
	if res.Status != 200 || len(page.Entries) != 2 {
		t.Fatalf("audit: %d %s", res.Status, res.Body)
	}
	denied, allowed := page.Entries[0], page.Entries[1]
	if denied.Outcome != store.OutcomeDenied || *denied.ActorID != w.A.Therapist.ID || denied.Action != "invite.create" {
		t.Errorf("denied entry: %+v", denied)
	}
	if allowed.Outcome != store.OutcomeAllowed || *allowed.ActorID != w.A.Admin.ID || *allowed.ObjectID != created.Invite.ID ||
		allowed.Address == "" || allowed.RequestID == "" || allowed.ActorEmail == nil {
		t.Errorf("allowed entry: %+v", allowed)
	}
	// Routine reads of the member list are not audited; nothing from practice B shows.
	res = w.A.Admin.do(http.MethodGet, "/api/v1/practices/"+id(w.A.ID)+"/audit?object_type=member", nil)
	res.JSON(t, &page)
	if len(page.Entries) != 0 {
		t.Errorf("member list reads audited: %s", res.Body)
	}
	// Filters and paging.
	res = w.A.Admin.do(http.MethodGet, "/api/v1/practices/"+id(w.A.ID)+"/audit?outcome=denied&actor_id="+id(w.A.Therapist.ID), nil)
	res.JSON(t, &page)
	if len(page.Entries) != 1 {
		t.Errorf("filtered: %s", res.Body)
	}
	res = w.A.Admin.do(http.MethodGet, "/api/v1/practices/"+id(w.A.ID)+"/audit?limit=1", nil)
	res.JSON(t, &page)
	if len(page.Entries) != 1 || page.NextBefore == 0 {
		t.Fatalf("first page: %s", res.Body)
	}
	first := page.Entries[0].ID
	res = w.A.Admin.do(http.MethodGet, "/api/v1/practices/"+id(w.A.ID)+"/audit?limit=1&before="+id(page.NextBefore), nil)
	res.JSON(t, &page)
	if len(page.Entries) != 1 || page.Entries[0].ID >= first {
		t.Errorf("second page: %s", res.Body)
	}
	for _, bad := range []string{"limit=0", "limit=x", "since=yesterday", "actor_id=-1"} {
		if res := w.A.Admin.doInvalid(http.MethodGet, "/api/v1/practices/"+id(w.A.ID)+"/audit?"+bad, nil); res.Status != 422 {
			t.Errorf("%s: %d", bad, res.Status)
		}
	}
}

func TestAuditLogIsAppendOnly(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	createInvite(t, w.A.Admin, w.A.ID, "one@a.test", "therapist")
	for _, stmt := range []string{`UPDATE audit_log SET outcome = 'denied'`, `DELETE FROM audit_log`} {
		_, err := w.store.DB().Exec(stmt)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v", stmt, err)
		}
	}
}

func TestAPracticeCanRunItsOwnPolicy(t *testing.T) {
	t.Parallel()
	// This practice lets therapists read the audit log too.
	w := newWorldWithPolicy(t, []byte("p, admin, practice, audit_log, list\np, therapist, practice, audit_log, list\np, therapist, practice, member, read\n"))
	if res := w.A.Therapist.do(http.MethodGet, "/api/v1/practices/"+id(w.A.ID)+"/audit", nil); res.Status != 200 {
		t.Errorf("therapist under custom policy: %d", res.Status)
	}
	if res := w.A.Admin.do(http.MethodGet, "/api/v1/practices/"+id(w.A.ID)+"/members", nil); res.Status != 404 {
		t.Errorf("a right the custom policy does not grant: %d", res.Status)
	}
}

// TestConcurrentReadsAreAuditedBeforeTheyAreAnswered: audit entries are written in groups under
// load, yet every read's entry is in the log by the time its answer arrives.
func TestConcurrentReadsAreAuditedBeforeTheyAreAnswered(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const readers = 24
	type answer struct {
		requestID string
		status    int
		err       error
	}
	answers := make(chan answer, readers)
	for n := range readers {
		go func() {
			requestID := "concurrent-read-" + id(int64(n))
			req, err := http.NewRequest(http.MethodGet, w.srv.URL+"/api/v1/couples/"+id(w.A.CoupleID), nil)
			if err != nil {
				answers <- answer{requestID, 0, err}
				return
			}
			req.Header.Set("Authorization", "Bearer "+w.A.Therapist.Token)
			req.Header.Set("X-Request-ID", requestID)
			res, err := w.srv.Client().Do(req)
			if err != nil {
				answers <- answer{requestID, 0, err}
				return
			}
			res.Body.Close()
			// Asked the moment the answer is in: a later write would not be found.
			var logged int
			err = w.store.DB().Get(&logged, `SELECT count(*) FROM audit_log WHERE request_id = $1 AND action = 'couple.read'`, requestID)
			if err == nil && logged != 1 {
				err = fmt.Errorf("%d audit entries when the answer arrived, want 1", logged)
			}
			answers <- answer{requestID, res.StatusCode, err}
		}()
	}
	for range readers {
		a := <-answers
		if a.err != nil || a.status != http.StatusOK {
			t.Errorf("%s: status %d, %v", a.requestID, a.status, a.err)
		}
	}
}

// auditEntries reads practice p's audit log as its administrator, with the given query.
func auditEntries(t *testing.T, p *practice, query string) []store.AuditEntry {
	t.Helper()
	var page struct{ Entries []store.AuditEntry }
	res := p.Admin.do(http.MethodGet, "/api/v1/practices/"+id(p.ID)+"/audit?"+query, nil)
	if res.Status != http.StatusOK {
		t.Fatalf("audit log of practice %d: %d %s", p.ID, res.Status, res.Body)
	}
	res.JSON(t, &page)
	return page.Entries
}

func TestRefusedCrossPracticeRequestsAreAuditedInTheCallersPractice(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	caller := w.B.Therapist
	for _, tc := range []struct {
		name string
		path string
	}{
		{"another practice's couple", "/api/v1/couples/" + id(w.A.CoupleID)},
		{"a couple that exists nowhere", "/api/v1/couples/987654321"},
	} {
		if res := caller.do(http.MethodGet, tc.path, nil); res.Status != http.StatusNotFound {
			t.Fatalf("%s: %d %s", tc.name, res.Status, res.Body)
		}
	}
	entries := auditEntries(t, w.B, "object_type=couple&outcome=denied&actor_id="+id(caller.ID))
	if len(entries) != 2 {
		t.Fatalf("practice B's log holds %d denials of its therapist, want 2: %+v", len(entries), entries)
	}
	// The two entries are alike but for the id asked for: nothing tells which one exists.
	for i, want := range []int64{987654321, w.A.CoupleID} {
		e := entries[i]
		if e.Action != "couple.read" || e.ObjectID == nil || *e.ObjectID != want || *e.PracticeID != w.B.ID {
			t.Errorf("entry %d: %+v", i, e)
		}
	}
	if entries := auditEntries(t, w.A, "actor_id="+id(caller.ID)); len(entries) != 0 {
		t.Errorf("practice A's log names practice B's therapist: %+v", entries)
	}
}

func TestVisibilityChangesAreAuditedWithTheirFromAndTo(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	checkin := w.checkin(p, p.PartnerA, w.pastDay(), "therapist", 5)
	measure := w.measure(p, p.PartnerA, "therapist", 3, time.Time{})
	assignment := w.assignStep(p, "apology", "a", "therapist")
	document := w.document(p, p.PartnerA, "therapist", pngBytes)
	for _, tc := range []struct {
		object string
		id     int64
		method string
		path   string
	}{
		{"checkin", checkin, http.MethodPatch, "/api/v1/checkins/" + id(checkin)},
		{"measure", measure, http.MethodPatch, "/api/v1/measures/" + id(measure)},
		{"response", assignment, http.MethodPut, "/api/v1/assignments/" + id(assignment) + "/visibility"},
		{"document", document, http.MethodPut, "/api/v1/documents/" + id(document) + "/visibility"},
	} {
		t.Run(tc.object, func(t *testing.T) {
			// The other partner may not change it; the author may, twice.
			if res := p.PartnerB.do(tc.method, tc.path, map[string]string{"visibility": "private"}); res.Status < 400 {
				t.Fatalf("the other partner changed it: %d %s", res.Status, res.Body)
			}
			for _, to := range []string{"partner", "private"} {
				if res := p.PartnerA.do(tc.method, tc.path, map[string]string{"visibility": to}); res.Status != http.StatusOK && res.Status != http.StatusNoContent {
					t.Fatalf("share %s: %d %s", to, res.Status, res.Body)
				}
			}
			var changes []string
			for _, e := range auditEntries(t, p, "object_type="+tc.object+"&outcome=allowed&object_id="+id(tc.id)) {
				if e.ChangeField == nil || e.ChangeFrom == nil || e.ChangeTo == nil {
					t.Fatalf("entry without its change: %+v", e)
				}
				changes = append(changes, *e.ChangeField+": "+*e.ChangeFrom+" -> "+*e.ChangeTo)
			}
			want := []string{"visibility: partner -> private", "visibility: therapist -> partner"}
			if !slices.Equal(changes, want) {
				t.Errorf("audited changes %q, want %q", changes, want)
			}
		})
	}
}

func TestAdministratorsReadingTheAuditLogAndThePolicyAreAudited(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for _, path := range []string{"/audit", "/policy"} {
		if res := w.A.Admin.do(http.MethodGet, "/api/v1/practices/"+id(w.A.ID)+path, nil); res.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", path, res.Status, res.Body)
		}
	}
	// A therapist's refused try is audited as well.
	if res := w.A.Therapist.do(http.MethodGet, "/api/v1/practices/"+id(w.A.ID)+"/policy", nil); res.Status != http.StatusNotFound {
		t.Fatalf("therapist reads the policy: %d %s", res.Status, res.Body)
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"object_type=audit_log", []string{"audit_log.list allowed by " + w.A.Admin.Email}},
		{"object_type=policy", []string{"policy.read denied by " + w.A.Therapist.Email, "policy.read allowed by " + w.A.Admin.Email}},
	} {
		var got []string
		for _, e := range auditEntries(t, w.A, tc.query) {
			got = append(got, e.Action+" "+e.Outcome+" by "+*e.ActorEmail)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.query, got, tc.want)
		}
	}
}

func TestSignInsGoToTheAccountsOwnSecurityLog(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	if res := login(w, w.A.Therapist.Email, "not the password", nil); res.Status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", res.Status)
	}
	if res := login(w, w.A.Therapist.Email, testPassword, nil); res.Status != http.StatusOK {
		t.Fatalf("sign in: %d", res.Status)
	}
	for _, tc := range []struct {
		name string
		as   *actor
		want []string
	}{
		{"the account itself", w.A.Therapist, []string{"auth.login allowed", "auth.login denied"}},
		{"another account", w.A.Admin, nil},
	} {
		res := tc.as.do(http.MethodGet, "/api/v1/me/sign-ins", nil)
		if res.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", tc.name, res.Status, res.Body)
		}
		var body struct{ Entries []store.AuditEntry }
		res.JSON(t, &body)
		var got []string
		for _, e := range body.Entries {
			if e.Address == "" || e.PracticeID != nil {
				t.Errorf("%s: entry %+v", tc.name, e)
			}
			got = append(got, e.Action+" "+e.Outcome)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s sees %q, want %q", tc.name, got, tc.want)
		}
	}
	for _, p := range []*practice{w.A, w.B} {
		if entries := auditEntries(t, p, "object_type=user"); len(entries) != 0 {
			t.Errorf("practice %d's audit log holds sign-ins: %+v", p.ID, entries)
		}
	}
}

// Every view of the audit log and the access table is recorded, and a listing may leave the
// administrators' own allowed views out; a refused attempt to view them always shows.
func TestAuditLogCanLeaveOutViewsOfTheLogAndPolicy(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	audit := "/api/v1/practices/" + id(p.ID) + "/audit"
	for range 2 {
		p.Admin.do(http.MethodGet, audit, nil)
		p.Admin.do(http.MethodGet, "/api/v1/practices/"+id(p.ID)+"/policy", nil)
	}
	p.Therapist.do(http.MethodGet, audit, nil)
	createInvite(t, p.Admin, p.ID, "kept@a.test", "therapist")

	for _, tc := range []struct {
		name   string
		caller *actor
		query  string
		status int
		want   []string
	}{
		{"every view is listed", p.Admin, "", http.StatusOK,
			[]string{"invite.create allowed", "audit_log.list denied", "policy.read allowed", "audit_log.list allowed", "policy.read allowed", "audit_log.list allowed"}},
		{"allowed views are left out on request", p.Admin, "?omit_log_views=true", http.StatusOK,
			[]string{"invite.create allowed", "audit_log.list denied"}},
		{"false leaves nothing out", p.Admin, "?omit_log_views=false&limit=1", http.StatusOK,
			[]string{"audit_log.list allowed"}},
		{"anything but true or false is refused", p.Admin, "?omit_log_views=yes", http.StatusUnprocessableEntity, nil},
		{"a therapist may not list it", p.Therapist, "?omit_log_views=true", http.StatusNotFound, nil},
	} {
		do := tc.caller.do
		if tc.status == http.StatusUnprocessableEntity {
			do = tc.caller.doInvalid // refused on purpose; the answer is still checked
		}
		res := do(http.MethodGet, audit+tc.query, nil)
		var page struct {
			Entries []store.AuditEntry `json:"entries"`
		}
		res.JSON(t, &page)
		var got []string
		for _, e := range page.Entries {
			got = append(got, e.Action+" "+e.Outcome)
		}
		if res.Status != tc.status || (tc.want != nil && !slices.Equal(got, tc.want)) {
			t.Errorf("%s: %d %v, want %d %v", tc.name, res.Status, got, tc.status, tc.want)
		}
	}
}
