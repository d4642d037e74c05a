package server

import "time"

// zeroTime asks for "as soon as possible" where a time is expected.
var zeroTime time.Time

// Config holds what the HTTP server needs to know; cmd/amend builds it from flags and environment.
type Config struct {
	// AllowedOrigins lists the origins (scheme://host[:port]) browsers may call from, for cookie
	// requests and WebSockets; the server's own host is always allowed.
	AllowedOrigins []string
	// CookieSecure marks the session cookie Secure (set it behind HTTPS).
	CookieSecure bool
	// TrustedProxies are the addresses whose X-Forwarded-For is believed; none by default.
	TrustedProxies []string
	// IdleTimeout ends a session after this long without requests; AbsoluteTimeout in any case.
	IdleTimeout     time.Duration
	AbsoluteTimeout time.Duration
	// InviteTTL is how long an invite token stays valid.
	InviteTTL time.Duration
	// MaxBodyBytes caps request bodies.
	MaxBodyBytes int64
	// MaxDocumentBytes caps a document added to a couple's record (a PDF or an image).
	MaxDocumentBytes int64
	// MinPasswordLength is the shortest password accepted.
	MinPasswordLength int
	// Now is the clock that one-time tokens (password resets) expire by and that refills the
	// sign-in throttles; nil is the real clock. Tests move it instead of waiting.
	Now func() time.Time
	// MailboxPractices names the practices whose administrators may open the development mailbox:
	// the demo practice.
	MailboxPractices []string
}

// WithDefaults fills unset fields with Amend's defaults.
func (c Config) WithDefaults() Config {
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 30 * time.Minute
	}
	if c.AbsoluteTimeout <= 0 {
		c.AbsoluteTimeout = 12 * time.Hour
	}
	if c.InviteTTL <= 0 {
		c.InviteTTL = 7 * 24 * time.Hour
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.MaxDocumentBytes <= 0 {
		c.MaxDocumentBytes = 10 << 20
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.MinPasswordLength <= 0 {
		c.MinPasswordLength = 10
	}
	return c
}
