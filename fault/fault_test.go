package fault

import (
	"errors"
	"fmt"
	"testing"
)

func TestRefusalsReadAsSentencesAndKeepTheirField(t *testing.T) {
	tests := []struct {
		name                string
		err                 error
		wantCode, wantField string
		wantMessage         string
	}{
		{"a field and its reason", InvalidField("due_on", "is required"), Invalid, "due_on", "Due on is required."},
		{"a field deep in the input", InvalidField("sections.assessment", "must be written"), Invalid, "sections.assessment", "Assessment must be written."},
		{"a reason with no field", InvalidField("", "is not acceptable"), Invalid, "", "Please check this field: is not acceptable."},
		{"a conflict naming a field", ConflictField("email", "this email has an account already"), Conflict, "email", "This email has an account already."},
		{"a conflict of state", ConflictBecause("this request is declined already"), Conflict, "", "This request is declined already."},
		{"an answer placed under answers", Under("answers", InvalidField("q1", "is required")), Invalid, "answers.q1", "Q1 is required."},
		{"answers themselves stay put", Under("answers", InvalidField("answers", "must be a JSON object")), Invalid, "answers", "Answers must be a JSON object."},
		{"a wrapped refusal", fmt.Errorf("saving: %w", ErrNotFound), NotFound, "", "We could not find that."},
		{"an unexpected error says nothing of itself", errors.New("pq: relation users is broken"), Internal, "", InternalMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ErrorCode(tt.err); got != tt.wantCode {
				t.Errorf("code %q, want %q", got, tt.wantCode)
			}
			if got := ErrorMessage(tt.err); got != tt.wantMessage {
				t.Errorf("message %q, want %q", got, tt.wantMessage)
			}
			if e, ok := errors.AsType[*Error](tt.err); ok && e.Field != tt.wantField {
				t.Errorf("field %q, want %q", e.Field, tt.wantField)
			}
		})
	}
	if ErrorCode(nil) != "" || ErrorMessage(nil) != "" {
		t.Error("no error has a code or a message")
	}
	if Under("answers", nil) != nil {
		t.Error("Under(nil) is not nil")
	}
}
