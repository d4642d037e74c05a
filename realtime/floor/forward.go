package floor

// Forwarded reports whether the forwarding unit passes on audio from a participant in role, given
// the floor as it stands: the chair is always heard until the session ends; a partner only while
// the floor is theirs to talk on. That is the holder while speaking (in listener mode, also while
// answering the paraphrase) and, in listener mode, the listener while paraphrasing. A pause
// silences both partners; an ended session silences everyone. It is the spoken counterpart of
// Decide's rule that only the holder's say is accepted, so the two never disagree.
func Forwarded(s State, role Role) bool {
	switch {
	case s.Ended:
		return false
	case role == RoleChair:
		return true
	case role != RoleA && role != RoleB:
		return false
	case s.Paused || s.Holder == "":
		return false
	case s.Mode == ModeListener && s.Phase == PhaseParaphrase:
		return string(role) != s.Holder
	}
	return string(role) == s.Holder
}

// Hearing is who the forwarding unit passes audio from as of one seq of a session: Forwarded for
// the chair and each seat, packed with the seq into one word, so that the packet path reads it
// with one atomic load and a newer one is told from an older one.
type Hearing uint64

// hearingOrder is the roles of Hearing's low bits, lowest first.
var hearingOrder = [...]Role{RoleChair, RoleA, RoleB}

// HearingOf is who s lets be heard, as of its seq.
func HearingOf(s State) Hearing {
	h := Hearing(s.Seq) << len(hearingOrder)
	for i, role := range hearingOrder {
		if Forwarded(s, role) {
			h |= 1 << i
		}
	}
	return h
}

// Seq is the seq of the state the hearing was taken from.
func (h Hearing) Seq() int64 { return int64(h >> len(hearingOrder)) }

// Heard reports whether the forwarding unit passes on audio from role.
func (h Hearing) Heard(role Role) bool {
	for i, r := range hearingOrder {
		if r == role {
			return h&(1<<i) != 0
		}
	}
	return false
}

// SameHeard reports whether o lets the same roles be heard, whatever their seqs.
func (h Hearing) SameHeard(o Hearing) bool {
	const heard = 1<<len(hearingOrder) - 1
	return h&heard == o&heard
}

// Interrupts reports whether speech from a partner's seat would talk over the other partner: the
// seat is not heard while the other one is. Speech while no partner is heard (a free floor, a
// pause) interrupts no one.
func (h Hearing) Interrupts(seat string) bool {
	if seat != SeatA && seat != SeatB {
		return false
	}
	return !h.Heard(Role(seat)) && h.Heard(Role(otherSeat(seat)))
}
