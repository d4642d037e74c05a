package server

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/amendcare/amend/policy"
	"github.com/amendcare/amend/server/store"
)

// contentInput is the body of a request that writes a practice's versioned content: it turns
// itself into what the store keeps, or refuses what it cannot take.
type contentInput[C any] interface {
	content() (C, error)
}

// versionedContent is one kind of a practice's versioned content (its exercises, its form
// templates) as the handlers that write it see it: the policy's object, the kind of ref the
// relation query resolves, and the store's calls.
type versionedContent[C any] struct {
	object policy.Object
	kind   store.Kind
	create func(ctx context.Context, practiceID, authorID int64, in C) (int64, error)
	revise func(ctx context.Context, practiceID, id, authorID int64, in C) error
	// latest reads the content at its newest version, as the API answers it.
	latest func(ctx context.Context, practiceID, id int64) (any, error)
}

// authorizeVersioned authorizes action on the practice's content of kind named in the path (:pid
// and :id); like authorize, it answers the request itself when the caller may not.
func (s *Server) authorizeVersioned(c *gin.Context, kind store.Kind, object policy.Object, action policy.Action) (pid, id int64, ok bool) {
	if pid, ok = pathID(c, "pid"); !ok {
		return 0, 0, false
	}
	if id, ok = pathID(c, "id"); !ok {
		return 0, 0, false
	}
	_, ok = s.authorize(c, store.Ref{Kind: kind, ID: id, PracticeID: pid}, object, action)
	return pid, id, ok
}

// createVersioned adds the practice's own content of kind at version 1 and answers it.
func createVersioned[In contentInput[C], C any](s *Server, c *gin.Context, kind versionedContent[C]) {
	pid, _, ok := s.authorizeID(c, "pid", store.KindPractice, kind.object, policy.Create)
	if !ok {
		return
	}
	content, ok := bindContent[In](s, c)
	if !ok {
		return
	}
	id, err := kind.create(c.Request.Context(), pid, mustCaller(c).User.ID, content)
	if err != nil {
		fail(c, err)
		return
	}
	auditObject(c, id)
	answerLatest(c, kind, http.StatusCreated, pid, id)
}

// reviseVersioned stores new content as the next version of the practice's content of kind and
// answers it; whatever uses an earlier version keeps it.
func reviseVersioned[In contentInput[C], C any](s *Server, c *gin.Context, kind versionedContent[C]) {
	pid, id, ok := s.authorizeVersioned(c, kind.kind, kind.object, policy.Update)
	if !ok {
		return
	}
	content, ok := bindContent[In](s, c)
	if !ok {
		return
	}
	if err := kind.revise(c.Request.Context(), pid, id, mustCaller(c).User.ID, content); err != nil {
		fail(c, err)
		return
	}
	answerLatest(c, kind, http.StatusOK, pid, id)
}

// bindContent reads the request's body as In and turns it into content; it answers the request
// itself and returns false when the body is refused.
func bindContent[In contentInput[C], C any](s *Server, c *gin.Context) (C, bool) {
	var in In
	if !s.bindJSON(c, &in) {
		var none C
		return none, false
	}
	content, err := in.content()
	if err != nil {
		fail(c, err)
		return content, false
	}
	return content, true
}

// answerLatest answers with the content at its newest version, as it now stands.
func answerLatest[C any](c *gin.Context, kind versionedContent[C], status int, pid, id int64) {
	latest, err := kind.latest(c.Request.Context(), pid, id)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(status, latest)
}
