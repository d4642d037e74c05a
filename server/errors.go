package server

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/amendcare/amend/fault"
)

// httpStatus is the one table from the error vocabulary's codes to HTTP statuses.
var httpStatus = map[string]int{
	fault.BadRequest:           http.StatusBadRequest,
	fault.Unauthenticated:      http.StatusUnauthorized,
	fault.InvalidCredentials:   http.StatusUnauthorized,
	fault.Forbidden:            http.StatusForbidden,
	fault.BadOrigin:            http.StatusForbidden,
	fault.SecondFactorRequired: http.StatusForbidden,
	fault.NotFound:             http.StatusNotFound,
	fault.MethodNotAllowed:     http.StatusMethodNotAllowed,
	fault.Conflict:             http.StatusConflict,
	fault.CoupleClosed:         http.StatusConflict,
	fault.NotYourTurn:          http.StatusConflict,
	fault.Paused:               http.StatusConflict,
	fault.Ended:                http.StatusConflict,
	fault.TooLarge:             http.StatusRequestEntityTooLarge,
	fault.Invalid:              http.StatusUnprocessableEntity,
	fault.UpgradeRequired:      http.StatusUpgradeRequired,
	fault.RateLimited:          http.StatusTooManyRequests,
	fault.Unavailable:          http.StatusServiceUnavailable,
}

var errUnauthenticated = fault.New(fault.Unauthenticated, "Please sign in.")

// errorBody is the one shape of every error the API answers.
type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// fail answers the request with err's code mapped to its status. An unreachable database is
// logged as a warning; an error with no code of the vocabulary (or one HTTP has no status for)
// is logged with the request id and answered with a generic message.
func fail(c *gin.Context, err error) {
	e, ok := errors.AsType[*fault.Error](err)
	status, known := httpStatus[fault.ErrorCode(err)]
	switch {
	case ok && e.Code == fault.Unavailable && e.Err != nil:
		logger(c).Warn("database unavailable", "err", err)
	case !ok || !known:
		logger(c).Error("request failed", "err", err)
		e, status = fault.New(fault.Internal, fault.InternalMessage), http.StatusInternalServerError
	}
	abort(c, status, e)
}

// abort answers the request with status and e as the error body.
func abort(c *gin.Context, status int, e *fault.Error) {
	c.AbortWithStatusJSON(status, gin.H{"error": errorBody{Code: e.Code, Message: e.Message, Field: e.Field}})
}

func logger(c *gin.Context) *slog.Logger {
	if l, ok := c.Get(ctxLogger); ok {
		return l.(*slog.Logger)
	}
	return slog.Default()
}
