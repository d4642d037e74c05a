package realtime

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

// Interrupts reports whether speech from a partner's seat would talk over the other partner: the
// seat is not heard while the other one is. Speech while no partner is heard (a free floor, a
// pause) interrupts no one.
func Interrupts(s State, seat string) bool {
	if seat != SeatA && seat != SeatB {
		return false
	}
	return !Forwarded(s, Role(seat)) && Forwarded(s, Role(otherSeat(seat)))
}
