package server

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestEveryRouteIsInTheAPIReference keeps docs/api.yaml true: each API route the server answers
// must be listed there with its method.
func TestEveryRouteIsInTheAPIReference(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../docs/api.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	w := newWorld(t)
	param := regexp.MustCompile(`:([a-z_]+)`)
	for _, route := range w.api.engine.Routes() {
		if !strings.HasPrefix(route.Path, "/api/v1/") {
			continue
		}
		path := param.ReplaceAllString(strings.TrimPrefix(route.Path, "/api/v1"), "{$1}")
		start := strings.Index(text, "\n  "+path+":\n")
		if start < 0 {
			t.Errorf("%s %s is not in docs/api.yaml", route.Method, path)
			continue
		}
		block := text[start+1:]
		if end := regexp.MustCompile(`\n  /`).FindStringIndex(block[1:]); end != nil {
			block = block[:end[0]+1]
		}
		if !strings.Contains(block, "\n    "+strings.ToLower(route.Method)+":") {
			t.Errorf("%s %s: the method is not documented", route.Method, path)
		}
	}
}
