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
// documentOpens says whether reader may open a document of p's couple that author added with
// visibility: its author always, the care team unless it is private, the partners when shared.
func documentOpens(p *practice, author, reader *actor, visibility string) bool {
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

func TestDocumentPrivacyForEveryAuthorReaderAndVisibility(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	readers := []*actor{p.PartnerA, p.PartnerB, p.Therapist, p.OtherTherapist, p.Admin, p.OtherPartner, w.B.Therapist, w.B.PartnerA}
	opens := func(author, reader *actor, visibility string) bool {
		return documentOpens(p, author, reader, visibility)
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

// TestDocumentDeletionAndVisibilityForEveryAuthorReaderAndVisibility walks every author, visibility
// and caller over a document: its uploader may change who reads it and delete it, the care team may
// delete what they can open, and everyone else is refused as for any object they may or may not
// see. After each change the document, its content and the couple's list and count read as the new
// visibility says; after a deletion nobody opens it, its bytes are gone and the audit log keeps it.
func TestDocumentDeletionAndVisibilityForEveryAuthorReaderAndVisibility(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	callers := []*actor{p.PartnerA, p.PartnerB, p.Therapist, p.OtherTherapist, p.Admin, p.OtherPartner, w.B.Therapist, w.B.PartnerA}
	members := []*actor{p.PartnerA, p.PartnerB, p.Therapist}
	opens := func(author, reader *actor, visibility string) bool {
		return documentOpens(p, author, reader, visibility)
	}
	// refusal is the answer to a caller who may not change the document: 403 if they may read it,
	// 404 if they may not know it exists.
	refusal := func(author, caller *actor, visibility string) int {
		if opens(author, caller, visibility) {
			return http.StatusForbidden
		}
		return http.StatusNotFound
	}
	// listed counts the documents of the couple that reader's list holds, or -1 when they may not list.
	listed := func(t *testing.T, reader *actor, documentID int64) (count int, holds bool) {
		t.Helper()
		res := reader.do(http.MethodGet, "/api/v1/couples/"+id(p.CoupleID)+"/documents", nil)
		if res.Status != http.StatusOK {
			t.Fatalf("%s lists: %d %s", reader.Name, res.Status, res.Body)
		}
		var body struct{ Documents []store.Document }
		res.JSON(t, &body)
		return len(body.Documents), slices.ContainsFunc(body.Documents, func(d store.Document) bool { return d.ID == documentID })
	}
	// readsAs checks that every member of the couple opens, downloads and lists the document exactly
	// when visibility lets them, and that their count moves with it.
	readsAs := func(t *testing.T, author *actor, documentID int64, visibility string, before map[*actor]int) {
		t.Helper()
		for _, reader := range members {
			want := opens(author, reader, visibility)
			for _, suffix := range []string{"", "/content"} {
				res := reader.do(http.MethodGet, "/api/v1/documents/"+id(documentID)+suffix, nil)
				if (res.Status == http.StatusOK) != want || (!want && res.Status != http.StatusNotFound) {
					t.Errorf("%s opens document%s (%s): got %d, want it %v", reader.Name, suffix, visibility, res.Status, want)
				}
			}
			count, holds := listed(t, reader, documentID)
			wantCount := before[reader]
			if want {
				wantCount++
			}
			if holds != want || count != wantCount {
				t.Errorf("%s's list (%s): holds it %v, %d documents; want %v, %d", reader.Name, visibility, holds, count, want, wantCount)
			}
		}
	}
	counts := func(t *testing.T) map[*actor]int {
		t.Helper()
		out := map[*actor]int{}
		for _, reader := range members {
			out[reader], _ = listed(t, reader, 0)
		}
		return out
	}
	for _, author := range members {
		for _, visibility := range []string{store.VisibilityPrivate, store.VisibilityTherapist, store.VisibilityPartner} {
			t.Run(fmt.Sprintf("%s adds %s", author.Name, visibility), func(t *testing.T) {
				before := counts(t)
				documentID := w.document(p, author, visibility, pngBytes)
				path := "/api/v1/documents/" + id(documentID)
				for _, caller := range callers {
					if caller == author {
						continue
					}
					res := caller.do(http.MethodPut, path+"/visibility", map[string]string{"visibility": store.VisibilityPartner})
					if want := refusal(author, caller, visibility); res.Status != want {
						t.Errorf("%s changes its visibility: got %d, want %d", caller.Name, res.Status, want)
					}
					mayDelete := caller == p.Therapist && opens(author, caller, visibility)
					if mayDelete {
						continue
					}
					if res := caller.do(http.MethodDelete, path, nil); res.Status != refusal(author, caller, visibility) {
						t.Errorf("%s deletes it: got %d, want %d", caller.Name, res.Status, refusal(author, caller, visibility))
					}
				}
				readsAs(t, author, documentID, visibility, before)
				for _, to := range []string{store.VisibilityPartner, store.VisibilityPrivate, store.VisibilityTherapist} {
					res := author.do(http.MethodPut, path+"/visibility", map[string]string{"visibility": to})
					var d store.Document
					res.JSON(t, &d)
					if res.Status != http.StatusOK || d.Visibility != to {
						t.Fatalf("%s shares it %s: %d %s", author.Name, to, res.Status, res.Body)
					}
					readsAs(t, author, documentID, to, before)
				}
			})
		}
	}
	for _, deleter := range members {
		t.Run(deleter.Name+" deletes", func(t *testing.T) {
			author := deleter
			if deleter == p.Therapist {
				author = p.PartnerB // the care team deletes a partner's document they can read
			}
			before := counts(t)
			documentID := w.document(p, author, store.VisibilityTherapist, pngBytes)
			path := "/api/v1/documents/" + id(documentID)
			if res := deleter.do(http.MethodDelete, path, nil); res.Status != http.StatusNoContent {
				t.Fatalf("delete: %d %s", res.Status, res.Body)
			}
			for _, reader := range members {
				for _, suffix := range []string{"", "/content", "/visibility"} {
					method := http.MethodGet
					var body any
					if suffix == "/visibility" {
						method, body = http.MethodPut, map[string]string{"visibility": store.VisibilityPartner}
					}
					if res := reader.do(method, path+suffix, body); res.Status != http.StatusNotFound {
						t.Errorf("%s %s document%s after its deletion: got %d, want 404", reader.Name, method, suffix, res.Status)
					}
				}
				if count, holds := listed(t, reader, documentID); holds || count != before[reader] {
					t.Errorf("%s's list after the deletion: holds it %v, %d documents, want %d", reader.Name, holds, count, before[reader])
				}
			}
			var stored int
			if err := w.store.DB().Get(&stored, `SELECT count(*) FROM documents WHERE id = $1`, documentID); err != nil || stored != 0 {
				t.Errorf("the document's row is still stored: %d %v", stored, err)
			}
			entries := auditEntries(t, p, "object_type=document&outcome=allowed&object_id="+id(documentID))
			if !slices.ContainsFunc(entries, func(e store.AuditEntry) bool {
				return e.Action == "document.delete" && e.ActorID != nil && *e.ActorID == deleter.ID
			}) {
				t.Errorf("no audited deletion by %s among %+v", deleter.Name, entries)
			}
		})
	}
}
