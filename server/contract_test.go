package server

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// deliberatelyInvalid is a request header a test sets on a request it makes invalid on purpose
// (hostile input, a wrong type, an unknown route): the contract check then leaves the request
// alone and checks only the answer. The header is removed before the server sees it.
const deliberatelyInvalid = "X-Test-Deliberately-Invalid"

// contractDocument is docs/api.yaml, loaded and validated once per test binary.
var contractDocument = sync.OnceValues(func() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile("../docs/api.yaml")
	if err != nil {
		return nil, err
	}
	return doc, doc.Validate(loader.Context)
})

// contract is the router that finds the operation of docs/api.yaml a request is for.
var contract = sync.OnceValues(func() (routers.Router, error) {
	doc, err := contractDocument()
	if err != nil {
		return nil, err
	}
	// Both are answers of their own kind; only their status and headers are checked.
	for _, contentType := range []string{"text/html", "text/calendar", "text/event-stream"} {
		openapi3filter.RegisterBodyDecoder(contentType, openapi3filter.PlainBodyDecoder)
	}
	// A document upload is a file of one of these types, read as is.
	for _, contentType := range []string{"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"} {
		openapi3filter.RegisterBodyDecoder(contentType, openapi3filter.FileBodyDecoder)
	}
	return gorillamux.NewRouter(doc)
})

// contractOptions check requests and answers against the description, undocumented statuses
// included. Security requirements are not checked here: the tests send bearer tokens, cookies
// and no credentials on purpose, and the server's authentication has tests of its own.
var contractOptions = &openapi3filter.Options{
	AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
	IncludeResponseStatus: true,
	MultiError:            true,
}

// newTestServer serves h over HTTP for a test, checking every API request and answer against
// docs/api.yaml: a mismatch fails t. Every server test's traffic goes through here.
func newTestServer(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	return httptest.NewServer(checkedByContract(t, h))
}

// checkedByContract wraps h so each request under /api/v1/ is checked against docs/api.yaml
// before h answers it, and the answer is checked before the client receives it. A WebSocket
// handshake that is refused is an answer like any other; one that is accepted becomes a
// connection, which is docs/protocol.md's business.
func checkedByContract(t testing.TB, h http.Handler) http.Handler {
	router, err := contract()
	if err != nil {
		t.Fatalf("docs/api.yaml: %v", err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/v1/") {
			h.ServeHTTP(w, r)
			return
		}
		checkRequest := r.Header.Get(deliberatelyInvalid) == ""
		r.Header.Del(deliberatelyInvalid)
		what := r.Method + " " + r.URL.Path
		route, params, err := router.FindRoute(r)
		if err != nil {
			if checkRequest {
				t.Errorf("%s is not in docs/api.yaml: %v", what, err)
			}
			h.ServeHTTP(w, r)
			return
		}
		input := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: contractOptions}
		if checkRequest {
			if err := validateRequest(input); err != nil {
				t.Errorf("%s: the request does not match docs/api.yaml (mark it %s if that is the point): %v", what, deliberatelyInvalid, err)
			}
		}
		rec := &answerRecorder{ResponseWriter: w, status: http.StatusOK}
		rec.check = func(body []byte, streaming bool) {
			options := *contractOptions
			options.ExcludeResponseBody = streaming
			err := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
				RequestValidationInput: input, Status: rec.status, Header: rec.Header(),
				Body: io.NopCloser(bytes.NewReader(body)), Options: &options,
			})
			if err != nil {
				t.Errorf("%s: the answer %d does not match docs/api.yaml: %v\n%s", what, rec.status, err, truncate(body))
			}
		}
		h.ServeHTTP(rec, r)
		rec.finish()
	})
}

// validateRequest checks a request against its operation, leaving its body for the server.
func validateRequest(input *openapi3filter.RequestValidationInput) error {
	r := input.Request
	if r.Body != nil && r.Body != http.NoBody {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		defer func() { r.Body = io.NopCloser(bytes.NewReader(body)) }()
	}
	err := openapi3filter.ValidateRequest(context.Background(), input)
	var multi openapi3.MultiError
	if errors.As(err, &multi) && len(multi) == 0 {
		return nil
	}
	return err
}

// answerRecorder holds an answer back until it is checked. An answer that flushes (a stream)
// is checked at its first flush, without its body, and then passes through as it is written.
type answerRecorder struct {
	http.ResponseWriter
	status    int
	body      bytes.Buffer
	streaming bool
	hijacked  bool
	check     func(body []byte, streaming bool)
}

func (a *answerRecorder) WriteHeader(status int) {
	if a.streaming {
		return
	}
	a.status = status
}

func (a *answerRecorder) Write(p []byte) (int, error) {
	if a.streaming {
		return a.ResponseWriter.Write(p)
	}
	return a.body.Write(p)
}

// Flush turns the answer into a stream: checked now, sent from now on.
func (a *answerRecorder) Flush() {
	if !a.streaming {
		a.check(nil, true)
		a.streaming = true
		a.send()
	}
	http.NewResponseController(a.ResponseWriter).Flush()
}

// Hijack hands the connection to a WebSocket upgrade, which answers on it by itself.
func (a *answerRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	a.hijacked = true
	return http.NewResponseController(a.ResponseWriter).Hijack()
}

// Unwrap lets http.ResponseController reach the connection (for write deadlines).
func (a *answerRecorder) Unwrap() http.ResponseWriter { return a.ResponseWriter }

// finish checks and sends an answer that did not stream.
func (a *answerRecorder) finish() {
	if a.streaming || a.hijacked {
		return
	}
	a.check(a.body.Bytes(), false)
	a.send()
}

func (a *answerRecorder) send() {
	a.ResponseWriter.WriteHeader(a.status)
	_, _ = a.ResponseWriter.Write(a.body.Bytes())
	a.body.Reset()
}

// failures collects what a contract check reports instead of failing the test that runs it.
type failures struct {
	testing.TB
	mu   sync.Mutex
	seen []string
}

func (f *failures) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen = append(f.seen, fmt.Sprintf(format, args...))
}

func (f *failures) Fatalf(format string, args ...any) { f.Errorf(format, args...) }

// TestContractCheckCatchesWhatDiffersFromTheDescription runs the check around fake handlers: a
// documented answer passes, and an undocumented status, a body off its schema, an undocumented
// route or a request off the description (unless marked deliberately invalid) fail the test.
func TestContractCheckCatchesWhatDiffersFromTheDescription(t *testing.T) {
	t.Parallel()
	const me = `{"user":{"id":1,"email":"a@a.test","name":"A","created_at":"2026-03-04T17:00:00Z"},"memberships":[],"must_enrol_second_factor":false}`
	for _, tc := range []struct {
		name    string
		method  string
		path    string
		marked  bool
		status  int
		answer  string
		failing bool
	}{
		{"a documented answer", http.MethodGet, "/api/v1/me", false, http.StatusOK, me, false},
		{"a documented error", http.MethodGet, "/api/v1/me", false, http.StatusUnauthorized, `{"error":{"code":"unauthenticated","message":"Please sign in."}}`, false},
		{"an undocumented status", http.MethodGet, "/api/v1/me", false, http.StatusTeapot, `{"error":{"code":"internal","message":"Tea."}}`, true},
		{"a body off its schema", http.MethodGet, "/api/v1/notes/1", false, http.StatusOK, `{"id":1,"addenda":null}`, true},
		{"an error code outside the vocabulary", http.MethodGet, "/api/v1/me", false, http.StatusUnauthorized, `{"error":{"code":"nope","message":"No."}}`, true},
		{"an undocumented route", http.MethodGet, "/api/v1/nowhere", false, http.StatusNotFound, `{"error":{"code":"not_found","message":"Gone."}}`, true},
		{"a request off the description", http.MethodGet, "/api/v1/practices/1/couples?status=gone", false, http.StatusUnprocessableEntity, `{"error":{"code":"invalid","message":"Status."}}`, true},
		{"the same request marked deliberately invalid", http.MethodGet, "/api/v1/practices/1/couples?status=gone", true, http.StatusUnprocessableEntity, `{"error":{"code":"invalid","message":"Status."}}`, false},
		{"a marked request's answer is still checked", http.MethodGet, "/api/v1/practices/1/couples?status=gone", true, http.StatusTeapot, `{}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			report := &failures{TB: t}
			srv := httptest.NewServer(checkedByContract(report, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get(deliberatelyInvalid) != "" {
					t.Error("the server saw the test's marker")
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.answer)
			})))
			defer srv.Close()
			req, err := http.NewRequest(tc.method, srv.URL+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.marked {
				req.Header.Set(deliberatelyInvalid, "yes")
			}
			res, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tc.status || string(body) != tc.answer {
				t.Errorf("the client got %d %s, want the handler's %d %s", res.StatusCode, body, tc.status, tc.answer)
			}
			if failed := len(report.seen) > 0; failed != tc.failing {
				t.Errorf("reported %q, want failing=%v", report.seen, tc.failing)
			}
		})
	}
}
