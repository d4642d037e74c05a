package realtime

import (
	"errors"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/realtime/floor"
)

// ErrSessionNotFound means no live session has the id.
var ErrSessionNotFound = fault.New(fault.NotFound, "We could not find that.")

// refused carries a refusal of the floor rules, which import nothing of Amend's, into the error
// vocabulary: the floor's not_allowed is forbidden, its bad_request invalid, every other code the
// same. Any other error comes back as it is.
func refused(err error) error {
	r, ok := errors.AsType[*floor.Error](err)
	if !ok {
		return err
	}
	switch r.Code {
	case floor.CodeNotAllowed:
		return fault.New(fault.Forbidden, r.Message)
	case floor.CodeBadRequest:
		return fault.New(fault.Invalid, r.Message)
	}
	return fault.New(r.Code, r.Message)
}
