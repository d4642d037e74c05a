package server

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/realtime"
)

// noticeWait bounds every wait for a notice or for a stream to close.
const noticeWait = 5 * time.Second

// noticeClient reads one notice stream over real HTTP, as a browser tab's EventSource would.
type noticeClient struct {
	t          *testing.T
	name       string
	notices    chan realtime.Notice
	closed     chan struct{}
	heartbeats atomic.Int64
}

// listen opens a's notice stream on the server at base and waits until it is ready, so that
// whatever happens next reaches it.
func listen(t *testing.T, base string, a *actor) *noticeClient {
	t.Helper()
	res := openStream(t, base, a)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("%s: stream answered %d %s", a.Name, res.StatusCode, res.Header.Get("Content-Type"))
	}
	n := &noticeClient{t: t, name: a.Name, notices: make(chan realtime.Notice, 64), closed: make(chan struct{})}
	go n.read(res)
	if got := n.next(); got.Type != realtime.NoticeReady {
		t.Fatalf("%s: the stream opened with %+v", a.Name, got)
	}
	return n
}

// openStream requests a's notice stream and returns the response unread; the test's end closes it.
func openStream(t *testing.T, base string, a *actor) *http.Response {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/me/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	if a != nil {
		req.Header.Set("Authorization", "Bearer "+a.Token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		res.Body.Close()
	})
	return res
}

// read parses the event stream: "event:" and "data:" lines up to a blank line make one notice;
// comment lines are heartbeats.
func (n *noticeClient) read(res *http.Response) {
	defer close(n.closed)
	scanner := bufio.NewScanner(res.Body)
	var data string
	for scanner.Scan() {
		line := scanner.Text()
		switch {
		case strings.HasPrefix(line, ":"):
			n.heartbeats.Add(1)
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		case line == "" && data != "":
			var notice realtime.Notice
			if err := json.Unmarshal([]byte(data), &notice); err != nil {
				n.t.Errorf("%s: undecodable notice %q", n.name, data)
			}
			n.notices <- notice
			data = ""
		}
	}
}

// next returns the next notice, failing the test when none comes in time.
func (n *noticeClient) next() realtime.Notice {
	n.t.Helper()
	select {
	case notice := <-n.notices:
		return notice
	case <-n.closed:
		n.t.Fatalf("%s: the stream closed while a notice was awaited", n.name)
	case <-time.After(noticeWait):
		n.t.Fatalf("%s: no notice within %v", n.name, noticeWait)
	}
	return realtime.Notice{}
}

// expectNext fails unless the next notice is want: anything that came before it was a notice
// the person should not have had.
func (n *noticeClient) expectNext(want realtime.Notice) {
	n.t.Helper()
	if got := n.next(); got != want {
		n.t.Fatalf("%s: got notice %+v, want %+v", n.name, got, want)
	}
}

// expectClosed fails unless the server ends the stream in time.
func (n *noticeClient) expectClosed() {
	n.t.Helper()
	deadline := time.After(noticeWait)
	for {
		select {
		case <-n.closed:
			return
		case <-n.notices:
		case <-deadline:
			n.t.Fatalf("%s: the stream is still open after %v", n.name, noticeWait)
		}
	}
}

// startLive has therapist start a live session for coupleID through the world's server.
func startLive(t *testing.T, therapist *actor, coupleID int64) int64 {
	t.Helper()
	res := therapist.do(http.MethodPost, "/api/v1/couples/"+id(coupleID)+"/live-sessions", map[string]any{})
	if res.Status != http.StatusCreated {
		t.Fatalf("start a live session: %d %s", res.Status, res.Body)
	}
	var session realtime.Session
	res.JSON(t, &session)
	return session.ID
}

func TestLiveSessionNoticesReachTheCoupleAndCareTeamAcrossInstancesAndNobodyElse(t *testing.T) {
	t.Parallel()
	w, instances := newLiveWorld(t, 2, liveConfig(newTestClock()))
	two := instances[1].srv.URL
	p := w.A
	// Every stream is on instance two; the therapist starts the session on instance one.
	streams := map[*actor]*noticeClient{}
	for _, a := range []*actor{p.PartnerA, p.PartnerB, p.Therapist, p.OtherPartner, p.OtherTherapist, p.Admin, w.B.PartnerA, w.B.Therapist} {
		streams[a] = listen(t, two, a)
	}

	begun := time.Now()
	sessionID := startLive(t, p.Therapist, p.CoupleID)
	started := realtime.Notice{Type: realtime.NoticeLiveSessionStarted, CoupleID: p.CoupleID, LiveSessionID: sessionID}
	for _, a := range []*actor{p.PartnerA, p.PartnerB, p.Therapist} {
		streams[a].expectNext(started)
	}
	if took := time.Since(begun); took > time.Second {
		t.Errorf("the couple heard of the live session after %v", took)
	}

	// The chair ends it through instance two.
	if res := p.Therapist.onInstance(instances[1], http.MethodPost, "/api/v1/live/"+id(sessionID)+"/commands", `{"id":"end","type":"end"}`); res.Status != http.StatusOK {
		t.Fatalf("end: %d %s", res.Status, res.Body)
	}
	ended := realtime.Notice{Type: realtime.NoticeLiveSessionEnded, CoupleID: p.CoupleID, LiveSessionID: sessionID}
	for _, a := range []*actor{p.PartnerA, p.PartnerB, p.Therapist} {
		streams[a].expectNext(ended)
	}

	// Instance two's listener drops: every stream there is told to re-read. That notice comes
	// after every earlier one, so it marks the end of what each person was told.
	dropListener(t, w, instances[1])
	cases := []struct {
		name string
		who  *actor
	}{
		{"partner a heard each once", p.PartnerA},
		{"partner b heard each once", p.PartnerB},
		{"the chair heard each once", p.Therapist},
		{"a partner of another couple heard nothing", p.OtherPartner},
		{"a therapist off the care team heard nothing", p.OtherTherapist},
		{"the practice's administrator heard nothing", p.Admin},
		{"a partner in another practice heard nothing", w.B.PartnerA},
		{"a therapist in another practice heard nothing", w.B.Therapist},
	}
	for _, tc := range cases {
		streams[tc.who].expectNext(realtime.Notice{Type: realtime.NoticeResync})
	}
}

func TestNoticesOfAPartnersOwnWorkReachThatPartnerOnly(t *testing.T) {
	t.Parallel()
	w, instances := newLiveWorld(t, 2, liveConfig(newTestClock()))
	two := instances[1].srv.URL
	p := w.A
	a, b, therapist := listen(t, two, p.PartnerA), listen(t, two, p.PartnerB), listen(t, two, p.Therapist)

	// An exercise for partner a alone; its response is for the care team, not for partner b.
	res := p.Therapist.do(http.MethodPost, "/api/v1/couples/"+id(p.CoupleID)+"/assignments",
		map[string]any{"exercise_id": w.builtinStep(p, "apology").ID, "for": "a"})
	if res.Status != http.StatusCreated {
		t.Fatalf("assign: %d %s", res.Status, res.Body)
	}
	var created struct{ Assignments []struct{ ID int64 } }
	res.JSON(t, &created)
	assignmentID := created.Assignments[0].ID
	a.expectNext(realtime.Notice{Type: realtime.NoticeAssignmentAssigned, CoupleID: p.CoupleID, AssignmentID: assignmentID})
	exercise := w.builtinStep(p, "apology")
	if res := p.PartnerA.onInstance(instances[1], http.MethodPost, "/api/v1/assignments/"+id(assignmentID)+"/submit", map[string]any{"answers": exerciseAnswers(exercise.Fields)}); res.Status != http.StatusOK {
		t.Fatalf("submit: %d %s", res.Status, res.Body)
	}
	therapist.expectNext(realtime.Notice{Type: realtime.NoticeAssignmentSubmitted, CoupleID: p.CoupleID, AssignmentID: assignmentID})
	if res := p.Therapist.do(http.MethodPost, "/api/v1/assignments/"+id(assignmentID)+"/review", map[string]any{"feedback": "Thank you."}); res.Status != http.StatusOK {
		t.Fatalf("review: %d %s", res.Status, res.Body)
	}
	a.expectNext(realtime.Notice{Type: realtime.NoticeAssignmentReviewed, CoupleID: p.CoupleID, AssignmentID: assignmentID})

	// Partner b confirms one of partner a's commitments: a hears, b (who did it) does not.
	commitmentID := w.commitment(p, p.PartnerA, "daily", "")
	if res := p.PartnerB.do(http.MethodPost, "/api/v1/commitments/"+id(commitmentID)+"/checks", map[string]any{"status": "kept"}); res.Status != http.StatusCreated {
		t.Fatalf("confirm: %d %s", res.Status, res.Body)
	}
	a.expectNext(realtime.Notice{Type: realtime.NoticeCommitmentConfirmed, CoupleID: p.CoupleID, CommitmentID: commitmentID})

	// Then an exercise for partner b: the first notice b gets, and the therapist's first since the
	// submission. Before it, b heard nothing of a's work and the therapist nothing of what was
	// not theirs.
	res = p.Therapist.do(http.MethodPost, "/api/v1/couples/"+id(p.CoupleID)+"/assignments",
		map[string]any{"exercise_id": w.builtinStep(p, "apology").ID, "for": "b"})
	if res.Status != http.StatusCreated {
		t.Fatalf("assign: %d %s", res.Status, res.Body)
	}
	res.JSON(t, &created)
	b.expectNext(realtime.Notice{Type: realtime.NoticeAssignmentAssigned, CoupleID: p.CoupleID, AssignmentID: created.Assignments[0].ID})
	sessionID := startLive(t, p.Therapist, p.CoupleID)
	started := realtime.Notice{Type: realtime.NoticeLiveSessionStarted, CoupleID: p.CoupleID, LiveSessionID: sessionID}
	for _, stream := range []*noticeClient{therapist, a} {
		stream.expectNext(started)
	}
}

func TestNoticeStreamEndsWhenTheSignInEndsOrAccessIsDisabled(t *testing.T) {
	t.Parallel()
	cfg := liveConfig(newTestClock())
	cfg.AliveEvery = time.Hour // only the immediate path may close the streams in time
	w, instances := newLiveWorld(t, 2, cfg)
	two := instances[1].srv.URL
	p := w.A
	cases := []struct {
		name     string
		who      *actor
		end      func()
		reopened int
	}{
		{"sign-out on another instance", p.PartnerA, func() {
			if res := p.PartnerA.do(http.MethodPost, "/api/v1/auth/logout", nil); res.Status != http.StatusNoContent {
				t.Fatalf("logout: %d", res.Status)
			}
		}, http.StatusUnauthorized},
		{"membership disabled on another instance", p.PartnerB, func() {
			res := p.Admin.do(http.MethodPatch, "/api/v1/practices/"+id(p.ID)+"/members/"+id(p.PartnerB.ID), map[string]any{"disabled": true})
			if res.Status != http.StatusOK {
				t.Fatalf("disable: %d %s", res.Status, res.Body)
			}
		}, http.StatusUnauthorized},
	}
	bystander := listen(t, two, p.Therapist)
	for _, tc := range cases {
		stream := listen(t, two, tc.who)
		tc.end()
		stream.expectClosed()
		if res := openStream(t, two, tc.who); res.StatusCode != tc.reopened {
			t.Errorf("%s: reopening the stream answered %d, want %d", tc.name, res.StatusCode, tc.reopened)
		}
	}
	// The therapist's stream stays open and carries on.
	sessionID := startLive(t, p.Therapist, p.CoupleID)
	bystander.expectNext(realtime.Notice{Type: realtime.NoticeLiveSessionStarted, CoupleID: p.CoupleID, LiveSessionID: sessionID})
}

func TestNoticeStreamsNeedASignInAndAreLimitedPerAccount(t *testing.T) {
	t.Parallel()
	cfg := liveConfig(newTestClock())
	cfg.NoticeStreamsPerUser = 2
	w, _ := newLiveWorld(t, 1, cfg)
	p := w.A
	if res := w.request(http.MethodGet, "/api/v1/me/events", nil, nil); res.Status != http.StatusUnauthorized || res.ErrorCode() != fault.Unauthenticated {
		t.Fatalf("without a sign-in: %d %s", res.Status, res.Body)
	}
	listen(t, w.srv.URL, p.PartnerA)
	second := openStream(t, w.srv.URL, p.PartnerA)
	if second.StatusCode != http.StatusOK {
		t.Fatalf("a second tab: %d", second.StatusCode)
	}
	res := w.request(http.MethodGet, "/api/v1/me/events", nil, map[string]string{"Authorization": "Bearer " + p.PartnerA.Token})
	if res.Status != http.StatusTooManyRequests || res.ErrorCode() != fault.RateLimited {
		t.Fatalf("a third tab: %d %s", res.Status, res.Body)
	}
	// Another account is not held to partner a's streams; a closed tab frees its place.
	listen(t, w.srv.URL, p.PartnerB)
	second.Body.Close()
	deadline := time.Now().Add(noticeWait)
	for {
		res := openStream(t, w.srv.URL, p.PartnerA)
		if res.StatusCode == http.StatusOK {
			break
		}
		res.Body.Close()
		if time.Now().After(deadline) {
			t.Fatalf("a closed tab's place was not freed: %d", res.StatusCode)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestNoticeStreamSendsHeartbeatsAndOutlivesTheServersTimeouts(t *testing.T) {
	t.Parallel()
	cfg := liveConfig(newTestClock())
	cfg.PingPeriod = 20 * time.Millisecond
	w, instances := newLiveWorld(t, 1, cfg)
	// A server with timeouts far shorter than the stream's life, as serve sets them.
	srv := httptest.NewUnstartedServer(checkedByContract(t, instances[0].api.Handler()))
	srv.Config.ReadTimeout, srv.Config.WriteTimeout = 200*time.Millisecond, 200*time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)
	stream := listen(t, srv.URL, w.A.PartnerA)
	deadline := time.Now().Add(noticeWait)
	for stream.heartbeats.Load() < 25 { // 25 heartbeats take 500 ms: past both timeouts
		if time.Now().After(deadline) {
			t.Fatalf("%d heartbeats within %v", stream.heartbeats.Load(), noticeWait)
		}
		time.Sleep(10 * time.Millisecond)
	}
	sessionID := startLive(t, w.A.Therapist, w.A.CoupleID)
	stream.expectNext(realtime.Notice{Type: realtime.NoticeLiveSessionStarted, CoupleID: w.A.CoupleID, LiveSessionID: sessionID})
}

func TestAHandedInResponseIsToldToTheOtherPartnerOnlyWhenSharedWithThem(t *testing.T) {
	t.Parallel()
	w, _ := newLiveWorld(t, 1, liveConfig(newTestClock()))
	p := w.A
	apology := w.builtinStep(p, "apology")
	cases := []struct {
		visibility   string
		partnerHears bool
	}{
		{"private", false},
		{"therapist", false},
		{"partner", true},
	}
	for _, tc := range cases {
		t.Run(tc.visibility, func(t *testing.T) {
			b, therapist := listen(t, w.srv.URL, p.PartnerB), listen(t, w.srv.URL, p.Therapist)
			assignmentID := w.assignStep(p, "apology", "a", tc.visibility)
			if res := p.PartnerA.do(http.MethodPost, "/api/v1/assignments/"+id(assignmentID)+"/submit", map[string]any{"answers": exerciseAnswers(apology.Fields)}); res.Status != http.StatusOK {
				t.Fatalf("submit: %d %s", res.Status, res.Body)
			}
			submitted := realtime.Notice{Type: realtime.NoticeAssignmentSubmitted, CoupleID: p.CoupleID, AssignmentID: assignmentID}
			therapist.expectNext(submitted)
			// A live session's start comes next for both: before it, b heard of the response
			// only if it is shared with them.
			sessionID := startLive(t, p.Therapist, p.CoupleID)
			started := realtime.Notice{Type: realtime.NoticeLiveSessionStarted, CoupleID: p.CoupleID, LiveSessionID: sessionID}
			if tc.partnerHears {
				b.expectNext(submitted)
			}
			b.expectNext(started)
			therapist.expectNext(started)
		})
	}
}

// TestASafetyFlagIsToldToTheCareTeamAndNeverToTheOtherPartner: a PHQ-9 answered above zero on item
// 9 tells the care team at once; the other partner hears nothing of it, and neither does a therapist
// off the care team. Before it, a PHQ-9 without the flag tells nobody.
func TestASafetyFlagIsToldToTheCareTeamAndNeverToTheOtherPartner(t *testing.T) {
	t.Parallel()
	w, instances := newLiveWorld(t, 2, liveConfig(newTestClock()))
	two := instances[1].srv.URL
	p := w.A
	a, b, therapist, other := listen(t, two, p.PartnerA), listen(t, two, p.PartnerB), listen(t, two, p.Therapist), listen(t, two, p.OtherTherapist)
	path := "/api/v1/couples/" + id(p.CoupleID) + "/measures"
	for _, selfHarm := range []int{0, 2} {
		if res := p.PartnerA.do(http.MethodPost, path, map[string]any{"measure_key": "phq9", "answers": phq9Answers(1, selfHarm)}); res.Status != http.StatusCreated {
			t.Fatalf("answer: %d %s", res.Status, res.Body)
		}
	}
	therapist.expectNext(realtime.Notice{Type: realtime.NoticeMeasureFlagged, CoupleID: p.CoupleID})
	// The next notice each stream gets is the live session's start: nothing of the flag came before it.
	sessionID := startLive(t, p.Therapist, p.CoupleID)
	started := realtime.Notice{Type: realtime.NoticeLiveSessionStarted, CoupleID: p.CoupleID, LiveSessionID: sessionID}
	for _, stream := range []*noticeClient{a, b, therapist} {
		stream.expectNext(started)
	}
	otherSession := startLive(t, p.OtherTherapist, p.OtherCoupleID)
	other.expectNext(realtime.Notice{Type: realtime.NoticeLiveSessionStarted, CoupleID: p.OtherCoupleID, LiveSessionID: otherSession})
}
