package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/server/library"
	"github.com/amendcare/amend/server/store"
)

// sendForm sends the built-in form key to the partner in seat, shared as visibility says, and
// returns its id.
func (w *world) sendForm(p *practice, key, seat, visibility string) int64 {
	w.t.Helper()
	ctx := context.Background()
	f, ok := library.FormByKey(key)
	if !ok {
		w.t.Fatalf("no built-in form %q", key)
	}
	ids, err := w.store.CreateForms(ctx, store.NewForms{PracticeID: p.ID, CoupleID: p.CoupleID, BuiltinKey: &f.Key,
		Content: store.FormContent{Title: f.Title, Body: f.Body, Signature: f.Signature, Fields: f.Fields},
		Seats:   []string{seat}, SentBy: p.Therapist.ID})
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.store.SetFormVisibility(ctx, p.ID, ids[0], visibility); err != nil {
		w.t.Fatal(err)
	}
	return ids[0]
}

// markedAnswers answers every question of fields: written answers are marker, or "screening-" and
// marker for screening questions; a screening checklist picks a flagging option when flagged and
// another one when not; other checklists their first option, scales their lowest value.
func markedAnswers(fields []library.FormField, marker string, flagged bool) json.RawMessage {
	answers := map[string]any{}
	for _, f := range fields {
		switch f.Kind {
		case library.KindLongText, library.KindShortText:
			answers[f.Key] = marker
			if f.Screening {
				answers[f.Key] = "screening-" + marker
			}
		case library.KindScale:
			answers[f.Key] = 0
		case library.KindChecklist:
			answers[f.Key] = f.Options[:1]
			for _, option := range f.Options {
				if f.Screening && slices.Contains(f.FlagOptions, option) == flagged {
					answers[f.Key] = []string{option}
					break
				}
			}
		}
	}
	data, err := json.Marshal(answers)
	if err != nil {
		panic(err)
	}
	return data
}

// fillForm hands in (or, for a consent, signs as its partner) the form with markedAnswers.
func (w *world) fillForm(p *practice, formID int64, marker string, flagged bool) {
	w.t.Helper()
	ctx := context.Background()
	f, err := w.store.FormByID(ctx, p.ID, formID)
	if err != nil {
		w.t.Fatal(err)
	}
	in := store.FormAnswers{Answers: markedAnswers(f.Fields, marker, flagged), Final: true}
	if f.Signature {
		in.Signature = &library.Signature{Name: "Signer " + marker, At: time.Now().UTC(), Address: "192.0.2.7"}
	}
	if err := w.store.AnswerForm(ctx, p.ID, formID, in); err != nil {
		w.t.Fatal(err)
	}
}

func formsMatrix() []matrixCase {
	couplePath := func(method, suffix string, body any) func(*world, *practice) (string, string, any) {
		return func(_ *world, p *practice) (string, string, any) {
			return method, "/api/v1/couples/" + id(p.CoupleID) + suffix, body
		}
	}
	practicePath := func(method, suffix string, body any) func(*world, *practice) (string, string, any) {
		return func(_ *world, p *practice) (string, string, any) {
			return method, "/api/v1/practices/" + id(p.ID) + suffix, body
		}
	}
	template := sampleFormTemplate("Practice intake")
	// onForm builds a request on a fresh form sent to PartnerA and shared with PartnerB.
	onForm := func(method, key, suffix string, body any, filled bool) func(*world, *practice) (string, string, any) {
		return func(w *world, p *practice) (string, string, any) {
			formID := w.sendForm(p, key, "a", "partner")
			if filled {
				w.fillForm(p, formID, "matrix", true)
			}
			return method, "/api/v1/forms/" + id(formID) + suffix, body
		}
	}
	onTemplate := func(method string, body any) func(*world, *practice) (string, string, any) {
		return func(w *world, p *practice) (string, string, any) {
			templateID, err := w.store.CreateFormTemplate(context.Background(), p.ID, p.Admin.ID, store.FormContent{
				Title: "A practice form", Fields: []library.FormField{{Field: library.Field{Key: "q", Kind: "short_text", Label: "Q"}}}})
			if err != nil {
				w.t.Fatal(err)
			}
			return method, "/api/v1/practices/" + id(p.ID) + "/form-templates/" + id(templateID), body
		}
	}
	onDocument := func(method, suffix string, body any, author func(*practice) *actor) func(*world, *practice) (string, string, any) {
		return func(w *world, p *practice) (string, string, any) {
			return method, "/api/v1/documents/" + id(w.document(p, author(p), "partner", pngBytes)) + suffix, body
		}
	}
	partnerA := func(p *practice) *actor { return p.PartnerA }
	therapist := func(p *practice) *actor { return p.Therapist }
	share := map[string]string{"visibility": "therapist"}
	therapistDocumentRelation := func(p *practice, a *actor) string {
		switch a {
		case p.Therapist:
			return store.RelSelf
		case p.PartnerA, p.PartnerB:
			return store.RelPartner
		}
		return store.RelPractice
	}
	consent := map[string]any{"answers": json.RawMessage(markedAnswers(mustForm("couples_consent").Fields, "m", false)),
		"name": "Partner A", "confirm": true}
	return []matrixCase{
		{name: "list form templates", object: "form_template", action: "list", success: 200,
			request: practicePath(http.MethodGet, "/form-templates", nil), relation: everyone(store.RelPractice)},
		{name: "write a form template", object: "form_template", action: "create", success: 201,
			request: practicePath(http.MethodPost, "/form-templates", template), relation: everyone(store.RelPractice)},
		{name: "read a form template", object: "form_template", action: "read", success: 200,
			request: onTemplate(http.MethodGet, nil), relation: everyone(store.RelPractice)},
		{name: "revise a form template", object: "form_template", action: "update", success: 200,
			request: onTemplate(http.MethodPut, template), relation: everyone(store.RelPractice)},
		{name: "send a form", object: "form", action: "create", success: 201,
			request:  couplePath(http.MethodPost, "/forms", map[string]any{"builtin": "partner_intake", "for": "both"}),
			relation: coupleRelation},
		{name: "list forms", object: "form", action: "list", success: 200,
			request: couplePath(http.MethodGet, "/forms", nil), relation: coupleRelation},
		{name: "read a shared form", object: "form", action: "read", success: 200,
			request: onForm(http.MethodGet, "partner_intake", "", nil, false), relation: sharedItemRelation},
		{name: "save a form's draft", object: "form", action: "write", success: 200,
			request:  onForm(http.MethodPut, "partner_intake", "/draft", map[string]any{"answers": map[string]any{"hopes": "x"}}, false),
			relation: sharedItemRelation},
		{name: "hand in a form", object: "form", action: "submit", success: 200,
			request: onForm(http.MethodPost, "partner_intake", "/submit",
				map[string]any{"answers": json.RawMessage(markedAnswers(mustForm("partner_intake").Fields, "m", false))}, false),
			relation: sharedItemRelation},
		{name: "sign a consent", object: "form", action: "sign", success: 200,
			request: onForm(http.MethodPost, "couples_consent", "/sign", consent, false), relation: sharedItemRelation},
		{name: "share a form", object: "form", action: "share", success: 200,
			request:  onForm(http.MethodPut, "partner_intake", "/visibility", map[string]any{"visibility": "therapist"}, false),
			relation: sharedItemRelation},
		{name: "download a signed consent", object: "form", action: "download", success: 200,
			request: onForm(http.MethodGet, "couples_consent", "/signed.pdf", nil, true), relation: sharedItemRelation},
		{name: "read safety-screening answers", object: "screening", action: "read", success: 200,
			request: onForm(http.MethodGet, "partner_intake", "/screening", nil, true), relation: sharedItemRelation},
		{name: "list safety notices", object: "safety_flag", action: "list", success: 200,
			request: couplePath(http.MethodGet, "/safety-flags", nil), relation: coupleRelation},
		{name: "add a document", object: "document", action: "create", success: 201,
			request: couplePath(http.MethodPost, "/documents?name=scan.png", upload(pngBytes)), relation: coupleRelation},
		{name: "list documents", object: "document", action: "list", success: 200,
			request: couplePath(http.MethodGet, "/documents", nil), relation: coupleRelation},
		{name: "read a shared document", object: "document", action: "read", success: 200,
			request: onDocument(http.MethodGet, "/content", nil, partnerA), relation: sharedItemRelation},
		{name: "read a document the therapist shared", object: "document", action: "read", success: 200,
			request: onDocument(http.MethodGet, "/content", nil, therapist), relation: therapistDocumentRelation},
		{name: "change who reads a shared document", object: "document", action: "share", success: 200,
			request: onDocument(http.MethodPut, "/visibility", share, partnerA), relation: sharedItemRelation},
		{name: "change who reads a document the therapist shared", object: "document", action: "share", success: 200,
			request: onDocument(http.MethodPut, "/visibility", share, therapist), relation: therapistDocumentRelation},
		{name: "delete a shared document", object: "document", action: "delete", success: 204,
			request: onDocument(http.MethodDelete, "", nil, partnerA), relation: sharedItemRelation},
		{name: "delete a document the therapist shared", object: "document", action: "delete", success: 204,
			request: onDocument(http.MethodDelete, "", nil, therapist), relation: therapistDocumentRelation},
	}
}

// sampleFormTemplate is a valid practice form template with a screening question.
func sampleFormTemplate(title string) map[string]any {
	return map[string]any{"title": title, "body": "Answer in your own time.", "fields": []map[string]any{
		{"key": "hopes", "kind": "long_text", "label": "Your hopes", "required": true},
		{"key": "safe", "kind": "checklist", "label": "Safe at home?", "options": []string{"Yes", "No"},
			"screening": true, "flag_options": []string{"No"}}}}
}

func mustForm(key string) library.FormTemplate {
	f, ok := library.FormByKey(key)
	if !ok {
		panic("no built-in form " + key)
	}
	return f
}

// TestFormPrivacyForEveryAuthorReaderAndVisibility walks every partner, visibility and reader over
// a handed-in intake with a flagged safety answer and a signed consent: the form itself, the
// couple's list, the screening answers, the safety notice and the signed copy.
func TestFormPrivacyForEveryAuthorReaderAndVisibility(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	readers := []struct {
		name string
		who  func(author, other *actor) *actor
	}{
		{"author", func(author, _ *actor) *actor { return author }},
		{"other partner", func(_, other *actor) *actor { return other }},
		{"care-team therapist", func(_, _ *actor) *actor { return p.Therapist }},
		{"other therapist", func(_, _ *actor) *actor { return p.OtherTherapist }},
		{"admin", func(_, _ *actor) *actor { return p.Admin }},
		{"other practice", func(_, _ *actor) *actor { return w.B.Therapist }},
	}
	// expectation: the form (read), the list (200 or 404, listed), the screening answers (in the
	// form and list, and their own endpoint), the safety flag and the signed copy.
	type expectation struct {
		form, list, screening, pdf, flags int
		listed, screeningShown, flagShown bool
	}
	expect := func(reader, visibility string) expectation {
		switch reader {
		case "author":
			return expectation{200, 200, 200, 200, 404, true, true, false}
		case "other partner":
			if visibility == store.VisibilityPartner {
				return expectation{200, 200, 404, 403, 404, true, false, false}
			}
			return expectation{404, 200, 404, 404, 404, false, false, false}
		case "care-team therapist":
			return expectation{200, 200, 200, 200, 200, true, true, true}
		}
		return expectation{404, 404, 404, 404, 404, false, false, false}
	}
	for _, seat := range []string{"a", "b"} {
		author, other := p.PartnerA, p.PartnerB
		if seat == "b" {
			author, other = p.PartnerB, p.PartnerA
		}
		for _, visibility := range []string{store.VisibilityTherapist, store.VisibilityPartner} {
			marker := fmt.Sprintf("intake-%s-%s", seat, visibility)
			intake := w.sendForm(p, "partner_intake", seat, visibility)
			w.fillForm(p, intake, marker, true)
			consent := w.sendForm(p, "couples_consent", seat, visibility)
			w.fillForm(p, consent, "consent-"+marker, false)
			for _, r := range readers {
				t.Run(fmt.Sprintf("%s fills %s, %s reads", seat, visibility, r.name), func(t *testing.T) {
					reader, want := r.who(author, other), expect(r.name, visibility)
					res := reader.do(http.MethodGet, "/api/v1/forms/"+id(intake), nil)
					if res.Status != want.form {
						t.Errorf("form: got %d %s, want %d", res.Status, res.Body, want.form)
					}
					if res.Status == http.StatusOK {
						if shown := strings.Contains(string(res.Body), "screening-"+marker); shown != want.screeningShown {
							t.Errorf("form shows the screening answer: %v, want %v", shown, want.screeningShown)
						}
						if shown := strings.Contains(string(res.Body), `"safety_flagged"`); shown != want.flagShown {
							t.Errorf("form shows the safety flag: %v, want %v", shown, want.flagShown)
						}
					}
					list := reader.do(http.MethodGet, "/api/v1/couples/"+id(p.CoupleID)+"/forms", nil)
					if list.Status != want.list {
						t.Errorf("list: got %d %s, want %d", list.Status, list.Body, want.list)
					}
					if list.Status == http.StatusOK {
						var body struct{ Forms []struct{ ID int64 } }
						list.JSON(t, &body)
						listed := slices.ContainsFunc(body.Forms, func(f struct{ ID int64 }) bool { return f.ID == intake })
						if listed != want.listed {
							t.Errorf("list holds the form: %v, want %v", listed, want.listed)
						}
						if shown := strings.Contains(string(list.Body), "screening-"+marker); shown && !want.screeningShown {
							t.Errorf("list shows the screening answer")
						}
						if !want.listed && (strings.Contains(string(list.Body), marker) || strings.Contains(string(list.Body), `"assignee_seat":"`+seat+`"`)) {
							t.Errorf("list tells of the other partner's form: %s", list.Body)
						}
					}
					if res := reader.do(http.MethodGet, "/api/v1/forms/"+id(intake)+"/screening", nil); res.Status != want.screening {
						t.Errorf("screening: got %d %s, want %d", res.Status, res.Body, want.screening)
					}
					if res := reader.do(http.MethodGet, "/api/v1/forms/"+id(consent)+"/signed.pdf", nil); res.Status != want.pdf {
						t.Errorf("signed copy: got %d %s, want %d", res.Status, truncate(res.Body), want.pdf)
					}
					flags := reader.do(http.MethodGet, "/api/v1/couples/"+id(p.CoupleID)+"/safety-flags", nil)
					if flags.Status != want.flags {
						t.Errorf("safety notices: got %d %s, want %d", flags.Status, flags.Body, want.flags)
					}
					if flags.Status == http.StatusOK && !strings.Contains(string(flags.Body), fmt.Sprintf(`"form_id":%d`, intake)) {
						t.Errorf("safety notices leave out the flagged intake: %s", flags.Body)
					}
				})
			}
		}
	}
}

// TestSafetyNoticeFollowsTheScreeningAnswers: only a handed-in intake whose screening answers
// choose a flagging option puts a notice before the therapist; a draft does not.
func TestSafetyNoticeFollowsTheScreeningAnswers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name            string
		flagged, handIn bool
		wantNotice      bool
	}{
		{"flagged and handed in", true, true, true},
		{"safe and handed in", false, true, false},
		{"flagged in a draft", true, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			p := w.A
			formID := w.sendForm(p, "partner_intake", "a", store.VisibilityTherapist)
			answers := markedAnswers(mustForm("partner_intake").Fields, "notice", tc.flagged)
			path := "/api/v1/forms/" + id(formID)
			res := p.PartnerA.do(http.MethodPut, path+"/draft", map[string]any{"answers": answers})
			if tc.handIn {
				res = p.PartnerA.do(http.MethodPost, path+"/submit", map[string]any{})
			}
			if res.Status != http.StatusOK {
				t.Fatalf("answer: %d %s", res.Status, res.Body)
			}
			if strings.Contains(string(res.Body), "safety_flagged") {
				t.Errorf("the partner is told of the safety flag: %s", res.Body)
			}
			var notices struct {
				SafetyFlags []store.SafetyFlag `json:"safety_flags"`
			}
			flags := p.Therapist.do(http.MethodGet, "/api/v1/couples/"+id(p.CoupleID)+"/safety-flags", nil)
			flags.JSON(t, &notices)
			if got := len(notices.SafetyFlags) == 1; got != tc.wantNotice {
				t.Errorf("notice shown: %v, want %v (%s)", got, tc.wantNotice, flags.Body)
			}
		})
	}
}

// TestSafetyNoticeListsScreeningAndQuestionnaireFlagsTogether: the couple page's one safety notice
// lists, newest first, each handed-in form whose screening answers call for attention and each
// PHQ-9 answered above zero on item 9, naming the partner by seat; a PHQ-9 without the flag is not
// in it, and nobody but the care team reads the list.
func TestSafetyNoticeListsScreeningAndQuestionnaireFlagsTogether(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	formID := w.sendForm(p, "partner_intake", "a", store.VisibilityPartner)
	w.fillForm(p, formID, "notice", true)
	measures := "/api/v1/couples/" + id(p.CoupleID) + "/measures"
	var flagged store.Measure
	for _, answer := range []struct {
		author   *actor
		selfHarm int
	}{{p.PartnerA, 0}, {p.PartnerB, 2}} {
		res := answer.author.do(http.MethodPost, measures, map[string]any{"measure_key": "phq9", "answers": phq9Answers(1, answer.selfHarm)})
		if res.Status != http.StatusCreated {
			t.Fatalf("answer: %d %s", res.Status, res.Body)
		}
		res.JSON(t, &flagged)
	}
	for _, reader := range []*actor{p.Therapist, p.PartnerA, p.PartnerB, p.OtherTherapist, p.Admin, w.B.Therapist} {
		t.Run(reader.Name, func(t *testing.T) {
			res := reader.do(http.MethodGet, "/api/v1/couples/"+id(p.CoupleID)+"/safety-flags", nil)
			if reader != p.Therapist {
				if res.Status != http.StatusNotFound {
					t.Errorf("got %d %s, want 404", res.Status, res.Body)
				}
				return
			}
			var body struct {
				SafetyFlags []store.SafetyFlag `json:"safety_flags"`
			}
			res.JSON(t, &body)
			var got []string
			for _, f := range body.SafetyFlags {
				got = append(got, fmt.Sprintf("%s %s %d %d seat %s", f.Kind, f.Title, deref(f.FormID), deref(f.MeasureID), f.Seat))
			}
			want := []string{
				fmt.Sprintf("questionnaire Patient Health Questionnaire (PHQ-9) 0 %d seat b", flagged.ID),
				fmt.Sprintf("screening %s %d 0 seat a", mustForm("partner_intake").Title, formID),
			}
			if !slices.Equal(got, want) {
				t.Errorf("safety notice lists %q, want %q", got, want)
			}
		})
	}
}

// deref reads an optional id, 0 for none.
func deref(id *int64) int64 {
	if id == nil {
		return 0
	}
	return *id
}

// TestSignedFormRefusesEveryChange: once signed, every change through the API answers 409, and
// the database itself refuses to change or delete the row; erasing the couple still removes it.
func TestSignedFormRefusesEveryChange(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	formID := w.sendForm(p, "couples_consent", "a", store.VisibilityTherapist)
	answers := markedAnswers(mustForm("couples_consent").Fields, "signed-once", false)
	path := "/api/v1/forms/" + id(formID)
	sign := map[string]any{"answers": answers, "name": "Ada Partner", "confirm": true}
	if res := p.PartnerA.do(http.MethodPost, path+"/sign", sign); res.Status != http.StatusOK {
		t.Fatalf("sign: %d %s", res.Status, res.Body)
	}
	ctx := context.Background()
	signed, err := w.store.FormByID(ctx, p.ID, formID)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name         string
		method, path string
		body         any
	}{
		{"save a draft", http.MethodPut, "/draft", map[string]any{"answers": map[string]any{"anything_else": "changed"}}},
		{"sign again", http.MethodPost, "/sign", sign},
		{"hand in", http.MethodPost, "/submit", map[string]any{}},
		{"share", http.MethodPut, "/visibility", map[string]any{"visibility": "partner"}},
	} {
		t.Run("api: "+tc.name, func(t *testing.T) {
			if res := p.PartnerA.do(tc.method, path+tc.path, tc.body); res.Status != http.StatusConflict || res.ErrorCode() != fault.Conflict {
				t.Errorf("got %d %s, want 409", res.Status, res.Body)
			}
		})
	}
	for _, tc := range []struct {
		name, sql string
		refused   bool
	}{
		{"answers", `UPDATE forms SET answers = '{"anything_else":"changed"}' WHERE id = $1`, true},
		{"signer", `UPDATE forms SET signed_name = 'Someone else' WHERE id = $1`, true},
		{"document", `UPDATE forms SET document = 'other text' WHERE id = $1`, true},
		{"visibility", `UPDATE forms SET visibility = 'partner' WHERE id = $1`, true},
		{"delete", `DELETE FROM forms WHERE id = $1`, true},
		// Who sent it is not part of what was signed: the sender's account may still go.
		{"the sender's account goes", `UPDATE forms SET sent_by = NULL WHERE id = $1`, false},
	} {
		t.Run("database: "+tc.name, func(t *testing.T) {
			_, err := w.store.DB().Exec(tc.sql, formID)
			var pqErr *pq.Error
			if refused := errors.As(err, &pqErr) && pqErr.Code == "55000"; refused != tc.refused || !refused && err != nil {
				t.Errorf("got %v, want refused %v", err, tc.refused)
			}
		})
	}
	after, err := w.store.FormByID(ctx, p.ID, formID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(after.DocumentSHA256, signed.DocumentSHA256) || string(after.Answers) != string(signed.Answers) ||
		*after.Document != *signed.Document || after.Visibility != signed.Visibility {
		t.Errorf("the signed form changed: %+v, then %+v", signed, after)
	}
	couple, err := w.store.CoupleByID(ctx, p.ID, p.CoupleID)
	if err != nil {
		t.Fatal(err)
	}
	if res := p.Admin.do(http.MethodPost, "/api/v1/couples/"+id(p.CoupleID)+"/erase", map[string]any{"confirm": couple.Label}); res.Status != http.StatusOK {
		t.Fatalf("erase: %d %s", res.Status, res.Body)
	}
	if _, err := w.store.FormByID(ctx, p.ID, formID); fault.ErrorCode(err) != fault.NotFound {
		t.Errorf("the signed form outlived its couple's erasure: %v", err)
	}
}

var sha256Hex = regexp.MustCompile(`\b[0-9a-f]{64}\b`)

// TestSignedCopyCarriesTheStoredHash: the signer and the care team download the same signed copy;
// read back, it shows the signer, the answers and the SHA-256 stored with the form, which is the
// SHA-256 of the frozen text.
func TestSignedCopyCarriesTheStoredHash(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	formID := w.sendForm(p, "release_of_information", "b", store.VisibilityTherapist)
	answers := markedAnswers(mustForm("release_of_information").Fields, "Dr Example, Hillside Clinic", false)
	path := "/api/v1/forms/" + id(formID)
	res := p.PartnerB.do(http.MethodPost, path+"/sign", map[string]any{"answers": answers, "name": "  Beatriz Partner ", "confirm": true})
	if res.Status != http.StatusOK {
		t.Fatalf("sign: %d %s", res.Status, res.Body)
	}
	var view struct {
		Status         string
		SignedName     string `json:"signed_name"`
		SignedAddress  string `json:"signed_address"`
		DocumentSHA256 string `json:"document_sha256"`
	}
	res.JSON(t, &view)
	stored, err := w.store.FormByID(context.Background(), p.ID, formID)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(*stored.Document))
	if hex.EncodeToString(sum[:]) != stored.DocumentSHA256.String() || view.DocumentSHA256 != stored.DocumentSHA256.String() {
		t.Fatalf("stored hash %s, answered %s, hash of the stored text %x", stored.DocumentSHA256, view.DocumentSHA256, sum)
	}
	if view.Status != store.FormSigned || view.SignedName != "Beatriz Partner" || view.SignedAddress != "127.0.0.1" {
		t.Errorf("signature %+v, want signed by the trimmed name from 127.0.0.1", view)
	}
	for _, reader := range []*actor{p.PartnerB, p.Therapist} {
		t.Run(reader.Name, func(t *testing.T) {
			res := reader.do(http.MethodGet, path+"/signed.pdf", nil)
			if res.Status != http.StatusOK || res.Header.Get("Content-Type") != "application/pdf" ||
				!strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") || res.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Fatalf("signed copy: %d %v", res.Status, res.Header)
			}
			text := pdfText(t, res.Body)
			if got := sha256Hex.FindAllString(text, -1); len(got) != 1 || got[0] != stored.DocumentSHA256.String() {
				t.Errorf("the copy shows hashes %v, want only %s", got, stored.DocumentSHA256)
			}
			for _, want := range []string{"Release of information", "Signed by Beatriz Partner", "Dr Example, Hillside Clinic", "127.0.0.1"} {
				if !strings.Contains(text, want) {
					t.Errorf("the copy lacks %q:\n%s", want, text)
				}
			}
		})
	}
	unsigned := w.sendForm(p, "telehealth_consent", "b", store.VisibilityTherapist)
	if res := p.PartnerB.do(http.MethodGet, "/api/v1/forms/"+id(unsigned)+"/signed.pdf", nil); res.Status != http.StatusNotFound {
		t.Errorf("an unsigned form's copy: got %d, want 404", res.Status)
	}
}

// TestSigningTakesATypedNameAConfirmationAndEveryAnswer covers the refusals of the sign flow.
func TestSigningTakesATypedNameAConfirmationAndEveryAnswer(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	consent := w.sendForm(p, "telehealth_consent", "a", store.VisibilityTherapist)
	intake := w.sendForm(p, "partner_intake", "a", store.VisibilityTherapist)
	complete := markedAnswers(mustForm("telehealth_consent").Fields, "x", false)
	for _, tc := range []struct {
		name   string
		who    *actor
		formID int64
		action string
		body   map[string]any
		status int
		field  string
	}{
		{"no name", p.PartnerA, consent, "/sign", map[string]any{"answers": complete, "name": "   ", "confirm": true}, 422, "name"},
		{"not confirmed", p.PartnerA, consent, "/sign", map[string]any{"answers": complete, "name": "A"}, 422, "confirm"},
		{"a required answer missing", p.PartnerA, consent, "/sign", map[string]any{"answers": map[string]any{}, "name": "A", "confirm": true},
			422, "answers.emergency_contact"},
		{"handing in a consent instead of signing", p.PartnerA, consent, "/submit", map[string]any{"answers": complete}, 409, ""},
		{"signing a form that takes no signature", p.PartnerA, intake, "/sign", map[string]any{"name": "A", "confirm": true}, 409, ""},
		{"the other partner signs", p.PartnerB, consent, "/sign", map[string]any{"answers": complete, "name": "B", "confirm": true}, 404, ""},
		{"the therapist signs for the partner", p.Therapist, consent, "/sign", map[string]any{"answers": complete, "name": "T", "confirm": true}, 403, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.who.doExpecting(tc.status, http.MethodPost, "/api/v1/forms/"+id(tc.formID)+tc.action, tc.body)
			var body struct{ Error errorBody }
			_ = json.Unmarshal(res.Body, &body)
			if res.Status != tc.status || body.Error.Field != tc.field {
				t.Errorf("got %d %s, want %d naming %q", res.Status, res.Body, tc.status, tc.field)
			}
		})
	}
	f, err := w.store.FormByID(context.Background(), p.ID, consent)
	if err != nil {
		t.Fatal(err)
	}
	if f.Status != store.FormSent || f.SignedAt != nil {
		t.Errorf("a refused signature left the form %s, signed at %v", f.Status, f.SignedAt)
	}
}

// TestFormTemplatesAreVersionedAndSentAsTheyWere: revising a practice's form adds a version; a form
// already sent keeps the words it was sent with. Questions follow the exercise rules, and flag
// options belong on screening checklists only.
func TestFormTemplatesAreVersionedAndSentAsTheyWere(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	path := "/api/v1/practices/" + id(p.ID) + "/form-templates"
	question := map[string]any{"key": "hopes", "kind": "long_text", "label": "Your hopes", "required": true}
	res := p.Therapist.do(http.MethodPost, path, map[string]any{"title": "Our intake", "fields": []any{question}})
	if res.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", res.Status, res.Body)
	}
	var created store.FormTemplate
	res.JSON(t, &created)
	send := p.Therapist.do(http.MethodPost, "/api/v1/couples/"+id(p.CoupleID)+"/forms", map[string]any{"template_id": created.ID, "for": "a"})
	if send.Status != http.StatusCreated {
		t.Fatalf("send: %d %s", send.Status, send.Body)
	}
	var sent struct{ Forms []store.Form }
	send.JSON(t, &sent)
	if res := p.Therapist.do(http.MethodPut, path+"/"+id(created.ID), map[string]any{"title": "Our intake, revised", "fields": []any{question}}); res.Status != http.StatusOK {
		t.Fatalf("revise: %d %s", res.Status, res.Body)
	}
	var revised store.FormTemplate
	p.Therapist.do(http.MethodGet, path+"/"+id(created.ID), nil).JSON(t, &revised)
	if revised.Version != 2 || revised.Title != "Our intake, revised" {
		t.Errorf("revised template: version %d %q", revised.Version, revised.Title)
	}
	var form store.Form
	p.PartnerA.do(http.MethodGet, "/api/v1/forms/"+id(sent.Forms[0].ID), nil).JSON(t, &form)
	if form.Title != "Our intake" || *form.TemplateVersion != 1 {
		t.Errorf("the sent form reads %q at version %v, want the words it was sent with", form.Title, *form.TemplateVersion)
	}
	checklist := map[string]any{"key": "safe", "kind": "checklist", "label": "Safe?", "options": []string{"Yes", "No"}}
	withFlags := func(extra map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range checklist {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"no questions", map[string]any{"title": "Empty", "fields": []any{}}, "fields"},
		{"flag options on a question that screens nothing", map[string]any{"title": "T",
			"fields": []any{withFlags(map[string]any{"flag_options": []string{"No"}})}}, "fields[0].flag_options"},
		{"a flag option that is not an option", map[string]any{"title": "T",
			"fields": []any{withFlags(map[string]any{"screening": true, "flag_options": []string{"Maybe"}})}}, "fields[0].flag_options"},
		{"a blank title", map[string]any{"title": "  ", "fields": []any{question}}, "title"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := p.Therapist.do(http.MethodPost, path, tc.body)
			var body struct{ Error errorBody }
			_ = json.Unmarshal(res.Body, &body)
			if res.Status != http.StatusUnprocessableEntity || body.Error.Field != tc.field {
				t.Errorf("got %d %s, want 422 naming %q", res.Status, res.Body, tc.field)
			}
		})
	}
	both := p.Therapist.do(http.MethodPost, "/api/v1/couples/"+id(p.CoupleID)+"/forms",
		map[string]any{"builtin": "partner_intake", "template_id": created.ID, "for": "a"})
	if both.Status != http.StatusUnprocessableEntity {
		t.Errorf("sending a built-in and a template at once: %d %s, want 422", both.Status, both.Body)
	}
	// Another practice's template is unknown here.
	other := w.B.Therapist.do(http.MethodGet, "/api/v1/practices/"+id(w.B.ID)+"/form-templates/"+id(created.ID), nil)
	if other.Status != http.StatusNotFound {
		t.Errorf("another practice reads the template: %d", other.Status)
	}
}

// TestFormMailSaysOnlyThatSomethingWaitsAndRemindsWhileItDoes: sending a form to both partners
// mails each that something is waiting, with no word of the form; three days on, the partner who
// has not handed theirs in is reminded and the one who has is not.
func TestFormMailSaysOnlyThatSomethingWaitsAndRemindsWhileItDoes(t *testing.T) {
	t.Parallel()
	w := newMailWorld(t)
	p := w.A
	res := p.Therapist.do(http.MethodPost, "/api/v1/couples/"+id(p.CoupleID)+"/forms", map[string]any{"builtin": "partner_intake", "for": "both"})
	if res.Status != http.StatusCreated {
		t.Fatalf("send: %d %s", res.Status, res.Body)
	}
	var sent struct{ Forms []store.Form }
	res.JSON(t, &sent)
	w.pit.WaitFor(2, 30*time.Second)
	for _, partner := range []*actor{p.PartnerA, p.PartnerB} {
		got := w.messagesTo(partner.Email)
		if len(got) != 1 || got[0].Subject != "Something is waiting for you in Amend" {
			t.Fatalf("%s got %d messages: %+v", partner.Name, len(got), got)
		}
		if l := links(got[0]); len(l) == 0 || !strings.Contains(strings.Join(l, " "), "/forms/") {
			t.Errorf("the message to %s has no link to the form: %v", partner.Name, l)
		}
	}
	handedIn := sent.Forms[0]
	if handedIn.AssigneeID != p.PartnerA.ID {
		handedIn = sent.Forms[1]
	}
	answers := markedAnswers(mustForm("partner_intake").Fields, "handed in before the reminder", true)
	if res := p.PartnerA.do(http.MethodPost, "/api/v1/forms/"+id(handedIn.ID)+"/submit", map[string]any{"answers": answers}); res.Status != http.StatusOK {
		t.Fatalf("submit: %d %s", res.Status, res.Body)
	}
	w.clock.advance(formReminderAfter + time.Hour)
	w.waitForJobs(1, `state = 'cancelled' AND args->>'key' = $1`, fmt.Sprintf("%s:%d", "form_reminder", handedIn.ID))
	w.pit.WaitFor(3, 30*time.Second)
	if got := w.messagesTo(p.PartnerB.Email); len(got) != 2 || !strings.HasPrefix(got[1].Subject, "Reminder") && !strings.HasPrefix(got[0].Subject, "Reminder") {
		t.Errorf("the partner still to answer got %d messages, want the notice and a reminder", len(got))
	}
	if got := w.messagesTo(p.PartnerA.Email); len(got) != 1 {
		t.Errorf("the partner who handed in got %d messages, want only the first notice", len(got))
	}
	if got := w.messagesTo(p.Therapist.Email); len(got) != 0 {
		t.Errorf("the therapist got %d messages about the safety answers, want none", len(got))
	}
}
