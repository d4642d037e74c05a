package frontend

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

const builtIndex = `<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="app"></div></body></html>`

func builtApp() fstest.MapFS {
	return fstest.MapFS{
		"index.html":              {Data: []byte(builtIndex)},
		"favicon.svg":             {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"></svg>`)},
		"assets/index-abc123.js":  {Data: []byte(`console.log("app")`)},
		"assets/index-abc123.css": {Data: []byte(`body{margin:0}`)},
		".gitkeep":                {Data: nil},
	}
}

func serve(t *testing.T, h http.Handler, method, target string, headers map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for name, value := range headers {
		req.Header.Set(name, value)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestPagePathsAnswerWithTheApp(t *testing.T) {
	h := NewHandler(builtApp())
	for _, target := range []string{"/", "/index.html", "/sign-in", "/invite/3f9a1c", "/couples/12/exercises", "/assets"} {
		t.Run(target, func(t *testing.T) {
			rec := serve(t, h, http.MethodGet, target, nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200", rec.Code)
			}
			if rec.Body.String() != builtIndex {
				t.Fatalf("body = %q, want index.html", rec.Body.String())
			}
			if got := rec.Header().Get("Content-Type"); got != "text/html; charset=utf-8" {
				t.Errorf("Content-Type = %q", got)
			}
			if got := rec.Header().Get("Cache-Control"); got != "no-cache" {
				t.Errorf("Cache-Control = %q, want no-cache so a new build is picked up", got)
			}
		})
	}
}

func TestHashedAssetsAreCachedForAYear(t *testing.T) {
	h := NewHandler(builtApp())
	tests := []struct {
		target, contentType, body string
	}{
		{"/assets/index-abc123.js", "javascript", `console.log("app")`},
		{"/assets/index-abc123.css", "text/css", `body{margin:0}`},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			rec := serve(t, h, http.MethodGet, tt.target, nil)
			if rec.Code != http.StatusOK || rec.Body.String() != tt.body {
				t.Fatalf("got %d %q, want 200 %q", rec.Code, rec.Body.String(), tt.body)
			}
			if got := rec.Header().Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
				t.Errorf("Cache-Control = %q", got)
			}
			// The exact type comes from the machine's MIME table; browsers need only the kind.
			if got := rec.Header().Get("Content-Type"); !strings.Contains(got, tt.contentType) {
				t.Errorf("Content-Type = %q, want a %s type", got, tt.contentType)
			}
		})
	}
}

func TestMissingAssetIsNotAnsweredWithThePage(t *testing.T) {
	rec := serve(t, NewHandler(builtApp()), http.MethodGet, "/assets/index-old999.js", nil)
	if rec.Code != http.StatusNotFound {
		t.Fatalf("status = %d, want 404", rec.Code)
	}
	if strings.Contains(rec.Body.String(), "<html") {
		t.Fatalf("a stale script request got HTML: %q", rec.Body.String())
	}
}

func TestOtherBuiltFilesAreRevalidated(t *testing.T) {
	rec := serve(t, NewHandler(builtApp()), http.MethodGet, "/favicon.svg", nil)
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Body.String(), "<svg") {
		t.Fatalf("got %d %q, want the icon", rec.Code, rec.Body.String())
	}
	if got := rec.Header().Get("Cache-Control"); got != "no-cache" {
		t.Errorf("Cache-Control = %q, want no-cache", got)
	}
	if got := rec.Header().Get("Content-Type"); !strings.HasPrefix(got, "image/svg+xml") {
		t.Errorf("Content-Type = %q", got)
	}
}

func TestPlaceholderFileIsNotServed(t *testing.T) {
	rec := serve(t, NewHandler(builtApp()), http.MethodGet, "/.gitkeep", nil)
	if rec.Body.String() != builtIndex {
		t.Fatalf("body = %q, want the app page instead of the placeholder file", rec.Body.String())
	}
}

func TestUnchangedIndexIsRevalidatedWithoutABody(t *testing.T) {
	h := NewHandler(builtApp())
	first := serve(t, h, http.MethodGet, "/", nil)
	etag := first.Header().Get("ETag")
	if etag == "" {
		t.Fatal("index.html has no ETag to revalidate with")
	}
	again := serve(t, h, http.MethodGet, "/sign-in", map[string]string{"If-None-Match": etag})
	if again.Code != http.StatusNotModified {
		t.Fatalf("status = %d, want 304", again.Code)
	}
}

func TestUnknownAPIPathAnswersJSONNotFound(t *testing.T) {
	for _, target := range []string{"/api/v1/nothing-here", "/api"} {
		rec := serve(t, NewHandler(builtApp()), http.MethodGet, target, nil)
		if rec.Code != http.StatusNotFound {
			t.Fatalf("%s: status = %d, want 404", target, rec.Code)
		}
		if got := rec.Header().Get("Content-Type"); !strings.HasPrefix(got, "application/json") {
			t.Errorf("%s: Content-Type = %q", target, got)
		}
		if !strings.Contains(rec.Body.String(), `"code":"not_found"`) {
			t.Errorf("%s: body = %q", target, rec.Body.String())
		}
	}
}

func TestWritesAreRefused(t *testing.T) {
	rec := serve(t, NewHandler(builtApp()), http.MethodPost, "/sign-in", nil)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("status = %d, want 405", rec.Code)
	}
	if got := rec.Header().Get("Allow"); got != "GET, HEAD" {
		t.Errorf("Allow = %q", got)
	}
}

func TestUnbuiltAppExplainsHowToBuildIt(t *testing.T) {
	for name, files := range map[string]fs.FS{
		"dist holds only the placeholder": fstest.MapFS{".gitkeep": {Data: nil}},
		"no dist at all":                  nil,
	} {
		t.Run(name, func(t *testing.T) {
			rec := serve(t, NewHandler(files), http.MethodGet, "/sign-in", nil)
			if rec.Code != http.StatusServiceUnavailable {
				t.Fatalf("status = %d, want 503", rec.Code)
			}
			body := rec.Body.String()
			for _, want := range []string{"make run", "cd frontend &amp;&amp; npm ci &amp;&amp; npm run build"} {
				if !strings.Contains(body, want) {
					t.Errorf("build page lacks %q", want)
				}
			}
			if got := rec.Header().Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store so the built app replaces it", got)
			}
		})
	}
}

func TestEmbeddedBuildMatchesWhatFSReports(t *testing.T) {
	files, built := FS()
	rec := serve(t, Handler(), http.MethodGet, "/", nil)
	if built {
		if rec.Code != http.StatusOK {
			t.Fatalf("built app: status = %d, want 200", rec.Code)
		}
		if _, err := files.Open("index.html"); err != nil {
			t.Fatalf("FS reports a build but has no index.html: %v", err)
		}
		return
	}
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("unbuilt app: status = %d, want 503", rec.Code)
	}
}
