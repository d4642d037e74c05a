// Package frontend serves Amend's web app, built by Vite into dist/ and embedded in the binary.
// The app routes on the client, so every page path answers with index.html.
package frontend

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed all:dist
var dist embed.FS

const (
	indexFile = "index.html"
	// Vite puts every content-hashed file here; a new build gives them new names.
	assetsPrefix   = "/assets/"
	apiPrefix      = "/api/"
	cacheImmutable = "public, max-age=31536000, immutable"
	cacheRevalid   = "no-cache"
)

// FS returns the built app, and false when dist/ holds no index.html (the app was not built).
func FS() (fs.FS, bool) {
	files, err := fs.Sub(dist, "dist")
	if err != nil {
		return nil, false
	}
	if _, err := fs.Stat(files, indexFile); err != nil {
		return files, false
	}
	return files, true
}

// Handler serves the embedded app.
func Handler() http.Handler {
	files, _ := FS()
	return NewHandler(files)
}

// NewHandler serves the single-page app held in files: hashed assets under /assets/ cached
// for a year, other files and index.html revalidated on every use, and any other page path
// answered with index.html. Without an index.html it serves a page on how to build the app.
// Security headers (CSP, nosniff, framing) are the server's middleware's to set, for every answer.
func NewHandler(files fs.FS) http.Handler {
	h := &handler{files: files}
	if files != nil {
		if index, err := fs.ReadFile(files, indexFile); err == nil {
			sum := sha256.Sum256(index)
			h.index = index
			h.indexETag = `"` + hex.EncodeToString(sum[:12]) + `"`
		}
	}
	return h
}

type handler struct {
	files     fs.FS
	index     []byte
	indexETag string
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, apiPrefix) || r.URL.Path == "/api" {
		writeAPINotFound(w)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "Method not allowed.", http.StatusMethodNotAllowed)
		return
	}
	if h.index == nil {
		writeNotBuilt(w)
		return
	}

	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if strings.HasPrefix("/"+name, assetsPrefix) {
		// A missing hashed file is a stale page asking for an old build: answering it with
		// index.html would hand HTML to a script tag, so it gets a plain 404.
		if !h.serveFile(w, r, name, cacheImmutable) {
			http.NotFound(w, r)
		}
		return
	}
	if name != "" && name != indexFile && h.serveFile(w, r, name, cacheRevalid) {
		return
	}
	h.serveIndex(w, r)
}

// serveFile serves one regular file from the build, reporting false when there is none.
func (h *handler) serveFile(w http.ResponseWriter, r *http.Request, name, cacheControl string) bool {
	if strings.HasPrefix(path.Base(name), ".") {
		return false // dist/.gitkeep and the like are not part of the app
	}
	f, err := h.files.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		return false
	}
	content, ok := f.(io.ReadSeeker)
	if !ok {
		body, err := io.ReadAll(f)
		if err != nil {
			return false
		}
		content = bytes.NewReader(body)
	}
	w.Header().Set("Cache-Control", cacheControl)
	http.ServeContent(w, r, name, info.ModTime(), content)
	return true
}

func (h *handler) serveIndex(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", cacheRevalid)
	w.Header().Set("ETag", h.indexETag)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	http.ServeContent(w, r, indexFile, time.Time{}, bytes.NewReader(h.index))
}

func writeAPINotFound(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNotFound)
	_, _ = io.WriteString(w, `{"error":{"code":"not_found","message":"There is no such API endpoint."}}`)
}

const notBuiltPage = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Amend: the web app is not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5">
<h1>The web app is not built yet</h1>
<p>This server was compiled without the web app, so there is nothing to show here. The API is running.</p>
<p>Build the app and the server together with:</p>
<pre>make run</pre>
<p>or build the app alone, then rebuild the server:</p>
<pre>cd frontend &amp;&amp; npm ci &amp;&amp; npm run build</pre>
</body>
</html>
`

func writeNotBuilt(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = io.WriteString(w, notBuiltPage)
}
