package library

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestBuiltInFormsAreValidAndTheIntakeScreensForSafety(t *testing.T) {
	t.Parallel()
	want := map[string]bool{"couples_consent": true, "telehealth_consent": true, "release_of_information": true, "partner_intake": false}
	forms := Forms()
	if len(forms) != len(want) {
		t.Fatalf("%d built-in forms, want %d", len(forms), len(want))
	}
	for _, f := range forms {
		signature, known := want[f.Key]
		if !known || f.Signature != signature || f.Version != 1 || f.Title == "" || f.Body == "" {
			t.Errorf("built-in form %q: signature %v, version %d", f.Key, f.Signature, f.Version)
		}
		if err := ValidateFormFields(f.Fields); err != nil {
			t.Errorf("built-in form %q: %v", f.Key, err)
		}
	}
	consent, _ := FormByKey("couples_consent")
	if !strings.Contains(strings.ToLower(consent.Body), "secret") {
		t.Error("the couples consent does not state the policy on secrets one partner shares")
	}
	intake, _ := FormByKey("partner_intake")
	flagging := 0
	for _, f := range intake.Fields {
		if f.Screening && len(f.FlagOptions) > 0 {
			flagging++
		}
	}
	if flagging < 2 {
		t.Errorf("the intake has %d flagging safety questions, want at least 2", flagging)
	}
}

func TestScreeningAnswersFlagAndStayOutOfTheOtherPartnersView(t *testing.T) {
	t.Parallel()
	fields := []FormField{
		{Field: Field{Key: "hopes", Kind: KindLongText, Label: "Hopes"}},
		{Field: Field{Key: "safe", Kind: KindChecklist, Label: "Safe?", Options: []string{"Yes", "No"}}, Screening: true, FlagOptions: []string{"No"}},
		{Field: Field{Key: "contact", Kind: KindShortText, Label: "Contact"}, Screening: true},
	}
	for _, tc := range []struct {
		name    string
		answers string
		flagged bool
	}{
		{"a flagging option", `{"hopes":"x","safe":["No"],"contact":"c"}`, true},
		{"a safe option", `{"hopes":"x","safe":["Yes"]}`, false},
		{"no screening answer", `{"hopes":"x"}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := SafetyFlagged(fields, json.RawMessage(tc.answers)); got != tc.flagged {
				t.Errorf("flagged %v, want %v", got, tc.flagged)
			}
			var kept map[string]any
			if err := json.Unmarshal(WithoutScreening(fields, json.RawMessage(tc.answers)), &kept); err != nil {
				t.Fatal(err)
			}
			if _, ok := kept["safe"]; ok || kept["contact"] != nil || kept["hopes"] != "x" {
				t.Errorf("without screening: %v", kept)
			}
		})
	}
}

func TestRenderSignedHoldsTheTextTheAnswersAndTheSignature(t *testing.T) {
	t.Parallel()
	fields := []FormField{
		{Field: Field{Key: "who", Kind: KindShortText, Label: "Who receives it"}},
		{Field: Field{Key: "what", Kind: KindChecklist, Label: "What", Options: []string{"Dates", "Summaries"}}},
		{Field: Field{Key: "left", Kind: KindLongText, Label: "Left empty"}},
	}
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	text := RenderSigned("Release", "The terms.", fields, json.RawMessage(`{"who":"Dr Lee","what":["Dates","Summaries"]}`),
		Signature{Name: "Ada", At: at, Address: "192.0.2.1"})
	want := "Release\n\nThe terms.\n\nWho receives it\nDr Lee\n\nWhat\nDates\nSummaries\n\nLeft empty\n(no answer)\n\n" +
		"Signed by Ada on 4 March 2026 at 05:06:07 UTC from 192.0.2.1.\n"
	if text != want {
		t.Errorf("rendered\n%q\nwant\n%q", text, want)
	}
}
