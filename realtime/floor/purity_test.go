package floor

import (
	"go/build"
	"testing"
)

// The floor rules are pure: Decide and Apply read no clock, network or database. Importing only
// the standard library keeps it so; this test fails when the package, or its tests, import
// anything else.
func TestFloorImportsOnlyTheStandardLibrary(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	imports := append(append(pkg.Imports, pkg.TestImports...), pkg.XTestImports...)
	if len(imports) == 0 {
		t.Fatal("found no imports: the check would pass whatever the package imports")
	}
	for _, path := range imports {
		found, err := build.Import(path, pkg.Dir, build.FindOnly)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if !found.Goroot {
			t.Errorf("the floor rules import %s, which is not in the standard library", path)
		}
	}
}
