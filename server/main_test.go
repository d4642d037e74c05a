package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/amendcare/amend/policy"
	"github.com/amendcare/amend/server/mail"
	"github.com/amendcare/amend/server/store"
	"github.com/amendcare/amend/server/store/dbtest"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// testPassword is every fixture account's password; its hash is computed once per test binary.
const testPassword = "correct horse battery"

var testHash = sync.OnceValue(func() string {
	h, err := HashPassword(testPassword)
	if err != nil {
		panic(err)
	}
	return h
})

// world is a running server on its own database with two practices, A and B, each with the
// same cast, so every test can ask "what does this person see?" across a tenant boundary.
type world struct {
	t      testing.TB
	srv    *httptest.Server
	api    *Server
	store  *store.Store
	policy *policy.Authorizer
	mail   *mail.Queue
	A, B   *practice
	serial atomic.Int64
}

// counter returns a number unique within the world, for unique emails and labels.
func (w *world) counter() int64 { return w.serial.Add(1) }

// invite creates an open invite in practice p straight in the store and returns its id.
func (w *world) invite(p *practice, role string) int64 {
	w.t.Helper()
	_, hash := newToken()
	inv, err := w.store.CreateInvite(context.Background(), store.NewInvite{PracticeID: p.ID,
		Email: fmt.Sprintf("invitee%d@x.test", w.counter()), Role: role, InvitedBy: p.Admin.ID, TokenHash: hash, TTL: time.Hour})
	if err != nil {
		w.t.Fatal(err)
	}
	return inv.ID
}

// practice is one tenant's cast: an administrator, a therapist on the couple's care team, a
// therapist who is not, the couple's two partners, and a partner of another couple.
type practice struct {
	ID             int64
	Admin          *actor
	Therapist      *actor // on Couple's care team
	OtherTherapist *actor // in the practice, not on Couple's care team
	FrontDesk      *actor // books for the whole practice, reads no clinical work
	PartnerA       *actor // seat a of Couple
	PartnerB       *actor // seat b of Couple
	OtherPartner   *actor // seat a of OtherCouple
	CoupleID       int64
	OtherCoupleID  int64
}

// actor is a signed-in fixture user.
type actor struct {
	w     *world
	Name  string
	Role  string
	ID    int64
	Email string
	Token string
}

// cast lists a practice's actors with stable names, for tables.
func (p *practice) cast() []*actor {
	return []*actor{p.Admin, p.Therapist, p.OtherTherapist, p.FrontDesk, p.PartnerA, p.PartnerB, p.OtherPartner}
}

func newWorld(t testing.TB) *world {
	t.Helper()
	return newWorldWithPolicy(t, policy.DefaultPolicy())
}

func newWorldWithPolicy(t testing.TB, table []byte) *world {
	t.Helper()
	return newWorldWith(t, table, Config{MailboxPractices: []string{"Practice A", "Practice B"}}, mail.Config{})
}

// newWorldWith builds a world with the server configuration cfg whose mail goes by mailCfg (the
// development mailbox when it names no SMTP server). Mail is queued but not sent until startMail.
func newWorldWith(t testing.TB, table []byte, cfg Config, mailCfg mail.Config) *world {
	t.Helper()
	db := dbtest.New(t)
	authz, err := policy.Load(table, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, store: store.New(db), policy: authz}
	if w.mail, err = mail.New(context.Background(), w.store, mailCfg); err != nil {
		t.Fatal(err)
	}
	w.api, err = New(Deps{
		Config: cfg, Store: w.store, Policy: authz, Registry: prometheus.NewRegistry(),
		Logger: slog.New(slog.DiscardHandler),
		Ready:  func(ctx context.Context) error { return w.store.Ping(ctx) },
		Mail:   w.mail,
	})
	if err != nil {
		t.Fatal(err)
	}
	w.srv = newTestServer(t, w.api.Handler())
	t.Cleanup(w.srv.Close)
	w.A = w.newPractice("A")
	w.B = w.newPractice("B")
	return w
}

func (w *world) newPractice(tag string) *practice {
	w.t.Helper()
	ctx := context.Background()
	lower := strings.ToLower(tag)
	pid, _, _, err := w.store.Bootstrap(ctx, "Practice "+tag, "admin@"+lower+".test", testHash())
	if err != nil {
		w.t.Fatal(err)
	}
	p := &practice{ID: pid}
	p.Admin = w.member(pid, tag+" admin", "admin@"+lower+".test", store.RoleAdmin)
	p.Therapist = w.member(pid, tag+" therapist", "therapist@"+lower+".test", store.RoleTherapist)
	p.OtherTherapist = w.member(pid, tag+" other therapist", "other.therapist@"+lower+".test", store.RoleTherapist)
	p.FrontDesk = w.member(pid, tag+" front desk", "front.desk@"+lower+".test", store.RoleFrontDesk)
	p.CoupleID = w.couple(pid, "Couple "+tag, p.Therapist.ID)
	p.OtherCoupleID = w.couple(pid, "Other couple "+tag, p.OtherTherapist.ID)
	p.PartnerA = w.partner(pid, p.CoupleID, "a", tag+" partner a", "a@"+lower+".test")
	p.PartnerB = w.partner(pid, p.CoupleID, "b", tag+" partner b", "b@"+lower+".test")
	p.OtherPartner = w.partner(pid, p.OtherCoupleID, "a", tag+" other partner", "other.a@"+lower+".test")
	return p
}

func (w *world) member(practiceID int64, name, email, role string) *actor {
	w.t.Helper()
	id, err := w.store.AddMember(context.Background(), practiceID, email, name, testHash(), role)
	if err != nil {
		w.t.Fatal(err)
	}
	a := w.signIn(name, id, email)
	a.Role = role
	return a
}

func (w *world) couple(practiceID int64, label string, therapist int64) int64 {
	w.t.Helper()
	id, err := w.store.CreateCouple(context.Background(), store.NewCouple{PracticeID: practiceID, Label: label,
		Concerns: []string{"infidelity"}, CreatedBy: therapist, Therapists: []int64{therapist}})
	if err != nil {
		w.t.Fatal(err)
	}
	return id
}

func (w *world) partner(practiceID, coupleID int64, seat, name, email string) *actor {
	w.t.Helper()
	a := w.member(practiceID, name, email, store.RoleClient)
	if err := w.store.SeatPartner(context.Background(), practiceID, coupleID, a.ID, seat); err != nil {
		w.t.Fatal(err)
	}
	return a
}

// signIn gives a user a session directly in the store; login over HTTP has tests of its own.
func (w *world) signIn(name string, userID int64, email string) *actor {
	w.t.Helper()
	token, hash := newToken()
	if _, err := w.store.CreateSession(context.Background(), hash, userID, "test", 30*60e9, 12*3600e9); err != nil {
		w.t.Fatal(err)
	}
	return &actor{w: w, Name: name, ID: userID, Email: email, Token: token}
}

// response is an answered request with its decoded JSON body.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test when it cannot.
func (r *response) JSON(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// ErrorCode returns the code of an error answer.
func (r *response) ErrorCode() string {
	var body struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &body)
	return body.Error.Code
}

// do sends a request as this actor with a bearer token; body is JSON-encoded unless it is a
// string (sent as is) or nil.
func (a *actor) do(method, path string, body any) *response {
	a.w.t.Helper()
	return a.w.request(method, path, body, map[string]string{"Authorization": "Bearer " + a.Token})
}

// doInvalid sends a request like do that the test makes invalid on purpose: docs/api.yaml's
// contract check then checks only the answer (see contract_test.go).
func (a *actor) doInvalid(method, path string, body any) *response {
	a.w.t.Helper()
	return a.w.request(method, path, body, map[string]string{"Authorization": "Bearer " + a.Token, deliberatelyInvalid: "yes"})
}

// doExpecting sends a request like do when want is a success or a refusal of who the caller is,
// and like doInvalid when want is 400 or 422: a row of a table that expects its input refused.
func (a *actor) doExpecting(want int, method, path string, body any) *response {
	a.w.t.Helper()
	if want == http.StatusBadRequest || want == http.StatusUnprocessableEntity {
		return a.doInvalid(method, path, body)
	}
	return a.do(method, path, body)
}

// fileBody is a request body sent as is under its own content type, as a file upload is.
type fileBody struct {
	contentType string
	content     []byte
}

// upload is a document upload's body: bytes of a type the client does not name.
func upload(content []byte) fileBody {
	return fileBody{contentType: "application/octet-stream", content: content}
}

// request sends a request with the given headers and no credentials unless they are among them.
func (w *world) request(method, path string, body any, headers map[string]string) *response {
	w.t.Helper()
	return w.requestTo(w.srv, method, path, body, headers)
}

// requestTo sends a request like request, to the server srv (one instance of a live world).
func (w *world) requestTo(srv *httptest.Server, method, path string, body any, headers map[string]string) *response {
	w.t.Helper()
	var reader io.Reader
	contentType := "application/json"
	switch b := body.(type) {
	case nil:
	case fileBody:
		reader, contentType = bytes.NewReader(b.content), b.contentType
	case string:
		reader = strings.NewReader(b)
	case []byte:
		reader = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			w.t.Fatal(err)
		}
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, srv.URL+path, reader)
	if err != nil {
		w.t.Fatal(err)
	}
	if reader != nil {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		w.t.Fatal(err)
	}
	return &response{Status: res.StatusCode, Header: res.Header, Body: data}
}

// id formats an id for a path.
func id(n int64) string { return strconv.FormatInt(n, 10) }
