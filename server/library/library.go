// Package library holds Amend's built-in content: the eleven trust-repair exercises, the validated
// questionnaires, and the check-in and concern vocabularies, with validation of answers against them.
package library

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"
)

// Field kinds an exercise may ask for.
const (
	KindLongText  = "long_text"
	KindShortText = "short_text"
	KindScale     = "scale"
	KindChecklist = "checklist"
	KindList      = "list"
)

// Who does an exercise: the partner who broke trust, the hurt partner, both at once, or each on their own.
const (
	WhoOffender       = "offender"
	WhoHurt           = "hurt"
	WhoBothTogether   = "both_together"
	WhoEachSeparately = "each_separately"
)

// Visibilities of partner-authored writing.
const (
	VisibilityPrivate   = "private"
	VisibilityTherapist = "therapist"
	VisibilityPartner   = "partner"
)

// Field is one prompt of an exercise and the shape of the answer it takes.
type Field struct {
	Key      string `json:"key"`
	Kind     string `json:"kind"`
	Label    string `json:"label"`
	Help     string `json:"help,omitempty"`
	Required bool   `json:"required"`
	// Min and Max bound a scale's value (default 0..10) or a list's item count (default 0..50).
	Min       *int     `json:"min,omitempty"`
	Max       *int     `json:"max,omitempty"`
	Options   []string `json:"options,omitempty"`
	MaxLength int      `json:"max_length,omitempty"`
}

// Exercise is a structured piece of work a therapist can assign to a couple.
type Exercise struct {
	Key               string  `json:"key"`
	Step              int     `json:"step"`
	Title             string  `json:"title"`
	Summary           string  `json:"summary"`
	Who               string  `json:"who"`
	DefaultVisibility string  `json:"default_visibility"`
	Fields            []Field `json:"fields"`
}

//go:embed steps.json
var stepsJSON []byte

var parsedSteps = sync.OnceValue(func() []Exercise {
	var steps []Exercise
	if err := json.Unmarshal(stepsJSON, &steps); err != nil {
		panic(fmt.Sprintf("library: embedded steps.json is malformed: %v", err))
	}
	return steps
})

// Steps returns the eleven built-in trust-repair exercises in step order. The result is a copy the
// caller may change freely.
func Steps() []Exercise {
	steps := parsedSteps()
	out := make([]Exercise, len(steps))
	for i, step := range steps {
		out[i] = step
		out[i].Fields = cloneFields(step.Fields)
	}
	return out
}

func cloneFields(fields []Field) []Field {
	out := make([]Field, len(fields))
	for i, f := range fields {
		out[i] = f
		if f.Min != nil {
			v := *f.Min
			out[i].Min = &v
		}
		if f.Max != nil {
			v := *f.Max
			out[i].Max = &v
		}
		if f.Options != nil {
			out[i].Options = append([]string(nil), f.Options...)
		}
	}
	return out
}
