package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// histogram is a Prometheus histogram as a /metrics page shows it: cumulative counts per upper
// bound, in ascending order, +Inf last.
type histogram struct {
	bounds []float64
	counts []uint64
}

// scrapeHistogram reads the histogram name from the server's /metrics page.
func scrapeHistogram(ctx context.Context, client *http.Client, base, name string) (histogram, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return histogram{}, err
	}
	res, err := client.Do(req)
	if err != nil {
		return histogram{}, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return histogram{}, fmt.Errorf("/metrics answered %d", res.StatusCode)
	}
	page, err := io.ReadAll(res.Body)
	if err != nil {
		return histogram{}, err
	}
	return parseHistogram(string(page), name)
}

// parseHistogram picks the buckets of the unlabelled histogram name out of a /metrics page.
func parseHistogram(page, name string) (histogram, error) {
	var h histogram
	prefix := name + `_bucket{le="`
	for _, line := range strings.Split(page, "\n") {
		rest, ok := strings.CutPrefix(line, prefix)
		if !ok {
			continue
		}
		le, count, ok := strings.Cut(rest, `"} `)
		if !ok {
			return h, fmt.Errorf("%s: unreadable bucket %q", name, line)
		}
		bound, err := strconv.ParseFloat(le, 64)
		if err != nil {
			return h, fmt.Errorf("%s: bucket bound %q: %w", name, le, err)
		}
		n, err := strconv.ParseUint(count, 10, 64)
		if err != nil {
			return h, fmt.Errorf("%s: bucket count %q: %w", name, count, err)
		}
		h.bounds, h.counts = append(h.bounds, bound), append(h.counts, n)
	}
	if len(h.bounds) == 0 || !math.IsInf(h.bounds[len(h.bounds)-1], 1) {
		return h, fmt.Errorf("the server reports no histogram %s", name)
	}
	return h, nil
}

// since is what was observed between earlier and h, two readings of the same histogram.
func (h histogram) since(earlier histogram) histogram {
	out := histogram{bounds: h.bounds, counts: make([]uint64, len(h.counts))}
	for i := range h.counts {
		out.counts[i] = h.counts[i]
		if i < len(earlier.counts) {
			out.counts[i] -= earlier.counts[i]
		}
	}
	return out
}

// quantile estimates the q-quantile in the histogram's unit the way PromQL's histogram_quantile
// does: linearly within the bucket it falls in; past the last finite bound, that bound.
func (h histogram) quantile(q float64) float64 {
	total := h.counts[len(h.counts)-1]
	if total == 0 {
		return 0
	}
	rank := q * float64(total)
	lower, below := 0.0, uint64(0)
	for i, bound := range h.bounds {
		if float64(h.counts[i]) >= rank {
			if math.IsInf(bound, 1) {
				return lower
			}
			inBucket := h.counts[i] - below
			return lower + (bound-lower)*(rank-float64(below))/float64(inBucket)
		}
		lower, below = bound, h.counts[i]
	}
	return lower
}

// latency summarises a histogram of seconds as milliseconds; its maximum is the upper bound of
// the highest bucket that holds an observation.
func (h histogram) latency() Latency {
	total := h.counts[len(h.counts)-1]
	l := Latency{Count: int(total), P50: roundMs(h.quantile(0.50)), P95: roundMs(h.quantile(0.95)), P99: roundMs(h.quantile(0.99))}
	for i := range h.counts {
		if h.counts[i] == total {
			l.Max = roundMs(h.bounds[i])
			break
		}
	}
	return l
}

func roundMs(seconds float64) float64 { return math.Round(seconds*1e6) / 1000 }
