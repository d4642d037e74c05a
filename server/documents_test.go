package server

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/amendcare/amend/server/store"
)

// Small files of each kind, as their first bytes make them.
var (
	pngBytes  = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")
	pdfBytes  = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	htmlBytes = []byte("<!doctype html><html><body><script>alert(1)</script></body></html>")
)

// document adds content to p's Couple as author, with the visibility, and returns its id.
func (w *world) document(p *practice, author *actor, visibility string, content []byte) int64 {
	w.t.Helper()
	d, err := w.store.CreateDocument(context.Background(), store.NewDocument{PracticeID: p.ID, CoupleID: p.CoupleID,
		AuthorID: author.ID, Name: "scan.png", ContentType: "image/png", Content: content, Visibility: visibility})
	if err != nil {
		w.t.Fatal(err)
	}
	return d.ID
}

// TestDocumentPrivacyForEveryAuthorReaderAndVisibility walks every author (each partner and the
// therapist), visibility and reader over a document, its content and the couple's list.
func TestDocumentPrivacyForEveryAuthorReaderAndVisibility(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	readers := []*actor{p.PartnerA, p.PartnerB, p.Therapist, p.OtherTherapist, p.Admin, p.OtherPartner, w.B.Therapist, w.B.PartnerA}
	// opens says whether reader may open a document author added with visibility.
	opens := func(author, reader *actor, visibility string) bool {
		switch {
		case reader == author:
			return true
		case visibility == store.VisibilityPrivate:
			return false
		case reader == p.Therapist:
			return true
		}
		return visibility == store.VisibilityPartner && (reader == p.PartnerA || reader == p.PartnerB)
	}
	mayList := func(reader *actor) bool { return reader == p.PartnerA || reader == p.PartnerB || reader == p.Therapist }
	for _, author := range []*actor{p.PartnerA, p.PartnerB, p.Therapist} {
		for _, visibility := range []string{store.VisibilityPrivate, store.VisibilityTherapist, store.VisibilityPartner} {
			content := append(append([]byte{}, pngBytes...), []byte(author.Name+visibility)...)
			documentID := w.document(p, author, visibility, content)
			for _, reader := range readers {
				t.Run(fmt.Sprintf("%s adds %s, %s reads", author.Name, visibility, reader.Name), func(t *testing.T) {
					want := http.StatusNotFound
					if opens(author, reader, visibility) {
						want = http.StatusOK
					}
					for _, suffix := range []string{"", "/content"} {
						if res := reader.do(http.MethodGet, "/api/v1/documents/"+id(documentID)+suffix, nil); res.Status != want {
							t.Errorf("document%s: got %d, want %d", suffix, res.Status, want)
						}
					}
					list := reader.do(http.MethodGet, "/api/v1/couples/"+id(p.CoupleID)+"/documents", nil)
					if mayList(reader) != (list.Status == http.StatusOK) {
						t.Fatalf("list: got %d %s", list.Status, list.Body)
					}
					if list.Status == http.StatusOK {
						var body struct{ Documents []store.Document }
						list.JSON(t, &body)
						listed := slices.ContainsFunc(body.Documents, func(d store.Document) bool { return d.ID == documentID })
						if listed != (want == http.StatusOK) {
							t.Errorf("listed: %v, want %v", listed, want == http.StatusOK)
						}
					}
				})
			}
		}
	}
}

// TestDocumentTypeIsReadFromItsBytes: the stored type comes from the file's bytes, whatever the
// request says; what is neither a PDF nor an image, empty, or too large is refused; the download
// carries the stored type, an attachment disposition and nosniff, and the hash matches the bytes.
func TestDocumentTypeIsReadFromItsBytes(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	// A type docs/api.yaml does not list, no file at all or an unknown visibility is a request
	// invalid on purpose.
	send := func(who *actor, query, declared string, content []byte) *response {
		headers := map[string]string{"Authorization": "Bearer " + who.Token, "Content-Type": declared}
		if declared == "text/html" || len(content) == 0 || strings.Contains(query, "visibility=everyone") {
			headers[deliberatelyInvalid] = "yes"
		}
		return w.request(http.MethodPost, "/api/v1/couples/"+id(p.CoupleID)+"/documents"+query, content, headers)
	}
	for _, tc := range []struct {
		name, declared string
		content        []byte
		status         int
		contentType    string
	}{
		{"an image sent as HTML", "text/html", pngBytes, http.StatusCreated, "image/png"},
		{"a PDF sent as an image", "image/png", pdfBytes, http.StatusCreated, "application/pdf"},
		{"HTML sent as a PDF", "application/pdf", htmlBytes, http.StatusUnprocessableEntity, ""},
		{"plain text sent as an image", "image/jpeg", []byte("just words"), http.StatusUnprocessableEntity, ""},
		{"nothing", "application/pdf", nil, http.StatusUnprocessableEntity, ""},
		{"a file over the limit", "application/pdf", append(append([]byte{}, pdfBytes...), make([]byte, 10<<20)...),
			http.StatusRequestEntityTooLarge, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := send(p.PartnerA, "?name=..%2F..%2Fscan%0D%0A.bin&visibility=partner", tc.declared, tc.content)
			if res.Status != tc.status {
				t.Fatalf("got %d %s, want %d", res.Status, truncate(res.Body), tc.status)
			}
			if tc.status != http.StatusCreated {
				return
			}
			var d store.Document
			res.JSON(t, &d)
			sum := sha256.Sum256(tc.content)
			if d.ContentType != tc.contentType || d.Name != "scan.bin" || d.Size != int64(len(tc.content)) || d.SHA256.String() != fmt.Sprintf("%x", sum) {
				t.Errorf("stored %+v", d)
			}
			for _, reader := range []*actor{p.PartnerA, p.PartnerB, p.Therapist} {
				got := reader.do(http.MethodGet, "/api/v1/documents/"+id(d.ID)+"/content", nil)
				if got.Status != http.StatusOK || string(got.Body) != string(tc.content) ||
					got.Header.Get("Content-Type") != tc.contentType || got.Header.Get("X-Content-Type-Options") != "nosniff" ||
					got.Header.Get("Content-Disposition") != `attachment; filename=scan.bin` {
					t.Errorf("%s downloads: %d %v", reader.Name, got.Status, got.Header)
				}
			}
		})
	}
	if res := send(p.PartnerA, "?visibility=everyone", "image/png", pngBytes); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("an unknown visibility: got %d, want 422", res.Status)
	}
	if res := send(p.OtherPartner, "", "image/png", pngBytes); res.Status != http.StatusNotFound {
		t.Errorf("a partner of another couple adds a document: got %d, want 404", res.Status)
	}
	// An administrator sees the couple's file but none of its documents.
	if res := send(p.Admin, "", "image/png", pngBytes); res.Status != http.StatusNotFound {
		t.Errorf("an administrator adds a document: got %d %s, want 404", res.Status, res.Body)
	}
}
