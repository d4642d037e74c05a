package library

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/amendcare/amend/fault"
)

// Limits on exercise definitions and on answers.
const (
	maxFieldsPerExercise = 30
	maxKeyLength         = 64
	maxLabelLength       = 500
	maxHelpLength        = 2000
	maxOptions           = 30
	maxOptionLength      = 200
	defaultShortText     = 200
	defaultLongText      = 20000
	defaultScaleMin      = 0
	defaultScaleMax      = 10
	scaleBound           = 100
	defaultListMax       = 50
	listCeiling          = 100
	maxListItemLength    = 500
)

var snakeCase = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// ValidateFields checks the field definitions of a practice-authored exercise: between 1 and 30
// fields, unique snake_case keys, known kinds, labels present and bounds that make sense.
func ValidateFields(fields []Field) error {
	if len(fields) == 0 {
		return fault.InvalidField("fields", "an exercise needs at least one field")
	}
	if len(fields) > maxFieldsPerExercise {
		return fault.InvalidField("fields", fmt.Sprintf("an exercise may have at most %d fields", maxFieldsPerExercise))
	}
	seen := make(map[string]bool, len(fields))
	for i, f := range fields {
		name := func(attr string) string { return fmt.Sprintf("fields[%d].%s", i, attr) }
		invalid := func(attr, reason string) error { return fault.InvalidField(name(attr), reason) }

		if len(f.Key) > maxKeyLength || !snakeCase.MatchString(f.Key) {
			return invalid("key", "must be snake_case: lower-case letters, digits and single underscores, starting with a letter, at most 64 characters")
		}
		if seen[f.Key] {
			return invalid("key", fmt.Sprintf("%q is used by an earlier field", f.Key))
		}
		seen[f.Key] = true
		if strings.TrimSpace(f.Label) == "" {
			return invalid("label", "must not be empty")
		}
		if utf8.RuneCountInString(f.Label) > maxLabelLength {
			return invalid("label", fmt.Sprintf("must be at most %d characters", maxLabelLength))
		}
		if utf8.RuneCountInString(f.Help) > maxHelpLength {
			return invalid("help", fmt.Sprintf("must be at most %d characters", maxHelpLength))
		}
		if err := validateKindSettings(f, invalid); err != nil {
			return err
		}
	}
	return nil
}

// validateKindSettings checks that a field carries only the settings its kind uses, with sane values.
func validateKindSettings(f Field, invalid func(attr, reason string) error) error {
	textKind := f.Kind == KindLongText || f.Kind == KindShortText
	boundedKind := f.Kind == KindScale || f.Kind == KindList
	switch {
	case !textKind && !boundedKind && f.Kind != KindChecklist:
		return invalid("kind", "must be one of long_text, short_text, scale, checklist, list")
	case !boundedKind && (f.Min != nil || f.Max != nil):
		return invalid("min", "only scale and list fields take min and max")
	case f.Kind != KindChecklist && f.Options != nil:
		return invalid("options", "only checklist fields take options")
	case !textKind && f.MaxLength != 0:
		return invalid("max_length", "only text fields take max_length")
	}

	switch f.Kind {
	case KindLongText, KindShortText:
		if f.MaxLength < 0 || f.MaxLength > defaultLongText {
			return invalid("max_length", fmt.Sprintf("must be between 1 and %d", defaultLongText))
		}
	case KindScale:
		low, high := scaleBounds(f)
		if low < -scaleBound || high > scaleBound {
			return invalid("min", fmt.Sprintf("scale bounds must lie between %d and %d", -scaleBound, scaleBound))
		}
		if low >= high {
			return invalid("max", "must be greater than min")
		}
	case KindList:
		low, high := listBounds(f)
		if low < 0 {
			return invalid("min", "must not be negative")
		}
		if high < 1 || high > listCeiling {
			return invalid("max", fmt.Sprintf("must be between 1 and %d", listCeiling))
		}
		if low > high {
			return invalid("min", "must not be greater than max")
		}
	case KindChecklist:
		if len(f.Options) < 2 || len(f.Options) > maxOptions {
			return invalid("options", fmt.Sprintf("a checklist needs between 2 and %d options", maxOptions))
		}
		seen := make(map[string]bool, len(f.Options))
		for _, option := range f.Options {
			switch {
			case strings.TrimSpace(option) == "":
				return invalid("options", "options must not be empty")
			case utf8.RuneCountInString(option) > maxOptionLength:
				return invalid("options", fmt.Sprintf("options must be at most %d characters", maxOptionLength))
			case seen[option]:
				return invalid("options", fmt.Sprintf("%q appears more than once", option))
			}
			seen[option] = true
		}
	}
	return nil
}

func scaleBounds(f Field) (low, high int) {
	low, high = defaultScaleMin, defaultScaleMax
	if f.Min != nil {
		low = *f.Min
	}
	if f.Max != nil {
		high = *f.Max
	}
	return low, high
}

func listBounds(f Field) (low, high int) {
	low, high = 0, defaultListMax
	if f.Min != nil {
		low = *f.Min
	}
	if f.Max != nil {
		high = *f.Max
	}
	return low, high
}

func textLimit(f Field) int {
	switch {
	case f.MaxLength > 0:
		return f.MaxLength
	case f.Kind == KindShortText:
		return defaultShortText
	default:
		return defaultLongText
	}
}

// answerMessage says what is wrong with the answer to the question labelled label: a reason about
// the answer itself ("must be text") follows the label; one with its own subject ("item 2 is
// empty") follows it after a colon.
func answerMessage(label, reason string) string {
	if strings.HasPrefix(reason, "must ") {
		return "“" + label + "” " + reason + "."
	}
	return "“" + label + "”: " + reason + "."
}

// ValidateAnswers checks a JSON object of answers keyed by field key. A draft (final false) may
// leave required fields empty; a final submission may not. The error names the first failing field
// in field order, then any unknown key in alphabetical order.
func ValidateAnswers(fields []Field, answers json.RawMessage, final bool) error {
	trimmed := bytes.TrimSpace(answers)
	var values map[string]json.RawMessage
	if len(trimmed) == 0 || trimmed[0] != '{' || json.Unmarshal(trimmed, &values) != nil {
		return fault.InvalidField("answers", "must be a JSON object keyed by field")
	}
	known := make(map[string]bool, len(fields))
	for _, f := range fields {
		known[f.Key] = true
		raw, present := values[f.Key]
		if present && string(bytes.TrimSpace(raw)) == "null" {
			present = false
		}
		empty := !present
		if present {
			var err error
			empty, err = checkAnswer(f, raw, final)
			if err != nil {
				return &fault.Error{Code: fault.Invalid, Field: f.Key, Message: answerMessage(f.Label, err.Error())}
			}
		}
		if final && f.Required && empty {
			return &fault.Error{Code: fault.Invalid, Field: f.Key, Message: "Answer “" + f.Label + "” before handing this in."}
		}
	}
	var unknown []string
	for key := range values {
		if !known[key] {
			unknown = append(unknown, key)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return fault.InvalidField(unknown[0], "is not a field of this exercise")
	}
	return nil
}

// checkAnswer checks one present answer against its field and reports whether it is empty.
func checkAnswer(f Field, raw json.RawMessage, final bool) (empty bool, err error) {
	switch f.Kind {
	case KindLongText, KindShortText:
		var text string
		if json.Unmarshal(raw, &text) != nil {
			return false, fmt.Errorf("must be text")
		}
		if limit := textLimit(f); utf8.RuneCountInString(text) > limit {
			return false, fmt.Errorf("must be at most %d characters", limit)
		}
		return strings.TrimSpace(text) == "", nil

	case KindScale:
		trimmed := bytes.TrimSpace(raw)
		var number json.Number
		if len(trimmed) == 0 || trimmed[0] == '"' || json.Unmarshal(trimmed, &number) != nil {
			return false, fmt.Errorf("must be a number")
		}
		low, high := scaleBounds(f)
		value, convErr := number.Int64()
		if convErr != nil || value < int64(low) || value > int64(high) {
			return false, fmt.Errorf("must be a whole number from %d to %d", low, high)
		}
		return false, nil

	case KindChecklist:
		var chosen []string
		if json.Unmarshal(raw, &chosen) != nil {
			return false, fmt.Errorf("must be a list of options")
		}
		seen := make(map[string]bool, len(chosen))
		for _, option := range chosen {
			if !slices.Contains(f.Options, option) {
				return false, fmt.Errorf("%q is not one of the options", option)
			}
			if seen[option] {
				return false, fmt.Errorf("%q is chosen more than once", option)
			}
			seen[option] = true
		}
		return len(chosen) == 0, nil

	case KindList:
		var items []string
		if json.Unmarshal(raw, &items) != nil {
			return false, fmt.Errorf("must be a list of text items")
		}
		for i, item := range items {
			if strings.TrimSpace(item) == "" {
				return false, fmt.Errorf("item %d is empty", i+1)
			}
			if utf8.RuneCountInString(item) > maxListItemLength {
				return false, fmt.Errorf("item %d must be at most %d characters", i+1, maxListItemLength)
			}
		}
		low, high := listBounds(f)
		if len(items) > high {
			return false, fmt.Errorf("must have at most %d items", high)
		}
		// A draft may still be growing towards the minimum.
		if final && len(items) > 0 && len(items) < low {
			return false, fmt.Errorf("must have at least %d items", low)
		}
		return len(items) == 0, nil
	}
	return false, fmt.Errorf("has an unknown kind %q", f.Kind)
}
