package server

import (
	"slices"
	"testing"

	"github.com/amendcare/amend/realtime"
)

// presentAre matches a presence frame listing exactly roles.
func presentAre(roles ...string) func(frame) bool {
	return func(f frame) bool { return f.Type == realtime.FramePresence && slices.Equal(f.Present, roles) }
}

// Presence is counted per connection across instances: a partner with two tabs open stays
// present when one closes, and everyone on either instance sees them go when the last does.
func TestLivePresenceFollowsEveryConnectionAcrossInstances(t *testing.T) {
	t.Parallel()
	w, instances := newLiveWorld(t, 2, liveConfig(newTestClock()))
	one, two := instances[0], instances[1]
	p := w.A
	session := startSession(t, p, nil)

	chair := dial(t, two.srv.URL, p.Therapist, session.ID, "")
	firstTab := dial(t, one.srv.URL, p.PartnerA, session.ID, "")
	secondTab := dial(t, one.srv.URL, p.PartnerA, session.ID, "")
	b := dial(t, two.srv.URL, p.PartnerB, session.ID, "")
	chair.expect(presentAre("a", "b", "chair"))
	secondTab.expect(presentAre("a", "b", "chair"))

	firstTab.ws.Close()
	b.ws.Close()
	// Were the closed tab counted as all of a, a would go with b.
	chair.expect(presentAre("a", "chair"))
	secondTab.expect(presentAre("a", "chair"))

	secondTab.ws.Close()
	chair.expect(presentAre("chair"))
}
