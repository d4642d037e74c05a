package realtime

import "github.com/prometheus/client_golang/prometheus"

// metrics are the live sessions' instruments on the server's registry.
type metrics struct {
	connections prometheus.Gauge
	commands    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	batchSize   prometheus.Histogram
	fanoutLag   prometheus.Histogram
	overflows   prometheus.Counter
	// writeTimeouts counts clients closed because a write to them did not finish in time.
	writeTimeouts prometheus.Counter
	notifyLost    prometheus.Counter
	// logReads counts reads of a session's log for events no notification carried.
	logReads prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "amend_live_connections", Help: "Open live-session WebSocket connections on this instance.",
		}),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "amend_live_commands_total", Help: "Live-session commands by type and outcome (ok, resent, or the refusal code).",
		}, []string{"type", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "amend_live_command_duration_seconds", Help: "Time to execute a live-session command, transaction included.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}, []string{"type"}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "amend_live_commit_batch_size", Help: "Commands committed together in one transaction.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128},
		}),
		fanoutLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "amend_live_fanout_lag_seconds", Help: "Time from an event's decision to its hand-over to local connections.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5},
		}),
		overflows: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "amend_live_queue_overflows_total", Help: "Connections closed because their send queue was full.",
		}),
		writeTimeouts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "amend_live_write_timeouts_total", Help: "Connections closed because a write to the client did not finish within the write wait.",
		}),
		notifyLost: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "amend_live_resyncs_total", Help: "Times the notification listener reconnected and every room re-read the log.",
		}),
		logReads: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "amend_live_log_reads_total", Help: "Reads of a session's log for events committed elsewhere that no notification carried.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.connections, m.commands, m.duration, m.batchSize, m.fanoutLag, m.overflows, m.writeTimeouts, m.notifyLost, m.logReads)
	}
	return m
}
