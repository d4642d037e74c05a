package server

import (
	"context"
	"sync"

	"github.com/amendcare/amend/server/store"
)

// auditWriters bounds the audit statements in flight at once; requests arriving meanwhile wait
// for the next statement, which carries all of them.
const auditWriters = 3

// maxAuditBatch bounds the entries one statement carries.
const maxAuditBatch = 256

// auditBatcher makes audit entries durable in groups. Every request hands its entry over and
// waits until the statement holding it has committed, so a request still ends only after its
// entry is in the log, as with one insert per request; under load, though, one statement and
// one commit carry the entries of every request that ended meanwhile.
type auditBatcher struct {
	store *store.Store

	mu      sync.Mutex
	pending []auditJob
	writers int // goroutines writing batches now
}

type auditJob struct {
	entry store.AuditEntry
	done  chan error
}

// write appends e to the audit log and returns once it is committed, or failed.
func (b *auditBatcher) write(ctx context.Context, e store.AuditEntry) error {
	job := auditJob{entry: e, done: make(chan error, 1)}
	b.mu.Lock()
	b.pending = append(b.pending, job)
	if b.writers < auditWriters {
		b.writers++
		go b.drain(context.WithoutCancel(ctx))
	}
	b.mu.Unlock()
	return <-job.done
}

// drain writes what waits, batch by batch, until nothing does.
func (b *auditBatcher) drain(ctx context.Context) {
	for {
		b.mu.Lock()
		n := min(len(b.pending), maxAuditBatch)
		if n == 0 {
			b.writers--
			b.mu.Unlock()
			return
		}
		batch := b.pending[:n:n]
		b.pending = b.pending[n:]
		b.mu.Unlock()
		b.commit(ctx, batch)
	}
}

// commit writes a batch in one statement. Should that fail, each entry is tried on its own, so
// that one entry the log refuses cannot take the others with it.
func (b *auditBatcher) commit(ctx context.Context, batch []auditJob) {
	entries := make([]store.AuditEntry, len(batch))
	for i, job := range batch {
		entries[i] = job.entry
	}
	err := b.store.AuditMany(ctx, entries)
	if err != nil && len(batch) > 1 {
		for _, job := range batch {
			job.done <- b.store.Audit(ctx, job.entry)
		}
		return
	}
	for _, job := range batch {
		job.done <- err
	}
}
