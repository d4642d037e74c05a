package policy

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
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

// TestNamesMatchTheTable keeps the Object and Action constants of names.go equal to the names
// policy.csv uses: a line naming something without a constant, or a constant no line uses, fails.
func TestNamesMatchTheTable(t *testing.T) {
	rules, err := parse(DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	table := map[string]map[string]bool{"Object": {}, "Action": {}}
	for _, r := range rules {
		table["Object"][r.Object] = true
		table["Action"][r.Action] = true
	}
	constants := constantsOf(t, "names.go")
	for typ, used := range table {
		for name := range constants[typ] {
			if !used[name] {
				t.Errorf("%s constant %q is named by no line of policy.csv", typ, name)
			}
		}
		for name := range used {
			if !constants[typ][name] {
				t.Errorf("policy.csv names %s %q, which has no constant", strings.ToLower(typ), name)
			}
		}
	}
}

// constantsOf reads the string constants declared in a file of this package, by type name.
func constantsOf(t *testing.T, file string) map[string]map[string]bool {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]bool{}
	for _, decl := range f.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.CONST {
			continue
		}
		for _, spec := range gen.Specs {
			v := spec.(*ast.ValueSpec)
			typ, ok := v.Type.(*ast.Ident)
			if !ok || len(v.Values) != 1 {
				t.Fatalf("%s: constant %s is not a typed name", file, v.Names[0])
			}
			value, err := strconv.Unquote(v.Values[0].(*ast.BasicLit).Value)
			if err != nil {
				t.Fatal(err)
			}
			if out[typ.Name] == nil {
				out[typ.Name] = map[string]bool{}
			}
			if out[typ.Name][value] {
				t.Errorf("%s %q has two constants", typ.Name, value)
			}
			out[typ.Name][value] = true
		}
	}
	return out
}
