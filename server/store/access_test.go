package store

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"testing"
)

// TestEveryKindHasARelationQuery keeps the Kind constants and relationQueries equal, so that
// no kind a caller can name fails to resolve.
func TestEveryKindHasARelationQuery(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "access.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[Kind]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		v, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		if typ, isIdent := v.Type.(*ast.Ident); isIdent && typ.Name == "Kind" {
			name, err := strconv.Unquote(v.Values[0].(*ast.BasicLit).Value)
			if err != nil {
				t.Fatal(err)
			}
			kinds[Kind(name)] = true
		}
		return true
	})
	for kind := range kinds {
		if relationQueries[kind] == "" {
			t.Errorf("kind %q has no relation query", kind)
		}
	}
	for kind := range relationQueries {
		if !kinds[kind] {
			t.Errorf("relation query for %q has no Kind constant", kind)
		}
	}
}
