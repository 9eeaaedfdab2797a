package grandstream_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/ctihost/ctihost/plugins/grandstream/gssim"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk/conformance"
)

// driverBinary is the plugin built once for the conformance run.
var driverBinary string

func TestMain(m *testing.M) {
	binary, cleanup, err := conformance.BuildDriver("github.com/ctihost/ctihost/plugins/grandstream/cmd/cti-driver-grandstream")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	driverBinary = binary
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// lab drives gssim phones as the far side of each device.
type lab struct{ phones map[string]*gssim.Phone }

func (l lab) RingIn(_ context.Context, device, from string) error {
	_, err := l.phones[device].RingIn(from, "Conformance")
	return err
}

// line finds the first line of handset 1 in one of the states.
func (l lab) line(device string, states ...string) (int, error) {
	for _, ln := range l.phones[device].Lines(1) {
		for _, s := range states {
			if ln.State == s {
				return ln.Line, nil
			}
		}
	}
	return 0, fmt.Errorf("device %s has no line in state %v", device, states)
}

func (l lab) RemoteAnswer(_ context.Context, device string) error {
	line, err := l.line(device, gssim.StateCalling)
	if err != nil {
		return err
	}
	return l.phones[device].RemoteAnswer(line)
}

func (l lab) RemoteHangup(_ context.Context, device string) error {
	line, err := l.line(device, gssim.StateConnected, gssim.StateOnHold, gssim.StateRinging, gssim.StateCalling)
	if err != nil {
		return err
	}
	return l.phones[device].RemoteHangup(line)
}

func (l lab) SetReachable(_ context.Context, device string, up bool) error {
	fault := gssim.FaultDrop // the phone drops every connection, as when it is off the network
	if up {
		fault = gssim.FaultNone
	}
	l.phones[device].SetFault(fault)
	return nil
}

// TestConformance runs the SDK's black-box kit against the real plugin
// binary, launched through go-plugin, with one phone of each family,
// including the GXP1165 without FLASH.
func TestConformance(t *testing.T) {
	l := lab{phones: map[string]*gssim.Phone{}}
	var devices []*ctiv1.DeviceConfig
	for id, model := range map[string]string{"gxp2135": "GXP2135", "gxp1165": "GXP1165", "dp750": "DP750"} {
		sim, err := gssim.New(gssim.Options{Model: model, Passcode: "conformance-pass"})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(sim)
		t.Cleanup(srv.Close)
		l.phones[id] = sim
		devices = append(devices, &ctiv1.DeviceConfig{Device: id, Model: model, Settings: map[string]string{
			"host": strings.TrimPrefix(srv.URL, "http://"), "passcode": "conformance-pass",
		}})
	}
	conformance.Run(t, conformance.Config{
		DriverPath: driverBinary,
		Site:       "conformance",
		Settings:   map[string]string{"poll_interval": "50ms", "poll_jitter": "5ms", "request_timeout": "500ms"},
		Devices:    devices,
		Lab:        l,
	})
}
