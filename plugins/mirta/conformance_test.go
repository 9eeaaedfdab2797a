package mirta_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ctihost/ctihost/plugins/mirta/mirtasim"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk/conformance"
)

// driverBinary is the plugin built once for the package's tests.
var driverBinary string

func TestMain(m *testing.M) {
	binary, cleanup, err := conformance.BuildDriver("github.com/ctihost/ctihost/plugins/mirta/cmd/cti-driver-mirta")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	driverBinary = binary
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// Keys of the simulated PBX: tenant DEVEL's read/write and read-only
// keys, tenant OTHER's key and the admin key.
const (
	develKey   = "devel-Key-5e3f"
	develRO    = "devel-RO-77a1"
	otherKey   = "other-Key-19c2"
	adminKey   = "admin-Key-b0b0"
	develQueue = "281"
)

// startPBX runs a simulated MiRTA PBX with two tenants: DEVEL (101-103,
// queue 281 "Support" number 600 with agents 102 and 103, phonebook
// Customers) and OTHER (101, 201, its own phonebook).
func startPBX(t *testing.T) (*mirtasim.PBX, string) {
	t.Helper()
	pbx, err := mirtasim.New(mirtasim.Options{
		AdminKey:       adminKey,
		FarAnswerAfter: -1, // only the Lab answers far ends
		Tenants: []mirtasim.TenantSpec{{
			Code: "DEVEL", Key: develKey, ReadOnlyKey: develRO,
			Extensions: []mirtasim.ExtensionSpec{{Number: "101", Name: "Alice"}, {Number: "102", Name: "Bob"}, {Number: "103", Name: "Carol"}},
			Queues: []mirtasim.QueueSpec{{ID: develQueue, Number: "600", Name: "Support",
				Agents: []mirtasim.AgentSpec{{Extension: "102"}, {Extension: "103"}}}},
			Phonebooks: []mirtasim.PhonebookSpec{{Name: "Customers", Contacts: []mirtasim.Contact{
				{Name: "Ada Lovelace", Company: "Analytical Engines", Phone1: "01632960001"}}}},
		}, {
			Code: "OTHER", Key: otherKey,
			Extensions: []mirtasim.ExtensionSpec{{Number: "101", Name: "Olga"}, {Number: "201", Name: "Oscar"}},
			Phonebooks: []mirtasim.PhonebookSpec{{Name: "Secret", Contacts: []mirtasim.Contact{
				{Name: "Other Tenant's Customer", Company: "Hidden Ltd", Phone1: "01632960099"}}}},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(pbx)
	t.Cleanup(srv.Close)
	return pbx, srv.URL
}

// connection is the connection block of tenant DEVEL at url.
func connection(name, url, tenant, key string, extra map[string]string) *ctiv1.ConnectionConfig {
	set := map[string]string{
		"url": url, "tenant": tenant, "key": key,
		"poll_interval": "100ms", "discovery_interval": "1s", "dnd_refresh": "1s", "timeout": "2s",
	}
	for k, v := range extra {
		set[k] = v
	}
	return &ctiv1.ConnectionConfig{Name: name, Settings: set}
}

// lab plays the phones' users, the far ends and the PBX's administrator
// of tenant DEVEL on the simulator.
type lab struct {
	pbx   *mirtasim.PBX
	added atomic.Int32
}

// extOf is the extension or queue number a device id names.
func extOf(device string) string {
	if device == "support" {
		return "600"
	}
	return device
}

func (l *lab) RingIn(_ context.Context, device, from string) error {
	_, err := l.pbx.RingIn("DEVEL", from, extOf(device))
	return err
}

// call is the linkedid of the device's call with an external party.
func (l *lab) call(device string) (string, error) {
	calls, err := l.pbx.Calls("DEVEL")
	if err != nil {
		return "", err
	}
	for _, c := range calls {
		if slices.ContainsFunc(c.Channels, func(ch mirtasim.Channel) bool {
			return ch.Extension == extOf(device) || device == "support" && ch.Queue == "600"
		}) {
			return c.LinkedID, nil
		}
	}
	return "", fmt.Errorf("device %s has no call", device)
}

func (l *lab) RemoteAnswer(_ context.Context, device string) error {
	id, err := l.call(device)
	if err != nil {
		return err
	}
	return l.pbx.RemoteAnswer(id)
}

func (l *lab) RemoteHangup(_ context.Context, device string) error {
	id, err := l.call(device)
	if err != nil {
		return err
	}
	return l.pbx.RemoteHangup(id)
}

// SetReachable makes the whole PBX fail (HTTP 500): an extension whose
// phone is unplugged is not unreachable to the API, only unregistered.
func (l *lab) SetReachable(_ context.Context, _ string, up bool) error {
	if up {
		l.pbx.SetFault(mirtasim.FaultNone)
	} else {
		l.pbx.SetFault(mirtasim.FaultHTTP500)
	}
	return nil
}

// OffHook picks up the extension's ringing phone (a Dial's first leg).
func (l *lab) OffHook(_ context.Context, device string) error {
	_, err := l.pbx.Answer("DEVEL", extOf(device))
	return err
}

// AddContact adds a record to DEVEL's phonebook Customers.
func (l *lab) AddContact(_ context.Context, _, name, company, number string) error {
	_, err := l.pbx.AddContact("DEVEL", "Customers", mirtasim.Contact{Name: name, Company: company, Phone1: number})
	return err
}

// AddDevice adds an extension to DEVEL, as an administrator would.
func (l *lab) AddDevice(context.Context) (string, error) {
	ext := strconv.Itoa(int(150 + l.added.Add(1)))
	return ext, l.pbx.AddExtension("DEVEL", mirtasim.ExtensionSpec{Number: ext, Name: "New " + ext})
}

// RemoveDevice deletes it.
func (l *lab) RemoveDevice(_ context.Context, id string) error {
	return l.pbx.RemoveExtension("DEVEL", id)
}

var (
	_ conformance.DiscoveryLab = (*lab)(nil)
	_ conformance.HandsetLab   = (*lab)(nil)
	_ conformance.DirectoryLab = (*lab)(nil)
)

func TestConformance(t *testing.T) {
	pbx, url := startPBX(t)
	conformance.Run(t, conformance.Config{
		DriverPath:  driverBinary,
		Connections: []*ctiv1.ConnectionConfig{connection("mt", url, "DEVEL", develKey, map[string]string{"enrich_calls": "true"})},
		Devices: []*ctiv1.DeviceConfig{
			{Device: "101", Model: "extension", Connection: "mt"},
			{Device: "support", Model: "queue", Connection: "mt", Settings: map[string]string{"number": develQueue}},
		},
		ForeignDevices:    []string{"201", "q999", "other/101"},
		Queues:            []string{develQueue},
		ContactEnrichment: true,
		Lab:               &lab{pbx: pbx},
		EventTimeout:      10 * time.Second,
	})
}
