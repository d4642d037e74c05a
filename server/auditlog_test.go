package server

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

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
		if res := w.A.Admin.do(http.MethodGet, "/api/v1/practices/"+id(w.A.ID)+"/audit?"+bad, nil); res.Status != 422 {
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
