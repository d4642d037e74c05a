package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTick is USER_HZ, the unit of the CPU times in /proc; it is 100 on every Linux Amend runs on.
const clockTick = time.Second / 100

// CPUCost is what a measured window cost in CPU time: the servers', PostgreSQL's (every process
// of the cluster) and this generator's own, in total and per operation, with the machine's busy
// share and load. CPU time per operation moves far less between runs on a shared machine than
// latency does, so it is the figure to judge a change by.
type CPUCost struct {
	Operation          string  `json:"operation"`
	Operations         int64   `json:"operations"`
	Seconds            float64 `json:"seconds"`
	ServerMS           float64 `json:"server_cpu_ms,omitempty"`
	ServerMSPerOp      float64 `json:"server_cpu_ms_per_operation,omitempty"`
	PostgresMS         float64 `json:"postgres_cpu_ms,omitempty"`
	PostgresMSPerOp    float64 `json:"postgres_cpu_ms_per_operation,omitempty"`
	BenchMS            float64 `json:"bench_cpu_ms"`
	BenchMSPerOp       float64 `json:"bench_cpu_ms_per_operation,omitempty"`
	MachineBusyPercent float64 `json:"machine_busy_percent"`
	LoadAverage        float64 `json:"load_average_1m"`
	Cores              int     `json:"cores"`
	// Measured tells which of the server and PostgreSQL figures were taken: the server's needs
	// --server-pid, PostgreSQL's the embedded cluster's --data-dir.
	ServerMeasured   bool `json:"server_measured"`
	PostgresMeasured bool `json:"postgres_measured"`
}

func (c CPUCost) String() string {
	per := func(total, perOp float64, measured bool) string {
		if !measured {
			return "not measured"
		}
		if c.Operations == 0 {
			return fmt.Sprintf("%.0f ms", total)
		}
		return fmt.Sprintf("%.3f ms per %s (%.0f ms)", perOp, c.Operation, total)
	}
	return fmt.Sprintf("server %s; PostgreSQL %s; amend-bench %s\n"+
		"  machine          %.0f%% busy over %.1fs on %d cores, load average %.2f",
		per(c.ServerMS, c.ServerMSPerOp, c.ServerMeasured),
		per(c.PostgresMS, c.PostgresMSPerOp, c.PostgresMeasured),
		per(c.BenchMS, c.BenchMSPerOp, true),
		c.MachineBusyPercent, c.Seconds, c.Cores, c.LoadAverage)
}

// oneCorePercent is a CPU time of the window as a share of one core.
func (c CPUCost) oneCorePercent(ms float64) float64 {
	if c.Seconds <= 0 {
		return 0
	}
	return ms / 10 / c.Seconds
}

// cpuMeter samples the CPU counters of the processes a run measures.
type cpuMeter struct {
	procRoot   string // /proc, or a test's stand-in
	serverPIDs []int
	pgDataDir  string // the cluster's data directory, holding postmaster.pid; "" when not measured
}

// newCPUMeter measures the given servers and the embedded cluster under an Amend --data-dir.
func newCPUMeter(serverPIDs []int, amendDataDir string) cpuMeter {
	m := cpuMeter{procRoot: "/proc", serverPIDs: serverPIDs}
	if amendDataDir != "" {
		m.pgDataDir = filepath.Join(amendDataDir, "pg", "data")
	}
	return m
}

// cpuSample is the counters at one moment.
type cpuSample struct {
	at                        time.Time
	server, postgres          time.Duration
	serverOK, postgresOK      bool
	bench                     time.Duration
	machineBusy, machineTotal uint64 // clock ticks: busy, and all
}

func (m cpuMeter) sample() cpuSample {
	s := cpuSample{at: time.Now(), serverOK: len(m.serverPIDs) > 0}
	for _, pid := range m.serverPIDs {
		st, err := readProcStat(m.procRoot, pid)
		if err != nil {
			s.serverOK = false
			continue
		}
		s.server += st.own()
	}
	if m.pgDataDir != "" {
		if pg, err := m.postgresCPU(); err == nil {
			s.postgres, s.postgresOK = pg, true
		}
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s.bench = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	if raw, err := os.ReadFile(filepath.Join(m.procRoot, "stat")); err == nil {
		s.machineBusy, s.machineTotal, _ = parseMachineStat(raw)
	}
	return s
}

// postgresCPU is the CPU time of the whole cluster: the postmaster's own, that of its children
// that have exited (which the kernel adds to the postmaster's children's times when it reaps
// them), and that of the children running now. A backend that exits inside a window thus moves
// its time from the last term to the second and is counted once either way.
func (m cpuMeter) postgresCPU() (time.Duration, error) {
	raw, err := os.ReadFile(filepath.Join(m.pgDataDir, "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	postmaster, err := strconv.Atoi(strings.TrimSpace(string(bytes.SplitN(raw, []byte("\n"), 2)[0])))
	if err != nil {
		return 0, fmt.Errorf("postmaster.pid: %w", err)
	}
	top, err := readProcStat(m.procRoot, postmaster)
	if err != nil {
		return 0, err
	}
	total := top.own() + top.reapedChildren()
	entries, err := os.ReadDir(m.procRoot)
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == postmaster {
			continue
		}
		st, err := readProcStat(m.procRoot, pid)
		if err != nil || st.ppid != postmaster {
			continue // gone since the listing, or not the cluster's
		}
		total += st.own() + st.reapedChildren()
	}
	return total, nil
}

// procStat is what a /proc/PID/stat line says about a process's parent and CPU time, in clock
// ticks.
type procStat struct {
	ppid                         int
	utime, stime, cutime, cstime int64
}

func (p procStat) own() time.Duration { return time.Duration(p.utime+p.stime) * clockTick }
func (p procStat) reapedChildren() time.Duration {
	return time.Duration(p.cutime+p.cstime) * clockTick
}

func readProcStat(procRoot string, pid int) (procStat, error) {
	raw, err := os.ReadFile(filepath.Join(procRoot, strconv.Itoa(pid), "stat"))
	if err != nil {
		return procStat{}, err
	}
	return parseProcStat(raw)
}

// parseProcStat reads a /proc/PID/stat line. The command name in parentheses may hold spaces and
// parentheses itself, so the fields are counted from after its last ')'.
func parseProcStat(raw []byte) (procStat, error) {
	end := bytes.LastIndexByte(raw, ')')
	if end < 0 {
		return procStat{}, errors.New("stat: no command name")
	}
	// After the name: state(3) ppid(4) ... utime(14) stime(15) cutime(16) cstime(17).
	fields := strings.Fields(string(raw[end+1:]))
	if len(fields) < 15 {
		return procStat{}, fmt.Errorf("stat: %d fields after the name", len(fields))
	}
	nums := make([]int64, 5)
	for i, at := range []int{1, 11, 12, 13, 14} {
		n, err := strconv.ParseInt(fields[at], 10, 64)
		if err != nil {
			return procStat{}, fmt.Errorf("stat field %d: %w", at+3, err)
		}
		nums[i] = n
	}
	return procStat{ppid: int(nums[0]), utime: nums[1], stime: nums[2], cutime: nums[3], cstime: nums[4]}, nil
}

// parseMachineStat reads the machine's CPU ticks from /proc/stat's first line: busy (everything
// but idle and iowait) and all. Guest time is already inside user time and is not added again.
func parseMachineStat(raw []byte) (busy, total uint64, err error) {
	line, _, _ := bytes.Cut(raw, []byte("\n"))
	fields := strings.Fields(string(line))
	if len(fields) < 9 || fields[0] != "cpu" {
		return 0, 0, errors.New("/proc/stat: no cpu line")
	}
	var ticks [8]uint64 // user nice system idle iowait irq softirq steal
	for i := range ticks {
		if ticks[i], err = strconv.ParseUint(fields[i+1], 10, 64); err != nil {
			return 0, 0, fmt.Errorf("/proc/stat: %w", err)
		}
		total += ticks[i]
	}
	return total - ticks[3] - ticks[4], total, nil
}

// cpuCost turns two samples into the window's cost, per operation when there were any.
func cpuCost(before, after cpuSample, operations int64, operation string) CPUCost {
	c := CPUCost{Operation: operation, Operations: operations, Seconds: after.at.Sub(before.at).Seconds(),
		ServerMeasured: before.serverOK && after.serverOK, PostgresMeasured: before.postgresOK && after.postgresOK}
	perOp := func(d time.Duration) (total, each float64) {
		total = float64(d.Microseconds()) / 1000
		if operations > 0 {
			each = total / float64(operations)
		}
		return total, each
	}
	if c.ServerMeasured {
		c.ServerMS, c.ServerMSPerOp = perOp(after.server - before.server)
	}
	if c.PostgresMeasured {
		c.PostgresMS, c.PostgresMSPerOp = perOp(after.postgres - before.postgres)
	}
	c.BenchMS, c.BenchMSPerOp = perOp(after.bench - before.bench)
	if t := after.machineTotal - before.machineTotal; after.machineTotal > before.machineTotal {
		c.MachineBusyPercent = 100 * float64(after.machineBusy-before.machineBusy) / float64(t)
	}
	return c
}

// cost is a window's cost with the machine's size and its load now.
func (m cpuMeter) cost(before, after cpuSample, operations int64, operation string) CPUCost {
	c := cpuCost(before, after, operations, operation)
	c.Cores = runtime.NumCPU()
	if raw, err := os.ReadFile(filepath.Join(m.procRoot, "loadavg")); err == nil {
		if f := strings.Fields(string(raw)); len(f) > 0 {
			c.LoadAverage, _ = strconv.ParseFloat(f[0], 64)
		}
	}
	return c
}

// pidList is a flag holding one or more process ids, comma-separated.
type pidList []int

func (p *pidList) String() string {
	s := make([]string, len(*p))
	for i, pid := range *p {
		s[i] = strconv.Itoa(pid)
	}
	return strings.Join(s, ",")
}

// first is the first process id, or 0 when there is none.
func (p pidList) first() int {
	if len(p) == 0 {
		return 0
	}
	return p[0]
}

func (p *pidList) Set(v string) error {
	*p = nil
	for _, part := range strings.Split(v, ",") {
		pid, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || pid <= 0 {
			return fmt.Errorf("%q is not a process id", part)
		}
		*p = append(*p, pid)
	}
	return nil
}
