package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// statLine is a /proc/PID/stat line with the given name, parent and CPU ticks.
func statLine(name string, ppid int, utime, stime, cutime, cstime int64) string {
	return fmt.Sprintf("4242 (%s) S %d 4242 4242 0 -1 4194560 100 0 0 0 %d %d %d %d 20 0 1 0 100 1000 10 18446744073709551615",
		name, ppid, utime, stime, cutime, cstime)
}

func TestParseProcStatReadsParentAndCPUTicks(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		want    procStat
		wantErr bool
	}{
		{"plain name", statLine("postgres", 1, 10, 5, 7, 3), procStat{ppid: 1, utime: 10, stime: 5, cutime: 7, cstime: 3}, false},
		{"name with spaces and parentheses", statLine("postgres: walwriter ) (x", 99, 1, 2, 3, 4), procStat{ppid: 99, utime: 1, stime: 2, cutime: 3, cstime: 4}, false},
		{"no name", "4242 S 1 2 3", procStat{}, true},
		{"cut short", "4242 (amend) S 1 2 3", procStat{}, true},
		{"not a number", "4242 (amend) S 1 4242 4242 0 -1 0 0 0 0 0 x 5 0 0 20", procStat{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProcStat([]byte(tt.line))
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseMachineStatCountsIdleAndIOWaitAsNotBusy(t *testing.T) {
	tests := []struct {
		name        string
		raw         string
		busy, total uint64
		wantErr     bool
	}{
		{"ten fields", "cpu  100 20 30 400 50 6 4 0 7 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n", 160, 610, false},
		{"cut short", "cpu 1 1 1 10 2 0 0\n", 0, 0, true},
		{"no cpu line", "intr 1 2 3\n", 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			busy, total, err := parseMachineStat([]byte(tt.raw))
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if busy != tt.busy || total != tt.total {
				t.Fatalf("busy %d of %d, want %d of %d", busy, total, tt.busy, tt.total)
			}
		})
	}
}

// fakeProc is a stand-in /proc: a postmaster.pid in a data directory and stat files.
type fakeProc struct {
	t             *testing.T
	root, dataDir string
}

func newFakeProc(t *testing.T, postmaster int) *fakeProc {
	t.Helper()
	p := &fakeProc{t: t, root: t.TempDir(), dataDir: t.TempDir()}
	pidFile := fmt.Sprintf("%d\n/data\n1700000000\n5432\n/run\n", postmaster)
	if err := os.WriteFile(filepath.Join(p.dataDir, "postmaster.pid"), []byte(pidFile), 0o600); err != nil {
		t.Fatal(err)
	}
	p.writeMachine(0, 0)
	return p
}

func (p *fakeProc) set(pid int, line string) {
	p.t.Helper()
	dir := filepath.Join(p.root, strconv.Itoa(pid))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "stat"), []byte(line), 0o600); err != nil {
		p.t.Fatal(err)
	}
}

func (p *fakeProc) exit(pid int) {
	p.t.Helper()
	if err := os.RemoveAll(filepath.Join(p.root, strconv.Itoa(pid))); err != nil {
		p.t.Fatal(err)
	}
}

func (p *fakeProc) writeMachine(busy, idle uint64) {
	p.t.Helper()
	line := fmt.Sprintf("cpu  %d 0 0 %d 0 0 0 0 0 0\n", busy, idle)
	if err := os.WriteFile(filepath.Join(p.root, "stat"), []byte(line), 0o600); err != nil {
		p.t.Fatal(err)
	}
}

func (p *fakeProc) meter(serverPIDs ...int) cpuMeter {
	return cpuMeter{procRoot: p.root, serverPIDs: serverPIDs, pgDataDir: p.dataDir}
}

// TestPostgresCPUCountsEveryProcessOfTheClusterOnce covers a backend that exits inside the
// window (its time moves to the postmaster's reaped children), a backend that starts inside it,
// and processes that are not the cluster's.
func TestPostgresCPUCountsEveryProcessOfTheClusterOnce(t *testing.T) {
	const postmaster, amend = 100, 300
	p := newFakeProc(t, postmaster)
	p.set(postmaster, statLine("postgres", 1, 50, 10, 0, 0))
	p.set(101, statLine("postgres: walwriter", postmaster, 5, 5, 0, 0))
	p.set(102, statLine("postgres: amend amend [local] idle", postmaster, 20, 10, 0, 0))
	p.set(amend, statLine("amend", 1, 1000, 100, 0, 0))
	p.set(301, statLine("postgres", 1, 9999, 9999, 0, 0)) // another cluster's postmaster
	p.writeMachine(1000, 1000)
	m := p.meter(amend)
	before := m.sample()

	// Inside the window: the walwriter works 10 ticks, backend 102 works 30 more and exits
	// (reaped into the postmaster's children's times), backend 103 starts and works 40, the
	// postmaster works 2; the server works 250 and the other cluster 500.
	p.set(postmaster, statLine("postgres", 1, 51, 11, 40, 20))
	p.set(101, statLine("postgres: walwriter", postmaster, 10, 10, 0, 0))
	p.exit(102)
	p.set(103, statLine("postgres: amend amend [local] idle", postmaster, 30, 10, 0, 0))
	p.set(amend, statLine("amend", 1, 1200, 150, 0, 0))
	p.set(301, statLine("postgres", 1, 10249, 10249, 0, 0))
	p.writeMachine(1600, 1400)
	after := m.sample()

	c := cpuCost(before, after, 100, "request")
	if !c.ServerMeasured || !c.PostgresMeasured {
		t.Fatalf("not measured: %+v", c)
	}
	// PostgreSQL: postmaster 2 + walwriter 10 + backend 102's 30 + backend 103's 40 = 82 ticks.
	wantPG := 820.0
	if c.PostgresMS != wantPG || c.PostgresMSPerOp != wantPG/100 {
		t.Errorf("PostgreSQL %.1f ms (%.2f per request), want %.1f (%.2f)", c.PostgresMS, c.PostgresMSPerOp, wantPG, wantPG/100)
	}
	if c.ServerMS != 2500 || c.ServerMSPerOp != 25 {
		t.Errorf("server %.1f ms (%.2f per request), want 2500 (25)", c.ServerMS, c.ServerMSPerOp)
	}
	if math.Abs(c.MachineBusyPercent-60) > 1e-9 {
		t.Errorf("machine %.2f%% busy, want 60%%", c.MachineBusyPercent)
	}
}

func TestCPUCostLeavesOutWhatWasNotMeasured(t *testing.T) {
	p := newFakeProc(t, 100) // no process 100: the cluster is not running
	tests := []struct {
		name               string
		meter              cpuMeter
		wantServer, wantPG bool
	}{
		{"no server pid, no data dir", cpuMeter{procRoot: p.root}, false, false},
		{"a server that is gone, a cluster that is not running", p.meter(12345), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cpuCost(tt.meter.sample(), tt.meter.sample(), 10, "request")
			if c.ServerMeasured != tt.wantServer || c.PostgresMeasured != tt.wantPG {
				t.Fatalf("measured server %v, PostgreSQL %v", c.ServerMeasured, c.PostgresMeasured)
			}
			if c.ServerMS != 0 || c.PostgresMS != 0 {
				t.Fatalf("figures for what was not measured: %+v", c)
			}
		})
	}
}

func TestCPUCostPerOperation(t *testing.T) {
	at := time.Unix(1700000000, 0)
	before := cpuSample{at: at, serverOK: true, postgresOK: true, server: time.Second, postgres: 2 * time.Second, bench: 0}
	tests := []struct {
		name       string
		operations int64
		wantServer float64
		wantPG     float64
		wantBench  float64
	}{
		{"per request", 4000, 0.125, 0.25, 0.05},
		{"no operations: totals only", 0, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			after := cpuSample{at: at.Add(10 * time.Second), serverOK: true, postgresOK: true,
				server: 1500 * time.Millisecond, postgres: 3 * time.Second, bench: 200 * time.Millisecond}
			c := cpuCost(before, after, tt.operations, "request")
			if c.ServerMS != 500 || c.PostgresMS != 1000 || c.BenchMS != 200 || c.Seconds != 10 {
				t.Fatalf("totals %+v", c)
			}
			if c.ServerMSPerOp != tt.wantServer || c.PostgresMSPerOp != tt.wantPG || c.BenchMSPerOp != tt.wantBench {
				t.Fatalf("per operation server %v, PostgreSQL %v, bench %v", c.ServerMSPerOp, c.PostgresMSPerOp, c.BenchMSPerOp)
			}
			if got := c.oneCorePercent(c.ServerMS); got != 5 {
				t.Fatalf("server %.1f%% of one core, want 5%%", got)
			}
		})
	}
}

func TestPidListTakesCommaSeparatedProcessIDs(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"123", "123", false},
		{"123, 456", "123,456", false},
		{"123,", "", true},
		{"-1", "", true},
		{"amend", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var p pidList
			err := p.Set(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if !tt.wantErr && p.String() != tt.want {
				t.Fatalf("got %q, want %q", p.String(), tt.want)
			}
		})
	}
}
