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

	// Live sessions are read through the hub's log where this instance runs them; an instance
	// without a hub still reads their records (summaries, transcripts, exports).
	if s.hub != nil {
		s.liveLog = s.hub.Log()
		s.hub.OnSessionEnded(s.liveSessionEnded)
	} else {
		s.liveLog = realtime.NewLog(s.store.DB())
	}
	s.routes(e, d.Registry)
	s.engine = e
	return s, nil
}

// routes registers every route, grouped by resource. Routes on api carry their own credential or
// none; enrolling lets in sessions that may only set up a second factor; authed is everything else.
func (s *Server) routes(e *gin.Engine, registry *prometheus.Registry) {
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", gin.WrapH(promhttp.HandlerFor(registry, promhttp.HandlerOpts{})))

	api := e.Group("/api/v1", s.limitBody, s.checkOrigin)
	// A session whose practice requires a second factor its user lacks may only set one up.
	enrolling := api.Group("", s.requireAuth, s.audit)
	authed := api.Group("", s.requireAuth, s.refuseUntilEnrolled, s.audit)

	// Signing in, invites and password resets: the token in the path or body is the credential.
	api.POST("/auth/login", s.login)
	api.POST("/auth/login/second-factor", s.loginSecondStep)
	api.POST("/auth/logout", noBody, s.logout)
	api.POST("/auth/password-resets", s.requestPasswordReset)
	api.POST("/auth/password-resets/:token", s.resetPassword)
	api.GET("/invites/:token", s.showInvite)
	api.POST("/invites/:token/accept", s.acceptInvite)
	api.POST("/mail/unsubscribe", s.unsubscribe)
	api.GET("/calendar/:token", s.calendarFeed)

	// The signed-in person.
	enrolling.GET("/me", s.me)
	enrolling.GET("/me/second-factor", s.getSecondFactor)
	enrolling.POST("/me/second-factor", noBody, s.beginSecondFactor)
	enrolling.POST("/me/second-factor/confirm", s.confirmSecondFactor)
	authed.POST("/me/second-factor/disable", s.disableSecondFactor)
	authed.GET("/me/sign-ins", s.signIns)
	authed.PUT("/me/password", s.changePassword)
	authed.GET("/me/mail-preferences", s.getMailPreferences)
	authed.PUT("/me/mail-preferences", s.setMailPreferences)
	authed.GET("/me/events", s.meEvents)

	// The practice and its settings.
	authed.GET("/practices/:pid", s.getPractice)
	authed.GET("/practices/:pid/audit", s.listAudit)
	authed.GET("/practices/:pid/policy", s.showPolicy)
	authed.GET("/practices/:pid/security-settings", s.getSecuritySettings)
	authed.PUT("/practices/:pid/security-settings", s.setSecuritySettings)
	authed.GET("/practices/:pid/mail-settings", s.getMailSettings)
	authed.PUT("/practices/:pid/mail-settings", s.setMailSettings)
	authed.GET("/practices/:pid/mailbox", s.listMailbox)
	authed.GET("/practices/:pid/scheduling-settings", s.getSchedulingSettings)
	authed.PUT("/practices/:pid/scheduling-settings", s.setSchedulingSettings)

	// Members and staff invites.
	authed.GET("/practices/:pid/members", s.listMembers)
	authed.GET("/practices/:pid/members/:uid", s.getMember)
	authed.PATCH("/practices/:pid/members/:uid", s.updateMember)
	authed.POST("/practices/:pid/invites", s.createStaffInvite)
	authed.GET("/practices/:pid/invites", s.listInvites)
	authed.DELETE("/practices/:pid/invites/:id", s.revokeInvite)

	// Couples, their care teams and partner invites.
	authed.GET("/practices/:pid/couples", s.listCouples)
	authed.POST("/practices/:pid/couples", s.createCouple)
	authed.GET("/couples/:id", s.getCouple)
	authed.PATCH("/couples/:id", s.updateCouple)
	authed.PUT("/couples/:id/care-team", s.setCareTeam)
	authed.GET("/concerns", s.listConcerns)
	authed.POST("/couples/:id/invites", s.invitePartner)

	// Data rights: a couple's export and erasure.
	authed.GET("/couples/:id/export", s.exportCouple)
	authed.GET("/couples/:id/export.html", s.exportCoupleHTML)
	authed.POST("/couples/:id/erase", s.eraseCouple)

	// The exercise library.
	authed.GET("/practices/:pid/exercises", s.listExercises)
	authed.POST("/practices/:pid/exercises", s.createExercise)
	authed.GET("/practices/:pid/exercises/:id", s.getExercise)
	authed.PUT("/practices/:pid/exercises/:id", s.reviseExercise)

	// Assignments, their responses and comments.
	authed.GET("/couples/:id/assignments", s.listAssignments)
	authed.POST("/couples/:id/assignments", s.createAssignments)
	authed.GET("/assignments/:id", s.getAssignment)
	authed.POST("/assignments/:id/reopen", noBody, s.reopenAssignment)
	authed.GET("/assignments/:id/response", s.getResponse)
	authed.PUT("/assignments/:id/draft", s.saveDraft)
	authed.POST("/assignments/:id/submit", s.submitResponse)
	authed.PUT("/assignments/:id/visibility", s.shareResponse)
	authed.POST("/assignments/:id/review", s.reviewResponse)
	authed.GET("/assignments/:id/comments", s.listComments)
	authed.POST("/assignments/:id/comments", s.addComment)

	// Forms: the practice's templates, forms sent to partners, their answers and signatures.
	authed.GET("/practices/:pid/form-templates", s.listFormTemplates)
	authed.POST("/practices/:pid/form-templates", s.createFormTemplate)
	authed.GET("/practices/:pid/form-templates/:id", s.getFormTemplate)
	authed.PUT("/practices/:pid/form-templates/:id", s.reviseFormTemplate)
	authed.POST("/couples/:id/forms", s.sendForms)
	authed.GET("/couples/:id/forms", s.listForms)
	authed.GET("/couples/:id/safety-flags", s.listSafetyFlags)
	authed.GET("/forms/:id", s.getForm)
	authed.GET("/forms/:id/screening", s.getScreening)
	authed.PUT("/forms/:id/draft", s.saveFormDraft)
	authed.POST("/forms/:id/submit", s.submitForm)
	authed.POST("/forms/:id/sign", s.signForm)
	authed.PUT("/forms/:id/visibility", s.shareForm)
	authed.GET("/forms/:id/signed.pdf", s.downloadSignedForm)

	// Documents.
	authed.POST("/couples/:id/documents", s.uploadDocument)
	authed.GET("/couples/:id/documents", s.listDocuments)
	authed.GET("/documents/:id", s.getDocument)
	authed.GET("/documents/:id/content", s.downloadDocument)
	authed.PUT("/documents/:id/visibility", s.shareDocument)
	authed.DELETE("/documents/:id", s.deleteDocument)

	// Check-ins.
	authed.GET("/feeling-words", s.listFeelingWords)
	authed.POST("/couples/:id/checkins", s.saveCheckin)
	authed.GET("/couples/:id/checkins", s.listCheckins)
	authed.GET("/checkins/:id", s.getCheckin)
	authed.PATCH("/checkins/:id", s.updateCheckin)

	// Commitments.
	authed.POST("/couples/:id/commitments", s.createCommitment)
	authed.GET("/couples/:id/commitments", s.listCommitments)
	authed.GET("/commitments/:id", s.getCommitment)
	authed.POST("/commitments/:id/end", noBody, s.endCommitment)
	authed.POST("/commitments/:id/checks", s.recordCommitmentCheck)

	// Measures and their schedules.
	authed.GET("/questionnaires", s.listQuestionnaires)
	authed.POST("/couples/:id/measures", s.createMeasure)
	authed.GET("/couples/:id/measures", s.listMeasures)
	authed.GET("/measures/:id", s.getMeasure)
	authed.PATCH("/measures/:id", s.updateMeasure)
	authed.GET("/couples/:id/measure-schedules", s.listMeasureSchedules)
	authed.PUT("/couples/:id/measure-schedules/:key", s.setMeasureSchedule)
	authed.DELETE("/couples/:id/measure-schedules/:key", s.deleteMeasureSchedule)
	authed.GET("/couples/:id/measures-due", s.listDueMeasures)

	// Progress and divergence.
	authed.GET("/couples/:id/progress", s.getProgress)
	authed.GET("/couples/:id/divergence", s.getDivergence)

	// Treatment plans.
	authed.POST("/couples/:id/treatment-plans", s.createPlan)
	authed.GET("/couples/:id/treatment-plans", s.listPlans)
	authed.GET("/treatment-plans/:id", s.getPlan)
	authed.PUT("/treatment-plans/:id", s.updatePlan)
	authed.POST("/treatment-plans/:id/sign", noBody, s.signPlan)
	authed.POST("/treatment-plans/:id/acknowledge", noBody, s.acknowledgePlan)

	// Clinical notes.
	authed.GET("/note-templates", s.listNoteTemplates)
	authed.POST("/couples/:id/notes", s.createNote)
	authed.GET("/couples/:id/notes", s.listNotes)
	authed.GET("/notes/:id", s.getNote)
	authed.PATCH("/notes/:id", s.updateNote)
	authed.POST("/notes/:id/sign", noBody, s.signNote)
	authed.POST("/notes/:id/addenda", s.addNoteAddendum)

	// Appointments and series.
	authed.POST("/couples/:id/appointments", s.createAppointment)
	authed.GET("/couples/:id/appointments", s.listCoupleAppointments)
	authed.POST("/couples/:id/appointment-series", s.createSeries)
	authed.GET("/appointments/:id", s.getAppointment)
	authed.POST("/appointments/:id/cancel", noBody, s.cancelAppointment)
	authed.POST("/appointments/:id/move", s.moveAppointment)
	authed.POST("/appointments/:id/attendance", s.recordAttendance)
	authed.POST("/appointments/:id/live", noBody, s.openVideoRoom)

	// Partners' appointment requests and the open slots they choose from.
	authed.GET("/couples/:id/open-slots", s.listOpenSlots)
	authed.POST("/couples/:id/appointment-requests", s.createAppointmentRequest)
	authed.GET("/couples/:id/appointment-requests", s.listAppointmentRequests)
	authed.POST("/appointment-requests/:id/accept", noBody, s.decideAppointmentRequest(true))
	authed.POST("/appointment-requests/:id/decline", noBody, s.decideAppointmentRequest(false))

	// Calendars, rooms and working hours.
	authed.GET("/practices/:pid/calendar", s.practiceCalendar)
	authed.GET("/practices/:pid/rooms", s.listRooms)
	authed.POST("/practices/:pid/rooms", s.createRoom)
	authed.GET("/practices/:pid/members/:uid/appointments", s.listTherapistAppointments)
	authed.POST("/practices/:pid/members/:uid/calendar-feed", noBody, s.rotateCalendarFeed)
	authed.DELETE("/practices/:pid/members/:uid/calendar-feed", s.revokeCalendarFeed)
	authed.GET("/practices/:pid/members/:uid/working-hours", s.getWorkingHours)
	authed.PUT("/practices/:pid/members/:uid/working-hours", s.setWorkingHours)
	authed.GET("/practices/:pid/members/:uid/time-off", s.listTimeOff)
	authed.POST("/practices/:pid/members/:uid/time-off", s.addTimeOff)
	authed.DELETE("/practices/:pid/members/:uid/time-off/:tid", s.deleteTimeOff)

	// Billing: the practice's profile and services, licenses, a couple's account and statements.
	authed.GET("/practices/:pid/billing", s.getBillingSettings)
	authed.PUT("/practices/:pid/billing", s.updateBillingProfile)
	authed.POST("/practices/:pid/billing/services", s.createService)
	authed.PUT("/practices/:pid/billing/services/:sid", s.updateService)
	authed.GET("/practices/:pid/billing/report", s.billingReport)
	authed.GET("/practices/:pid/billing/ledger.csv", s.exportLedger)
	authed.PUT("/practices/:pid/members/:uid/license", s.setLicense)
	authed.GET("/practices/:pid/members/:uid/statement", s.clientStatement)
	authed.GET("/practices/:pid/members/:uid/invoice.pdf", s.clientInvoice)
	authed.GET("/practices/:pid/members/:uid/superbill.pdf", s.clientSuperbill)
	authed.GET("/couples/:id/billing", s.getCoupleBilling)
	authed.PUT("/couples/:id/billing/shares", s.setBillingShares)
	authed.POST("/couples/:id/billing/entries", s.recordLedgerEntry)
	authed.GET("/couples/:id/billing/statement", s.coupleStatement)
	authed.GET("/couples/:id/diagnoses", s.getDiagnoses)
	authed.PUT("/couples/:id/diagnoses", s.setDiagnoses)
	authed.POST("/appointments/:id/charges", s.chargeAppointment)
	authed.POST("/appointments/:id/charges/:kind/void", noBody, s.voidCharge)

	// Live sessions.
	authed.POST("/couples/:id/live-sessions", s.createLiveSession)
	authed.GET("/couples/:id/live-sessions", s.listLiveSessions)
	authed.GET("/live/:id", s.getLiveSession)
	authed.GET("/live/:id/summary", s.liveSummary)
	authed.GET("/live/:id/transcript", s.liveTranscript)
	authed.POST("/live/:id/commands", s.liveCommand)
	authed.GET("/live/:id/ws", s.liveSocket)
}

// Handler is the server's http.Handler.
func (s *Server) Handler() http.Handler { return s.engine }

// OnDisable registers what to do when a member of a practice is disabled (close their live
// connections there).
func (s *Server) OnDisable(fn func(practiceID, userID int64)) { s.onDisable = fn }

func isAPIPath(p string) bool {
	return p == "/api" || len(p) >= 5 && p[:5] == "/api/" || p == "/metrics" || p == "/healthz" || p == "/readyz"
}
