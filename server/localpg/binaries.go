package localpg

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// serverTools are the programs a cluster needs; they must sit side by side because pg_ctl finds
// postgres next to itself.
var serverTools = []string{"initdb", "pg_ctl", "postgres"}

// errNoBinaries says what to do, because the person reading it usually just ran `make run`.
var errNoBinaries = errors.New("no PostgreSQL server programs (initdb, pg_ctl, postgres) found on PATH " +
	"or under /usr/lib/postgresql: install PostgreSQL (e.g. `apt-get install postgresql`) " +
	"or set DATABASE_URL to use an existing server")

// FindBinaries returns the directory holding initdb, pg_ctl and postgres: the one found on PATH,
// otherwise the highest version under /usr/lib/postgresql.
func FindBinaries() (string, error) {
	return findBinaries(exec.LookPath, "/usr/lib/postgresql/*/bin")
}

func findBinaries(lookPath func(string) (string, error), versionedPattern string) (string, error) {
	if found, err := lookPath("initdb"); err == nil {
		candidates := []string{filepath.Dir(found)}
		// Distributions often link the tools into /usr/local/bin or similar one by one; the real
		// directory is where postgres lives too.
		if resolved, err := filepath.EvalSymlinks(found); err == nil {
			candidates = append(candidates, filepath.Dir(resolved))
		}
		for _, dir := range candidates {
			if hasServerTools(dir) {
				return dir, nil
			}
		}
	}
	matches, err := filepath.Glob(versionedPattern)
	if err != nil {
		return "", err
	}
	slices.SortFunc(matches, func(a, b string) int {
		// Numeric order, so that 16 sorts above 9.6.
		return slices.Compare(versionOf(b), versionOf(a))
	})
	for _, dir := range matches {
		if hasServerTools(dir) {
			return dir, nil
		}
	}
	return "", errNoBinaries
}

func hasServerTools(dir string) bool {
	for _, tool := range serverTools {
		info, err := os.Stat(filepath.Join(dir, tool))
		if err != nil || !info.Mode().IsRegular() || info.Mode().Perm()&0o111 == 0 {
			return false
		}
	}
	return true
}

// versionOf extracts "15" from ".../postgresql/15/bin".
func versionOf(binDir string) []int {
	var parts []int
	for _, field := range strings.Split(filepath.Base(filepath.Dir(binDir)), ".") {
		n, err := strconv.Atoi(field)
		if err != nil {
			return nil
		}
		parts = append(parts, n)
	}
	return parts
}
