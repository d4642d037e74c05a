package server

import (
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/amendcare/amend/policy"
	"github.com/amendcare/amend/server/store"
)

// TestEveryRouteIsDocumented walks the routes router.go registers against docs/api.yaml, in both
// directions. The contract check (contract_test.go) sees only the requests tests make; this sees
// a route no test calls, and a documented operation the server no longer serves.
func TestEveryRouteIsDocumented(t *testing.T) {
	t.Parallel()
	doc, err := contractDocument()
	if err != nil {
		t.Fatalf("docs/api.yaml: %v", err)
	}
	authz, err := policy.Load(policy.DefaultPolicy(), nil)
	if err != nil {
		t.Fatal(err)
	}
	api, err := New(Deps{Store: store.New(nil), Policy: authz, Registry: prometheus.NewRegistry(),
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	param := regexp.MustCompile(`:([a-z_]+)`)
	served := map[string]bool{}
	for _, route := range api.engine.Routes() {
		path, isAPI := strings.CutPrefix(route.Path, "/api/v1")
		if !isAPI {
			continue
		}
		path = param.ReplaceAllString(path, "{$1}")
		served[route.Method+" "+path] = true
		if item := doc.Paths.Value(path); item == nil || item.GetOperation(route.Method) == nil {
			t.Errorf("%s %s is served but not in docs/api.yaml", route.Method, path)
		}
	}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if !served[method+" "+path] {
				t.Errorf("%s %s is in docs/api.yaml but not served", method, path)
			}
		}
	}
}
