package server

import (
	"net/http"
	"reflect"
	"testing"
	"time"
)

func TestGapSeriesPairsEachPartnersLatestValue(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b []dayValue
		want []GapPoint
	}{
		{"nothing yet", nil, nil, []GapPoint{}},
		{"one partner only", []dayValue{{"2031-01-01", 10}}, nil, []GapPoint{}},
		{"same days", []dayValue{{"2031-01-01", 10}, {"2031-01-08", 12}}, []dayValue{{"2031-01-01", 4}, {"2031-01-08", 15}},
			[]GapPoint{{"2031-01-01", 10, 4, 6}, {"2031-01-08", 12, 15, 3}}},
		{"different days carry the latest value forward", []dayValue{{"2031-01-01", 10}, {"2031-01-10", 14}}, []dayValue{{"2031-01-05", 7}},
			[]GapPoint{{"2031-01-05", 10, 7, 3}, {"2031-01-10", 14, 7, 7}}},
		{"the last value of a day counts", []dayValue{{"2031-01-01", 10}, {"2031-01-01", 20}}, []dayValue{{"2031-01-01", 18}},
			[]GapPoint{{"2031-01-01", 20, 18, 2}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := gapSeries(tc.a, tc.b); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestDivergenceIsTheCareTeamsAndCountsOnlyWhatTheyMayRead: the gap between the partners reaches
// the care team only, and an item kept private from the care team never enters it.
func TestDivergenceIsTheCareTeamsAndCountsOnlyWhatTheyMayRead(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	day := func(d int) time.Time { return time.Date(2031, 3, d, 9, 0, 0, 0, time.UTC) }
	w.measure(p, p.PartnerA, "therapist", 4, day(1)) // 16
	w.measure(p, p.PartnerB, "partner", 2, day(1))   // 8
	w.measure(p, p.PartnerB, "private", 5, day(8))   // 20, the care team may not read it
	w.measure(p, p.PartnerA, "partner", 3, day(15))  // 12
	w.checkin(p, p.PartnerA, "2031-03-02", "therapist", 8)
	w.checkin(p, p.PartnerB, "2031-03-02", "private", 1)
	w.checkin(p, p.PartnerB, "2031-03-03", "therapist", 3)

	var got Divergence
	res := p.Therapist.do(http.MethodGet, "/api/v1/couples/"+id(p.CoupleID)+"/divergence", nil)
	res.JSON(t, &got)
	wantCSI4 := []GapPoint{{"2031-03-01", 16, 8, 8}, {"2031-03-15", 12, 8, 4}}
	wantTrust := []GapPoint{{"2031-03-03", 8, 3, 5}}
	if res.Status != http.StatusOK || !reflect.DeepEqual(got.CSI4, wantCSI4) || !reflect.DeepEqual(got.Trust, wantTrust) {
		t.Fatalf("care team: %d %s; want CSI-4 %+v and trust %+v", res.Status, res.Body, wantCSI4, wantTrust)
	}
	for _, reader := range []*actor{p.PartnerA, p.PartnerB, p.OtherTherapist, p.Admin, p.OtherPartner, w.B.Therapist} {
		if res := reader.do(http.MethodGet, "/api/v1/couples/"+id(p.CoupleID)+"/divergence", nil); res.Status != http.StatusNotFound {
			t.Errorf("%s reads the divergence: %d %s, want 404", reader.Name, res.Status, res.Body)
		}
	}
}
