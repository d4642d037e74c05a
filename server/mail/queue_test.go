package mail_test

import (
	"context"
	"database/sql"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/amendcare/amend/server/mail"
	"github.com/amendcare/amend/server/mail/mailtest"
	"github.com/amendcare/amend/server/store"
	"github.com/amendcare/amend/server/store/dbtest"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// quickRetry retries a failed send after a tenth of a second, so outage tests finish quickly.
type quickRetry struct{}

func (quickRetry) NextRetry(*rivertype.JobRow) time.Time {
	return time.Now().Add(100 * time.Millisecond)
}

// startQueue runs a queue (one instance's runner) on st until the test ends.
func startQueue(t *testing.T, st *store.Store, smtpURL string) *mail.Queue {
	t.Helper()
	q, err := mail.New(context.Background(), st, mail.Config{SMTPURL: smtpURL, BaseURL: "http://amend.test",
		PollInterval: 20 * time.Millisecond, Retry: quickRetry{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		q.Stop(ctx)
	})
	return q
}

// enqueue queues m in its own transaction, committing it or rolling it back.
func enqueue(t *testing.T, st *store.Store, q *mail.Queue, m mail.Message, commit bool) {
	t.Helper()
	tx, err := st.DB().BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := q.Enqueue(context.Background(), tx, m, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if commit {
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
}

func invite(to string) mail.Message {
	return mail.Message{Key: "test-invite:" + to, Type: mail.KindInvite, To: to, PracticeName: "Harbor Test", Path: "/invite/abc"}
}

func jobCount(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'mail'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The job runner works on the lib/pq pool: a message queued in a committed transaction is sent,
// one queued in a rolled-back transaction leaves no job and sends nothing.
func TestMessageIsSentOnlyWhenItsTransactionCommits(t *testing.T) {
	for _, tc := range []struct {
		name   string
		commit bool
	}{
		{"committed change sends its mail", true},
		{"rolled-back change sends nothing", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pit := mailtest.Start(t)
			st := store.New(dbtest.New(t))
			q := startQueue(t, st, pit.SMTPURL())
			enqueue(t, st, q, invite("a@x.test"), tc.commit)
			if !tc.commit {
				// The rolled-back job never existed; a committed control message proves the runner ran.
				enqueue(t, st, q, invite("control@x.test"), true)
			}
			list := pit.WaitFor(1, 15*time.Second)
			if len(list) != 1 {
				t.Fatalf("got %d messages, want 1", len(list))
			}
			want := "a@x.test"
			if !tc.commit {
				want = "control@x.test"
			}
			if got := list[0].To[0].Address; got != want {
				t.Errorf("mail went to %s, want %s", got, want)
			}
			if n := jobCount(t, st.DB().DB); n != 1 {
				t.Errorf("%d mail jobs exist, want 1", n)
			}
		})
	}
}

// The same key queued twice (a retried request, say) is one job and one message.
func TestSameKeyIsQueuedOnce(t *testing.T) {
	pit := mailtest.Start(t)
	st := store.New(dbtest.New(t))
	q := startQueue(t, st, pit.SMTPURL())
	enqueue(t, st, q, invite("a@x.test"), true)
	enqueue(t, st, q, invite("a@x.test"), true)
	pit.WaitFor(1, 15*time.Second)
	if n := jobCount(t, st.DB().DB); n != 1 {
		t.Errorf("%d mail jobs exist, want 1", n)
	}
}

// A mail server that is down while a message is being sent gets it exactly once when it returns.
func TestStoppedSMTPServerGetsTheMessageOnceAfterItReturns(t *testing.T) {
	pit := mailtest.Start(t)
	pit.Stop()
	st := store.New(dbtest.New(t))
	q := startQueue(t, st, pit.SMTPURL())
	enqueue(t, st, q, invite("a@x.test"), true)
	waitForJob(t, st.DB().DB, `state = 'retryable' OR (state = 'available' AND attempt > 0)`)
	pit.Restart()
	pit.WaitFor(1, 30*time.Second)
	waitForJob(t, st.DB().DB, `state = 'completed'`)
	if list := pit.Messages(); len(list) != 1 {
		t.Fatalf("got %d messages, want exactly 1", len(list))
	}
}

// Two instances' runners share the queue: each message is sent once.
func TestTwoRunnersSendEachMessageOnce(t *testing.T) {
	pit := mailtest.Start(t)
	st := store.New(dbtest.New(t))
	first := startQueue(t, st, pit.SMTPURL())
	startQueue(t, st, pit.SMTPURL())
	const n = 30
	for i := range n {
		enqueue(t, st, first, invite("p"+string(rune('a'+i%26))+strings.Repeat("x", i/26)+"@x.test"), true)
	}
	pit.WaitFor(n, 30*time.Second)
	waitForJobs(t, st.DB().DB, n, `state = 'completed'`)
	seen := map[string]int{}
	for _, m := range pit.Messages() {
		seen[m.MessageID]++
	}
	if len(seen) != n {
		t.Errorf("got %d distinct messages, want %d", len(seen), n)
	}
	for id, count := range seen {
		if count != 1 {
			t.Errorf("message %s arrived %d times", id, count)
		}
	}
}

// waitForJob polls until a mail job matches the condition.
func waitForJob(t *testing.T, db *sql.DB, condition string) {
	t.Helper()
	waitForJobs(t, db, 1, condition)
}

func waitForJobs(t *testing.T, db *sql.DB, n int, condition string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var got int
		if err := db.QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'mail' AND (` + condition + `)`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d mail jobs with %s, want %d", got, condition, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
