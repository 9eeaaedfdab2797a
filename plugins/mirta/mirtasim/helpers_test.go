package mirtasim

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a manual clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

const (
	develKey = "devel-rw-key"
	develRO  = "devel-ro-key"
	otherKey = "other-rw-key"
	adminKey = "admin-key"
	ctlToken = "control-token"
)

// fixture is a PBX with two tenants and a manual clock.
func fixture(t *testing.T, mod ...func(*Options)) (*PBX, *clock) {
	t.Helper()
	clk := &clock{t: time.Unix(1764612000, 0).UTC()}
	opts := Options{AdminKey: adminKey, ControlToken: ctlToken, Now: clk.Now, Tenants: []TenantSpec{
		{Code: "DEVEL", Key: develKey, ReadOnlyKey: develRO,
			Extensions: []ExtensionSpec{{Number: "101", Name: "Alice"}, {Number: "102", Name: "Bob"},
				{Number: "103", Name: "Carol"}, {Number: "104", Name: "Dave"}, {Number: "105", Name: "Eve", Unregistered: true}},
			Queues: []QueueSpec{{ID: "281", Number: "600", Name: "Support", Agents: []AgentSpec{{Extension: "102"}, {Extension: "103", Penalty: 2}}}},
			Flows:  []FlowSpec{{Number: "500", Name: "Night"}},
			Phonebooks: []PhonebookSpec{{Name: "Default", Contacts: []Contact{
				{Name: "Ben Smith", Company: "Acme", Phone1: "0612345678", Email: "ben@example.com"},
				{Name: "Ann Jones", Company: "Initech", Phone1: "0655515551", Phone2: "0201234567"},
			}}}},
		{Code: "OTHER", Key: otherKey,
			Extensions: []ExtensionSpec{{Number: "201", Name: "Olga"}},
			Queues:     []QueueSpec{{ID: "381", Number: "700", Name: "Sales", Agents: []AgentSpec{{Extension: "201"}}}},
			Flows:      []FlowSpec{{Number: "510", Name: "Other night"}},
			Phonebooks: []PhonebookSpec{{Name: "Secret", Contacts: []Contact{{Name: "Hidden Person", Phone1: "0699999999"}}}}},
	}}
	for _, m := range mod {
		m(&opts)
	}
	p, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return p, clk
}

// api sends a GET with the parameters in pairs ("reqtype", "DIAL", ...)
// and returns the status, body and Content-Type.
func api(t *testing.T, p *PBX, kv ...string) (int, string, string) {
	t.Helper()
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	r := httptest.NewRequest(http.MethodGet, "/pbx/proxyapi.php?"+v.Encode(), nil)
	w := httptest.NewRecorder()
	p.ServeHTTP(w, r)
	b, _ := io.ReadAll(w.Result().Body)
	return w.Code, string(b), w.Result().Header.Get("Content-Type")
}

// devel calls the API with the DEVEL read/write key.
func devel(t *testing.T, p *PBX, kv ...string) string {
	t.Helper()
	_, body, _ := api(t, p, append([]string{"key", develKey}, kv...)...)
	return body
}

func mustEqual(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}

// originateID extracts the id from "Success|Originate successfully queued|ID|".
func originateID(t *testing.T, body string) string {
	t.Helper()
	parts := strings.Split(body, "|")
	if len(parts) != 4 || parts[0] != "Success" || parts[1] != "Originate successfully queued" || parts[3] != "" {
		t.Fatalf("DIAL answered %q", body)
	}
	return parts[2]
}

// chanOf returns the only channel of ext in tenant code.
func chanOf(t *testing.T, p *PBX, code, ext string) Channel {
	t.Helper()
	cs, err := p.Channels(code)
	if err != nil {
		t.Fatal(err)
	}
	var found []Channel
	for _, c := range cs {
		if c.Extension == ext {
			found = append(found, c)
		}
	}
	if len(found) != 1 {
		t.Fatalf("extension %s has %d channels: %+v", ext, len(found), cs)
	}
	return found[0]
}

func noCalls(t *testing.T, p *PBX, code string) {
	t.Helper()
	calls, err := p.Calls(code)
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 0 {
		t.Fatalf("calls left: %+v", calls)
	}
}
