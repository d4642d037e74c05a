package library

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/amendcare/amend/fault"
)

func intPtr(v int) *int { return &v }

// wantFieldError fails unless err is an invalid *fault.Error naming field, with a sentence for a
// person.
func wantFieldError(t *testing.T, err error, field string) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Fatalf("want no error, got %v", err)
		}
		return
	}
	fe, ok := errors.AsType[*fault.Error](err)
	if !ok || fe.Code != fault.Invalid {
		t.Fatalf("want an invalid *fault.Error naming %q, got %v", field, err)
	}
	if fe.Field != field {
		t.Fatalf("want the error to name %q, got %q (%v)", field, fe.Field, err)
	}
	if !strings.HasSuffix(fe.Message, ".") || strings.HasPrefix(fe.Message, strings.ToLower(fe.Message[:1])) {
		t.Fatalf("message %q is not a sentence", fe.Message)
	}
}

func TestStepsAreTheElevenRepairStepsInOrder(t *testing.T) {
	steps := Steps()
	wantKeys := []string{
		"apology", "apology_plan", "being_specific", "counseling", "considering_reasons",
		"open_communication", "forgiveness", "commitment", "accepting_repair", "not_rushing",
		"following_through",
	}
	if len(steps) != len(wantKeys) {
		t.Fatalf("want %d steps, got %d", len(wantKeys), len(steps))
	}
	whoSeen := map[string]bool{}
	for i, step := range steps {
		if step.Step != i+1 {
			t.Errorf("step %q is numbered %d, want %d", step.Key, step.Step, i+1)
		}
		if step.Key != wantKeys[i] {
			t.Errorf("step %d has key %q, want %q", i+1, step.Key, wantKeys[i])
		}
		if strings.TrimSpace(step.Title) == "" || strings.TrimSpace(step.Summary) == "" {
			t.Errorf("step %q needs a title and a summary", step.Key)
		}
		switch step.Who {
		case WhoOffender, WhoHurt, WhoBothTogether, WhoEachSeparately:
			whoSeen[step.Who] = true
		default:
			t.Errorf("step %q has unknown who %q", step.Key, step.Who)
		}
		switch step.DefaultVisibility {
		case VisibilityPrivate, VisibilityTherapist, VisibilityPartner:
		default:
			t.Errorf("step %q has unknown default visibility %q", step.Key, step.DefaultVisibility)
		}
		if n := len(step.Fields); n < 2 || n > 6 {
			t.Errorf("step %q has %d fields, want 2 to 6", step.Key, n)
		}
		if err := ValidateFields(step.Fields); err != nil {
			t.Errorf("step %q fields do not validate: %v", step.Key, err)
		}
		kinds := map[string]bool{}
		required := 0
		for _, f := range step.Fields {
			kinds[f.Kind] = true
			if f.Required {
				required++
			}
		}
		if len(kinds) < 2 {
			t.Errorf("step %q uses only one kind of field", step.Key)
		}
		if required == 0 {
			t.Errorf("step %q has no required field, so an empty answer could be submitted", step.Key)
		}
	}
	if len(whoSeen) < 3 {
		t.Errorf("steps should be done by different people, saw only %v", whoSeen)
	}
}

func TestStepKeysAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, step := range Steps() {
		if seen[step.Key] {
			t.Errorf("step key %q is used twice", step.Key)
		}
		seen[step.Key] = true
	}
}

func TestStepsReturnsACopyCallersCanChange(t *testing.T) {
	first := Steps()
	first[0].Title = "changed"
	first[0].Fields[0].Label = "changed"
	for i := range first {
		for j := range first[i].Fields {
			if first[i].Fields[j].Max != nil {
				*first[i].Fields[j].Max = -1
			}
			if len(first[i].Fields[j].Options) > 0 {
				first[i].Fields[j].Options[0] = "changed"
			}
		}
	}
	for _, step := range Steps() {
		if step.Title == "changed" {
			t.Fatalf("changing one copy changed the library's title of %q", step.Key)
		}
		if err := ValidateFields(step.Fields); err != nil {
			t.Fatalf("changing one copy broke the library's fields of %q: %v", step.Key, err)
		}
		for _, f := range step.Fields {
			if f.Label == "changed" || slices.Contains(f.Options, "changed") {
				t.Fatalf("changing one copy changed field %q of %q", f.Key, step.Key)
			}
		}
	}
}

func TestStepsRoundTripAsJSON(t *testing.T) {
	encoded, err := json.Marshal(Steps())
	if err != nil {
		t.Fatal(err)
	}
	var decoded []Exercise
	if err := json.Unmarshal(encoded, &decoded); err != nil {
		t.Fatal(err)
	}
	if len(decoded) != 11 || decoded[0].DefaultVisibility == "" || decoded[0].Fields[0].Key == "" {
		t.Fatalf("steps lost data through JSON: %+v", decoded[0])
	}
	text := string(encoded)
	if !strings.Contains(text, `"default_visibility":"therapist"`) || !strings.Contains(text, `"max":10`) {
		t.Fatalf("steps JSON lacks the documented field names: %.300s", text)
	}
	if strings.Contains(text, `"max_length":0`) || strings.Contains(text, `"options":null`) {
		t.Fatalf("steps JSON carries unset settings: %.300s", text)
	}
}

func TestValidateFieldsRejectsBadDefinitions(t *testing.T) {
	text := func(key string) Field { return Field{Key: key, Kind: KindLongText, Label: "Write"} }
	many := make([]Field, 31)
	for i := range many {
		many[i] = text("field_" + string(rune('a'+i%26)) + strings.Repeat("x", i/26))
	}
	tests := []struct {
		name   string
		fields []Field
		want   string
	}{
		{"valid mix", []Field{
			text("story"),
			{Key: "mood", Kind: KindScale, Label: "Mood", Min: intPtr(1), Max: intPtr(5)},
			{Key: "picks", Kind: KindChecklist, Label: "Pick", Options: []string{"a", "b"}},
			{Key: "items", Kind: KindList, Label: "Items", Min: intPtr(1), Max: intPtr(3)},
			{Key: "title", Kind: KindShortText, Label: "Title", MaxLength: 80},
		}, ""},
		{"no fields", nil, "fields"},
		{"too many fields", many, "fields"},
		{"key with capitals", []Field{text("Story")}, "fields[0].key"},
		{"key with dash", []Field{text("my-story")}, "fields[0].key"},
		{"key with double underscore", []Field{text("my__story")}, "fields[0].key"},
		{"key starting with a digit", []Field{text("1story")}, "fields[0].key"},
		{"empty key", []Field{text("")}, "fields[0].key"},
		{"duplicate key", []Field{text("story"), text("story")}, "fields[1].key"},
		{"unknown kind", []Field{{Key: "story", Kind: "essay", Label: "Write"}}, "fields[0].kind"},
		{"blank label", []Field{{Key: "story", Kind: KindLongText, Label: "  "}}, "fields[0].label"},
		{"scale min equals max", []Field{{Key: "mood", Kind: KindScale, Label: "Mood", Min: intPtr(5), Max: intPtr(5)}}, "fields[0].max"},
		{"scale max below default min", []Field{{Key: "mood", Kind: KindScale, Label: "Mood", Max: intPtr(-3)}}, "fields[0].max"},
		{"scale far out of range", []Field{{Key: "mood", Kind: KindScale, Label: "Mood", Max: intPtr(1000)}}, "fields[0].min"},
		{"checklist without options", []Field{{Key: "picks", Kind: KindChecklist, Label: "Pick"}}, "fields[0].options"},
		{"checklist with one option", []Field{{Key: "picks", Kind: KindChecklist, Label: "Pick", Options: []string{"a"}}}, "fields[0].options"},
		{"checklist with duplicate options", []Field{{Key: "picks", Kind: KindChecklist, Label: "Pick", Options: []string{"a", "a"}}}, "fields[0].options"},
		{"checklist with blank option", []Field{{Key: "picks", Kind: KindChecklist, Label: "Pick", Options: []string{"a", " "}}}, "fields[0].options"},
		{"options on a text field", []Field{{Key: "story", Kind: KindLongText, Label: "Write", Options: []string{"a", "b"}}}, "fields[0].options"},
		{"bounds on a checklist", []Field{{Key: "picks", Kind: KindChecklist, Label: "Pick", Options: []string{"a", "b"}, Max: intPtr(1)}}, "fields[0].min"},
		{"max length on a scale", []Field{{Key: "mood", Kind: KindScale, Label: "Mood", MaxLength: 10}}, "fields[0].max_length"},
		{"negative max length", []Field{{Key: "story", Kind: KindLongText, Label: "Write", MaxLength: -1}}, "fields[0].max_length"},
		{"huge max length", []Field{{Key: "story", Kind: KindLongText, Label: "Write", MaxLength: 20001}}, "fields[0].max_length"},
		{"list min above max", []Field{{Key: "items", Kind: KindList, Label: "Items", Min: intPtr(4), Max: intPtr(3)}}, "fields[0].min"},
		{"list negative min", []Field{{Key: "items", Kind: KindList, Label: "Items", Min: intPtr(-1)}}, "fields[0].min"},
		{"list max zero", []Field{{Key: "items", Kind: KindList, Label: "Items", Max: intPtr(0)}}, "fields[0].max"},
		{"second field is the bad one", []Field{text("story"), {Key: "mood", Kind: KindScale}}, "fields[1].label"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantFieldError(t, ValidateFields(tt.fields), tt.want)
		})
	}
}

func TestValidateAnswers(t *testing.T) {
	fields := []Field{
		{Key: "story", Kind: KindLongText, Label: "Story", Required: true},
		{Key: "title", Kind: KindShortText, Label: "Title"},
		{Key: "note", Kind: KindShortText, Label: "Note", MaxLength: 5},
		{Key: "mood", Kind: KindScale, Label: "Mood", Required: true},
		{Key: "stars", Kind: KindScale, Label: "Stars", Min: intPtr(1), Max: intPtr(5)},
		{Key: "picks", Kind: KindChecklist, Label: "Picks", Options: []string{"walk", "talk", "write"}, Required: true},
		{Key: "steps", Kind: KindList, Label: "Steps", Required: true, Min: intPtr(2), Max: intPtr(3)},
		{Key: "extras", Kind: KindList, Label: "Extras"},
	}
	complete := `"story":"It happened.","mood":4,"picks":["walk"],"steps":["one","two"]`
	tests := []struct {
		name    string
		answers string
		final   bool
		want    string
	}{
		{"complete final answer", `{` + complete + `}`, true, ""},
		{"complete with every optional field", `{` + complete + `,"title":"Mine","note":"short","stars":5,"extras":["x"]}`, true, ""},
		{"empty draft", `{}`, false, ""},
		{"partial draft with empty required text", `{"story":"","picks":[],"steps":["one"]}`, false, ""},
		{"draft with nulls", `{"story":null,"mood":null}`, false, ""},

		{"body is an array", `[]`, false, "answers"},
		{"body is null", `null`, false, "answers"},
		{"body is a string", `"story"`, false, "answers"},
		{"body is empty", ``, false, "answers"},
		{"body is broken JSON", `{"story":`, false, "answers"},

		{"unknown key in a draft", `{"stroy":"typo"}`, false, "stroy"},
		{"unknown keys reported alphabetically", `{` + complete + `,"zeta":1,"alpha":1}`, true, "alpha"},

		{"long text must be a string", `{"story":42}`, false, "story"},
		{"long text over the default limit", `{"story":"` + strings.Repeat("a", 20001) + `"}`, false, "story"},
		{"long text at the default limit", `{"story":"` + strings.Repeat("é", 20000) + `"}`, false, ""},
		{"required long text missing in final", `{"mood":4,"picks":["walk"],"steps":["one","two"]}`, true, "story"},
		{"required long text blank in final", `{"story":"   ","mood":4,"picks":["walk"],"steps":["one","two"]}`, true, "story"},
		{"required long text null in final", `{"story":null,"mood":4,"picks":["walk"],"steps":["one","two"]}`, true, "story"},

		{"short text over the default limit", `{"title":"` + strings.Repeat("a", 201) + `"}`, false, "title"},
		{"short text at the default limit", `{"title":"` + strings.Repeat("a", 200) + `"}`, false, ""},
		{"short text over its own max length", `{"note":"sixchr"}`, false, "note"},
		{"short text must be a string", `{"title":["a"]}`, false, "title"},

		{"scale must be a number", `{"mood":"4"}`, false, "mood"},
		{"scale must be whole", `{"mood":4.5}`, false, "mood"},
		{"scale above the default max", `{"mood":11}`, false, "mood"},
		{"scale below the default min", `{"mood":-1}`, false, "mood"},
		{"scale at the default bounds", `{"mood":0,"stars":1}`, false, ""},
		{"scale above its own max", `{"stars":6}`, false, "stars"},
		{"scale below its own min", `{"stars":0}`, false, "stars"},
		{"required scale missing in final", `{"story":"x","picks":["walk"],"steps":["one","two"]}`, true, "mood"},
		{"scale of zero counts as answered", `{"story":"x","mood":0,"picks":["walk"],"steps":["one","two"]}`, true, ""},

		{"checklist must be an array", `{"picks":"walk"}`, false, "picks"},
		{"checklist option not offered", `{"picks":["run"]}`, false, "picks"},
		{"checklist option chosen twice", `{"picks":["walk","walk"]}`, false, "picks"},
		{"checklist of numbers", `{"picks":[1]}`, false, "picks"},
		{"required checklist empty in final", `{"story":"x","mood":1,"picks":[],"steps":["one","two"]}`, true, "picks"},

		{"list must be an array", `{"steps":"one"}`, false, "steps"},
		{"list item empty", `{"steps":["one",""]}`, false, "steps"},
		{"list item blank", `{"extras":["  "]}`, false, "extras"},
		{"list item null", `{"extras":[null]}`, false, "extras"},
		{"list item too long", `{"extras":["` + strings.Repeat("a", 501) + `"]}`, false, "extras"},
		{"list over its own max", `{"steps":["a","b","c","d"]}`, false, "steps"},
		{"list over the default max", `{"extras":[` + strings.TrimSuffix(strings.Repeat(`"a",`, 51), ",") + `]}`, false, "extras"},
		{"list at the default max", `{"extras":[` + strings.TrimSuffix(strings.Repeat(`"a",`, 50), ",") + `]}`, false, ""},
		{"list under its min is fine in a draft", `{"steps":["a"]}`, false, ""},
		{"list under its min in final", `{"story":"x","mood":1,"picks":["walk"],"steps":["a"]}`, true, "steps"},
		{"required list empty in final", `{"story":"x","mood":1,"picks":["walk"],"steps":[]}`, true, "steps"},

		{"first failing field in field order wins", `{"steps":"bad","mood":"bad","story":1}`, false, "story"},
		{"a missing field earlier in order is reported first", `{"mood":"bad"}`, true, "story"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantFieldError(t, ValidateAnswers(fields, json.RawMessage(tt.answers), tt.final), tt.want)
		})
	}
}

func TestApologyStepNeedsItsRequiredFieldsOnlyWhenSubmitted(t *testing.T) {
	apology := Steps()[0]
	draft := json.RawMessage(`{"apology":"I am sorry."}`)
	if err := ValidateAnswers(apology.Fields, draft, false); err != nil {
		t.Fatalf("a draft apology should save: %v", err)
	}
	wantFieldError(t, ValidateAnswers(apology.Fields, draft, true), "what_happened")

	answers := map[string]any{}
	for _, f := range apology.Fields {
		if f.Required {
			answers[f.Key] = "Written with care."
		}
	}
	answers["read_back"] = []string{apology.Fields[4].Options[0]}
	body, err := json.Marshal(answers)
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidateAnswers(apology.Fields, body, true); err != nil {
		t.Fatalf("a complete apology should submit: %v", err)
	}
}

func TestCSI4Score(t *testing.T) {
	csi, ok := MeasureByKey("csi4")
	if !ok {
		t.Fatal("csi4 is not in the library")
	}
	tests := []struct {
		name    string
		answers map[string]int
		want    int
		wantErr string
	}{
		{"lowest answers", map[string]int{"happiness": 0, "warm_comfortable": 0, "rewarding": 0, "satisfied": 0}, 0, ""},
		{"highest answers", map[string]int{"happiness": 6, "warm_comfortable": 5, "rewarding": 5, "satisfied": 5}, 21, ""},
		{"mixed answers", map[string]int{"happiness": 3, "warm_comfortable": 4, "rewarding": 2, "satisfied": 3}, 12, ""},
		{"missing item", map[string]int{"happiness": 3, "rewarding": 2, "satisfied": 3}, 0, "warm_comfortable"},
		{"empty answers", map[string]int{}, 0, "happiness"},
		{"happiness above its range", map[string]int{"happiness": 7, "warm_comfortable": 4, "rewarding": 2, "satisfied": 3}, 0, "happiness"},
		{"five-point item cannot take six", map[string]int{"happiness": 6, "warm_comfortable": 6, "rewarding": 2, "satisfied": 3}, 0, "warm_comfortable"},
		{"negative answer", map[string]int{"happiness": 3, "warm_comfortable": 4, "rewarding": -1, "satisfied": 3}, 0, "rewarding"},
		{"unknown item", map[string]int{"happiness": 3, "warm_comfortable": 4, "rewarding": 2, "satisfied": 3, "trust": 4}, 0, "trust"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := csi.Score(tt.answers)
			wantFieldError(t, err, tt.wantErr)
			if got != tt.want {
				t.Fatalf("score = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestCSI4CutoffAndShape(t *testing.T) {
	csi, ok := MeasureByKey("csi4")
	if !ok {
		t.Fatal("csi4 is not in the library")
	}
	if csi.Cutoff != 13.5 || csi.MaxScore != 21 {
		t.Fatalf("cut-off %v and max score %d, want 13.5 and 21", csi.Cutoff, csi.MaxScore)
	}
	if !csi.BelowCutoff(13) || csi.BelowCutoff(14) || csi.BelowCutoff(21) || !csi.BelowCutoff(0) {
		t.Fatal("scores of 13 and below should fall below the cut-off, 14 and above should not")
	}
	if csi.Citation == "" || csi.Instructions == "" || csi.CutoffMeaning == "" {
		t.Fatal("the measure needs a citation, instructions and a meaning for its cut-off")
	}
	sumOfMax := 0
	for _, item := range csi.Items {
		sumOfMax += item.Max
		if len(item.Anchors) != item.Max-item.Min+1 {
			t.Errorf("item %q has %d anchors for %d values", item.Key, len(item.Anchors), item.Max-item.Min+1)
		}
	}
	if len(csi.Items) != 4 || sumOfMax != csi.MaxScore {
		t.Fatalf("want 4 items summing to %d, got %d items summing to %d", csi.MaxScore, len(csi.Items), sumOfMax)
	}
	if csi.Items[0].Anchors[0] != "Extremely Unhappy" || csi.Items[0].Anchors[6] != "Perfect" {
		t.Fatalf("happiness anchors are not the published ones: %v", csi.Items[0].Anchors)
	}
	if _, ok := MeasureByKey("bdi2"); ok {
		t.Fatal("an unknown measure key should not be found")
	}
}

func TestMeasuresReturnsACopyCallersCanChange(t *testing.T) {
	first := Measures()
	first[0].Items[1].Anchors[0] = "changed"
	first[0].Items[0].Max = 100
	csi, _ := MeasureByKey("csi4")
	if csi.Items[1].Anchors[0] == "changed" || csi.Items[0].Max != 6 {
		t.Fatal("changing one copy of the measures changed the library")
	}
	if csi.Items[2].Anchors[0] == "changed" {
		t.Fatal("items share their anchor lists")
	}
}

func TestFeelingWords(t *testing.T) {
	words := FeelingWords()
	if len(words) < 20 || len(words) > 30 {
		t.Fatalf("want about 24 feeling words, got %d", len(words))
	}
	seen := map[string]bool{}
	for _, w := range words {
		if w != strings.ToLower(strings.TrimSpace(w)) || w == "" {
			t.Errorf("feeling word %q should be plain lower-case", w)
		}
		if seen[w] {
			t.Errorf("feeling word %q appears twice", w)
		}
		seen[w] = true
		if !IsFeelingWord(w) {
			t.Errorf("IsFeelingWord(%q) = false", w)
		}
	}
	for _, w := range []string{"hopeful", "calm", "hurt", "anxious"} {
		if !seen[w] {
			t.Errorf("feeling words should include %q", w)
		}
	}
	for _, w := range []string{"", "Hopeful", "ecstatic", " calm"} {
		if IsFeelingWord(w) {
			t.Errorf("IsFeelingWord(%q) = true, want false", w)
		}
	}
	words[0] = "changed"
	if FeelingWords()[0] == "changed" {
		t.Fatal("changing the returned words changed the library")
	}
}

func TestConcerns(t *testing.T) {
	want := []string{
		"infidelity", "broken_promises", "going_back_on_word", "absent_when_needed",
		"hiding_information", "lying", "manipulation", "emotional_withholding",
		"withholding_affection", "not_taking_responsibility", "addictive_behaviour",
		"criticism_behind_back", "other",
	}
	if got := Concerns(); !slices.Equal(got, want) {
		t.Fatalf("Concerns() = %v, want %v", got, want)
	}
	labels := map[string]bool{}
	for _, key := range want {
		label := ConcernLabel(key)
		if label == "" || label == key {
			t.Errorf("concern %q needs a human label, got %q", key, label)
		}
		if labels[label] {
			t.Errorf("label %q is used twice", label)
		}
		labels[label] = true
		if !IsConcern(key) {
			t.Errorf("IsConcern(%q) = false", key)
		}
	}
	for _, key := range []string{"", "Infidelity", "cheating"} {
		if IsConcern(key) || ConcernLabel(key) != "" {
			t.Errorf("%q should not be a concern", key)
		}
	}
}

// frequencyAnswers answers every item of m: the first len(values) items with values in order,
// the rest with zero.
func frequencyAnswers(m Measure, values ...int) map[string]int {
	answers := map[string]int{}
	for i, item := range m.Items {
		answers[item.Key] = 0
		if i < len(values) {
			answers[item.Key] = values[i]
		}
	}
	return answers
}

// TestPHQ9AndGAD7ScoreAndBandAsPublished checks the published scoring (the sum of items, each
// 0 to 3) and severity bands (PHQ-9: 0-4 minimal, 5-9 mild, 10-14 moderate, 15-19 moderately
// severe, 20-27 severe; GAD-7: 0-4, 5-9, 10-14, 15-21) at every band edge, and that only a PHQ-9
// answer above zero on item 9 raises the safety flag.
func TestPHQ9AndGAD7ScoreAndBandAsPublished(t *testing.T) {
	phq9, _ := MeasureByKey("phq9")
	gad7, _ := MeasureByKey("gad7")
	tests := []struct {
		name    string
		measure Measure
		values  []int
		score   int
		band    string
		flagged bool
	}{
		{"PHQ-9 nothing at all", phq9, nil, 0, "Minimal", false},
		{"PHQ-9 top of minimal", phq9, []int{1, 1, 1, 1}, 4, "Minimal", false},
		{"PHQ-9 bottom of mild", phq9, []int{1, 1, 1, 1, 1}, 5, "Mild", false},
		{"PHQ-9 top of mild", phq9, []int{1, 2, 2, 2, 2}, 9, "Mild", false},
		// The manual's worked example: three items on several days, two on more than half the
		// days and one nearly every day make 10, moderate.
		{"PHQ-9 manual example", phq9, []int{1, 1, 1, 2, 2, 3}, 10, "Moderate", false},
		{"PHQ-9 top of moderate", phq9, []int{2, 2, 2, 2, 2, 2, 2}, 14, "Moderate", false},
		{"PHQ-9 bottom of moderately severe", phq9, []int{3, 2, 2, 2, 2, 2, 2}, 15, "Moderately severe", false},
		{"PHQ-9 top of moderately severe", phq9, []int{3, 3, 3, 3, 3, 2, 2}, 19, "Moderately severe", false},
		{"PHQ-9 bottom of severe", phq9, []int{3, 3, 3, 3, 3, 3, 2}, 20, "Severe", false},
		{"PHQ-9 every item nearly every day", phq9, []int{3, 3, 3, 3, 3, 3, 3, 3, 3}, 27, "Severe", true},
		{"PHQ-9 item 9 alone flags", phq9, []int{0, 0, 0, 0, 0, 0, 0, 0, 1}, 1, "Minimal", true},
		{"GAD-7 nothing at all", gad7, nil, 0, "Minimal", false},
		{"GAD-7 top of minimal", gad7, []int{1, 1, 1, 1}, 4, "Minimal", false},
		{"GAD-7 bottom of mild", gad7, []int{1, 1, 1, 1, 1}, 5, "Mild", false},
		{"GAD-7 top of mild", gad7, []int{2, 2, 2, 2, 1}, 9, "Mild", false},
		{"GAD-7 bottom of moderate", gad7, []int{2, 2, 2, 2, 2}, 10, "Moderate", false},
		{"GAD-7 top of moderate", gad7, []int{2, 2, 2, 2, 2, 2, 2}, 14, "Moderate", false},
		{"GAD-7 bottom of severe", gad7, []int{3, 2, 2, 2, 2, 2, 2}, 15, "Severe", false},
		{"GAD-7 every item nearly every day", gad7, []int{3, 3, 3, 3, 3, 3, 3}, 21, "Severe", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			answers := frequencyAnswers(tt.measure, tt.values...)
			score, err := tt.measure.Score(answers)
			if err != nil {
				t.Fatal(err)
			}
			if score != tt.score || tt.measure.Band(score) != tt.band || tt.measure.SafetyFlag(answers) != tt.flagged {
				t.Fatalf("score %d band %q flagged %v, want %d %q %v", score, tt.measure.Band(score),
					tt.measure.SafetyFlag(answers), tt.score, tt.band, tt.flagged)
			}
			if tt.measure.BelowCutoff(score) {
				t.Fatal("a banded questionnaire has no cut-off to fall below")
			}
		})
	}
	if _, err := phq9.Score(frequencyAnswers(phq9, 4)); err == nil {
		t.Fatal("an answer of 4 is outside the published 0 to 3")
	}
}

// TestBandedQuestionnairesArePublishedShape checks item counts, anchors and that the bands
// cover every score from 0 to the maximum without a gap or an overlap.
func TestBandedQuestionnairesArePublishedShape(t *testing.T) {
	for key, items := range map[string]int{"phq9": 9, "gad7": 7} {
		m, ok := MeasureByKey(key)
		if !ok || len(m.Items) != items || m.MaxScore != 3*items || !m.CareTeamOnly {
			t.Fatalf("%s: found %v, %d items, max %d, care team only %v", key, ok, len(m.Items), m.MaxScore, m.CareTeamOnly)
		}
		for _, item := range m.Items {
			if item.Min != 0 || item.Max != 3 || strings.Join(item.Anchors, "|") != "Not at all|Several days|More than half the days|Nearly every day" {
				t.Errorf("%s item %s is not answered on the published four-point frequency scale", key, item.Key)
			}
		}
		next := 0
		for _, b := range m.Bands {
			if b.From != next || b.To < b.From {
				t.Errorf("%s band %+v does not follow on from %d", key, b, next)
			}
			next = b.To + 1
		}
		if next != m.MaxScore+1 {
			t.Errorf("%s bands end at %d, want %d", key, next-1, m.MaxScore)
		}
	}
	phq9, _ := MeasureByKey("phq9")
	if phq9.Items[8].Key != phq9.SafetyItem || phq9.Items[8].Text != "Thoughts that you would be better off dead or of hurting yourself in some way" {
		t.Fatalf("item 9 of the PHQ-9 is %+v, safety item %q", phq9.Items[8], phq9.SafetyItem)
	}
}
