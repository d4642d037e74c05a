package server

import (
	"testing"

	"github.com/amendcare/amend/realtime"
	"github.com/amendcare/amend/realtime/floor"
	"github.com/amendcare/amend/server/demo"
	"github.com/amendcare/amend/server/store"
	"github.com/amendcare/amend/server/store/dbtest"
)

// TestDemoHasAFinishedListenerSession checks the demo's past live session: it ended, the floor
// changed hands through confirmed paraphrases, and the blocked interruption shows in the summary
// but nowhere in the transcript.
func TestDemoHasAFinishedListenerSession(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	st := store.New(db)
	ctx := t.Context()
	if _, err := demo.Load(ctx, st, testHash()); err != nil {
		t.Fatal(err)
	}
	var sessionID, practiceID int64
	if err := db.QueryRowx(`SELECT id, practice_id FROM live_sessions`).Scan(&sessionID, &practiceID); err != nil {
		t.Fatal(err)
	}
	log := realtime.NewLog(db)
	session, err := log.Session(ctx, practiceID, sessionID)
	if err != nil {
		t.Fatal(err)
	}
	if !session.State.Ended || session.State.Mode != floor.ModeListener || session.Blocked.A != 1 {
		t.Fatalf("demo session: ended %v, mode %s, blocked %+v", session.State.Ended, session.State.Mode, session.Blocked)
	}
	events, err := log.Transcript(ctx, practiceID, sessionID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, e := range events {
		kinds[e.Type]++
	}
	if kinds[floor.EventParaphraseConfirmed] != 2 || kinds[floor.EventParaphraseRejected] != 1 || kinds[floor.EventUtterance] != 3 {
		t.Fatalf("demo transcript kinds: %v", kinds)
	}
}
