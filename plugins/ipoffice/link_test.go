package ipoffice_test

import (
	"context"
	"maps"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ctihost/ctihost/plugins/ipoffice"
	"github.com/ctihost/ctihost/plugins/ipoffice/ipofficesim"
	"github.com/ctihost/ctihost/plugins/ipoffice/mtcti"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// configured runs the driver in process with one connection and returns
// it, closed at the end of the test.
func configured(t *testing.T, conn *ctiv1.ConnectionConfig) *ipoffice.Driver {
	t.Helper()
	d := ipoffice.New(hclog.NewNullLogger())
	t.Cleanup(d.Close)
	if _, err := d.Configure(t.Context(), &ctiv1.ConfigureRequest{Connections: []*ctiv1.ConnectionConfig{conn}}); err != nil {
		t.Fatal(err)
	}
	return d
}

// link waits until the driver's one connection satisfies ok and returns it.
func link(t *testing.T, d *ipoffice.Driver, what string, ok func(*ctiv1.ConnectionStatus) bool) *ctiv1.ConnectionStatus {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := d.ListConnections(context.Background(), &ctiv1.ListConnectionsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if c := resp.GetConnections(); len(c) == 1 && ok(c[0]) {
			return c[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no connection %s within 15s: %v", what, resp.GetConnections())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestSecondaryAddressServesWhileThePrimaryIsDown(t *testing.T) {
	sim, addr := startPBX(t)
	conn := connection(sim, addr)
	conn.Settings["address"], conn.Settings["secondary_address"] = closedAddr(t), addr
	d := configured(t, conn)
	c := link(t, d, "up through the secondary", func(c *ctiv1.ConnectionStatus) bool { return c.GetConnected() })
	if c.GetAddress() != addr || c.GetPeerVersion() == "" {
		t.Errorf("connection %v: want the secondary %s and the IP Office's version", c, addr)
	}
}

func TestACertificateOtherThanThePinnedOneIsRefused(t *testing.T) {
	sim, addr := startPBX(t)
	conn := connection(sim, addr)
	conn.Settings["certificate_sha256"] = strings.Repeat("AB:", 31) + "AB" // not the simulator's
	d := configured(t, conn)
	c := link(t, d, "refused for its certificate", func(c *ctiv1.ConnectionStatus) bool {
		return !c.GetConnected() && strings.Contains(c.GetDetail(), "tls")
	})
	if strings.Contains(c.GetDetail(), "pbx-Secret-5") {
		t.Errorf("the detail shows the password: %s", c.GetDetail())
	}
	if sim.Connections() != 0 {
		t.Errorf("the simulator has %d MTCTI3 connections; a refused certificate must open none", sim.Connections())
	}
}

func TestRefusedCredentialsSayWhatToFix(t *testing.T) {
	sim, addr := startPBX(t)
	conn := connection(sim, addr)
	conn.Settings["password"] = "not-the-password"
	d := configured(t, conn)
	c := link(t, d, "refused for its credentials", func(c *ctiv1.ConnectionStatus) bool {
		return !c.GetConnected() && strings.Contains(c.GetDetail(), "credentials")
	})
	if !strings.Contains(c.GetDetail(), "Enhanced TSPI Access") || strings.Contains(c.GetDetail(), "not-the-password") {
		t.Errorf("detail %q: want the fix named and no password", c.GetDetail())
	}
}

func TestUserStatusCarriesMailboxDNDAndFeatures(t *testing.T) {
	sim, addr := startPBX(t)
	d := configured(t, connection(sim, addr))
	link(t, d, "up", func(c *ctiv1.ConnectionStatus) bool { return c.GetConnected() })
	if err := sim.SetMailbox("202", 3, 1, 2); err != nil {
		t.Fatal(err)
	}
	if err := sim.SetDND("202", true); err != nil {
		t.Fatal(err)
	}
	if err := sim.SetUserFeatures("202", mtcti.UserFeatureSAC); err != nil { // no make call, no forwarding
		t.Fatal(err)
	}
	var st *ctiv1.DeviceStatus
	deadline := time.Now().Add(10 * time.Second)
	for {
		s, err := d.GetDeviceState(t.Context(), &ctiv1.GetDeviceStateRequest{Device: "202"})
		if err != nil {
			t.Fatal(err)
		}
		st = s.GetStatus()
		if st.GetVoicemail().GetNewMessages() == 3 && st.GetDnd() && len(st.GetUnavailableOperations()) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status %v: want 3 new messages, dnd on and dial and forwarding unavailable", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if v := st.GetVoicemail(); v.GetOldMessages() != 1 || v.GetSavedMessages() != 2 {
		t.Errorf("voicemail %v, want 3 new, 1 old, 2 saved", v)
	}
	want := []ctiv1.Capability{ctiv1.Capability_CAPABILITY_DIAL, ctiv1.Capability_CAPABILITY_DIAL_OPTIONS, ctiv1.Capability_CAPABILITY_SET_FORWARD}
	if got := st.GetUnavailableOperations(); !slices.Equal(got, want) {
		t.Errorf("unavailable %v, want %v", got, want)
	}
	// What the user may not do answers FAILED_PRECONDITION, naming the feature.
	_, err := d.Dial(t.Context(), &ctiv1.DialRequest{Device: "202", Destination: "203"})
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "MAKECALL") {
		t.Errorf("Dial by a user without MAKECALL = %v, want FAILED_PRECONDITION naming MAKECALL", err)
	}
}

// subscribed counts the simulator's subscriptions of each kind.
func subscribed(sim *ipofficesim.Server) map[string]int {
	n := map[string]int{}
	for _, s := range sim.Subscriptions() {
		n[s.Kind]++
	}
	return n
}

func TestTerminatedSubscriptionsAreRenewed(t *testing.T) {
	sim, addr := startPBX(t)
	d := configured(t, connection(sim, addr))
	want := map[string]int{"lines": 1, "user": 3, "queue": 1}
	waitSubscribed := func(what string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for !maps.Equal(subscribed(sim), want) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: subscriptions %v, want %v", what, subscribed(sim), want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitSubscribed("at start")
	sim.TerminateSubscriptions()
	waitSubscribed("after IP Office ended every subscription")
	// And they work: a call to 201 reaches the driver.
	if _, err := sim.RingUser("201", "01632960011"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := d.GetDeviceState(t.Context(), &ctiv1.GetDeviceStateRequest{Device: "201"})
		if err != nil {
			t.Fatal(err)
		}
		if len(st.GetCalls()) == 1 && st.GetCalls()[0].GetState() == ctiv1.CallState_CALL_STATE_RINGING {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("201 after the renewal: %v, want its ringing call", st.GetCalls())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
