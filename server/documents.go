package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/policy"
	"github.com/amendcare/amend/server/store"
)

// documentUploadRoute takes a document's bytes as its body, so it has a body limit of its own.
const documentUploadRoute = "/api/v1/couples/:id/documents"

// documentTypes are the kinds of file a couple's record takes, as sniffed from their bytes.
var documentTypes = map[string]bool{
	"application/pdf": true, "image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true,
}

// documentName keeps a readable file name: its last path element, without control characters,
// at most 200 characters; "document" when nothing is left.
func documentName(name string) string {
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, name))
	if name == "" || name == "." || name == "/" {
		return "document"
	}
	if runes := []rune(name); len(runes) > 200 {
		name = string(runes[:200])
	}
	return name
}

// uploadDocument adds a PDF or an image to the couple's record. The body is the file itself; its
// type is read from its bytes, whatever the request says it is. The query names the file and who
// may read it (the therapist, by default).
func (s *Server) uploadDocument(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.Document, policy.Create)
	if !ok {
		return
	}
	visibility, ok := queryChoice(c, "visibility", store.VisibilityPrivate, store.VisibilityTherapist, store.VisibilityPartner)
	if !ok {
		return
	}
	if visibility == "" {
		visibility = store.VisibilityTherapist
	}
	content, err := io.ReadAll(c.Request.Body)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		fail(c, fault.Errorf(fault.TooLarge, "The file is too large: a document may be at most %s.",
			megabytes(s.cfg.MaxDocumentBytes)))
		return
	case err != nil:
		fail(c, fault.New(fault.BadRequest, "The file could not be read."))
		return
	case len(content) == 0:
		fail(c, fault.InvalidField("file", "is empty"))
		return
	}
	contentType, _, _ := strings.Cut(http.DetectContentType(content), ";")
	if !documentTypes[contentType] {
		fail(c, fault.InvalidField("file", "must be a PDF or an image (PNG, JPEG, GIF or WebP)"))
		return
	}
	d, err := s.store.CreateDocument(c.Request.Context(), store.NewDocument{PracticeID: access.PracticeID, CoupleID: coupleID,
		AuthorID: mustCaller(c).User.ID, Name: documentName(c.Query("name")), ContentType: contentType, Content: content,
		Visibility: visibility})
	if err != nil {
		fail(c, err)
		return
	}
	auditObject(c, d.ID)
	c.JSON(http.StatusCreated, d)
}

// megabytes writes a size in megabytes.
func megabytes(n int64) string { return fmt.Sprintf("%g MB", float64(n)/(1<<20)) }

func (s *Server) listDocuments(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.Document, policy.List)
	if !ok {
		return
	}
	documents, err := s.readableDocuments(c.Request.Context(), access, coupleID, mustCaller(c).User.ID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"documents": documents})
}

// readableDocuments returns the couple's documents, newest first, that the reader may open.
func (s *Server) readableDocuments(ctx context.Context, access store.Access, coupleID, readerID int64) ([]store.Document, error) {
	all, err := s.store.Documents(ctx, access.PracticeID, coupleID, readerID)
	if err != nil {
		return nil, err
	}
	return readable(s, access, policy.Document, all, func(d store.Document) string { return d.Relation }), nil
}

func (s *Server) getDocument(c *gin.Context) {
	id, access, ok := s.authorizeID(c, "id", store.KindDocument, policy.Document, policy.Read)
	if !ok {
		return
	}
	d, err := s.store.DocumentByID(c.Request.Context(), access.PracticeID, id)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, d)
}

// downloadDocument answers a document's bytes with the type read from them when it was added, as
// a download that the browser neither shows in the page nor sniffs.
func (s *Server) downloadDocument(c *gin.Context) {
	id, access, ok := s.authorizeID(c, "id", store.KindDocument, policy.Document, policy.Read)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	d, err := s.store.DocumentByID(ctx, access.PracticeID, id)
	if err != nil {
		fail(c, err)
		return
	}
	content, err := s.store.DocumentContent(ctx, access.PracticeID, id)
	if err != nil {
		fail(c, err)
		return
	}
	attach(c, d.Name, d.ContentType, content)
}

// documentVisibilityInput chooses who besides its uploader reads a document.
type documentVisibilityInput struct {
	Visibility string `json:"visibility" validate:"required,oneof=private therapist partner"`
}

// shareDocument lets the uploader change who reads their document.
func (s *Server) shareDocument(c *gin.Context) {
	id, access, ok := s.authorizeID(c, "id", store.KindDocument, policy.Document, policy.Share)
	if !ok {
		return
	}
	var in documentVisibilityInput
	if !s.bindJSON(c, &in) {
		return
	}
	d, previous, err := s.store.SetDocumentVisibility(c.Request.Context(), access.PracticeID, id, in.Visibility)
	if err != nil {
		fail(c, err)
		return
	}
	auditChange(c, "visibility", previous, d.Visibility)
	c.JSON(http.StatusOK, d)
}

// deleteDocument removes a document and its bytes from the couple's record, at the uploader's or
// the care team's request; the audit log keeps that it was deleted, and by whom.
func (s *Server) deleteDocument(c *gin.Context) {
	id, access, ok := s.authorizeID(c, "id", store.KindDocument, policy.Document, policy.Delete)
	if !ok {
		return
	}
	if err := s.store.DeleteDocument(c.Request.Context(), access.PracticeID, id); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
