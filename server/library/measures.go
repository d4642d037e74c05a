package library

import (
	"fmt"
	"slices"
)

// Item is one question of a validated questionnaire, answered with a whole number from Min to Max.
type Item struct {
	Key  string `json:"key"`
	Text string `json:"text"`
	Min  int    `json:"min"`
	Max  int    `json:"max"`
	// Anchors labels each value from Min to Max, in order.
	Anchors []string `json:"anchors"`
}

// Measure is a validated questionnaire. Its item wordings and anchors are the published ones and
// must not be reworded.
type Measure struct {
	Key           string  `json:"key"`
	Name          string  `json:"name"`
	Citation      string  `json:"citation"`
	Instructions  string  `json:"instructions"`
	Items         []Item  `json:"items"`
	MaxScore      int     `json:"max_score"`
	Cutoff        float64 `json:"cutoff"`
	CutoffMeaning string  `json:"cutoff_meaning"`
}

var (
	trueAnchors   = []string{"Not at all True", "A little True", "Somewhat True", "Mostly True", "Almost Completely True", "Completely True"}
	degreeAnchors = []string{"Not at all", "A little", "Somewhat", "Mostly", "Almost Completely", "Completely"}
)

// Measures returns the built-in questionnaires. The result is a copy the caller may change freely.
func Measures() []Measure {
	return []Measure{{
		Key:  "csi4",
		Name: "Couples Satisfaction Index (CSI-4)",
		Citation: "Funk, J. L., & Rogge, R. D. (2007). Testing the ruler with item response theory: " +
			"Increasing precision of measurement for relationship satisfaction with the Couples Satisfaction Index. " +
			"Journal of Family Psychology, 21(4), 572-583. https://doi.org/10.1037/0893-3200.21.4.572",
		Instructions: "Four short questions about how your relationship feels to you at the moment. " +
			"Choose the answer that fits best for each one; there are no right or wrong answers.",
		Items: []Item{
			{
				Key:     "happiness",
				Text:    "Please indicate the degree of happiness, all things considered, of your relationship.",
				Min:     0,
				Max:     6,
				Anchors: []string{"Extremely Unhappy", "Fairly Unhappy", "A Little Unhappy", "Happy", "Very Happy", "Extremely Happy", "Perfect"},
			},
			{
				Key:     "warm_comfortable",
				Text:    "I have a warm and comfortable relationship with my partner.",
				Min:     0,
				Max:     5,
				Anchors: slices.Clone(trueAnchors),
			},
			{
				Key:     "rewarding",
				Text:    "How rewarding is your relationship with your partner?",
				Min:     0,
				Max:     5,
				Anchors: slices.Clone(degreeAnchors),
			},
			{
				Key:     "satisfied",
				Text:    "In general, how satisfied are you with your relationship?",
				Min:     0,
				Max:     5,
				Anchors: slices.Clone(degreeAnchors),
			},
		},
		MaxScore:      21,
		Cutoff:        13.5,
		CutoffMeaning: "A total below 13.5 suggests notable dissatisfaction with the relationship. It is a prompt for a conversation, not a diagnosis.",
	}}
}

// MeasureByKey finds a built-in questionnaire by its key.
func MeasureByKey(key string) (Measure, bool) {
	for _, m := range Measures() {
		if m.Key == key {
			return m, true
		}
	}
	return Measure{}, false
}

// Score sums the answers to every item. Each item must be answered within its range and no other
// keys may be present; the error names the first offending item in item order, then any unknown key
// in alphabetical order.
func (m Measure) Score(answers map[string]int) (int, error) {
	total := 0
	for _, item := range m.Items {
		value, ok := answers[item.Key]
		if !ok {
			return 0, &FieldError{Field: item.Key, Reason: "is required"}
		}
		if value < item.Min || value > item.Max {
			return 0, &FieldError{Field: item.Key, Reason: fmt.Sprintf("must be a whole number from %d to %d", item.Min, item.Max)}
		}
		total += value
	}
	var unknown []string
	for key := range answers {
		if !slices.ContainsFunc(m.Items, func(item Item) bool { return item.Key == key }) {
			unknown = append(unknown, key)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return 0, &FieldError{Field: unknown[0], Reason: "is not an item of this questionnaire"}
	}
	return total, nil
}

// BelowCutoff reports whether a total score falls below the measure's published cut-off.
func (m Measure) BelowCutoff(score int) bool { return float64(score) < m.Cutoff }
