package mirtaapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"
)

// testKey has characters that URL escaping changes, so that both forms
// are checked.
const testKey = "s3cr/et+K&y=1"

var keyForms = []string{testKey, url.QueryEscape(testKey), url.PathEscape(testKey)}

func assertNoKey(t *testing.T, s string) {
	t.Helper()
	for _, k := range keyForms {
		if strings.Contains(s, k) {
			t.Fatalf("key form %q leaked in %q", k, s)
		}
	}
}

func newTestClient(t *testing.T, srv *httptest.Server, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{BaseURL: srv.URL, Key: testKey, Tenant: "DEVEL"}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fakePBX answers from a table keyed by "REQTYPE[/info|/action]", in the
// requested format, and records the last query.
type fakePBX struct {
	mu      sync.Mutex
	answers map[string][2]string // [json, plain]
	last    url.Values
	header  http.Header
}

func (f *fakePBX) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	f.last, f.header = q, r.Header.Clone()
	f.mu.Unlock()
	if r.URL.Path != DefaultPath && r.URL.Path != "/mirtapbx/proxyapi.php" {
		http.NotFound(w, r)
		return
	}
	if q.Get("key") != testKey && r.Header.Get("X-API-Key") != testKey || q.Get("tenant") != "DEVEL" {
		fmt.Fprint(w, goldenBadKey)
		return
	}
	k := strings.ToUpper(q.Get("reqtype"))
	switch {
	case q.Get("info") != "":
		k += "/" + strings.ToLower(q.Get("info"))
	case q.Get("action") != "":
		k += "/" + strings.ToLower(q.Get("action"))
	}
	a, ok := f.answers[k]
	if !ok {
		return // proxyapi.php: an empty 200
	}
	if q.Get("format") == "plain" {
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		fmt.Fprint(w, a[1])
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, a[0])
}

func (f *fakePBX) query() url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}

func goldenPBX() *fakePBX {
	return &fakePBX{answers: map[string][2]string{
		"INFO/extensions":      {goldenExtensionsJSON, goldenExtensionsPlain},
		"INFO/queues":          {goldenQueuesJSON, goldenQueuesPlain},
		"INFO/extstate":        {goldenExtStateJSON, goldenExtStatePlain},
		"INFO/regstate":        {goldenRegStateRegistered, goldenRegStateRegistered},
		"INFO/queuecallers":    {goldenQueueCallersJSON, goldenQueueCallersPlain},
		"INFO/agents":          {goldenAgentsJSON, goldenAgentsPlain},
		"INFO/agentsconnected": {goldenAgentsConnectedJSON, goldenAgentsConnectedPlain},
		"INFO/flow":            {goldenFlowState, goldenFlowState},
		"BLFS":                 {goldenBLFsJSON, goldenBLFsPlain},
		"CHANNELS":             {goldenChannelsJSON, goldenChannelsPlain},
		"CHANNEL":              {goldenChannelJSON, goldenChannelPlain},
		"GETCURRENTCALLS":      {goldenCurrentCallsJSON, goldenCurrentCallsPlain},
		"FLOWS":                {goldenFlowsJSON, goldenFlowsPlain},
		"QUEUE/list":           {goldenQueueAgentsJSON, goldenQueueAgentsPlain},
		"QUEUE/add":            {"Success|Agent added|", "Success|Agent added|"},
		"QUEUE/del":            {goldenActionError, goldenActionError},
		"AGENT/pause":          {"Success|Agent paused|", "Success|Agent paused|"},
		"AGENT/unpause":        {"Success|Agent unpaused|", "Success|Agent unpaused|"},
		"AGENT/listqueues":     {goldenAgentQueuesJSON, goldenAgentQueuesPlain},
		"PHONEBOOKS":           {goldenPhonebooksJSON, goldenPhonebooksPlain},
		"PHONEBOOK":            {goldenContactsJSON, goldenContactsPlain},
		"DND/get":              {goldenDNDOn, goldenDNDOn},
		"DND/set":              {"Success|DND set|", "Success|DND set|"},
		"DIAL":                 {goldenDial, goldenDial},
		"HANGUP":               {"Success|Hangup requested|", "Success|Hangup requested|"},
		"TRANSFER":             {"Success|Transfer requested|", "Success|Transfer requested|"},
		"ATXTRANSFER":          {"Success|Attended transfer requested|", "Success|Attended transfer requested|"},
		"SETFLOW":              {"Success|Flow updated|", "Success|Flow updated|"},
		"CDR/update":           {"Success|CDR updated|", "Success|CDR updated|"},
		"REBOOT":               {"Success|Reboot requested|", "Success|Reboot requested|"},
	}}
}

// TestClientMethods calls every method against the golden answers in both
// formats and checks the request parameters it sent.
func TestClientMethods(t *testing.T) {
	for _, format := range []Format{FormatJSON, FormatPlain} {
		for _, keyIn := range []KeyIn{KeyInQuery, KeyInHeader} {
			t.Run(fmt.Sprintf("%s/%d", format.param(), keyIn), func(t *testing.T) {
				pbx := goldenPBX()
				srv := httptest.NewServer(pbx)
				defer srv.Close()
				c := newTestClient(t, srv, func(cfg *Config) { cfg.Format, cfg.KeyIn = format, keyIn })
				ctx := context.Background()
				sent := func(want map[string]string) {
					t.Helper()
					q := pbx.query()
					for k, v := range want {
						if q.Get(k) != v {
							t.Errorf("param %s = %q, want %q (query %v)", k, q.Get(k), v, redactQuery(q))
						}
					}
					if q.Get("format") != format.param() {
						t.Errorf("format = %q", q.Get("format"))
					}
					if keyIn == KeyInHeader && q.Has("key") {
						t.Error("key sent in the query in header mode")
					}
				}
				must := func(err error) {
					t.Helper()
					if err != nil {
						t.Fatal(err)
					}
				}

				exts, err := c.Extensions(ctx)
				must(err)
				if len(exts) != 2 || exts[0].Number != "201" || exts[1].Username != "300-DEVEL" {
					t.Errorf("extensions %+v", exts)
				}
				sent(map[string]string{"reqtype": "INFO", "info": "extensions", "tenant": "DEVEL"})

				qs, err := c.Queues(ctx)
				must(err)
				if len(qs) != 2 || qs[1].Name != "Sales, EMEA" {
					t.Errorf("queues %+v", qs)
				}
				st, err := c.ExtState(ctx, "103")
				must(err)
				if !st.InCall || st.ConnectedNum != "0612345678" {
					t.Errorf("extstate %+v", st)
				}
				sent(map[string]string{"info": "extstate", "ext": "103"})
				rs, err := c.RegState(ctx, "103")
				must(err)
				if !rs.Registered {
					t.Errorf("regstate %+v", rs)
				}
				blfs, err := c.BLFs(ctx)
				must(err)
				if len(blfs) != 2 || blfs[1].State != "INUSE" {
					t.Errorf("blfs %+v", blfs)
				}
				chs, err := c.Channels(ctx)
				must(err)
				if len(chs) != 1 || chs[0].LinkedID != "1764612000.41" {
					t.Errorf("channels %+v", chs)
				}
				ch, err := c.Channel(ctx, "SIP/103-DEVEL-0000002a")
				must(err)
				if ch.UniqueID != "1764612000.42" {
					t.Errorf("channel %+v", ch)
				}
				sent(map[string]string{"reqtype": "CHANNEL", "channel": "SIP/103-DEVEL-0000002a"})
				calls, err := c.CurrentCalls(ctx, "103", true)
				must(err)
				if len(calls) != 1 || calls[0].Direction != "OUT" {
					t.Errorf("calls %+v", calls)
				}
				sent(map[string]string{"phone": "103", "multiple": "yes"})

				id, err := c.Dial(ctx, DialRequest{Source: "402", Dest: "9922323232", Account: "402-DEVEL", AutoAnswer: true, DialTimeout: 30 * time.Second, Recording: "yes", Var: "callid=453131"})
				must(err)
				if id != "15a4cfe6429054" {
					t.Errorf("dial id %q", id)
				}
				sent(map[string]string{"reqtype": "DIAL", "source": "402", "dest": "9922323232", "account": "402-DEVEL", "autoanswer": "yes", "dialtimeout": "30", "recording": "yes", "var": "callid=453131"})
				must(c.Hangup(ctx, HangupRequest{Channel: "SIP/103-DEVEL-0000002a"}))
				sent(map[string]string{"reqtype": "HANGUP", "channel": "SIP/103-DEVEL-0000002a"})
				must(c.Transfer(ctx, "SIP/a", "SIP/b", "104"))
				sent(map[string]string{"reqtype": "TRANSFER", "channel": "SIP/a", "extrachannel": "SIP/b", "dest": "104"})
				must(c.AtxTransfer(ctx, "SIP/a", "104"))
				on, err := c.DNDGet(ctx, "100")
				must(err)
				if !on {
					t.Error("dnd off")
				}
				must(c.DNDSet(ctx, "100", false))
				if q := pbx.query(); !q.Has("value") || q.Get("value") != "" {
					t.Errorf("dnd off must send an empty value: %v", redactQuery(q))
				}
				must(c.DNDSet(ctx, "100", true))
				sent(map[string]string{"action": "set", "number": "100", "value": "on"})

				agents, err := c.QueueAgents(ctx, QueueRef{ID: "281"})
				must(err)
				if len(agents) != 2 || !agents[1].Paused || agents[1].Penalty != 3 {
					t.Errorf("queue agents %+v", agents)
				}
				must(c.QueueAdd(ctx, QueueRef{Number: "9200"}, "104", QueueAddOptions{Paused: true, Penalty: 2}))
				sent(map[string]string{"action": "add", "number": "9200", "extension": "104", "paused": "1", "penalty": "2"})
				if err := c.QueueDel(ctx, QueueRef{ID: "281"}, "104"); !IsNotFound(err) {
					t.Errorf("queue del: %v", err)
				}
				must(c.AgentPause(ctx, QueueRef{ID: "281"}, "104-DEVEL", "Breakfast"))
				sent(map[string]string{"reqtype": "AGENT", "action": "pause", "queue": "281", "extension": "104-DEVEL", "pausereason": "Breakfast"})
				must(c.AgentUnpause(ctx, QueueRef{ID: "ALL"}, "104-DEVEL"))
				aq, err := c.AgentQueues(ctx, "104-DEVEL")
				must(err)
				if len(aq) != 2 || aq[1].PauseReason != "Lunch" {
					t.Errorf("agent queues %+v", aq)
				}
				qc, err := c.QueueCallers(ctx, "281")
				must(err)
				if len(qc) != 1 || qc[0].Wait != 12*time.Second {
					t.Errorf("callers %+v", qc)
				}
				sent(map[string]string{"info": "queuecallers", "id": "281"})
				ag, err := c.Agents(ctx, "281")
				must(err)
				if len(ag) != 2 {
					t.Errorf("agents %+v", ag)
				}
				ac, err := c.AgentsConnected(ctx, "")
				must(err)
				if len(ac) == 0 {
					t.Errorf("agents connected %+v", ac)
				}
				flows, err := c.Flows(ctx)
				must(err)
				if len(flows) != 1 || flows[0].State != "NOT_INUSE" {
					t.Errorf("flows %+v", flows)
				}
				fs, err := c.FlowState(ctx, "61")
				must(err)
				if fs != "UNAVAILABLE" {
					t.Errorf("flow state %q", fs)
				}
				must(c.SetFlow(ctx, "500", FlowInUse, ""))
				sent(map[string]string{"reqtype": "SETFLOW", "number": "500", "state": "INUSE"})
				pbs, err := c.Phonebooks(ctx)
				must(err)
				if len(pbs) != 2 {
					t.Errorf("phonebooks %+v", pbs)
				}
				cs, err := c.PhonebookQuery(ctx, "Default", "name", "Ben%")
				must(err)
				if len(cs) != 1 || cs[0].Numbers[0] != "0612345678" {
					t.Errorf("contacts %+v", cs)
				}
				sent(map[string]string{"phonebook": "Default", "subreqtype": "query", "field": "name", "value": "Ben%"})
				must(c.CDRUserfield(ctx, "1764612000.42", "crm=42"))
				sent(map[string]string{"action": "update", "field": "userfield", "uniqueid": "1764612000.42", "value": "crm=42"})
				must(c.Reboot(ctx, "103-DEVEL"))
				sent(map[string]string{"peer": "103-DEVEL"})
				if keyIn == KeyInHeader {
					pbx.mu.Lock()
					h := pbx.header.Get("X-API-Key")
					pbx.mu.Unlock()
					if h != testKey {
						t.Error("no X-API-Key header")
					}
				}
			})
		}
	}
}

func redactQuery(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		if k != "key" {
			out[k] = v
		}
	}
	return out
}

// TestErrorKinds checks the classification of the PBX's error answers.
func TestErrorKinds(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		kind   Kind
		temp   bool
		write  bool
	}{
		{name: "bad key", body: goldenBadKey, kind: KindBadKey},
		{name: "bad key on a write", body: goldenBadKey, kind: KindBadKey, write: true},
		{name: "wrong tenant", body: goldenWrongTenant, kind: KindUnknownTenant},
		{name: "missing param", body: goldenNoID, kind: KindBadRequest},
		{name: "action error", body: goldenActionError, kind: KindNotFound, write: true},
		{name: "read-only line", body: "Error|Read only API key|", kind: KindReadOnlyKey, write: true},
		{name: "openapi envelope", body: `{"error":{"code":"read_only_api_key","message":"Read-only key."}}`, kind: KindReadOnlyKey},
		{name: "openapi 401", status: 401, body: `{"error":{"code":"invalid_api_key","message":"Invalid API key."}}`, kind: KindBadKey},
		{name: "html login page", body: "<!DOCTYPE html><html><body>Login</body></html>", kind: KindGarbage},
		{name: "help page", body: "<pre><i>reqtype</i></pre>", kind: KindGarbage},
		{name: "503", status: 503, body: "<html>busy</html>", kind: KindUnavailable, temp: true},
		{name: "429", status: 429, kind: KindUnavailable, temp: true},
		{name: "404", status: 404, kind: KindNotFound},
		{name: "302", status: 302, kind: KindGarbage},
		{name: "400", status: 400, body: "bad", kind: KindBadRequest},
		{name: "plain text to a json read", body: "Hello there", kind: KindGarbage},
		{name: "broken json", body: `[{"ex_number":"1"`, kind: KindGarbage},
		{name: "empty write", body: "", kind: KindNotFound, write: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.status == 302 {
					http.Redirect(w, r, "/login.php", http.StatusFound)
					return
				}
				if tc.status != 0 {
					w.WriteHeader(tc.status)
				}
				fmt.Fprint(w, tc.body)
			}))
			defer srv.Close()
			c := newTestClient(t, srv, nil)
			var err error
			if tc.write {
				err = c.Hangup(context.Background(), HangupRequest{Number: "103"})
			} else {
				_, err = c.Extensions(context.Background())
			}
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want *APIError", err)
			}
			if ae.Kind != tc.kind || ae.Temporary() != tc.temp || IsTemporary(err) != tc.temp {
				t.Fatalf("kind %v temporary %v, want %v %v: %v", ae.Kind, ae.Temporary(), tc.kind, tc.temp, err)
			}
			if !errors.Is(err, tc.kind.sentinel()) {
				t.Errorf("errors.Is(%v) false", tc.kind.sentinel())
			}
			if tc.kind == KindBadKey && tc.write && !strings.Contains(err.Error(), "read-only") {
				t.Errorf("write refusal does not mention a read-only key: %v", err)
			}
			if len(ae.Message) > maxMessage {
				t.Errorf("message of %d bytes", len(ae.Message))
			}
			assertNoKey(t, err.Error())
		})
	}
}

// TestKeyNeverInErrors makes the PBX echo the key back in every way and
// checks no error text contains it.
func TestKeyNeverInErrors(t *testing.T) {
	for _, body := range []string{
		"Error|key=" + testKey + " refused|",
		"Error|" + url.QueryEscape(testKey) + "|",
		"No " + testKey + " specified",
		`{"error":{"code":"invalid_api_key","message":"` + testKey + `"}}`,
		strings.Repeat("x", 60) + testKey, // the key straddles the 64-byte cut
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(500)
			fmt.Fprint(w, body, "\x00\x1b[31m", r.URL.String())
		}))
		c := newTestClient(t, srv, nil)
		_, err := c.Extensions(context.Background())
		srv.Close()
		if err == nil {
			t.Fatal("no error")
		}
		assertNoKey(t, err.Error())
		assertNoKey(t, fmt.Sprintf("%+v %#v", err, err))
		var ae *APIError
		errors.As(err, &ae)
		if strings.ContainsAny(ae.Message, "\x00\x1b") {
			t.Errorf("control characters kept: %q", ae.Message)
		}
	}
}

// TestRefusedConnection: net/http's *url.Error names the whole URL, key
// included; the client must not pass it on.
func TestRefusedConnection(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c, err := New(Config{BaseURL: "http://" + addr, Key: testKey, Tenant: "DEVEL"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Dial(context.Background(), DialRequest{Source: "103", Dest: "104"})
	if err == nil {
		t.Fatal("dial to a closed port succeeded")
	}
	assertNoKey(t, err.Error())
	assertNoKey(t, fmt.Sprintf("%+v %#v", err, err))
	for e := error(err); e != nil; e = errors.Unwrap(e) {
		assertNoKey(t, e.Error())
		var ue *url.Error
		if errors.As(e, &ue) {
			t.Fatalf("a *url.Error is still in the chain: %v", ue)
		}
	}
	if KindOf(err) != KindUnavailable || !IsTemporary(err) {
		t.Fatalf("kind %v temporary %v: %v", KindOf(err), IsTemporary(err), err)
	}
	var oe *net.OpError
	if !errors.As(err, &oe) {
		t.Errorf("net.OpError not reachable: %v", err)
	}
}

func TestBodyLimit(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "[", strings.Repeat(`{"ex_number":"1"},`, 200), `{"ex_number":"1"}]`)
	}))
	defer srv.Close()
	c := newTestClient(t, srv, func(cfg *Config) { cfg.MaxBody = 1024 })
	_, err := c.Extensions(context.Background())
	if !errors.Is(err, ErrTooLarge) || KindOf(err) != KindGarbage {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "larger than 1024") {
		t.Errorf("unclear error: %v", err)
	}
	c2 := newTestClient(t, srv, nil)
	if exts, err := c2.Extensions(context.Background()); err != nil || len(exts) != 201 {
		t.Fatalf("default limit: %d, %v", len(exts), err)
	}
}

// TestConcurrencyLimit holds every request in the handler and checks that
// no more than MaxConcurrent arrive, without sleeping.
func TestConcurrencyLimit(t *testing.T) {
	const limit, calls = 3, 10
	var inFlight, peak atomic.Int32
	arrived := make(chan struct{}, calls)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		arrived <- struct{}{}
		<-release
		inFlight.Add(-1)
		fmt.Fprint(w, goldenBLFsJSON)
	}))
	defer srv.Close()
	c := newTestClient(t, srv, func(cfg *Config) { cfg.MaxConcurrent = limit; cfg.Timeout = time.Minute })
	var wg sync.WaitGroup
	errs := make(chan error, calls)
	for range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.BLFs(context.Background())
			errs <- err
		}()
	}
	for range limit {
		<-arrived
	}
	// limit requests are in the handler; every slot is taken, so the
	// other calls wait in the semaphore, not on the network.
	if len(c.sem) != limit {
		t.Fatalf("semaphore holds %d, want %d", len(c.sem), limit)
	}
	if got := inFlight.Load(); got != limit {
		t.Fatalf("%d in flight, want %d", got, limit)
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if p := peak.Load(); p > limit {
		t.Fatalf("peak %d in flight, limit %d", p, limit)
	}
}

// TestTimeout: a PBX that never answers is KindUnavailable and temporary.
func TestTimeout(t *testing.T) {
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-stop:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(stop)
	c := newTestClient(t, srv, func(cfg *Config) { cfg.Timeout = 50 * time.Millisecond })
	_, err := c.Flows(context.Background())
	if KindOf(err) != KindUnavailable || !IsTemporary(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v (kind %v)", err, KindOf(err))
	}
	assertNoKey(t, err.Error())

	// A caller that cancels gets a non-temporary error that says so.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.Flows(ctx)
	if IsTemporary(err) || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v (temporary %v)", err, IsTemporary(err))
	}
}

// TestConnectionReuse: sequential requests share one keep-alive connection.
func TestConnectionReuse(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, goldenFlowState)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c := newTestClient(t, srv, nil)
	for range 5 {
		if _, err := c.FlowState(context.Background(), "61"); err != nil {
			t.Fatal(err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d connections for 5 sequential requests", n)
	}
	tr := c.hc.Transport.(*http.Transport)
	if tr.MaxIdleConnsPerHost < cap(c.sem) {
		t.Errorf("MaxIdleConnsPerHost %d < MaxConcurrent %d", tr.MaxIdleConnsPerHost, cap(c.sem))
	}
}

func TestDemoPath(t *testing.T) {
	pbx := goldenPBX()
	srv := httptest.NewServer(pbx)
	defer srv.Close()
	c := newTestClient(t, srv, func(cfg *Config) { cfg.Path = "/mirtapbx/proxyapi.php" })
	if _, err := c.Flows(context.Background()); err != nil {
		t.Fatal(err)
	}
	bad := newTestClient(t, srv, func(cfg *Config) { cfg.Path = "/wrong.php" })
	if _, err := bad.Flows(context.Background()); !IsNotFound(err) {
		t.Fatalf("wrong path: %v", err)
	}
}

func TestNewValidation(t *testing.T) {
	for _, cfg := range []Config{
		{BaseURL: "pbx.example", Key: testKey},
		{BaseURL: "https://user:pw@pbx.example", Key: testKey},
		{BaseURL: "https://pbx.example/pbx/proxyapi.php", Key: testKey},
		{BaseURL: "https://pbx.example?key=" + testKey, Key: testKey},
		{BaseURL: "https://pbx.example"},
		{BaseURL: "https://pbx.example", Key: "ab"},
		{BaseURL: "https://pbx.example", Key: "a\nb"},
		{BaseURL: "https://pbx.example", Key: testKey, Path: "proxyapi.php"},
		{BaseURL: "https://pbx.example", Key: testKey, Format: 7},
		{BaseURL: "https://pbx.example", Key: testKey, KeyIn: 7},
		{BaseURL: "https://pbx.example", Key: testKey, Timeout: -1},
	} {
		_, err := New(cfg)
		if !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%+v: err = %v", redactCfg(cfg), err)
			continue
		}
		assertNoKey(t, err.Error())
	}
	c, err := New(Config{BaseURL: "https://pbx.example/", Key: testKey})
	if err != nil || c.path != DefaultPath || c.timeout != DefaultTimeout || cap(c.sem) != DefaultMaxConcurrent || c.maxBody != DefaultMaxBody || c.Host() != "pbx.example" {
		t.Fatalf("defaults: %v", err)
	}
}

func redactCfg(c Config) Config { c.Key = "-"; return c }

func TestArgumentChecks(t *testing.T) {
	c, err := New(Config{BaseURL: "http://127.0.0.1:9", Key: testKey})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for name, err := range map[string]error{
		"dial no dest": func() error { _, err := c.Dial(ctx, DialRequest{Source: "1"}); return err }(),
		"dial recording": func() error {
			_, err := c.Dial(ctx, DialRequest{Source: "1", Dest: "2", Recording: "maybe"})
			return err
		}(),
		"hangup two":        c.Hangup(ctx, HangupRequest{Channel: "a", Number: "1"}),
		"hangup none":       c.Hangup(ctx, HangupRequest{}),
		"queue both":        c.QueueDel(ctx, QueueRef{ID: "1", Number: "2"}, "104"),
		"setflow state":     c.SetFlow(ctx, "500", "ON", ""),
		"setflow nothing":   c.SetFlow(ctx, "500", "", ""),
		"newline":           c.Transfer(ctx, "SIP/a\r\nX: y", "", "1"),
		"phonebook field":   func() error { _, err := c.PhonebookQuery(ctx, "Default", "", "x"); return err }(),
		"cdr no uniqueid":   c.CDRUserfield(ctx, "", "x"),
		"negative penalty":  c.QueueAdd(ctx, QueueRef{ID: "1"}, "104", QueueAddOptions{Penalty: -1}),
		"reboot empty peer": c.Reboot(ctx, " "),
	} {
		if !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestBackoff(t *testing.T) {
	b := Backoff{Base: time.Second, Max: 8 * time.Second, Rand: func() float64 { return 0.999999 }}
	var got []time.Duration
	for range 6 {
		got = append(got, b.Next().Round(time.Millisecond))
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second, 8 * time.Second}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v want %v", got, want)
	}
	b.Rand = func() float64 { return 0 }
	if d := b.Next(); d != 4*time.Second {
		t.Fatalf("lower jitter bound %v", d)
	}
	b.Reset()
	if d := b.Next(); d != 500*time.Millisecond || b.Attempts() != 1 {
		t.Fatalf("after reset %v", d)
	}
	var z Backoff
	for range 100 {
		if d := z.Next(); d < DefaultBackoffBase/2 || d > DefaultBackoffMax {
			t.Fatalf("default backoff %v out of range", d)
		}
	}
}

func TestSanitize(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	c := newTestClient(t, srv, nil)
	for _, s := range []string{
		strings.Repeat("é", 100),
		"a\x00b\x1bc\nd\te",
		string([]byte{0xff, 0xfe, 'x'}),
		strings.Repeat("k", 63) + testKey,
	} {
		m := sanitize(c.redactor, s)
		if len(m) > maxMessage || strings.ContainsAny(m, "\x00\x1b\n\t") || !utf8.ValidString(m) {
			t.Errorf("sanitize(%q) = %q", s, m)
		}
		assertNoKey(t, m)
	}
}
