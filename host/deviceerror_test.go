package main

import (
	"context"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ctihost/ctihost/plugins/grandstream/gssim"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
)

// A device's error reaches the app as fast as the device gave it: the host
// used to wait up to a second on every UNAVAILABLE to see whether the
// driver had died. The same failing command is sent through the host and
// directly to a driver process of its own, taking turns; the host may add
// its hop, not that second.
func TestDeviceErrorsAreNotDelayedByTheHost(t *testing.T) {
	phone := newPhone(t, "desk", "GXP2135")
	h := startHost(t, map[string][]*testPhone{"hq": {phone}})
	driver := directDriver(t, phone)
	ctx := context.Background()
	for _, fault := range []gssim.Fault{gssim.FaultHTTP500, gssim.FaultHTML, gssim.FaultGarbage} {
		phone.sim.SetFault(fault)
		var viaHost, direct []time.Duration
		for range 15 {
			began := time.Now()
			_, err := h.host.SendKeys(ctx, &ctiv1.SendKeysRequest{Device: "hq/desk", Keys: []string{"VUP"}})
			viaHost = append(viaHost, time.Since(began))
			if status.Code(err) != codes.Unavailable {
				t.Fatalf("%s through the host: %v, want Unavailable", fault, err)
			}
			began = time.Now()
			_, err = driver.SendKeys(ctx, &ctiv1.SendKeysRequest{Device: "desk", Keys: []string{"VUP"}})
			direct = append(direct, time.Since(began))
			if status.Code(err) != codes.Unavailable {
				t.Fatalf("%s on the driver: %v, want Unavailable", fault, err)
			}
		}
		// One more gRPC hop costs about as much as the first, so the host
		// takes about twice the driver's time; the old wait made it a
		// thousand times.
		host, dev := median(viaHost), median(direct)
		if ratio := float64(host) / float64(dev); ratio > 20 {
			t.Errorf("%s: through the host %s, directly on the driver %s: %.0f times as long", fault, host, dev, ratio)
		}
		t.Logf("%s: p50 through the host %s, directly on the driver %s", fault, host, dev)
	}
	phone.sim.SetFault(gssim.FaultNone)
}

// directDriver starts a Grandstream driver process of its own, serving
// phone as device "desk", and returns its client.
func directDriver(t *testing.T, phone *testPhone) ctiv1.DriverClient {
	t.Helper()
	client := plugin.NewClient(sdk.ClientConfig(filepath.Join(binDir, "plugins", "cti-driver-grandstream"), hclog.NewNullLogger()))
	t.Cleanup(client.Kill)
	driver, err := sdk.Dispense(client)
	if err != nil {
		t.Fatal(err)
	}
	_, err = driver.Configure(context.Background(), &ctiv1.ConfigureRequest{Site: "hq", Settings: map[string]string{"poll_interval": "1h"},
		Devices: []*ctiv1.DeviceConfig{{Device: "desk", Model: "GXP2135", Settings: map[string]string{
			"host": strings.TrimPrefix(phone.srv.URL, "http://"), "passcode": secretPasscode,
		}}}})
	if err != nil {
		t.Fatal(err)
	}
	return driver
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
