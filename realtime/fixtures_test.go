package realtime

import (
	"time"

	"github.com/amendcare/amend/realtime/floor"
)

// Participants and the first instant of the sessions the tests drive.
var (
	chair    = floor.Actor{UserID: 10, Role: floor.RoleChair}
	partnerA = floor.Actor{UserID: 11, Role: floor.RoleA}
	partnerB = floor.Actor{UserID: 12, Role: floor.RoleB}
	timer    = floor.Actor{Role: floor.RoleSystem}
	start    = time.Date(2026, 3, 4, 17, 0, 0, 0, time.UTC)
)

func yes() *bool { ok := true; return &ok }
func no() *bool  { ok := false; return &ok }
