package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/server/store"
)

// Context keys.
const (
	ctxLogger    = "amend.logger"
	ctxRequestID = "amend.request_id"
	ctxCaller    = "amend.caller"
	ctxAudit     = "amend.audit"
)

// Caller is the signed-in user making a request.
type Caller struct {
	User      store.User
	SessionID int64
	// ViaCookie is true when the session came from the cookie rather than a bearer token.
	ViaCookie bool
	// MustEnrol is true when the session may only be used to set up a second factor.
	MustEnrol bool
}

type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "amend_http_requests_total", Help: "HTTP requests by route, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "amend_http_request_duration_seconds", Help: "HTTP request duration by route and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route", "method"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// observe gives each request an id and a logger, and records its metrics and one log line. It
// logs the route template, never the raw path, so tokens in paths stay out of the logs.
func (s *Server) observe(c *gin.Context) {
	start := time.Now()
	id := c.GetHeader("X-Request-ID")
	if !validRequestID(id) {
		id = newRequestID()
	}
	c.Header("X-Request-ID", id)
	c.Set(ctxRequestID, id)
	log := s.log.With("request_id", id)
	c.Set(ctxLogger, log)

	c.Next()

	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	status := c.Writer.Status()
	if c.IsWebsocket() && !c.Writer.Written() && status == http.StatusOK {
		// The connection was hijacked by a successful upgrade; gin never saw the 101.
		status = http.StatusSwitchingProtocols
	}
	elapsed := time.Since(start)
	s.metrics.requests.WithLabelValues(route, c.Request.Method, strconv.Itoa(status)).Inc()
	s.metrics.duration.WithLabelValues(route, c.Request.Method).Observe(elapsed.Seconds())
	attrs := []any{"method", c.Request.Method, "route", route, "status", status, "duration_ms", float64(elapsed.Microseconds()) / 1000}
	if caller, ok := callerOf(c); ok {
		attrs = append(attrs, "user_id", caller.User.ID)
	}
	level := slog.LevelInfo
	switch {
	case status == http.StatusServiceUnavailable:
		level = slog.LevelWarn // the database or the server is briefly out of reach; nothing failed
	case status >= 500:
		level = slog.LevelError
	}
	log.Log(c.Request.Context(), level, "request", attrs...)
}

// recoverPanics turns a panic into a logged 500 instead of a dropped connection.
func recoverPanics(c *gin.Context) {
	defer func() {
		if r := recover(); r != nil {
			if errors.Is(asError(r), http.ErrAbortHandler) {
				panic(r)
			}
			logger(c).Error("panic", "panic", r)
			abort(c, http.StatusInternalServerError, fault.New(fault.Internal, fault.InternalMessage))
		}
	}()
	c.Next()
}

func asError(r any) error {
	if err, ok := r.(error); ok {
		return err
	}
	return nil
}

// contentSecurityPolicy keeps the web app to its own origin: no inline script, no framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func (s *Server) securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	// The live room's voice needs the microphone (and, optionally, the camera) on the app's own
	// page; no other origin, and no frame, gets either.
	h.Set("Permissions-Policy", "camera=(self), microphone=(self), geolocation=()")
	if s.cfg.CookieSecure {
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
	c.Next()
}

// limitRequestHead answers 431 too_large to a request whose line and headers exceed
// maxRequestHeadBytes, counted as they travel ("Name: value" lines).
func limitRequestHead(c *gin.Context) {
	size := len(c.Request.Method) + len(c.Request.RequestURI) + len(c.Request.Proto) + 4
	for name, values := range c.Request.Header {
		for _, v := range values {
			size += len(name) + len(v) + 4
		}
	}
	if size > maxRequestHeadBytes {
		// The one status outside the table: too large, in the request's head rather than its body.
		abort(c, http.StatusRequestHeaderFieldsTooLarge, fault.New(fault.TooLarge, "The address or headers of the request are too long."))
		return
	}
	c.Next()
}

// limitBody caps the request body: every route at MaxBodyBytes, but a document upload at
// MaxDocumentBytes.
func (s *Server) limitBody(c *gin.Context) {
	if c.Request.Body != nil {
		limit := s.cfg.MaxBodyBytes
		if c.FullPath() == documentUploadRoute {
			limit = s.cfg.MaxDocumentBytes
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	}
	c.Next()
}

// OriginAllowed reports whether a browser origin may call the API with credentials: the listed
// origins and the server's own host.
func (s *Server) OriginAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	if slices.Contains(s.cfg.AllowedOrigins, origin) {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

// checkOrigin refuses unsafe requests from foreign origins. A cookie-authenticated unsafe request
// must name an allowed origin (Origin, or failing that Referer): the cookie alone proves nothing.
func (s *Server) checkOrigin(c *gin.Context) {
	switch c.Request.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		c.Next()
		return
	}
	r := c.Request
	origin := r.Header.Get("Origin")
	if origin == "" {
		if ref, err := url.Parse(r.Header.Get("Referer")); err == nil && ref.Host != "" {
			origin = ref.Scheme + "://" + ref.Host
			r = r.Clone(r.Context())
			r.Header.Set("Origin", origin)
		}
	}
	_, cookieErr := c.Request.Cookie(sessionCookie)
	usesCookie := cookieErr == nil && bearerToken(c.Request) == ""
	if origin == "" && !usesCookie {
		c.Next()
		return
	}
	if !s.OriginAllowed(r) {
		fail(c, fault.New(fault.BadOrigin, "This request came from a site that is not allowed to use Amend."))
		return
	}
	c.Next()
}

func callerOf(c *gin.Context) (*Caller, bool) {
	v, ok := c.Get(ctxCaller)
	if !ok {
		return nil, false
	}
	return v.(*Caller), true
}

// mustCaller returns the caller on routes behind requireAuth.
func mustCaller(c *gin.Context) *Caller {
	caller, _ := callerOf(c)
	return caller
}

// noBody guards actions that take no input: a request that sends a body anyway is refused
// before anything happens, so a malformed client can never trigger them by accident.
func noBody(c *gin.Context) {
	if c.Request.ContentLength != 0 {
		fail(c, fault.New(fault.BadRequest, "This request takes no body."))
		return
	}
	c.Next()
}

// MaxHeaderBytes is what the HTTP server reads of a request line and headers before it refuses
// the request itself (in plain text). maxRequestHeadBytes, half of it, is the API's own limit,
// answered with a JSON error, so callers meet that one first.
const (
	MaxHeaderBytes      = 64 << 10
	maxRequestHeadBytes = MaxHeaderBytes / 2
)
