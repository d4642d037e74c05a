package library

import (
	"fmt"
	"slices"

	"github.com/amendcare/amend/fault"
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
	Key          string `json:"key"`
	Name         string `json:"name"`
	Citation     string `json:"citation"`
	Instructions string `json:"instructions"`
	Items        []Item `json:"items"`
	MaxScore     int    `json:"max_score"`
	// Cutoff is a single published cut-off below which a score is of concern; zero when the
	// questionnaire is read by severity bands instead.
	Cutoff        float64 `json:"cutoff"`
	CutoffMeaning string  `json:"cutoff_meaning"`
	// Bands are the published severity bands, lowest first, covering 0 to MaxScore; none for a
	// questionnaire read by its cut-off.
	Bands []Band `json:"bands"`
	// CareTeamOnly questionnaires are read by their author and the care team, never by the other
	// partner and never kept from the care team: their answers can call for clinical follow-up.
	CareTeamOnly bool `json:"care_team_only"`
	// SafetyItem is the item whose answer above zero asks the care team to check on safety; empty
	// when the questionnaire has none.
	SafetyItem string `json:"safety_item,omitempty"`
}

// Band is one published severity range of a questionnaire's total, From to To inclusive.
type Band struct {
	From  int    `json:"from"`
	To    int    `json:"to"`
	Label string `json:"label"`
}

var frequencyAnchors = []string{"Not at all", "Several days", "More than half the days", "Nearly every day"}

// frequencyItems makes the items of a questionnaire answered by how often over the last two weeks.
func frequencyItems(texts ...[2]string) []Item {
	items := make([]Item, len(texts))
	for i, t := range texts {
		items[i] = Item{Key: t[0], Text: t[1], Min: 0, Max: 3, Anchors: slices.Clone(frequencyAnchors)}
	}
	return items
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
		Bands:         []Band{},
	}, {
		Key:  "phq9",
		Name: "Patient Health Questionnaire (PHQ-9)",
		Citation: "Kroenke, K., Spitzer, R. L., & Williams, J. B. W. (2001). The PHQ-9: Validity of a brief depression severity measure. " +
			"Journal of General Internal Medicine, 16(9), 606-613. https://doi.org/10.1046/j.1525-1497.2001.016009606.x " +
			"Developed by Drs. Robert L. Spitzer, Janet B. W. Williams, Kurt Kroenke and colleagues; no permission required to reproduce.",
		Instructions: "Over the last 2 weeks, how often have you been bothered by any of the following problems?",
		Items: frequencyItems(
			[2]string{"interest", "Little interest or pleasure in doing things"},
			[2]string{"down", "Feeling down, depressed, or hopeless"},
			[2]string{"sleep", "Trouble falling or staying asleep, or sleeping too much"},
			[2]string{"tired", "Feeling tired or having little energy"},
			[2]string{"appetite", "Poor appetite or overeating"},
			[2]string{"failure", "Feeling bad about yourself — or that you are a failure or have let yourself or your family down"},
			[2]string{"concentrating", "Trouble concentrating on things, such as reading the newspaper or watching television"},
			[2]string{"moving", "Moving or speaking so slowly that other people could have noticed? Or the opposite — being so fidgety or restless that you have been moving around a lot more than usual"},
			[2]string{"self_harm", "Thoughts that you would be better off dead or of hurting yourself in some way"},
		),
		MaxScore: 27,
		Bands: []Band{{0, 4, "Minimal"}, {5, 9, "Mild"}, {10, 14, "Moderate"}, {15, 19, "Moderately severe"},
			{20, 27, "Severe"}},
		CareTeamOnly: true,
		SafetyItem:   "self_harm",
	}, {
		Key:  "gad7",
		Name: "Generalized Anxiety Disorder scale (GAD-7)",
		Citation: "Spitzer, R. L., Kroenke, K., Williams, J. B. W., & Löwe, B. (2006). A brief measure for assessing generalized anxiety disorder: " +
			"The GAD-7. Archives of Internal Medicine, 166(10), 1092-1097. https://doi.org/10.1001/archinte.166.10.1092 " +
			"Developed by Drs. Robert L. Spitzer, Janet B. W. Williams, Kurt Kroenke and colleagues; no permission required to reproduce.",
		Instructions: "Over the last 2 weeks, how often have you been bothered by the following problems?",
		Items: frequencyItems(
			[2]string{"nervous", "Feeling nervous, anxious or on edge"},
			[2]string{"control_worrying", "Not being able to stop or control worrying"},
			[2]string{"worrying", "Worrying too much about different things"},
			[2]string{"relaxing", "Trouble relaxing"},
			[2]string{"restless", "Being so restless that it is hard to sit still"},
			[2]string{"irritable", "Becoming easily annoyed or irritable"},
			[2]string{"afraid", "Feeling afraid as if something awful might happen"},
		),
		MaxScore:     21,
		Bands:        []Band{{0, 4, "Minimal"}, {5, 9, "Mild"}, {10, 14, "Moderate"}, {15, 21, "Severe"}},
		CareTeamOnly: true,
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
			return 0, fault.InvalidField(item.Key, "is required")
		}
		if value < item.Min || value > item.Max {
			return 0, fault.InvalidField(item.Key, fmt.Sprintf("must be a whole number from %d to %d", item.Min, item.Max))
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
		return 0, fault.InvalidField(unknown[0], "is not an item of this questionnaire")
	}
	return total, nil
}

// BelowCutoff reports whether a total score falls below the measure's published cut-off; always
// false for a questionnaire without one.
func (m Measure) BelowCutoff(score int) bool { return float64(score) < m.Cutoff }

// Band returns the label of the published severity band a total score falls in, or "" for a
// questionnaire without bands.
func (m Measure) Band(score int) string {
	for _, b := range m.Bands {
		if score >= b.From && score <= b.To {
			return b.Label
		}
	}
	return ""
}

// SafetyFlag reports whether the answers ask the care team to check on safety: the questionnaire's
// safety item answered above zero.
func (m Measure) SafetyFlag(answers map[string]int) bool {
	return m.SafetyItem != "" && answers[m.SafetyItem] > 0
}
