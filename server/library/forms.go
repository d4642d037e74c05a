package library

import (
	"cmp"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/amendcare/amend/fault"
)

// FormField is one question of a form: an exercise field, optionally marked as a safety-screening
// question whose answer only the care team reads.
type FormField struct {
	Field
	// Screening marks a question about safety at home: its answer is read by the author and the
	// care team only, whatever the form's visibility.
	Screening bool `json:"screening,omitempty"`
	// FlagOptions are the options of a screening checklist that, when chosen, put a safety notice
	// before the therapist.
	FlagOptions []string `json:"flag_options,omitempty"`
}

// FormTemplate is a form a care team sends to partners: its text, its questions, and whether the
// partner signs it (a consent) or only hands it in.
type FormTemplate struct {
	Key       string      `json:"key,omitempty"`
	Version   int         `json:"version"`
	Title     string      `json:"title"`
	Body      string      `json:"body"`
	Signature bool        `json:"signature"`
	Fields    []FormField `json:"fields"`
}

//go:embed forms.json
var formsJSON []byte

var parsedForms = sync.OnceValue(func() []FormTemplate {
	var forms []FormTemplate
	if err := json.Unmarshal(formsJSON, &forms); err != nil {
		panic(fmt.Sprintf("library: embedded forms.json is malformed: %v", err))
	}
	return forms
})

// Forms returns the built-in forms. The result is a copy the caller may change freely.
func Forms() []FormTemplate {
	forms := parsedForms()
	out := make([]FormTemplate, len(forms))
	for i, f := range forms {
		out[i] = f
		out[i].Fields = cloneFormFields(f.Fields)
	}
	return out
}

// FormByKey returns the built-in form with the key.
func FormByKey(key string) (FormTemplate, bool) {
	for _, f := range Forms() {
		if f.Key == key {
			return f, true
		}
	}
	return FormTemplate{}, false
}

func cloneFormFields(fields []FormField) []FormField {
	base := cloneFields(BaseFields(fields))
	out := make([]FormField, len(fields))
	for i, f := range fields {
		out[i] = FormField{Field: base[i], Screening: f.Screening, FlagOptions: slices.Clone(f.FlagOptions)}
	}
	return out
}

// BaseFields are the form's questions as exercise fields, for the checks both share.
func BaseFields(fields []FormField) []Field {
	out := make([]Field, len(fields))
	for i, f := range fields {
		out[i] = f.Field
	}
	return out
}

// ValidateFormFields checks a form's questions: the rules of exercise fields, and flag options
// only on screening checklists, each one of the checklist's own options.
func ValidateFormFields(fields []FormField) error {
	if err := ValidateFields(BaseFields(fields)); err != nil {
		return err
	}
	for i, f := range fields {
		invalid := func(attr, reason string) error {
			return fault.InvalidField(fmt.Sprintf("fields[%d].%s", i, attr), reason)
		}
		if f.FlagOptions != nil && (!f.Screening || f.Kind != KindChecklist) {
			return invalid("flag_options", "only screening checklists take flag_options")
		}
		for _, option := range f.FlagOptions {
			if !slices.Contains(f.Options, option) {
				return invalid("flag_options", fmt.Sprintf("%q is not one of the options", option))
			}
		}
	}
	return nil
}

// formAnswers reads a validated form's answers by field key.
func formAnswers(answers json.RawMessage) map[string]json.RawMessage {
	values := map[string]json.RawMessage{}
	_ = json.Unmarshal(answers, &values)
	return values
}

// SafetyFlagged reports whether validated answers choose a flagging option of a screening question.
func SafetyFlagged(fields []FormField, answers json.RawMessage) bool {
	values := formAnswers(answers)
	for _, f := range fields {
		var chosen []string
		if !f.Screening || json.Unmarshal(values[f.Key], &chosen) != nil {
			continue
		}
		for _, option := range chosen {
			if slices.Contains(f.FlagOptions, option) {
				return true
			}
		}
	}
	return false
}

// WithoutScreening returns validated answers with the screening questions' answers left out, for
// a reader who may not read them.
func WithoutScreening(fields []FormField, answers json.RawMessage) json.RawMessage {
	values := formAnswers(answers)
	for _, f := range fields {
		if f.Screening {
			delete(values, f.Key)
		}
	}
	out, err := json.Marshal(values)
	if err != nil {
		return json.RawMessage(`{}`)
	}
	return out
}

// Signature is who signed a form, when and from which address.
type Signature struct {
	Name    string
	At      time.Time
	Address string
}

// RenderSigned writes a signed form as plain text: its title and text, each question with its
// answer, and the signature. The text is what a signature freezes and its SHA-256 covers.
func RenderSigned(title, body string, fields []FormField, answers json.RawMessage, sig Signature) string {
	values := formAnswers(answers)
	var b strings.Builder
	b.WriteString(title + "\n\n")
	if body = strings.TrimSpace(body); body != "" {
		b.WriteString(body + "\n\n")
	}
	for _, f := range fields {
		b.WriteString(f.Label + "\n")
		b.WriteString(answerText(values[f.Key]) + "\n\n")
	}
	fmt.Fprintf(&b, "Signed by %s on %s from %s.\n", sig.Name, sig.At.UTC().Format("2 January 2006 at 15:04:05 UTC"), sig.Address)
	return b.String()
}

// answerText writes one answer for reading: text as written, a number, or a list one item a line.
func answerText(raw json.RawMessage) string {
	var text string
	if json.Unmarshal(raw, &text) == nil {
		return cmp.Or(strings.TrimSpace(text), "(no answer)")
	}
	var items []string
	if json.Unmarshal(raw, &items) == nil {
		return cmp.Or(strings.Join(items, "\n"), "(none)")
	}
	var number json.Number
	if json.Unmarshal(raw, &number) == nil {
		return number.String()
	}
	return "(no answer)"
}
