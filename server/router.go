// Package server is Amend's HTTP API: routing, authentication, the access checks against the
// policy table, auditing, and one file per resource.
package server

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/go-playground/validator/v10"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/policy"
	"github.com/amendcare/amend/realtime"
	"github.com/amendcare/amend/server/mail"
	"github.com/amendcare/amend/server/store"
)

// Deps is what a Server is built from.
type Deps struct {
	Config   Config
	Store    *store.Store
	Policy   *policy.Authorizer
	Logger   *slog.Logger
	Registry *prometheus.Registry
	// Ready reports whether the instance can serve (database reachable, schema current).
	Ready func(context.Context) error
	// App serves the web app for every path outside the API; nil serves nothing there.
	App http.Handler
	// Live runs live sessions on this instance; nil leaves their WebSocket unavailable.
	Live *realtime.Hub
	// Mail queues email in the transactions of the changes that cause it; nil sends none.
	Mail *mail.Queue
}

// Server holds the API's dependencies and its router.
type Server struct {
	cfg             Config
	store           *store.Store
	policy          *policy.Authorizer
	decisions       *decisionCache
	audits          *auditBatcher
	log             *slog.Logger
	ready           func(context.Context) error
	validate        *validator.Validate
	metrics         *httpMetrics
	accountThrottle *throttle
	addressThrottle *throttle
	resetThrottle   resetThrottle
	engine          *gin.Engine
	// onDisable is told when a membership is disabled, to close its live connections.
	onDisable func(practiceID, userID int64)
	hub       *realtime.Hub
	liveLog   *realtime.Log
	mail      *mail.Queue
}

// New builds the API.
func New(d Deps) (*Server, error) {
	s := &Server{
		cfg:             d.Config.WithDefaults(),
		store:           d.Store,
		policy:          d.Policy,
		decisions:       &decisionCache{policy: d.Policy},
		audits:          &auditBatcher{store: d.Store},
		log:             d.Logger,
		ready:           d.Ready,
		validate:        newValidator(),
		metrics:         newHTTPMetrics(d.Registry),
		accountThrottle: newThrottle(30e9, 5, 100_000),
		addressThrottle: newThrottle(2e9, 30, 100_000),
		resetThrottle:   newResetThrottle(),
		hub:             d.Live,
		mail:            d.Mail,
	}
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.HandleMethodNotAllowed = true
	if err := e.SetTrustedProxies(s.cfg.TrustedProxies); err != nil {
		return nil, err
	}
	e.Use(s.observe, recoverPanics, s.securityHeaders, limitRequestHead)
	e.NoRoute(func(c *gin.Context) {
		if d.App != nil && c.Request.Method == http.MethodGet && !isAPIPath(c.Request.URL.Path) {
			d.App.ServeHTTP(c.Writer, c.Request)
			return
		}
		fail(c, fault.ErrNotFound)
	})
	e.NoMethod(func(c *gin.Context) {
		fail(c, fault.New(fault.MethodNotAllowed, "This address does not take that method."))
	})

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", gin.WrapH(promhttp.HandlerFor(d.Registry, promhttp.HandlerOpts{})))

	api := e.Group("/api/v1", s.limitBody, s.checkOrigin)
	api.POST("/auth/login", s.login)
	api.POST("/auth/logout", noBody, s.logout)
	api.GET("/invites/:token", s.showInvite)
	api.POST("/invites/:token/accept", s.acceptInvite)

	// A session whose practice requires a second factor its user lacks may only set one up.
	enrolling := api.Group("", s.requireAuth, s.audit)
	enrolling.GET("/me", s.me)
	authed := api.Group("", s.requireAuth, s.refuseUntilEnrolled, s.audit)
	s.registerSecondFactor(api, enrolling, authed)
	authed.GET("/me/sign-ins", s.signIns)
	authed.GET("/practices/:pid", s.getPractice)
	authed.GET("/practices/:pid/members", s.listMembers)
	authed.GET("/practices/:pid/members/:uid", s.getMember)
	authed.PATCH("/practices/:pid/members/:uid", s.updateMember)
	authed.POST("/practices/:pid/invites", s.createStaffInvite)
	authed.GET("/practices/:pid/invites", s.listInvites)
	authed.DELETE("/practices/:pid/invites/:id", s.revokeInvite)
	authed.GET("/practices/:pid/audit", s.listAudit)
	authed.GET("/practices/:pid/policy", s.showPolicy)
	s.registerLive(authed)
	s.registerNotices(authed)
	s.registerCouples(authed)
	s.registerForms(authed)
	s.registerTracking(authed, api)
	s.registerPlans(authed)
	s.registerScheduling(authed)
	s.registerMail(authed, api)
	s.registerPasswords(authed, api)
	s.registerBilling(authed)

	s.engine = e
	return s, nil
}

// Handler is the server's http.Handler.
func (s *Server) Handler() http.Handler { return s.engine }

// OnDisable registers what to do when a member of a practice is disabled (close their live
// connections there).
func (s *Server) OnDisable(fn func(practiceID, userID int64)) { s.onDisable = fn }

func isAPIPath(p string) bool {
	return p == "/api" || len(p) >= 5 && p[:5] == "/api/" || p == "/metrics" || p == "/healthz" || p == "/readyz"
}
