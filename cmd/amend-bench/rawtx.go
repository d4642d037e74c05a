package main

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lib/pq"
)

// RawTxResult is the ceiling PostgreSQL itself puts on live-session writes: transactions of the
// same shape as a live command (lock the session row, append an event, update the row, commit),
// with and without a NOTIFY in each.
type RawTxResult struct {
	Writers           int     `json:"writers"`
	Seconds           float64 `json:"seconds"`
	CommitsPerSecond  float64 `json:"commits_per_second_with_notify"`
	NoNotifyPerSecond float64 `json:"commits_per_second_without_notify"`
	ListenLatency     Latency `json:"commit_to_listen"`
}

const rawTxSchema = `
DROP TABLE IF EXISTS bench_raw_events, bench_raw_sessions;
CREATE TABLE bench_raw_sessions (id bigint PRIMARY KEY, seq bigint NOT NULL DEFAULT 0, state jsonb NOT NULL DEFAULT '{}');
CREATE TABLE bench_raw_events (
    session_id bigint NOT NULL, seq bigint NOT NULL, kind text NOT NULL, actor_id bigint NOT NULL,
    payload jsonb NOT NULL, client_msg_id text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (session_id, seq), UNIQUE (session_id, client_msg_id));
INSERT INTO bench_raw_sessions (id) SELECT g FROM generate_series(1, 512) g;`

// runRawTx measures the raw transaction ceiling against dsn, then drops its tables.
func runRawTx(ctx context.Context, dsn string, writers int, duration time.Duration) (RawTxResult, error) {
	res := RawTxResult{Writers: writers, Seconds: duration.Seconds()}
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return res, err
	}
	defer db.Close()
	db.SetMaxOpenConns(writers + 2)
	if _, err := db.ExecContext(ctx, rawTxSchema); err != nil {
		return res, fmt.Errorf("raw tx schema: %w", err)
	}
	defer db.ExecContext(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS bench_raw_events, bench_raw_sessions`)

	listener := pq.NewListener(dsn, time.Second, time.Second, nil)
	defer listener.Close()
	if err := listener.Listen("amend_bench_raw"); err != nil {
		return res, err
	}
	var lat recorder
	done := make(chan struct{})
	go func() {
		defer close(done)
		for n := range listener.Notify {
			if n == nil {
				continue
			}
			if sent, err := strconv.ParseInt(n.Extra[strings.LastIndexByte(n.Extra, ':')+1:], 10, 64); err == nil {
				lat.add(time.Since(time.Unix(0, sent)))
			}
		}
	}()

	if res.CommitsPerSecond, err = rawTxLoop(ctx, db, writers, duration, true); err != nil {
		return res, err
	}
	if res.NoNotifyPerSecond, err = rawTxLoop(ctx, db, writers, duration, false); err != nil {
		return res, err
	}
	listener.Close()
	<-done
	res.ListenLatency = lat.summary()
	return res, nil
}

func rawTxLoop(ctx context.Context, db *sql.DB, writers int, duration time.Duration, notify bool) (float64, error) {
	var commits atomic.Int64
	var firstErr atomic.Value
	deadline := time.Now().Add(duration)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			for n := 0; time.Now().Before(deadline) && ctx.Err() == nil; n++ {
				if err := rawTx(ctx, db, rng.Int64N(512)+1, fmt.Sprintf("w%d-%d-%t", w, n, notify), notify); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				commits.Add(1)
			}
		}()
	}
	wg.Wait()
	if err, ok := firstErr.Load().(error); ok {
		return 0, err
	}
	return float64(commits.Load()) / duration.Seconds(), nil
}

func rawTx(ctx context.Context, db *sql.DB, session int64, msgID string, notify bool) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var seq int64
	if err := tx.QueryRowContext(ctx, `SELECT seq FROM bench_raw_sessions WHERE id = $1 FOR UPDATE`, session).Scan(&seq); err != nil {
		return err
	}
	seq++
	if _, err := tx.ExecContext(ctx, `INSERT INTO bench_raw_events (session_id, seq, kind, actor_id, payload, client_msg_id)
		VALUES ($1, $2, 'utterance', 1, '{"text":"I felt alone when the plans changed without a word."}', $3)`, session, seq, msgID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE bench_raw_sessions SET seq = $2, state = jsonb_build_object('seq', $2::bigint) WHERE id = $1`, session, seq); err != nil {
		return err
	}
	if notify {
		payload := fmt.Sprintf("%d:%d:%d", session, seq, time.Now().UnixNano())
		if _, err := tx.ExecContext(ctx, `SELECT pg_notify('amend_bench_raw', $1)`, payload); err != nil {
			return err
		}
	}
	return tx.Commit()
}
