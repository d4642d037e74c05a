package library

import "slices"

var feelingWords = []string{
	"hopeful", "calm", "grateful", "relieved", "connected", "loved", "safe", "content",
	"proud", "curious", "tired", "numb", "confused", "uncertain", "lonely", "hurt",
	"sad", "anxious", "afraid", "angry", "frustrated", "ashamed", "guilty", "overwhelmed",
}

// FeelingWords returns the words a partner can pick from in a daily check-in, lower-case.
func FeelingWords() []string { return slices.Clone(feelingWords) }

// IsFeelingWord reports whether word is one of FeelingWords, exactly as spelled there.
func IsFeelingWord(word string) bool { return slices.Contains(feelingWords, word) }

// Concern is one of the concerns that can bring a couple to counseling: its key, as a couple's
// file stores it, and how it reads.
type Concern struct {
	Key   string `json:"key"`
	Label string `json:"label"`
}

// concerns is the one list of concerns; the API serves it (GET /concerns) and docs/api.yaml's
// Concern enum is checked against it.
var concerns = []Concern{
	{"infidelity", "Infidelity"},
	{"broken_promises", "Broken promises"},
	{"going_back_on_word", "Going back on their word"},
	{"absent_when_needed", "Not being there when needed"},
	{"hiding_information", "Hiding or holding back information"},
	{"lying", "Lying"},
	{"manipulation", "Manipulation"},
	{"emotional_withholding", "Not being open about feelings"},
	{"withholding_affection", "Holding back affection or intimacy"},
	{"not_taking_responsibility", "Not taking responsibility"},
	{"addictive_behaviour", "Addictive behaviour"},
	{"criticism_behind_back", "Criticising a partner unfairly or behind their back"},
	{"other", "Something else"},
}

// ConcernList returns the concerns with their labels, in display order.
func ConcernList() []Concern { return slices.Clone(concerns) }

// Concerns returns the keys of the concerns, in display order.
func Concerns() []string {
	keys := make([]string, len(concerns))
	for i, c := range concerns {
		keys[i] = c.Key
	}
	return keys
}

// ConcernLabel returns the human label of a concern key, or "" for a key that is not a concern.
func ConcernLabel(key string) string {
	for _, c := range concerns {
		if c.Key == key {
			return c.Label
		}
	}
	return ""
}

// IsConcern reports whether key is one of Concerns.
func IsConcern(key string) bool { return ConcernLabel(key) != "" }
