package ipoffice_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ctihost/ctihost/plugins/ipoffice/ipofficesim"
	"github.com/ctihost/ctihost/plugins/ipoffice/mtcti"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk/conformance"
)

// driverBinary is the plugin built once for the package's tests.
var driverBinary string

func TestMain(m *testing.M) {
	binary, cleanup, err := conformance.BuildDriver("github.com/ctihost/ctihost/plugins/ipoffice/cmd/cti-driver-ipoffice")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	driverBinary = binary
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// startPBX runs a simulated IP Office with users 201-203 and queue 600.
// The kit's far-end numbers (555…) are routed as external numbers.
func startPBX(t *testing.T) (*ipofficesim.Server, string) {
	t.Helper()
	sim := ipofficesim.New(ipofficesim.Options{
		Username: "ctihost", Password: "pbx-Secret-5",
		Users: []ipofficesim.UserSpec{
			{Extension: "201", Name: "Alice"}, {Extension: "202", Name: "Bob"}, {Extension: "203", Name: "Carol"},
		},
		Queues:           []ipofficesim.QueueSpec{{Name: "Sales", Number: "600", Members: []string{"202", "203"}}},
		ExternalPrefixes: "09+5",
	})
	addr, err := sim.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	return sim, addr
}

// connection is the connection block for sim at addr, pinned to its
// self-signed certificate.
func connection(sim *ipofficesim.Server, addr string) *ctiv1.ConnectionConfig {
	return &ctiv1.ConnectionConfig{Name: "ipo", Settings: map[string]string{
		"address": addr, "username": "ctihost", "password": "pbx-Secret-5",
		"certificate_sha256": sim.CertFingerprint(), "framing": "framed", "users": "*", "queues": "*",
		"subscription_timeout": "1h", "resync_grace": "500ms",
	}}
}

// lab plays the far ends and the PBX's administrator on the simulator.
type lab struct {
	sim   *ipofficesim.Server
	added atomic.Int32
}

// extOf is the user or hunt group a device id names: ids are extensions
// here, but for the hunt group configured as "sales".
func extOf(device string) string {
	if device == "sales" {
		return "600"
	}
	return device
}

// RingIn rings a user, or sends a caller into the hunt group.
func (l *lab) RingIn(_ context.Context, device, from string) error {
	var err error
	if device == "sales" {
		_, err = l.sim.RingQueue(extOf(device), from)
	} else {
		_, err = l.sim.RingUser(extOf(device), from)
	}
	return err
}

// call finds the device's call with an external party.
func (l *lab) call(device string) (ipofficesim.GCID, error) {
	for _, c := range l.sim.Calls() {
		if c.Kind == "user" && c.Number == extOf(device) || device == "sales" && c.Queue == "Sales" {
			return c.GCID, nil
		}
	}
	return nil, fmt.Errorf("device %s has no call", device)
}

func (l *lab) RemoteAnswer(_ context.Context, device string) error {
	g, err := l.call(device)
	if err != nil {
		return err
	}
	return l.sim.RemoteAnswer(g)
}

func (l *lab) RemoteHangup(_ context.Context, device string) error {
	g, err := l.call(device)
	if err != nil {
		return err
	}
	return l.sim.RemoteHangup(g)
}

// SetReachable cuts the whole PBX link: a PBX user's handset being
// unplugged is not something CTI reports as unreachable.
func (l *lab) SetReachable(_ context.Context, _ string, up bool) error {
	l.sim.RefuseLogin(!up)
	if !up {
		l.sim.DropConnections()
	}
	return nil
}

// Party is another user: IP Office joins two outside parties only with
// an inside one.
func (l *lab) Party(context.Context, string) (string, error) { return "203", nil }

// AnswerNumber has the user at number answer the call ringing it.
func (l *lab) AnswerNumber(_ context.Context, _, number string) error {
	for _, c := range l.sim.Calls() {
		if c.Kind == "user" && c.Number == number && c.State == mtcti.CallInfo_RINGING {
			return l.sim.AnswerAs(number, c.GCID)
		}
	}
	return fmt.Errorf("nothing rings %s", number)
}

// AddDevice adds a user on the PBX, as an administrator would.
func (l *lab) AddDevice(context.Context) (string, error) {
	ext := strconv.Itoa(int(250 + l.added.Add(1)))
	return ext, l.sim.AddUser(ipofficesim.UserSpec{Extension: ext, Name: "New " + ext, Features: mtcti.UserFeatureSAC | mtcti.UserFeatureMakeCall | mtcti.UserFeatureFwdU})
}

// RemoveDevice deletes it.
func (l *lab) RemoveDevice(_ context.Context, id string) error { return l.sim.RemoveUser(extOf(id)) }

var (
	_ conformance.DiscoveryLab = (*lab)(nil)
	_ conformance.PartyLab     = (*lab)(nil)
)

func TestConformance(t *testing.T) {
	sim, addr := startPBX(t)
	conformance.Run(t, conformance.Config{
		DriverPath:  driverBinary,
		Connections: []*ctiv1.ConnectionConfig{connection(sim, addr)},
		Devices: []*ctiv1.DeviceConfig{
			{Device: "201", Model: "user", Connection: "ipo"},
			{Device: "sales", Model: "queue", Connection: "ipo", Settings: map[string]string{"extension": "600"}},
		},
		ForeignDevices: []string{"999", "other/201"},
		Queues:         []string{"600"},
		Lab:            &lab{sim: sim},
		EventTimeout:   10 * time.Second,
	})
}
