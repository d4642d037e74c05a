package policy

import (
	"strings"
	"testing"
)

func TestDefaultPolicyLoadsEveryLine(t *testing.T) {
	a, err := Load(DefaultPolicy(), nil)
	if err != nil {
		t.Fatal(err)
	}
	lines := 0
	for _, l := range strings.Split(string(DefaultPolicy()), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "p,") {
			lines++
		}
	}
	if len(a.Rules()) != lines {
		t.Fatalf("loaded %d rules from %d lines", len(a.Rules()), lines)
	}
}

func TestMalformedPoliciesAreRefused(t *testing.T) {
	for name, table := range map[string]string{
		"empty":            "# nothing\n",
		"too few columns":  "p, admin, practice, member\n",
		"too many columns": "p, admin, practice, member, read, extra\n",
		"unknown role":     "p, owner, practice, member, read\n",
		"hidden granted":   "p, therapist, hidden, response, read\n",
		"none granted":     "p, admin, none, couple, read\n",
		"not a p line":     "g, admin, therapist\n",
		"bad object name":  "p, admin, practice, Member!, read\n",
		"duplicate":        "p, admin, practice, member, read\np, admin, practice, member, read\n",
		"broken quoting":   "p, admin, \"practice, member, read\n",
	} {
		if _, err := Load([]byte(table), nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestAllowedChecksEveryRole(t *testing.T) {
	a, err := Load([]byte("p, therapist, care_team, note, read\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		roles []string
		rel   string
		want  bool
	}{
		{[]string{"therapist"}, "care_team", true},
		{[]string{"admin", "therapist"}, "care_team", true},
		{[]string{"admin"}, "care_team", false},
		{[]string{"therapist"}, "practice", false},
		{nil, "care_team", false},
	}
	for _, tc := range cases {
		if got := a.Allowed(tc.roles, tc.rel, "note", "read"); got != tc.want {
			t.Errorf("%v %s: %v", tc.roles, tc.rel, got)
		}
	}
}
