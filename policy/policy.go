// Package policy answers "may they?": a casbin table of (role, relation, object, action) lines,
// embedded in the binary and loaded line by line so that no rule is ever dropped in silence.
package policy

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
)

//go:embed model.conf
var modelText string

//go:embed policy.csv
var defaultPolicy []byte

// DefaultPolicy returns the embedded policy table.
func DefaultPolicy() []byte { return slices.Clone(defaultPolicy) }

// Known roles and relations; a line naming anything else is rejected at load time.
var (
	Roles     = []string{"admin", "therapist", "front_desk", "client"}
	Relations = []string{"self", "partner", "couple", "care_team", "practice"}
)

// Rule is one line of the table.
type Rule struct {
	Role     string `json:"role"`
	Relation string `json:"relation"`
	Object   string `json:"object"`
	Action   string `json:"action"`
}

// Authorizer decides requests against the loaded table.
type Authorizer struct {
	enforcer *casbin.SyncedEnforcer
	rules    []Rule
	log      *slog.Logger
}

// Load builds an Authorizer from a policy table in CSV form ("p, role, relation, object, action"
// lines; blank lines and lines starting with # are ignored). Any malformed line fails the load.
func Load(table []byte, log *slog.Logger) (*Authorizer, error) {
	rules, err := parse(table)
	if err != nil {
		return nil, err
	}
	m, err := model.NewModelFromString(modelText)
	if err != nil {
		return nil, fmt.Errorf("policy model: %w", err)
	}
	e, err := casbin.NewSyncedEnforcer(m)
	if err != nil {
		return nil, fmt.Errorf("policy enforcer: %w", err)
	}
	lines := make([][]string, len(rules))
	for i, r := range rules {
		lines[i] = []string{r.Role, r.Relation, r.Object, r.Action}
	}
	if _, err := e.AddPolicies(lines); err != nil {
		return nil, fmt.Errorf("policy load: %w", err)
	}
	loaded, err := e.GetPolicy()
	if err != nil {
		return nil, fmt.Errorf("policy load: %w", err)
	}
	if len(loaded) != len(rules) {
		return nil, fmt.Errorf("policy load: %d rules read but %d loaded", len(rules), len(loaded))
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Authorizer{enforcer: e, rules: rules, log: log}, nil
}

func parse(table []byte) ([]Rule, error) {
	var rules []Rule
	seen := map[Rule]int{}
	scanner := bufio.NewScanner(bytes.NewReader(table))
	lineNo := 0
	for scanner.Scan() {
		lineNo++
		line := strings.TrimSpace(scanner.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		rec, err := csv.NewReader(strings.NewReader(line)).Read()
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("policy line %d: %w", lineNo, err)
		}
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		if len(rec) != 5 || rec[0] != "p" {
			return nil, fmt.Errorf("policy line %d: want \"p, role, relation, object, action\", got %q", lineNo, line)
		}
		r := Rule{Role: rec[1], Relation: rec[2], Object: rec[3], Action: rec[4]}
		if !slices.Contains(Roles, r.Role) {
			return nil, fmt.Errorf("policy line %d: unknown role %q (known: %s)", lineNo, r.Role, strings.Join(Roles, ", "))
		}
		if !slices.Contains(Relations, r.Relation) {
			return nil, fmt.Errorf("policy line %d: relation %q cannot be granted (known: %s)", lineNo, r.Relation, strings.Join(Relations, ", "))
		}
		if !isName(r.Object) || !isName(r.Action) {
			return nil, fmt.Errorf("policy line %d: object and action must be lowercase names", lineNo)
		}
		if prev, dup := seen[r]; dup {
			return nil, fmt.Errorf("policy line %d repeats line %d", lineNo, prev)
		}
		seen[r] = lineNo
		rules = append(rules, r)
	}
	if err := scanner.Err(); err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	if len(rules) == 0 {
		return nil, fmt.Errorf("policy: the table has no rules")
	}
	return rules, nil
}

func isName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && c != '_' {
			return false
		}
	}
	return true
}

// Allowed reports whether any of the roles may take the action on the object given the relation.
func (a *Authorizer) Allowed(roles []string, relation string, object Object, action Action) bool {
	for _, role := range roles {
		ok, explain, err := a.enforcer.EnforceEx(role, relation, string(object), string(action))
		if err != nil {
			a.log.Error("policy decision failed", "err", err)
			return false
		}
		if ok {
			a.log.Debug("policy allowed", "role", role, "relation", relation, "object", object, "action", action, "rule", explain)
			return true
		}
	}
	return false
}

// Rules returns the loaded table, line by line, for people to read.
func (a *Authorizer) Rules() []Rule { return slices.Clone(a.rules) }
