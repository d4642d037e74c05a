package main

import (
	"math"
	"testing"
)

const metricsPage = `# HELP amend_media_forward_seconds Time an audio packet spends in the server.
# TYPE amend_media_forward_seconds histogram
amend_media_forward_seconds_bucket{le="0.001"} 40
amend_media_forward_seconds_bucket{le="0.002"} 90
amend_media_forward_seconds_bucket{le="0.005"} 99
amend_media_forward_seconds_bucket{le="0.01"} 100
amend_media_forward_seconds_bucket{le="+Inf"} 100
amend_media_forward_seconds_sum 0.15
amend_media_forward_seconds_count 100
amend_other_bucket{le="+Inf"} 7
`

func TestServerHistogramGivesPercentilesOfWhatARunObserved(t *testing.T) {
	after, err := parseHistogram(metricsPage, "amend_media_forward_seconds")
	if err != nil {
		t.Fatal(err)
	}
	// Before the run, 20 observations were already under 1 ms: they are not the run's.
	before := histogram{bounds: after.bounds, counts: []uint64{20, 20, 20, 20, 20}}
	run := after.since(before)
	for _, tc := range []struct {
		q, want float64 // seconds
	}{
		{0.25, 0.001},  // rank 20 of 80: the whole first bucket
		{0.50, 0.0014}, // rank 40: 20 into the 50 of the (1, 2] ms bucket
		{0.99, 0.006},  // rank 79.2: a fifth into the (5, 10] ms bucket, which holds one
	} {
		if got := run.quantile(tc.q); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("q%.2f = %v s, want %v s", tc.q, got, tc.want)
		}
	}
	l := run.latency()
	if l.Count != 80 || l.P50 != 1.4 || l.Max != 10 {
		t.Errorf("latency %+v, want 80 observations, p50 1.4 ms, none above 10 ms", l)
	}
}

func TestServerHistogramMissingIsAnError(t *testing.T) {
	for _, page := range []string{"", "amend_media_forward_seconds_bucket{le=\"0.001\"} 4\n", "amend_media_forward_seconds_bucket{le=\"x\"} 4\n"} {
		if _, err := parseHistogram(page, "amend_media_forward_seconds"); err == nil {
			t.Errorf("page %q: no error", page)
		}
	}
}
