// Package floor holds the rules of a live session's floor as a pure state machine (Decide and
// Apply), the forwarding rule that follows it and the spoken-interruption detector; it imports
// only the standard library, so it reads no clock, network or database.
package floor

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Modes of a live session.
const (
	ModeTurns    = "turns"    // moderated turns: the floor passes to whoever queued first
	ModeListener = "listener" // speaker–listener: only a confirmed paraphrase passes the floor
)

// Role is how a participant takes part in a live session.
type Role string

// Roles. RoleSystem is the session timer, which only sends ticks.
const (
	RoleChair  Role = "chair"
	RoleA      Role = "a"
	RoleB      Role = "b"
	RoleSystem Role = "system"
)

// Seats of the two partners; a partner's seat is the string form of their Role.
const (
	SeatA = "a"
	SeatB = "b"
)

// Phases of the speaker–listener mode while a partner holds the floor.
const (
	PhaseSpeaking   = "speaking"   // the holder speaks
	PhaseParaphrase = "paraphrase" // the speaker has yielded; the listener paraphrases
	PhaseConfirm    = "confirm"    // the speaker answers the paraphrase: confirm, not quite, or more
)

// Limits and defaults of the floor rules.
const (
	DefaultTurnSeconds     = 120
	DefaultMinBreakSeconds = 60
	DefaultExtendSeconds   = 60
	MinSettingSeconds      = 10   // shortest turn or minimum break the chair may set
	MaxSettingSeconds      = 3600 // longest turn, minimum break or extension
	MaxTextLength          = 4000 // characters in a say, draft, paraphrase or moderator message
	MaxReasonLength        = 200  // characters in the reason given for a pause
)

// Command types a client sends; CommandTick comes from the session timer, never from a client.
const (
	CommandSay          = "say"
	CommandDraft        = "draft"
	CommandRequestFloor = "request_floor"
	CommandYield        = "yield"
	CommandParaphrase   = "paraphrase"
	CommandConfirm      = "confirm"
	CommandMore         = "more"
	CommandGrant        = "grant"
	CommandRevoke       = "revoke"
	CommandExtend       = "extend"
	CommandSkip         = "skip"
	CommandPause        = "pause"
	CommandReady        = "ready"
	CommandResume       = "resume"
	CommandEnd          = "end"
	CommandModerator    = "moderator"
	CommandMode         = "mode"
	CommandSettings     = "settings"
	CommandTick         = "tick"
	// CommandSpokenInterruption comes from the forwarding unit, never from a client: it heard a
	// partner speak out of turn (see SpeechDetector).
	CommandSpokenInterruption = "spoken_interruption"
)

// Event types. Each event names what happened; Apply folds it into the State.
const (
	EventUtterance           = "utterance"
	EventModerator           = "moderator"
	EventFloorRequested      = "floor_requested"
	EventFloorGranted        = "floor_granted"
	EventFloorYielded        = "floor_yielded"
	EventFloorRevoked        = "floor_revoked"
	EventFloorSkipped        = "floor_skipped"
	EventFloorExpired        = "floor_expired"
	EventParaphrase          = "paraphrase"
	EventParaphraseConfirmed = "paraphrase_confirmed"
	EventParaphraseRejected  = "paraphrase_rejected"
	EventMore                = "more"
	EventTurnExtended        = "turn_extended"
	EventPaused              = "paused"
	EventReady               = "ready"
	EventResumed             = "resumed"
	EventModeChanged         = "mode_changed"
	EventSettingsChanged     = "settings_changed"
	EventEnded               = "ended"
	// EventSpokenInterruption records that the partner in Seat spoke out of turn; its actor is that
	// partner's role. No audio or words are kept.
	EventSpokenInterruption = "spoken_interruption"
)

// Error codes carried by *Error.
const (
	CodeNotYourTurn = "not_your_turn"
	CodePaused      = "paused"
	CodeNotAllowed  = "not_allowed"
	CodeBadRequest  = "bad_request"
	CodeEnded       = "ended"
	CodeConflict    = "conflict"
)

// Error is a refused command: a stable Code for programs and a Message for people.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error returns the code and the message together, for logs.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Refuse returns a refusal with a code and a message.
func Refuse(code, message string) *Error { return &Error{Code: code, Message: message} }

// Actor is who sent a command: a user in a role, or the session timer.
type Actor struct {
	UserID int64 `json:"user_id"`
	Role   Role  `json:"role"`
}

// Command is one request to the floor. Which fields matter depends on Type.
type Command struct {
	ID              string `json:"id"`
	Type            string `json:"type"`
	Text            string `json:"text,omitempty"`
	Seat            string `json:"seat,omitempty"`
	Seconds         int    `json:"seconds,omitempty"`
	OK              *bool  `json:"ok,omitempty"`
	Mode            string `json:"mode,omitempty"`
	Reason          string `json:"reason,omitempty"`
	TurnSeconds     int    `json:"turn_seconds,omitempty"`
	MinBreakSeconds int    `json:"min_break_seconds,omitempty"`
}

// Event is one thing that happened in a session. Events are numbered by Seq without gaps and
// carry everything Apply needs, so a state rebuilt from the log equals the live one.
type Event struct {
	Seq             int64     `json:"seq"`
	Type            string    `json:"type"`
	Actor           Actor     `json:"actor"`
	At              time.Time `json:"at"`
	Seat            string    `json:"seat,omitempty"`
	Text            string    `json:"text,omitempty"`
	Seconds         int       `json:"seconds,omitempty"`
	Mode            string    `json:"mode,omitempty"`
	Reason          string    `json:"reason,omitempty"`
	Deadline        time.Time `json:"deadline,omitzero"`
	BreakUntil      time.Time `json:"break_until,omitzero"`
	TurnSeconds     int       `json:"turn_seconds,omitempty"`
	MinBreakSeconds int       `json:"min_break_seconds,omitempty"`
}

// Tally counts something per partner seat.
type Tally struct {
	A int64 `json:"a"`
	B int64 `json:"b"`
}

func (t *Tally) add(seat string, n int64) {
	switch seat {
	case SeatA:
		t.A += n
	case SeatB:
		t.B += n
	}
}

// Of returns the count for a seat, or 0 for anything that is not a seat.
func (t Tally) Of(seat string) int64 {
	switch seat {
	case SeatA:
		return t.A
	case SeatB:
		return t.B
	}
	return 0
}

// State is a session as of event Seq: the snapshot stored with the session and sent to clients.
// Slices in a State are never modified in place, so states returned by Apply may share them.
type State struct {
	Seq             int64  `json:"seq"`
	Mode            string `json:"mode"`
	TurnSeconds     int    `json:"turn_seconds"`
	MinBreakSeconds int    `json:"min_break_seconds"`
	// ShowDrafts is the chair's choice, made when the session is created, to relay a holder's
	// unsent text to the others as it is typed; when false a draft is refused and goes nowhere.
	ShowDrafts bool `json:"show_drafts"`
	// Holder is the seat holding the floor, or empty when the floor is free.
	Holder string `json:"holder,omitempty"`
	// Phase is the speaker–listener phase while someone holds the floor in listener mode.
	Phase string `json:"phase,omitempty"`
	// Paraphrase is the listener's paraphrase awaiting the speaker's answer.
	Paraphrase string `json:"paraphrase,omitempty"`
	// Queue holds the seats waiting for the floor, first come first.
	Queue []string `json:"queue,omitempty"`
	// Deadline is when the running turn ends; zero when no turn is timed or while paused.
	Deadline time.Time `json:"deadline,omitzero"`
	// HeldSince is when the holder's not yet counted talk time began; zero when none is running.
	HeldSince time.Time `json:"held_since,omitzero"`
	Paused    bool      `json:"paused"`
	PausedBy  Role      `json:"paused_by,omitempty"`
	// PauseReason is what the participant who called the time-out gave as its reason.
	PauseReason string `json:"pause_reason,omitempty"`
	// BreakUntil is the end of the minimum break; partners' ready only resumes after it.
	BreakUntil time.Time `json:"break_until,omitzero"`
	// RemainingMillis is the turn time left when the pause began, given back on resume.
	RemainingMillis int64 `json:"remaining_ms,omitempty"`
	// Ready holds the seats that said they are ready to go on during a pause.
	Ready []string `json:"ready,omitempty"`
	Ended bool     `json:"ended"`
	// TalkMillis is each partner's time holding the floor outside pauses, up to HeldSince. In
	// listener mode the speaker holds the floor until the paraphrase is confirmed.
	TalkMillis Tally `json:"talk_ms"`
	// Utterances counts each partner's accepted says.
	Utterances Tally `json:"utterances"`
	// SpokenInterruptions counts the times each partner was heard by the forwarding unit speaking
	// over the other.
	SpokenInterruptions Tally `json:"spoken_interruptions,omitzero"`
}

// NewState returns a fresh session. An unknown mode falls back to turns, and a duration outside
// the range the chair may set falls back to its default.
func NewState(mode string, turnSeconds, minBreakSeconds int) State {
	if mode != ModeListener {
		mode = ModeTurns
	}
	if !settingInRange(turnSeconds) {
		turnSeconds = DefaultTurnSeconds
	}
	if !settingInRange(minBreakSeconds) {
		minBreakSeconds = DefaultMinBreakSeconds
	}
	return State{Mode: mode, TurnSeconds: turnSeconds, MinBreakSeconds: minBreakSeconds}
}

// Ephemeral reports whether a command type is relayed without becoming an event. Decide
// validates such a command and returns no events of its own (only the session timer's that were
// due); the caller relays it (as a Draft frame) to the others and neither stores nor
// acknowledges it with a seq.
func Ephemeral(commandType string) bool { return commandType == CommandDraft }

// NextDeadline returns when the session timer should next send a tick: the end of the running
// turn, or, during a pause both partners are ready to leave, the end of the minimum break.
// A tick at the returned time always produces events. Ask again after every Apply.
func NextDeadline(s State) (time.Time, bool) {
	switch {
	case s.Ended:
		return time.Time{}, false
	case s.Paused:
		if bothReady(s) {
			return s.BreakUntil, true
		}
		return time.Time{}, false
	case timed(s):
		return s.Deadline, true
	}
	return time.Time{}, false
}

// TalkTime returns how long a seat has held the floor outside pauses, counting the running turn
// up to now, or up to its deadline when that has passed although no event says so yet.
func TalkTime(s State, seat string, now time.Time) time.Duration {
	_, s = expire(s, now)
	total := time.Duration(s.TalkMillis.Of(seat)) * time.Millisecond
	if s.Holder == seat && !s.HeldSince.IsZero() && now.After(s.HeldSince) {
		total += now.Sub(s.HeldSince).Truncate(time.Millisecond)
	}
	return total
}

// senders says which roles may send a command type.
type senders uint8

const (
	byChair senders = 1 << iota
	byPartner
	bySystem
)

func sendersOf(commandType string) (senders, bool) {
	switch commandType {
	case CommandSay, CommandDraft, CommandRequestFloor, CommandYield, CommandParaphrase,
		CommandConfirm, CommandMore, CommandReady:
		return byPartner, true
	case CommandPause:
		return byChair | byPartner, true
	case CommandGrant, CommandRevoke, CommandExtend, CommandSkip, CommandResume, CommandEnd,
		CommandModerator, CommandMode, CommandSettings:
		return byChair, true
	case CommandTick, CommandSpokenInterruption:
		return bySystem, true
	}
	return 0, false
}

// Sends reports whether a participant in role may send commands of a type at all, whatever the
// session's state.
func Sends(role Role, commandType string) bool {
	allowed, _ := sendersOf(commandType)
	return allowed&senderOf(role) != 0
}

func senderOf(role Role) senders {
	switch role {
	case RoleChair:
		return byChair
	case RoleA, RoleB:
		return byPartner
	case RoleSystem:
		return bySystem
	}
	return 0
}

// allowedWhilePaused lists what a time-out does not hold back.
func allowedWhilePaused(commandType string) bool {
	switch commandType {
	case CommandResume, CommandReady, CommandEnd, CommandModerator, CommandTick:
		return true
	}
	return false
}

// Decide checks a command against the session and returns the events it causes, numbered from
// s.Seq+1, or an *Error saying why it is refused. It reads no clock: now is the time of the
// command. Whatever the session timer had due by now (a turn past its deadline, a break both
// partners are ready to leave) happens first, whether or not a timer ticked: the command is
// decided against the session as the timer left it, and its events follow the timer's. A valid
// ephemeral command (see Ephemeral) and a tick with nothing due return no events and no error.
func Decide(s State, cmd Command, actor Actor, now time.Time) ([]Event, error) {
	if s.Ended {
		return nil, Refuse(CodeEnded, "The session has ended.")
	}
	sender := senderOf(actor.Role)
	if sender == 0 {
		return nil, Refuse(CodeNotAllowed, "Unknown participant role.")
	}
	allowed, known := sendersOf(cmd.Type)
	if !known {
		return nil, Refuse(CodeBadRequest, "Unknown command type.")
	}
	if allowed&sender == 0 {
		return nil, notAllowed(allowed, sender)
	}
	if err := validate(cmd); err != nil {
		return nil, err
	}
	now = now.UTC()
	fromTimer, s := expire(s, now)
	if s.Paused && !allowedWhilePaused(cmd.Type) {
		return nil, Refuse(CodePaused, "The session is paused; this can wait until it resumes.")
	}

	d := decision{s: s, actor: actor, at: now}
	seat := string(actor.Role)
	var err *Error
	switch cmd.Type {
	case CommandSay:
		if err = d.mayTalk(seat); err == nil {
			d.emit(Event{Type: EventUtterance, Seat: seat, Text: cmd.Text})
		}
	case CommandDraft:
		if err = d.mayTalk(seat); err == nil && !s.ShowDrafts {
			err = Refuse(CodeNotAllowed, "Typing is not shown in this session: your words reach the others when you send them.")
		}
	case CommandRequestFloor:
		err = d.requestFloor(seat)
	case CommandYield:
		err = d.yield(seat)
	case CommandParaphrase:
		err = d.paraphrase(seat, cmd.Text)
	case CommandConfirm:
		err = d.confirm(seat, *cmd.OK)
	case CommandMore:
		err = d.more(seat)
	case CommandGrant:
		err = d.grant(cmd.Seat)
	case CommandRevoke:
		err = d.revoke()
	case CommandExtend:
		err = d.extend(cmd.Seconds)
	case CommandSkip:
		err = d.skip()
	case CommandPause:
		d.pause(cmd.Reason)
	case CommandReady:
		err = d.ready(seat)
	case CommandResume:
		err = d.resume()
	case CommandEnd:
		d.emit(Event{Type: EventEnded})
	case CommandModerator:
		d.emit(Event{Type: EventModerator, Text: cmd.Text})
	case CommandMode:
		err = d.changeMode(cmd.Mode)
	case CommandSettings:
		d.changeSettings(cmd.TurnSeconds, cmd.MinBreakSeconds)
	case CommandTick:
		// What was due happened above.
	case CommandSpokenInterruption:
		d.emit(Event{Type: EventSpokenInterruption, Seat: cmd.Seat, Actor: Actor{Role: Role(cmd.Seat)}})
	}
	if err != nil {
		return nil, err
	}
	if fromTimer == nil {
		return d.events, nil
	}
	return append(fromTimer, d.events...), nil
}

// expire returns what the session timer causes by now and the state after it: each event comes
// from the timer and is dated when it fell due (the deadline, the end of the break), so talk
// time stops at the deadline however late the next command or tick comes. One step may make the
// next one due (a break ends, then the turn it gave back runs out; a turn passes to the queue
// head, whose turn ran out too); each step frees the floor, moves it to a seat that leaves the
// queue or ends the pause, so the loop ends.
func expire(s State, now time.Time) ([]Event, State) {
	var events []Event
	for {
		d := decision{s: s, actor: Actor{Role: RoleSystem}}
		d.due(now)
		if len(d.events) == 0 {
			return events, s
		}
		for _, e := range d.events {
			s = Apply(s, e)
		}
		events = append(events, d.events...)
	}
}

func notAllowed(allowed, sender senders) *Error {
	switch {
	case sender == bySystem:
		return Refuse(CodeNotAllowed, "The session timer only sends ticks.")
	case allowed == bySystem:
		return Refuse(CodeNotAllowed, "Only the session timer sends ticks.")
	case allowed == byChair:
		return Refuse(CodeNotAllowed, "Only the therapist can do that.")
	default:
		return Refuse(CodeNotAllowed, "Only a partner can do that.")
	}
}

// validate checks a command's fields on their own, before the session's state is considered.
func validate(cmd Command) *Error {
	switch cmd.Type {
	case CommandSay, CommandParaphrase, CommandModerator:
		if strings.TrimSpace(cmd.Text) == "" {
			return Refuse(CodeBadRequest, "The message is empty.")
		}
		return checkText(cmd.Text, MaxTextLength, "The message")
	case CommandDraft:
		return checkText(cmd.Text, MaxTextLength, "The draft")
	case CommandPause:
		return checkText(cmd.Reason, MaxReasonLength, "The reason")
	case CommandConfirm:
		if cmd.OK == nil {
			return Refuse(CodeBadRequest, "Say whether the paraphrase is right (ok true or false).")
		}
	case CommandGrant, CommandSpokenInterruption:
		if cmd.Seat != SeatA && cmd.Seat != SeatB {
			return Refuse(CodeBadRequest, `The seat must be "a" or "b".`)
		}
	case CommandExtend:
		if cmd.Seconds < 0 || cmd.Seconds > MaxSettingSeconds {
			return Refuse(CodeBadRequest, "An extension must be between 1 and 3600 seconds.")
		}
	case CommandMode:
		if cmd.Mode != ModeTurns && cmd.Mode != ModeListener {
			return Refuse(CodeBadRequest, `The mode must be "turns" or "listener".`)
		}
	case CommandSettings:
		if cmd.TurnSeconds == 0 && cmd.MinBreakSeconds == 0 {
			return Refuse(CodeBadRequest, "Give a turn length, a minimum break, or both.")
		}
		if cmd.TurnSeconds != 0 && !settingInRange(cmd.TurnSeconds) ||
			cmd.MinBreakSeconds != 0 && !settingInRange(cmd.MinBreakSeconds) {
			return Refuse(CodeBadRequest, "Turn length and minimum break must be between 10 and 3600 seconds.")
		}
	}
	return nil
}

func checkText(text string, limit int, what string) *Error {
	if !utf8.ValidString(text) {
		return Refuse(CodeBadRequest, what+" is not valid UTF-8 text.")
	}
	if utf8.RuneCountInString(text) > limit {
		return Refuse(CodeBadRequest, what+" is too long.")
	}
	return nil
}

func settingInRange(seconds int) bool {
	return seconds >= MinSettingSeconds && seconds <= MaxSettingSeconds
}

// decision collects the events one command causes.
type decision struct {
	s      State
	actor  Actor
	at     time.Time
	events []Event
}

// emit adds an event by the command's actor, unless the event names its own.
func (d *decision) emit(e Event) {
	if d.events == nil {
		d.events = make([]Event, 0, 2)
	}
	e.Seq = d.s.Seq + int64(len(d.events)) + 1
	if e.Actor == (Actor{}) {
		e.Actor = d.actor
	}
	e.At = d.at
	d.events = append(d.events, e)
}

func (d *decision) turnDeadline() time.Time {
	return d.at.Add(time.Duration(d.s.TurnSeconds) * time.Second)
}

func (d *decision) grantTo(seat string) {
	d.emit(Event{Type: EventFloorGranted, Seat: seat, Deadline: d.turnDeadline()})
}

// passToQueueHead gives a freed floor to the first seat waiting, if any.
func (d *decision) passToQueueHead() {
	if len(d.s.Queue) > 0 {
		d.grantTo(d.s.Queue[0])
	}
}

// mayTalk tells whether a partner's say (or draft) would become an utterance now.
func (d *decision) mayTalk(seat string) *Error {
	if d.s.Holder != seat {
		return Refuse(CodeNotYourTurn, "It is not your turn to speak.")
	}
	if d.s.Mode == ModeListener && d.s.Phase != PhaseSpeaking {
		return Refuse(CodeConflict, "Your partner is paraphrasing what you said; answer their paraphrase first.")
	}
	return nil
}

func (d *decision) requestFloor(seat string) *Error {
	if d.s.Holder == seat {
		return Refuse(CodeConflict, "You already have the floor.")
	}
	if slices.Contains(d.s.Queue, seat) {
		return Refuse(CodeConflict, "You are already waiting for the floor.")
	}
	d.emit(Event{Type: EventFloorRequested, Seat: seat})
	return nil
}

func (d *decision) yield(seat string) *Error {
	if d.s.Holder != seat {
		return Refuse(CodeNotYourTurn, "You do not have the floor.")
	}
	if d.s.Mode == ModeListener && d.s.Phase != PhaseSpeaking {
		return Refuse(CodeConflict, "You have already handed over to your partner's paraphrase.")
	}
	d.emit(Event{Type: EventFloorYielded, Seat: seat})
	if d.s.Mode == ModeTurns {
		d.passToQueueHead()
	}
	return nil
}

// listenerStep checks the speaker–listener preconditions shared by paraphrase, confirm and more.
func (d *decision) listenerStep(seat string, bySpeaker bool) *Error {
	if d.s.Mode != ModeListener {
		return Refuse(CodeConflict, "Paraphrasing belongs to the speaker–listener mode.")
	}
	if d.s.Holder == "" {
		return Refuse(CodeConflict, "No one is speaking right now.")
	}
	if bySpeaker && d.s.Holder != seat {
		return Refuse(CodeNotYourTurn, "Only the speaker answers a paraphrase.")
	}
	if !bySpeaker && d.s.Holder == seat {
		return Refuse(CodeNotYourTurn, "The listener paraphrases, not the speaker.")
	}
	return nil
}

func (d *decision) paraphrase(seat, text string) *Error {
	if err := d.listenerStep(seat, false); err != nil {
		return err
	}
	if d.s.Phase != PhaseParaphrase {
		return Refuse(CodeConflict, "No paraphrase is due right now.")
	}
	d.emit(Event{Type: EventParaphrase, Seat: seat, Text: text})
	return nil
}

func (d *decision) confirm(seat string, ok bool) *Error {
	if err := d.listenerStep(seat, true); err != nil {
		return err
	}
	if d.s.Phase != PhaseConfirm {
		return Refuse(CodeConflict, "There is no paraphrase to answer yet.")
	}
	if !ok {
		d.emit(Event{Type: EventParaphraseRejected, Seat: seat})
		return nil
	}
	d.emit(Event{Type: EventParaphraseConfirmed, Seat: seat})
	d.grantTo(otherSeat(seat))
	return nil
}

func (d *decision) more(seat string) *Error {
	if err := d.listenerStep(seat, true); err != nil {
		return err
	}
	if d.s.Phase == PhaseSpeaking {
		return Refuse(CodeConflict, "You are still speaking.")
	}
	d.emit(Event{Type: EventMore, Seat: seat, Deadline: d.turnDeadline()})
	return nil
}

func (d *decision) grant(seat string) *Error {
	if d.s.Holder == seat {
		return Refuse(CodeConflict, "That partner already has the floor.")
	}
	d.grantTo(seat)
	return nil
}

func (d *decision) revoke() *Error {
	if d.s.Holder == "" {
		return Refuse(CodeConflict, "No one has the floor.")
	}
	d.emit(Event{Type: EventFloorRevoked, Seat: d.s.Holder})
	if d.s.Mode == ModeTurns {
		d.passToQueueHead()
	}
	return nil
}

func (d *decision) extend(seconds int) *Error {
	if !timed(d.s) {
		return Refuse(CodeConflict, "There is no running turn to extend.")
	}
	if seconds == 0 {
		seconds = DefaultExtendSeconds
	}
	deadline := d.s.Deadline.Add(time.Duration(seconds) * time.Second)
	d.emit(Event{Type: EventTurnExtended, Seat: d.s.Holder, Seconds: seconds, Deadline: deadline})
	return nil
}

// skip moves the floor on: to the first seat waiting, else to the other partner.
func (d *decision) skip() *Error {
	if d.s.Holder == "" {
		if len(d.s.Queue) == 0 {
			return Refuse(CodeConflict, "No one holds or is waiting for the floor.")
		}
		d.passToQueueHead()
		return nil
	}
	next := otherSeat(d.s.Holder)
	if len(d.s.Queue) > 0 {
		next = d.s.Queue[0]
	}
	d.emit(Event{Type: EventFloorSkipped, Seat: d.s.Holder})
	d.grantTo(next)
	return nil
}

func (d *decision) pause(reason string) {
	var seat string
	if d.actor.Role == RoleA || d.actor.Role == RoleB {
		seat = string(d.actor.Role)
	}
	breakUntil := d.at.Add(time.Duration(d.s.MinBreakSeconds) * time.Second)
	d.emit(Event{Type: EventPaused, Seat: seat, Reason: reason, BreakUntil: breakUntil})
}

func (d *decision) ready(seat string) *Error {
	if !d.s.Paused {
		return Refuse(CodeConflict, "There is no break to come back from.")
	}
	if slices.Contains(d.s.Ready, seat) {
		return Refuse(CodeConflict, "You have already said you are ready.")
	}
	d.emit(Event{Type: EventReady, Seat: seat})
	if slices.Contains(d.s.Ready, otherSeat(seat)) && !d.at.Before(d.s.BreakUntil) {
		d.emitResumed()
	}
	return nil
}

func (d *decision) resume() *Error {
	if !d.s.Paused {
		return Refuse(CodeConflict, "The session is not paused.")
	}
	d.emitResumed()
	return nil
}

// emitResumed ends the pause, giving the running turn back the time it had left.
func (d *decision) emitResumed() {
	var deadline time.Time
	if timed(d.s) {
		deadline = d.at.Add(time.Duration(d.s.RemainingMillis) * time.Millisecond)
	}
	d.emit(Event{Type: EventResumed, Deadline: deadline})
}

func (d *decision) changeMode(mode string) *Error {
	if d.s.Mode == mode {
		return Refuse(CodeConflict, "The session is already in that mode.")
	}
	var deadline time.Time
	if d.s.Holder != "" {
		deadline = d.s.Deadline
		if deadline.IsZero() {
			deadline = d.turnDeadline()
		}
	}
	d.emit(Event{Type: EventModeChanged, Mode: mode, Deadline: deadline})
	return nil
}

// changeSettings records both values, unchanged ones included, so the event reads on its own.
// New values apply from the next turn or pause.
func (d *decision) changeSettings(turnSeconds, minBreakSeconds int) {
	if turnSeconds == 0 {
		turnSeconds = d.s.TurnSeconds
	}
	if minBreakSeconds == 0 {
		minBreakSeconds = d.s.MinBreakSeconds
	}
	d.emit(Event{Type: EventSettingsChanged, TurnSeconds: turnSeconds, MinBreakSeconds: minBreakSeconds})
}

// due ends the first thing due by now, at the time it fell due: a break both partners are ready
// to leave, or the running turn. In listener mode an expired turn hands over to the listener's
// paraphrase, like a yield.
func (d *decision) due(now time.Time) {
	if d.s.Ended {
		return
	}
	if d.s.Paused {
		if bothReady(d.s) && !now.Before(d.s.BreakUntil) {
			d.at = d.s.BreakUntil
			d.emitResumed()
		}
		return
	}
	if !timed(d.s) || now.Before(d.s.Deadline) {
		return
	}
	d.at = d.s.Deadline
	d.emit(Event{Type: EventFloorExpired, Seat: d.s.Holder})
	if d.s.Mode == ModeTurns {
		d.passToQueueHead()
	}
}

// timed reports whether a turn clock belongs to the current holder: always in turns mode, and
// while the speaker speaks in listener mode.
func timed(s State) bool {
	return s.Holder != "" && (s.Mode == ModeTurns || s.Phase == PhaseSpeaking)
}

func bothReady(s State) bool {
	return slices.Contains(s.Ready, SeatA) && slices.Contains(s.Ready, SeatB)
}

func otherSeat(seat string) string {
	if seat == SeatA {
		return SeatB
	}
	return SeatA
}

// Apply returns the state after an event. It is pure and trusts the event (Decide made it):
// the input state is left untouched and the result's Seq is e.Seq. An event type it does not
// know only advances Seq.
func Apply(s State, e Event) State {
	s.Seq = e.Seq
	switch e.Type {
	case EventUtterance:
		s.Utterances.add(e.Seat, 1)
	case EventSpokenInterruption:
		s.SpokenInterruptions.add(e.Seat, 1)
	case EventFloorRequested:
		s.Queue = appended(s.Queue, e.Seat)
	case EventFloorGranted:
		countTalk(&s, e.At)
		s.Holder = e.Seat
		s.Queue = removed(s.Queue, e.Seat)
		s.Deadline = e.Deadline
		s.Phase = ""
		if s.Mode == ModeListener {
			s.Phase = PhaseSpeaking
		}
		s.Paraphrase = ""
		s.HeldSince = e.At
	case EventFloorYielded, EventFloorExpired:
		if s.Mode == ModeListener {
			s.Phase = PhaseParaphrase
			s.Deadline = time.Time{}
		} else {
			releaseFloor(&s, e.At)
		}
	case EventFloorRevoked, EventFloorSkipped:
		releaseFloor(&s, e.At)
	case EventParaphrase:
		s.Phase = PhaseConfirm
		s.Paraphrase = e.Text
	case EventParaphraseConfirmed:
		s.Paraphrase = ""
	case EventParaphraseRejected:
		s.Phase = PhaseParaphrase
		s.Paraphrase = ""
	case EventMore:
		s.Phase = PhaseSpeaking
		s.Paraphrase = ""
		s.Deadline = e.Deadline
	case EventTurnExtended:
		s.Deadline = e.Deadline
	case EventPaused:
		countTalk(&s, e.At)
		s.RemainingMillis = 0
		if timed(s) && s.Deadline.After(e.At) {
			s.RemainingMillis = s.Deadline.Sub(e.At).Milliseconds()
		}
		s.Deadline = time.Time{}
		s.Paused = true
		s.PausedBy = e.Actor.Role
		s.PauseReason = e.Reason
		s.BreakUntil = e.BreakUntil
		s.Ready = nil
	case EventReady:
		s.Ready = appended(s.Ready, e.Seat)
	case EventResumed:
		s.Paused = false
		s.PausedBy = ""
		s.PauseReason = ""
		s.BreakUntil = time.Time{}
		s.RemainingMillis = 0
		s.Ready = nil
		s.Deadline = e.Deadline
		if s.Holder != "" {
			s.HeldSince = e.At
		}
	case EventModeChanged:
		s.Mode = e.Mode
		s.Phase = ""
		if s.Mode == ModeListener && s.Holder != "" {
			s.Phase = PhaseSpeaking
		}
		s.Paraphrase = ""
		s.Deadline = e.Deadline
	case EventSettingsChanged:
		s.TurnSeconds = e.TurnSeconds
		s.MinBreakSeconds = e.MinBreakSeconds
	case EventEnded:
		countTalk(&s, e.At)
		s = State{
			Seq: s.Seq, Mode: s.Mode, TurnSeconds: s.TurnSeconds, MinBreakSeconds: s.MinBreakSeconds,
			Ended: true, TalkMillis: s.TalkMillis, Utterances: s.Utterances, SpokenInterruptions: s.SpokenInterruptions,
		}
	}
	return s
}

// countTalk adds the holder's running talk time up to at and stops the count.
func countTalk(s *State, at time.Time) {
	if s.Holder != "" && !s.HeldSince.IsZero() && at.After(s.HeldSince) {
		s.TalkMillis.add(s.Holder, at.Sub(s.HeldSince).Milliseconds())
	}
	s.HeldSince = time.Time{}
}

func releaseFloor(s *State, at time.Time) {
	countTalk(s, at)
	s.Holder = ""
	s.Phase = ""
	s.Paraphrase = ""
	s.Deadline = time.Time{}
}

// appended returns list plus item in a new array, leaving the caller's array untouched.
func appended(list []string, item string) []string {
	return append(list[:len(list):len(list)], item)
}

// removed returns list without item in a new array, or list itself when item is absent.
func removed(list []string, item string) []string {
	i := slices.Index(list, item)
	if i < 0 {
		return list
	}
	out := make([]string, 0, len(list)-1)
	out = append(out, list[:i]...)
	out = append(out, list[i+1:]...)
	if len(out) == 0 {
		return nil
	}
	return out
}
