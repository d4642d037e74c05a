package server

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/amendcare/amend/realtime"
	"github.com/amendcare/amend/realtime/floor"
	"github.com/amendcare/amend/server/store"
)

// BenchmarkAuthorizeRequest measures what every request pays for access control: resolving the
// caller's relation to an object in one query, and the policy decision.
func BenchmarkAuthorizeRequest(b *testing.B) {
	w := newWorld(b)
	ctx := context.Background()
	ref := store.Ref{Kind: "couple", ID: w.A.CoupleID}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			access, err := w.store.Resolve(ctx, w.A.Therapist.ID, ref)
			if err != nil {
				b.Error(err)
				return
			}
			if !w.policy.Allowed(access.Roles, access.Relation, "couple", "read") {
				b.Error("care team therapist may not read the couple")
				return
			}
		}
	})
}

// BenchmarkLiveCommandCommit measures the durable path of one utterance: lock the session row,
// decide, append the event, update the snapshot, commit — with eight sessions written at once.
func BenchmarkLiveCommandCommit(b *testing.B) {
	w := newWorld(b)
	ctx := context.Background()
	log := realtime.NewLog(w.store.DB())
	var next atomic.Int64
	b.SetParallelism(4) // 4 x GOMAXPROCS writers
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		// The longest turn, so that the speaker keeps the floor however long the benchmark runs.
		session, err := log.Create(ctx, realtime.NewSession{PracticeID: w.A.ID, CoupleID: w.A.CoupleID, CreatedBy: w.A.Therapist.ID,
			Mode: floor.ModeTurns, TurnSeconds: floor.MaxSettingSeconds})
		if err != nil {
			b.Error(err)
			return
		}
		chair := floor.Actor{UserID: w.A.Therapist.ID, Role: floor.RoleChair}
		speaker := floor.Actor{UserID: w.A.PartnerA.ID, Role: floor.RoleA}
		if _, err := log.Execute(ctx, session.ID, floor.Command{ID: "grant", Type: floor.CommandGrant, Seat: "a"}, chair, time.Now()); err != nil {
			b.Error(err)
			return
		}
		for pb.Next() {
			id := strconv.FormatInt(next.Add(1), 10)
			cmd := floor.Command{ID: id, Type: floor.CommandSay, Text: "I felt alone when the plans changed without a word."}
			if _, err := log.Execute(ctx, session.ID, cmd, speaker, time.Now()); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
