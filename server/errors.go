package server

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/amendcare/amend/server/store"
)

// apiError is the one shape of every error the API answers.
type apiError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// Error codes the API answers with.
const (
	codeBadRequest      = "bad_request"
	codeUnauthenticated = "unauthenticated"
	codeBadCredentials  = "invalid_credentials"
	codeForbidden       = "forbidden"
	codeBadOrigin       = "bad_origin"
	codeNotFound        = "not_found"
	codeConflict        = "conflict"
	codeCoupleClosed    = "couple_closed"
	codeInvalid         = "invalid"
	codeTooLarge        = "too_large"
	codeRateLimited     = "rate_limited"
	// codeSecondFactorRequired: the practice requires a second factor the caller has not set up.
	codeSecondFactorRequired = "second_factor_required"
	codeUnavailable          = "unavailable"
	codeInternal             = "internal"
)

func newError(status int, code, message string) *apiError {
	return &apiError{Status: status, Code: code, Message: message}
}

var (
	errNotFound        = newError(http.StatusNotFound, codeNotFound, "We could not find that.")
	errForbidden       = newError(http.StatusForbidden, codeForbidden, "You are not allowed to do that.")
	errUnauthenticated = newError(http.StatusUnauthorized, codeUnauthenticated, "Please sign in.")
	errCoupleClosed    = newError(http.StatusConflict, codeCoupleClosed,
		"This couple's file is closed, so it takes no new work. Reopen it (set its status to active or paused) to make changes.")
)

// fail answers the request with err mapped to a status and code. Errors the caller cannot act on
// are logged with the request id and answered with a generic message.
func fail(c *gin.Context, err error) {
	var apiErr *apiError
	var invalid *store.InvalidError
	var conflict *store.ConflictError
	switch {
	case errors.As(err, &apiErr):
	case errors.As(err, &invalid):
		msg := invalid.Message
		if msg == "" {
			msg = invalidMessage(invalid.Field, invalid.Reason)
		}
		apiErr = &apiError{Status: http.StatusUnprocessableEntity, Code: codeInvalid, Message: msg, Field: invalid.Field}
	case errors.As(err, &conflict):
		apiErr = &apiError{Status: http.StatusConflict, Code: codeConflict, Message: sentence(conflict.Reason + "."), Field: conflict.Field}
	case errors.Is(err, store.ErrNotFound):
		apiErr = errNotFound
	case errors.Is(err, store.ErrForbidden):
		apiErr = errForbidden
	case errors.Is(err, store.ErrCoupleClosed):
		apiErr = errCoupleClosed
	case errors.Is(err, store.ErrConflict):
		apiErr = newError(http.StatusConflict, codeConflict, "That clashes with something that already exists.")
	case errors.Is(err, store.ErrUnavailable):
		logger(c).Warn("database unavailable", "err", err)
		apiErr = newError(http.StatusServiceUnavailable, codeUnavailable, "The service is briefly unavailable. Please try again in a moment.")
	default:
		logger(c).Error("request failed", "err", err)
		apiErr = newError(http.StatusInternalServerError, codeInternal, "Something went wrong on our side. Please try again.")
	}
	c.AbortWithStatusJSON(apiErr.Status, gin.H{"error": apiErr})
}

func logger(c *gin.Context) *slog.Logger {
	if l, ok := c.Get(ctxLogger); ok {
		return l.(*slog.Logger)
	}
	return slog.Default()
}

// invalidMessage makes a sentence of a field and what is wrong with it ("due_on", "is required" ->
// "Due on is required.").
func invalidMessage(field, reason string) string {
	if field == "" {
		return "Please check this field: " + reason + "."
	}
	return sentence(fieldWords(field) + " " + reason + ".")
}

// fieldWords names a field the way a person reads it: the last part of its path, words apart
// ("sections.assessment" -> "assessment", "due_on" -> "due on"). The field itself still travels in
// the error's field, for the screen to point at.
func fieldWords(field string) string {
	return strings.ReplaceAll(field[strings.LastIndex(field, ".")+1:], "_", " ")
}

// sentence starts text with a capital letter.
func sentence(text string) string {
	if text == "" {
		return text
	}
	return strings.ToUpper(text[:1]) + text[1:]
}
