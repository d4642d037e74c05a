package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

// LoadResult is what a run measured.
type LoadResult struct {
	Mode               string             `json:"mode"`
	Sessions           int                `json:"sessions"`
	Connections        int                `json:"connections"`
	Seconds            float64            `json:"seconds"`
	Utterances         int64              `json:"utterances"`
	UtterancesPerSec   float64            `json:"utterances_per_second"`
	Ack                Latency            `json:"command_to_ack"`
	FanOut             Latency            `json:"fan_out"`
	CrossInstance      Latency            `json:"fan_out_to_second_instance"`
	Resume             Latency            `json:"resume"`
	REST               Latency            `json:"rest"`
	RESTByKind         map[string]Latency `json:"rest_by_kind,omitempty"`
	RESTOffered        int64              `json:"rest_offered"`
	RESTOfferedPerSec  float64            `json:"rest_offered_per_second"`
	Caseload           int                `json:"caseload_couples,omitempty"`
	HistoryCheckins    int64              `json:"history_checkins,omitempty"`
	Reconnects         int64              `json:"reconnects"`
	Stalled            int                `json:"slow_consumers"`
	StalledClosed      int                `json:"slow_consumers_closed"`
	Gaps               int64              `json:"gaps"`
	Duplicates         int64              `json:"duplicates"`
	MissingAcked       int64              `json:"acked_but_missing"`
	Errors             map[string]int64   `json:"errors_by_code"`
	Failures           int64              `json:"failures"`
	ServerRSSBytes     int64              `json:"server_rss_bytes,omitempty"`
	ServerCPUPercent   float64            `json:"server_cpu_percent_of_one_core,omitempty"`
	RSSPerConnBytes    float64            `json:"rss_per_connection_bytes,omitempty"`
	IdleCPUPercent     float64            `json:"idle_cpu_percent_of_one_core,omitempty"`
	ConnectSeconds     float64            `json:"connect_seconds,omitempty"`
	ReconnectStormSecs float64            `json:"reconnect_storm_seconds,omitempty"`
	CPU                CPUCost            `json:"cpu"`
}

type loadFlags struct {
	url           string
	url2          string
	admin         string
	password      string
	sessions      int
	couples       int
	caseload      int
	historyDays   int
	databaseURL   string
	dataDir       string
	duration      time.Duration
	rate          float64
	reconnectRate float64
	restRate      float64
	restKinds     kindList
	mode          string
	serverPIDs    pidList
	jsonOut       string
	storm         bool
	missed        int
	slow          int
}

func runLoad(ctx context.Context, command string, args []string) error {
	if command != "live" && command != "idle" && command != "resume" {
		return fmt.Errorf("unknown command %q\n\n%s", command, usage)
	}
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	var f loadFlags
	fs.StringVar(&f.url, "url", "http://127.0.0.1:8080", "Amend's address (loopback only)")
	fs.StringVar(&f.url2, "url2", "", "a second Amend instance on the same database: partner b and the chair connect there")
	fs.StringVar(&f.admin, "admin", "admin@demo.amend.test", "a practice administrator to set up with")
	fs.StringVar(&f.password, "password", "amend-demo-password", "that administrator's password")
	fs.IntVar(&f.sessions, "sessions", 20, "live sessions (three connections each)")
	fs.IntVar(&f.couples, "couples", 5, "couples the sessions are spread over")
	fs.IntVar(&f.caseload, "caseload", 50, "live: couples on the bench therapist's caseload, which the REST mix reads and writes")
	fs.IntVar(&f.historyDays, "history-days", 365, "live: days of past check-ins from both partners of every caseload couple, written into the server's database before the REST mix (0: none)")
	fs.StringVar(&f.databaseURL, "database-url", os.Getenv("DATABASE_URL"), "live: the server's database, to write the check-in history into")
	fs.StringVar(&f.dataDir, "data-dir", "", "live: the server's --data-dir, to write the check-in history into its embedded database when --database-url is empty")
	fs.DurationVar(&f.duration, "duration", 20*time.Second, "how long to play (live) or hold (idle)")
	fs.Float64Var(&f.rate, "rate", 200, "utterances per second across all sessions")
	fs.Float64Var(&f.reconnectRate, "reconnect-rate", 2, "partner reconnections per second across all sessions")
	fs.Float64Var(&f.restRate, "rest-rate", 50, "REST requests per second (caseload, couple page, draft save, check-in)")
	fs.Var(&f.restKinds, "rest-kinds", "the REST mix's kinds of request, comma-separated (to measure one kind's cost alone): "+strings.Join(restKinds, ","))
	fs.StringVar(&f.mode, "mode", "turns", "session mode: turns or listener")
	fs.Var(&f.serverPIDs, "server-pid", "the server's process id, to report its memory and CPU (with --url2, both servers', comma-separated)")
	fs.StringVar(&f.jsonOut, "json", "", "also write the result as JSON to this file")
	fs.BoolVar(&f.storm, "storm", false, "idle: end with every client reconnecting at once (a reconnect storm)")
	fs.IntVar(&f.missed, "missed", 300, "resume: events each returning partner missed while away")
	fs.IntVar(&f.slow, "slow", 0, "live: chairs of this many sessions stop reading after they join (slow consumers)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, u := range []string{f.url, f.url2} {
		if u == "" {
			continue
		}
		if err := loopbackOnly(u); err != nil {
			return err
		}
	}
	res, err := load(ctx, command, f)
	if err != nil {
		return err
	}
	printResult(res)
	switch {
	case res.Gaps > 0 || res.Duplicates > 0 || res.MissingAcked > 0:
		err = fmt.Errorf("clients saw %d gaps, %d duplicates, %d acked events missing", res.Gaps, res.Duplicates, res.MissingAcked)
	case res.Failures > 0:
		err = fmt.Errorf("%d requests or commands failed (see the errors above)", res.Failures)
	}
	if werr := maybeWriteJSON(f.jsonOut, res); werr != nil {
		return werr
	}
	return err
}

// room is one live session's three clients and what its driver knows.
type room struct {
	id      int64
	chair   *wsClient
	seats   map[string]*wsClient
	holder  string
	mu      sync.Mutex
	sentAt  map[int64]time.Time   // utterance seq -> when it was sent
	gotAt   map[int64][]time.Time // utterance seq -> when each participant received it
	gotFar  map[int64][]time.Time // the same, for participants on the second instance
	acked   []int64
	uttered atomic.Int64
	// slowChair: the chair stops reading once it has granted the first floor.
	slowChair bool
}

func load(ctx context.Context, command string, f loadFlags) (LoadResult, error) {
	res := LoadResult{Mode: command, Sessions: f.sessions, Errors: map[string]int64{}}
	if len(f.restKinds) == 0 {
		f.restKinds = restKinds
	}
	transport := &http.Transport{MaxIdleConnsPerHost: 64}
	root := &api{base: strings.TrimRight(f.url, "/"), client: &http.Client{Transport: transport, Timeout: 30 * time.Second}}
	liveCouples := max(1, min(f.couples, f.sessions))
	nCouples := liveCouples
	withREST := command == "live" && f.restRate > 0
	if withREST {
		nCouples = max(nCouples, f.caseload)
		res.Caseload = nCouples
	}
	fix, err := setUp(ctx, root, f.admin, f.password, f.mode, nCouples, liveCouples, f.sessions)
	if err != nil {
		return res, err
	}
	if withREST && f.historyDays > 0 {
		if res.HistoryCheckins, err = addHistory(ctx, f.databaseURL, f.dataDir, fix, f.historyDays); err != nil {
			return res, fmt.Errorf("check-in history: %w", err)
		}
	}
	var errMu sync.Mutex
	countErr := func(code string) {
		errMu.Lock()
		res.Errors[code]++
		if isFailure(code) {
			res.Failures++
		}
		errMu.Unlock()
	}
	before, _ := serverUsage(f.serverPIDs.first())
	meter := newCPUMeter(f.serverPIDs, f.dataDir)
	dialer := &websocket.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 1024}
	rooms := make([]*room, len(fix.sessions))
	var all []*wsClient
	// With a second instance, partner b and the chair connect there while partner a (the first
	// speaker) stays on the first, so every utterance crosses instances.
	newClient := func(r *room, token, name string, far bool) *wsClient {
		base := root.base
		if far && f.url2 != "" {
			base = strings.TrimRight(f.url2, "/")
		}
		c := &wsClient{url: wsURL(base, r.id), token: token, dialer: dialer, pending: map[string]chan frame{}, name: name}
		c.onEvent = func(fr frame, at time.Time) {
			if fr.Type == "utterance" {
				r.mu.Lock()
				r.gotAt[fr.Seq] = append(r.gotAt[fr.Seq], at)
				if far && f.url2 != "" {
					r.gotFar[fr.Seq] = append(r.gotFar[fr.Seq], at)
				}
				r.mu.Unlock()
			}
		}
		all = append(all, c)
		return c
	}
	for i, s := range fix.sessions {
		id, couple := s.id, fix.couples[s.couple]
		r := &room{id: id, sentAt: map[int64]time.Time{}, gotAt: map[int64][]time.Time{}, gotFar: map[int64][]time.Time{}}
		r.chair = newClient(r, fix.therapist, fmt.Sprintf("s%d-chair", id), true)
		r.seats = map[string]*wsClient{"a": newClient(r, couple.partnerA, fmt.Sprintf("s%d-a", id), false),
			"b": newClient(r, couple.partnerB, fmt.Sprintf("s%d-b", id), true)}
		rooms[i] = r
	}
	for i := 0; i < f.slow && i < len(rooms); i++ {
		rooms[i].slowChair = true
		rooms[i].chair.dialer = phoneDialer
		res.Stalled++
	}
	res.Connections = len(all)
	connectStart := time.Now()
	if err := connectAll(ctx, all, true); err != nil {
		return res, err
	}
	res.ConnectSeconds = time.Since(connectStart).Seconds()
	defer func() {
		for _, c := range all {
			c.drop()
		}
	}()

	if command == "idle" {
		settle()
		idleStart, _ := serverUsage(f.serverPIDs.first())
		cpuStart := meter.sample()
		select {
		case <-time.After(f.duration):
		case <-ctx.Done():
			return res, ctx.Err()
		}
		idleEnd, _ := serverUsage(f.serverPIDs.first())
		res.CPU = meter.cost(cpuStart, meter.sample(), 0, "")
		if f.serverPIDs.first() != 0 {
			res.ServerRSSBytes = idleEnd.RSSBytes
			res.RSSPerConnBytes = float64(idleStart.RSSBytes-before.RSSBytes) / float64(len(all))
			res.IdleCPUPercent = res.CPU.oneCorePercent(res.CPU.ServerMS)
		}
		if f.storm {
			var resume recorder
			for _, c := range all {
				c.drop()
			}
			stormStart := time.Now()
			if err := connectAllTimed(ctx, all, &resume); err != nil {
				return res, err
			}
			res.ReconnectStormSecs = time.Since(stormStart).Seconds()
			res.Resume = resume.summary()
		}
		collectChecks(&res, all)
		return res, nil
	}

	if command == "resume" {
		var resume recorder
		cpuStart := meter.sample()
		if err := resumeAfterAbsence(ctx, rooms, f.missed, &resume); err != nil {
			return res, err
		}
		res.Utterances = int64(len(rooms) * f.missed)
		res.CPU = meter.cost(cpuStart, meter.sample(), res.Utterances, "event said and resumed")
		res.Resume = resume.summary()
		collectChecks(&res, all)
		return res, nil
	}

	var ack, resume recorder
	var rest *restResult
	playCtx, stop := context.WithTimeout(ctx, f.duration)
	defer stop()
	start := time.Now()
	cpuStart := meter.sample()
	var wg sync.WaitGroup
	perRoom := f.rate / float64(len(rooms))
	for _, r := range rooms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := drive(playCtx, r, perRoom, &ack, countErr); err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				countErr("driver: " + err.Error())
			}
		}()
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		reconnects(playCtx, rooms, f.reconnectRate, &resume, &res.Reconnects, countErr)
	}()
	go func() {
		defer wg.Done()
		rest = restMix(playCtx, ctx, root.base, fix, f.restRate, f.restKinds, countErr)
	}()
	wg.Wait()
	elapsed := time.Since(start)
	after, _ := serverUsage(f.serverPIDs.first())
	cpuEnd := meter.sample()

	// Let the last events arrive, then check every client saw everything that was acked.
	if err := waitDelivered(ctx, rooms); err != nil {
		countErr(err.Error())
	}
	var fan, far recorder
	for _, r := range rooms {
		r.mu.Lock()
		for seq, sent := range r.sentAt {
			for _, got := range r.gotAt[seq] {
				fan.add(got.Sub(sent))
			}
			for _, got := range r.gotFar[seq] {
				far.add(got.Sub(sent))
			}
		}
		r.mu.Unlock()
		res.Utterances += r.uttered.Load()
	}
	collectChecks(&res, all)
	res.MissingAcked = missingAcked(rooms)
	for _, r := range rooms {
		if r.slowChair && r.chair.closedByServer(5*time.Second) {
			res.StalledClosed++
		}
	}
	res.Seconds = elapsed.Seconds()
	res.UtterancesPerSec = float64(res.Utterances) / elapsed.Seconds()
	res.Ack, res.FanOut, res.Resume = ack.summary(), fan.summary(), resume.summary()
	if rest != nil {
		res.REST, res.RESTOffered = rest.all.summary(), rest.offered
		res.RESTOfferedPerSec = float64(rest.offered) / f.duration.Seconds()
		res.RESTByKind = map[string]Latency{}
		for kind, r := range rest.byKind {
			res.RESTByKind[kind] = r.summary()
		}
	}
	res.CrossInstance = far.summary()
	res.CPU = meter.cost(cpuStart, cpuEnd, res.Utterances+int64(res.REST.Count), "utterance or request")
	if f.serverPIDs.first() != 0 {
		res.ServerRSSBytes = after.RSSBytes
		res.ServerCPUPercent = res.CPU.oneCorePercent(res.CPU.ServerMS)
	}
	return res, nil
}

func serverUsage(pid int) (processUsage, error) {
	if pid == 0 {
		return processUsage{}, nil
	}
	return readUsage(pid)
}

func connectAll(ctx context.Context, clients []*wsClient, first bool) error {
	sem := make(chan struct{}, 64)
	errs := make(chan error, len(clients))
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := c.connect(ctx, first); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// connectAllTimed reconnects every client at once, timing each resume.
func connectAllTimed(ctx context.Context, clients []*wsClient, resume *recorder) error {
	errs := make(chan error, len(clients))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 512)
	for _, c := range clients {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			t := time.Now()
			if err := c.connect(ctx, false); err != nil {
				errs <- err
				return
			}
			resume.add(time.Since(t))
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// drive plays one session: the chair grants the floor, the holder drafts and speaks at the
// room's rate, the other partner asks for the floor, the holder yields every few utterances,
// and now and then the chair calls a pause and resumes.
func drive(ctx context.Context, r *room, rate float64, ack *recorder, countErr func(string)) error {
	cmd := func(c *wsClient, m map[string]any) (frame, error) {
		t := time.Now()
		fr, err := c.send(ctx, m)
		if err != nil {
			return fr, err
		}
		if fr.Type == "error" {
			countErr(fr.Code)
			return fr, nil
		}
		ack.add(time.Since(t))
		return fr, nil
	}
	// The opening grant is set-up (every session opens at once), not timed.
	if fr, err := r.chair.send(ctx, map[string]any{"type": "grant", "seat": "a"}); err != nil {
		return err
	} else if fr.Type == "error" {
		countErr(fr.Code)
	}
	r.holder = "a"
	if r.slowChair {
		r.chair.stalled.Store(true)
	}
	// Each session speaks at its own moments, as real couples do: the gaps between utterances
	// are drawn at random around the mean (a Poisson process), so sessions do not all speak in
	// the same instant.
	interval := time.Duration(float64(time.Second) / max(rate, 0.01))
	next := time.NewTimer(time.Duration(rand.ExpFloat64() * float64(interval)))
	defer next.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-next.C:
			next.Reset(time.Duration(rand.ExpFloat64() * float64(interval)))
		}
		holder := r.seats[r.holder]
		other := otherSeat(r.holder)
		if n%5 == 1 {
			if _, err := cmd(r.seats[other], map[string]any{"type": "request_floor"}); err != nil && !transient(err) {
				return err
			}
		}
		text := utteranceText(n)
		holder.send(ctx, map[string]any{"type": "draft", "text": text[:len(text)/2]})
		sent := time.Now()
		fr, err := cmd(holder, map[string]any{"type": "say", "text": text})
		if err != nil {
			if transient(err) {
				continue
			}
			return err
		}
		if fr.Type == "error" && fr.Code == "not_your_turn" {
			// A yield was answered on a connection that dropped: the floor moved anyway.
			r.holder = other
			continue
		}
		if fr.Type == "ack" {
			r.uttered.Add(1)
			r.mu.Lock()
			r.sentAt[fr.Seq] = sent
			r.acked = append(r.acked, fr.Seq)
			r.mu.Unlock()
		}
		if n%5 == 0 {
			if fr, err := cmd(holder, map[string]any{"type": "yield"}); err == nil && fr.Type == "ack" {
				r.holder = other
			}
		}
		if n%97 == 0 && !r.slowChair {
			cmd(r.chair, map[string]any{"type": "pause", "reason": "a breather"})
			cmd(r.chair, map[string]any{"type": "resume"})
		}
	}
}

// phoneDialer dials with a fixed 64 KiB receive buffer, as a phone's is bounded; on loopback
// the kernel would otherwise grow an unread socket's buffer for minutes and hide a stalled
// client from the server.
var phoneDialer = &websocket.Dialer{
	HandshakeTimeout: 30 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 1024,
	NetDialContext: (&net.Dialer{Control: func(_, _ string, raw syscall.RawConn) error {
		var err error
		if ctrlErr := raw.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 64<<10)
		}); ctrlErr != nil {
			return ctrlErr
		}
		return err
	}}).DialContext,
}

// transient errors come from a connection the reconnector just dropped.
func transient(err error) bool {
	return errors.Is(err, errDropped) || errors.Is(err, errNoAck) || err.Error() == "not connected"
}

func otherSeat(seat string) string {
	if seat == "a" {
		return "b"
	}
	return "a"
}

var phrases = []string{
	"When the plans changed without a word, I felt like I did not matter to you.",
	"I hear that you needed me to call, and I did not, and that is on me.",
	"What I want is to know that if something comes up, you will tell me first.",
	"I am trying to explain, not to excuse it; I can see how it looked from your side.",
	"It helps when you ask me how my day went, even when things are tense between us.",
}

func utteranceText(n int) string {
	return phrases[n%len(phrases)] + " " + phrases[(n/len(phrases))%len(phrases)]
}

// resumeAfterAbsence has partner b of every session step away while partner a says missed things,
// then come back with after=SEQ; it times each return from dialling to holding every missed event.
func resumeAfterAbsence(ctx context.Context, rooms []*room, missed int, resume *recorder) error {
	errs := make(chan error, len(rooms))
	var wg sync.WaitGroup
	for _, r := range rooms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := r.chair.send(ctx, map[string]any{"type": "grant", "seat": "a"}); err != nil {
				errs <- err
				return
			}
			away := r.seats["b"]
			away.drop()
			var top int64
			pace := time.NewTicker(55 * time.Millisecond) // under the server's per-connection command limit
			defer pace.Stop()
			for n := range missed {
				<-pace.C
				fr, err := r.seats["a"].send(ctx, map[string]any{"type": "say", "text": utteranceText(n)})
				if err != nil || fr.Type != "ack" {
					errs <- fmt.Errorf("say while the partner is away: %v %s", err, fr.Code)
					return
				}
				top = fr.Seq
			}
			start := time.Now()
			if err := away.connect(ctx, false); err != nil {
				errs <- err
				return
			}
			for {
				if _, _, last := away.counts(); last >= top {
					break
				}
				if time.Since(start) > 30*time.Second {
					errs <- fmt.Errorf("%s never caught up", away.name)
					return
				}
				time.Sleep(200 * time.Microsecond)
			}
			resume.add(time.Since(start))
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// reconnects drops a random partner now and then; it resumes with after=SEQ.
func reconnects(ctx context.Context, rooms []*room, rate float64, resume *recorder, count *int64, countErr func(string)) {
	if rate <= 0 {
		return
	}
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		r := rooms[rand.IntN(len(rooms))]
		c := r.seats[[]string{"a", "b"}[rand.IntN(2)]]
		c.drop()
		t := time.Now()
		if err := c.connect(context.WithoutCancel(ctx), false); err != nil {
			countErr("reconnect")
			continue
		}
		resume.add(time.Since(t))
		*count++
	}
}

// restKinds are the requests of the REST mix, which take turns: a therapist opens the caseload
// and a couple's page, a partner's exercise draft is autosaved and a partner checks in.
var restKinds = []string{"caseload", "couple_page", "draft_save", "checkin"}

// kindList is a flag naming some of restKinds, comma-separated.
type kindList []string

func (k *kindList) String() string { return strings.Join(*k, ",") }

func (k *kindList) Set(v string) error {
	*k = nil
	for _, kind := range strings.Split(v, ",") {
		if !slices.Contains(restKinds, kind) {
			return fmt.Errorf("%q is not one of %s", kind, strings.Join(restKinds, ","))
		}
		*k = append(*k, kind)
	}
	return nil
}

// restResult is what the REST mix measured: latencies overall and by kind, and how many
// requests it offered.
type restResult struct {
	all     recorder
	byKind  map[string]*recorder
	offered int64
}

// maxRESTInFlight bounds the requests waiting for an answer; past it the server has stalled,
// and further requests are counted as failures instead of piling up.
const maxRESTInFlight = 5000

// restMix offers the REST side of a practice's day at rate requests per second until schedule
// ends, open loop: requests arrive at random moments around that rate (a Poisson process), each
// starts when it is due whether or not earlier ones have been answered, and each is timed from
// when it was due, so time spent waiting anywhere (for a connection, in a queue) counts. The
// requests themselves run under ctx, so those offered last are answered and timed too.
func restMix(schedule, ctx context.Context, base string, fix *fixture, rate float64, kinds []string, countErr func(string)) *restResult {
	out := &restResult{byKind: map[string]*recorder{}}
	for _, kind := range kinds {
		out.byKind[kind] = &recorder{}
	}
	if rate <= 0 {
		return out
	}
	// A client of its own, keeping enough idle connections that a burst does not dial anew.
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024}, Timeout: 30 * time.Second}
	root := &api{base: base, client: client}
	therapist := root.as(fix.therapist)
	var wg sync.WaitGroup
	defer wg.Wait()
	var inFlight atomic.Int64
	timer := time.NewTimer(0)
	defer timer.Stop()
	interval := float64(time.Second) / rate
	due := time.Now()
	for n := 0; ; n++ {
		due = due.Add(time.Duration(rand.ExpFloat64() * interval))
		timer.Reset(time.Until(due))
		select {
		case <-schedule.Done():
			return out
		case <-timer.C:
		}
		kind := kinds[n%len(kinds)]
		couple := fix.couples[rand.IntN(len(fix.couples))]
		partner := root.as(couple.partnerA)
		var call func() error
		switch kind {
		case "caseload":
			call = func() error {
				return therapist.call(ctx, http.MethodGet, fmt.Sprintf("/practices/%d/couples", fix.practiceID), nil, nil)
			}
		case "couple_page":
			call = func() error {
				return therapist.call(ctx, http.MethodGet, fmt.Sprintf("/couples/%d", couple.id), nil, nil)
			}
		case "draft_save":
			call = func() error {
				return partner.call(ctx, http.MethodPut, fmt.Sprintf("/assignments/%d/draft", couple.assignment),
					map[string]any{"answers": map[string]any{}}, nil)
			}
		case "checkin":
			call = func() error {
				return partner.call(ctx, http.MethodPost, fmt.Sprintf("/couples/%d/checkins", couple.id),
					map[string]any{"trust": 6, "safety": 7, "feeling": "hopeful", "note": "A calmer evening."}, nil)
			}
		}
		out.offered++
		if inFlight.Add(1) > maxRESTInFlight {
			inFlight.Add(-1)
			countErr(fmt.Sprintf("rest: over %d requests unanswered", maxRESTInFlight))
			continue
		}
		wg.Add(1)
		go func(due time.Time) {
			defer wg.Done()
			defer inFlight.Add(-1)
			err := call()
			if err != nil {
				var ae *apiError
				if errors.As(err, &ae) {
					countErr(fmt.Sprintf("rest %s %d %s", kind, ae.Status, ae.Code))
				} else {
					countErr("rest " + kind + ": " + transportProblem(err))
				}
				return
			}
			took := time.Since(due)
			out.all.add(took)
			out.byKind[kind].add(took)
		}(due)
	}
}

// transportProblem names what went wrong with a request that got no answer, without its address,
// so that failures of one kind count together.
func transportProblem(err error) string {
	var ue *url.Error
	switch {
	case errors.As(err, &ue) && ue.Timeout(), errors.Is(err, context.DeadlineExceeded):
		return "no answer in time"
	case errors.As(err, &ue):
		return ue.Err.Error()
	}
	return err.Error()
}

// isFailure tells the error codes that mean something went wrong from the refusals a live
// session's play expects (a say that lost a race for the floor, say): the server failing a
// command or a request, any REST request not answered 2xx, and the generator's own troubles.
func isFailure(code string) bool {
	switch {
	case code == "internal", code == "unavailable", code == "reconnect":
		return true
	case strings.HasPrefix(code, "rest"), strings.HasPrefix(code, "driver: "), strings.HasSuffix(code, "never caught up"):
		return true
	}
	return false
}

// waitDelivered waits until every connected client has caught up with its session's last
// acked event, or a deadline passes.
func waitDelivered(ctx context.Context, rooms []*room) error {
	deadline := time.Now().Add(15 * time.Second)
	for {
		behind := 0
		for _, r := range rooms {
			r.mu.Lock()
			var top int64
			for _, s := range r.acked {
				top = max(top, s)
			}
			r.mu.Unlock()
			for _, c := range append([]*wsClient{r.chair}, r.seats["a"], r.seats["b"]) {
				if _, _, last := c.counts(); last < top && !c.stalled.Load() {
					behind++
				}
			}
		}
		if behind == 0 {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%d clients never caught up", behind)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// missingAcked counts acked utterances that some participant never received.
func missingAcked(rooms []*room) int64 {
	var missing int64
	for _, r := range rooms {
		r.mu.Lock()
		for _, seq := range r.acked {
			// The speaker gets its own event too; the room has three receivers per utterance,
			// but a stalled chair receives nothing.
			receivers := 3
			if r.slowChair {
				receivers = 2
			}
			if len(r.gotAt[seq]) < receivers {
				missing++
			}
		}
		r.mu.Unlock()
	}
	return missing
}

func collectChecks(res *LoadResult, clients []*wsClient) {
	for _, c := range clients {
		g, d, _ := c.counts()
		res.Gaps += g
		res.Duplicates += d
	}
}

func printResult(r LoadResult) {
	w := os.Stdout
	fmt.Fprintf(w, "%s: %d sessions, %d connections, %.1fs\n", r.Mode, r.Sessions, r.Connections, r.Seconds)
	if r.Stalled > 0 {
		fmt.Fprintf(w, "  slow consumers   %d clients stopped reading; the server closed %d of them\n", r.Stalled, r.StalledClosed)
	}
	if r.Mode == "resume" {
		fmt.Fprintf(w, "  resume           %s (each after missing events)\n", r.Resume)
	} else if r.Mode == "live" {
		fmt.Fprintf(w, "  utterances       %d (%.0f/s persisted and acked)\n", r.Utterances, r.UtterancesPerSec)
		fmt.Fprintf(w, "  command to ack   %s\n", r.Ack)
		fmt.Fprintf(w, "  fan-out          %s\n", r.FanOut)
		if r.CrossInstance.Count > 0 {
			fmt.Fprintf(w, "  across instances %s\n", r.CrossInstance)
		}
		if r.RESTOffered > 0 {
			fmt.Fprintf(w, "  REST             %s (%d offered, %.0f/s; caseload of %d couples, %d past check-ins)\n",
				r.REST, r.RESTOffered, r.RESTOfferedPerSec, r.Caseload, r.HistoryCheckins)
			for _, kind := range restKinds {
				if l, ok := r.RESTByKind[kind]; ok {
					fmt.Fprintf(w, "    %-14s %s\n", kind, l)
				}
			}
		}
		fmt.Fprintf(w, "  resume           %s (%d reconnects)\n", r.Resume, r.Reconnects)
	} else {
		fmt.Fprintf(w, "  connected in     %.1fs\n", r.ConnectSeconds)
		if r.RSSPerConnBytes > 0 {
			fmt.Fprintf(w, "  server RSS       %.1f KB per idle connection, idle CPU %.1f%% of one core\n", r.RSSPerConnBytes/1024, r.IdleCPUPercent)
		}
		if r.ReconnectStormSecs > 0 {
			fmt.Fprintf(w, "  reconnect storm  %d clients in %.1fs; resume %s\n", r.Connections, r.ReconnectStormSecs, r.Resume)
		}
	}
	fmt.Fprintf(w, "  sequence check   %d gaps, %d duplicates, %d acked events missing\n", r.Gaps, r.Duplicates, r.MissingAcked)
	fmt.Fprintf(w, "  CPU              %s\n", r.CPU)
	if r.ServerRSSBytes > 0 {
		fmt.Fprintf(w, "  server           RSS %.1f MB, CPU %.0f%% of one core\n", float64(r.ServerRSSBytes)/(1<<20), r.ServerCPUPercent)
	}
	for code, n := range r.Errors {
		fmt.Fprintf(w, "  error %-28s %d\n", code, n)
	}
	if r.Failures > 0 {
		fmt.Fprintf(w, "  failures         %d\n", r.Failures)
	}
}
