package mirta

import (
	"context"
	"maps"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/codes"

	"github.com/ctihost/ctihost/plugins/mirta/mirtasim"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
)

const (
	testKey   = "rw-Key-Secret-81f0"
	testROKey = "ro-Key-Secret-22aa"
	sipSecret = "sip-Secret-For-101"
)

// newTestDriver runs a driver configured for tenant DEVEL of a simulated
// PBX, with the given key and extra settings.
func newTestDriver(t *testing.T, key string, extra map[string]string) (*Driver, *mirtasim.PBX) {
	t.Helper()
	pbx, err := mirtasim.New(mirtasim.Options{FarAnswerAfter: -1, Tenants: []mirtasim.TenantSpec{{
		Code: "DEVEL", Key: testKey, ReadOnlyKey: testROKey,
		Extensions: []mirtasim.ExtensionSpec{{Number: "101", Name: "Alice", Secret: sipSecret}, {Number: "102", Name: "Bob"}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(pbx)
	t.Cleanup(srv.Close)
	set := map[string]string{"url": srv.URL, "tenant": "DEVEL", "key": key, "poll_interval": "100ms", "timeout": "1s"}
	for k, v := range extra {
		set[k] = v
	}
	d := New(hclog.NewNullLogger())
	t.Cleanup(d.Close)
	if _, err := d.Configure(context.Background(), &ctiv1.ConfigureRequest{Site: "mt",
		Connections: []*ctiv1.ConnectionConfig{{Name: "pbx", Settings: set}}}); err != nil {
		t.Fatal(err)
	}
	return d, pbx
}

// eventually polls ok until it holds or 10s pass.
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func connectionOf(t *testing.T, d *Driver) *ctiv1.ConnectionStatus {
	t.Helper()
	resp, err := d.ListConnections(context.Background(), &ctiv1.ListConnectionsRequest{})
	if err != nil || len(resp.GetConnections()) != 1 {
		t.Fatalf("ListConnections: %v, %v", resp, err)
	}
	return resp.GetConnections()[0]
}

// A refused key: the connection is down saying so, a command answers
// PERMISSION_DENIED naming the connection, and the key shows nowhere.
func TestBadKeyIsPermissionDeniedAndNeverShown(t *testing.T) {
	d, _ := newTestDriver(t, "wrong-Key-Secret-0000", nil)
	eventually(t, "the connection reported down", func() bool {
		c := connectionOf(t, d)
		return !c.GetConnected() && strings.Contains(c.GetDetail(), "refused the API key")
	})
	c := connectionOf(t, d)
	if strings.Contains(c.String(), "wrong-Key-Secret-0000") {
		t.Errorf("ListConnections shows the key: %v", c)
	}
	_, err := d.LookupContact(context.Background(), &ctiv1.LookupContactRequest{Device: "101", Number: "123"})
	if code := sdk.Status(err).Code(); code != codes.NotFound {
		t.Errorf("a device of a tenant never read: %s, want NotFound", code)
	}
}

// A read-only key lists and watches, but cannot dial: PERMISSION_DENIED
// saying why.
func TestReadOnlyKeyCannotDial(t *testing.T) {
	d, _ := newTestDriver(t, testROKey, nil)
	eventually(t, "extension 101 discovered", func() bool {
		resp, _ := d.ListDevices(context.Background(), &ctiv1.ListDevicesRequest{})
		return len(resp.GetDevices()) == 2
	})
	_, err := d.Dial(context.Background(), &ctiv1.DialRequest{Device: "101", Destination: "102"})
	st := sdk.Status(err)
	if st.Code() != codes.PermissionDenied || !strings.Contains(st.Message(), `connection "mt/pbx"`) || !strings.Contains(st.Message(), "read-only") {
		t.Errorf("Dial with a read-only key: %v; want PermissionDenied naming the connection and read-only keys", err)
	}
	if strings.Contains(st.String(), testROKey) {
		t.Errorf("the error shows the key: %v", st)
	}
}

// An HTML page instead of proxyapi's answer is UNAVAILABLE, never success.
func TestGarbageAnswerIsUnavailable(t *testing.T) {
	d, pbx := newTestDriver(t, testKey, nil)
	eventually(t, "the connection up", func() bool { return connectionOf(t, d).GetConnected() })
	pbx.SetFault(mirtasim.FaultGarbage)
	_, err := d.SetDND(context.Background(), &ctiv1.SetDNDRequest{Device: "101", Enabled: true})
	if code := sdk.Status(err).Code(); code != codes.Unavailable {
		t.Errorf("SetDND against an HTML page: %v, want Unavailable", err)
	}
	eventually(t, "the connection reported down", func() bool { return !connectionOf(t, d).GetConnected() })
	pbx.SetFault(mirtasim.FaultNone)
	eventually(t, "the connection up again", func() bool { return connectionOf(t, d).GetConnected() })
}

// The SIP secret INFO extensions sends along appears in no answer of the
// driver.
func TestSIPSecretNeverKept(t *testing.T) {
	d, _ := newTestDriver(t, testKey, nil)
	eventually(t, "extension 101 discovered", func() bool { return d.ext("101") != nil })
	resp, err := d.ListDevices(context.Background(), &ctiv1.ListDevicesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := d.GetDeviceState(context.Background(), &ctiv1.GetDeviceStateRequest{Device: "101"})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range append(d.snapshot(), &ctiv1.Event{Payload: &ctiv1.Event_DevicesChanged{DevicesChanged: &ctiv1.DevicesChanged{Added: resp.GetDevices()}}}) {
		if strings.Contains(s.String(), sipSecret) {
			t.Errorf("the SIP secret is in %v", s)
		}
	}
	if strings.Contains(st.String(), sipSecret) {
		t.Errorf("the SIP secret is in the device state")
	}
}

// Dial options MiRTA's DIAL cannot carry are refused, not dropped.
func TestDialRefusesWhatDIALCannotCarry(t *testing.T) {
	d, pbx := newTestDriver(t, testKey, nil)
	eventually(t, "extension 101 discovered", func() bool { return d.ext("101") != nil })
	for _, req := range []*ctiv1.DialRequest{
		{Device: "101", Destination: "102", WithholdCallerId: true},
		{Device: "101", Destination: "102", AccountCode: "42"},
	} {
		if _, err := d.Dial(context.Background(), req); sdk.Status(err).Code() != codes.InvalidArgument {
			t.Errorf("Dial %v: %v, want InvalidArgument", req, err)
		}
	}
	for _, r := range pbx.Requests() {
		if r.Reqtype == "DIAL" {
			t.Errorf("a refused Dial reached the PBX: %v", r.Params)
		}
	}
	if _, err := d.Dial(context.Background(), &ctiv1.DialRequest{Device: "101", Destination: "102", CallerId: "5550100", Tag: "crm-17"}); err != nil {
		t.Fatal(err)
	}
	var dial map[string]string
	for _, r := range pbx.Requests() {
		if r.Reqtype == "DIAL" {
			dial = r.Params
		}
	}
	if dial["destclid"] != "5550100" || dial["var"] != "ctitag=crm-17" || dial["source"] != "101" || dial["dest"] != "102" {
		t.Errorf("DIAL params %v: want source 101, dest 102, destclid 5550100, var ctitag=crm-17", dial)
	}
}

func TestPeerOf(t *testing.T) {
	for _, c := range []struct{ channel, want string }{
		{"SIP/101-DEVEL-0000002a", "101"},
		{"PJSIP/2001-devel-00000001", "2001"},
		{"SIP/101-OTHER-0000002a", ""},
		{"SIP/trunk-0000002b", ""},
		{"Local/101@DEVEL-00000001;1", ""},
		{"SIP/-DEVEL-01", ""},
		{"garbage", ""},
		{"SIP/DEVEL-01", ""},
	} {
		if got := peerOf(c.channel, "DEVEL"); got != c.want {
			t.Errorf("peerOf(%q) = %q, want %q", c.channel, got, c.want)
		}
	}
}

func TestLegState(t *testing.T) {
	up, ringing, ring := leg{state: "Up"}, leg{state: "Ringing"}, leg{state: "Ring"}
	for _, c := range []struct {
		name   string
		l      leg
		others []leg
		want   ctiv1.CallState
		alone  bool
	}{
		{"phone rings", ringing, []leg{ring}, ctiv1.CallState_CALL_STATE_RINGING, false},
		{"caller waits while the far end rings", ring, []leg{ringing}, ctiv1.CallState_CALL_STATE_RINGBACK, false},
		{"answered originate, destination ringing", up, []leg{ringing}, ctiv1.CallState_CALL_STATE_RINGBACK, false},
		{"both up", up, []leg{up}, ctiv1.CallState_CALL_STATE_CONNECTED, false},
		{"up alone (voicemail, IVR)", up, nil, ctiv1.CallState_CALL_STATE_CONNECTED, true},
		{"dialling", ring, nil, ctiv1.CallState_CALL_STATE_DIALING, false},
		{"unknown state", leg{state: "Weird"}, nil, ctiv1.CallState_CALL_STATE_UNSPECIFIED, false},
	} {
		got, alone := legState(c.l, c.others)
		if got != c.want || alone != c.alone {
			t.Errorf("%s: %s alone=%v, want %s alone=%v", c.name, got, alone, c.want, c.alone)
		}
	}
}

func TestParseConnectionRefusesUnsafeOrBadSettings(t *testing.T) {
	base := map[string]string{"url": "https://pbx.example.com", "tenant": "DEVEL", "key": "k"}
	for _, c := range []struct {
		name string
		set  map[string]string
		says string
	}{
		{"http to another machine", map[string]string{"url": "http://pbx.example.com"}, "in clear"},
		{"url with a path", map[string]string{"url": "https://pbx.example.com/pbx/proxyapi.php?key=secret"}, "scheme and host only"},
		{"tenant with a space", map[string]string{"tenant": "DE VEL"}, "letters, digits"},
		{"poll too fast", map[string]string{"poll_interval": "1ms"}, "poll_interval"},
		{"no key", map[string]string{"key": ""}, "required"},
		{"concurrency out of range", map[string]string{"max_concurrent": "100"}, "max_concurrent"},
	} {
		set := map[string]string{}
		for k, v := range base {
			set[k] = v
		}
		for k, v := range c.set {
			set[k] = v
		}
		_, err := parseConnection(&ctiv1.ConnectionConfig{Name: "pbx", Settings: set})
		if err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v, want an error saying %q", c.name, err, c.says)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: the error shows the URL's query: %v", c.name, err)
		}
	}
	if _, err := parseConnection(&ctiv1.ConnectionConfig{Name: "pbx", Settings: map[string]string{"url": "http://127.0.0.1:18401", "tenant": "DEVEL", "key": "k"}}); err != nil {
		t.Errorf("http on loopback: %v", err)
	}
}

// ext is the extension device id once discovered, or nil.
func (d *Driver) ext(id string) *extDev {
	t, err := d.tenantOf(id)
	if err != nil {
		return nil
	}
	return t.ext(id)
}

// A reload that changes nothing keeps the tenant's poller and its calls;
// one that changes the connection starts anew.
func TestReconfigureKeepsAnUnchangedTenant(t *testing.T) {
	d, pbx := newTestDriver(t, testKey, nil)
	eventually(t, "extension 101 discovered", func() bool { return d.ext("101") != nil })
	if _, err := pbx.RingIn("DEVEL", "0612345678", "101"); err != nil {
		t.Fatal(err)
	}
	var id string
	eventually(t, "the call ringing at 101", func() bool {
		st, err := d.GetDeviceState(context.Background(), &ctiv1.GetDeviceStateRequest{Device: "101"})
		if err == nil && len(st.GetCalls()) == 1 {
			id = st.GetCalls()[0].GetCallId()
		}
		return id != ""
	})
	d.mu.Lock()
	before := d.tenants["pbx"]
	set := maps.Clone(before.cfg.settings)
	d.mu.Unlock()
	reconfigure := func(set map[string]string) *tenant {
		t.Helper()
		if _, err := d.Configure(context.Background(), &ctiv1.ConfigureRequest{Site: "mt",
			Connections: []*ctiv1.ConnectionConfig{{Name: "pbx", Settings: set}}}); err != nil {
			t.Fatal(err)
		}
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.tenants["pbx"]
	}
	if after := reconfigure(set); after != before || d.ext("101").calls.Call(id) == nil {
		t.Fatal("an unchanged reload restarted the tenant's poller or lost its call")
	}
	set["poll_interval"] = "150ms"
	if after := reconfigure(set); after == before {
		t.Fatal("a changed connection kept its old poller")
	}
}
