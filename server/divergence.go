package server

import (
	"net/http"
	"sort"

	"github.com/gin-gonic/gin"

	"github.com/amendcare/amend/policy"
	"github.com/amendcare/amend/server/store"
)

// Divergence is how far apart the partners stand over time: the gap between their CSI-4 scores
// and between their trust check-ins. It is the care team's alone (see policy.csv): from their own
// score and the gap, a partner could work out a score of the other's not shared with them.
type Divergence struct {
	CoupleID int64      `json:"couple_id"`
	CSI4     []GapPoint `json:"csi4"`
	Trust    []GapPoint `json:"trust"`
}

// GapPoint is the partners' latest values as of Day, in seat order, and the gap between them.
type GapPoint struct {
	Day string `json:"day"`
	A   int    `json:"a"`
	B   int    `json:"b"`
	Gap int    `json:"gap"`
}

// getDivergence answers the gaps between the partners, computed from the series the caller may
// read in the progress charts, so nothing kept from the care team enters them.
func (s *Server) getDivergence(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.Divergence, policy.Read)
	if !ok {
		return
	}
	p, err := s.buildProgress(c, access, coupleID)
	if err != nil {
		fail(c, err)
		return
	}
	d := divergenceOf(p.Partners)
	d.CoupleID = coupleID
	c.JSON(http.StatusOK, d)
}

// dayValue is one partner's value on a day.
type dayValue struct {
	day   string
	value int
}

// gapSeries pairs two partners' dated values: on each day either partner recorded one (the last
// of that day counting), once both have recorded any, the gap between their latest values.
func gapSeries(a, b []dayValue) []GapPoint {
	type change struct {
		dayValue
		seat int
	}
	changes := make([]change, 0, len(a)+len(b))
	for _, v := range a {
		changes = append(changes, change{v, 0})
	}
	for _, v := range b {
		changes = append(changes, change{v, 1})
	}
	sort.SliceStable(changes, func(i, j int) bool { return changes[i].day < changes[j].day })
	out := []GapPoint{}
	var latest [2]*int
	for i, ch := range changes {
		value := ch.value
		latest[ch.seat] = &value
		if i+1 < len(changes) && changes[i+1].day == ch.day {
			continue // the day's last values decide it
		}
		if latest[0] != nil && latest[1] != nil {
			gap := *latest[0] - *latest[1]
			if gap < 0 {
				gap = -gap
			}
			out = append(out, GapPoint{Day: ch.day, A: *latest[0], B: *latest[1], Gap: gap})
		}
	}
	return out
}

// divergenceOf computes the gaps from the series a reader may see, partners in seat order; it
// needs both partners.
func divergenceOf(partners []PartnerProgress) Divergence {
	d := Divergence{CSI4: []GapPoint{}, Trust: []GapPoint{}}
	if len(partners) != 2 {
		return d
	}
	var csi4, trust [2][]dayValue
	for seat, p := range partners {
		for _, m := range p.Measures {
			if m.Key == "csi4" {
				csi4[seat] = append(csi4[seat], dayValue{m.TakenAt.Format("2006-01-02"), m.Score})
			}
		}
		for _, k := range p.Checkins {
			trust[seat] = append(trust[seat], dayValue{k.Day, k.Trust})
		}
	}
	d.CSI4 = gapSeries(csi4[0], csi4[1])
	d.Trust = gapSeries(trust[0], trust[1])
	return d
}
