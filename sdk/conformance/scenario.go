package conformance

import (
	"strings"
	"testing"
	"time"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
)

// forEachDevice runs fn as one subtest per device, named after the device.
func (k *kit) forEachDevice(t *testing.T, fn func(t *testing.T, d *device)) {
	for _, d := range k.devices {
		t.Run(d.id, func(t *testing.T) { fn(t, d) })
	}
}

// scenario runs fn as a subtest that starts and ends with the device idle.
// missing (from requires) says why the model does not take part; the
// scenario is then logged, not run.
func (d *device) scenario(t *testing.T, name, missing string, fn func(t *testing.T)) {
	t.Helper()
	if missing != "" {
		t.Logf("%s: not run: %s", name, missing)
		return
	}
	t.Run(name, func(t *testing.T) {
		d.settle(t)
		t.Cleanup(func() { d.settle(t) })
		fn(t)
	})
}

// settle ends every call on the device and waits until it reports none.
func (d *device) settle(t *testing.T) {
	t.Helper()
	ctx, cancel := d.k.cleanupCtx()
	defer cancel()
	for _, p := range d.k.calls.hangUpAll(ctx, d) {
		t.Errorf("device %s: %s", d.id, p)
	}
	deadline := time.Now().Add(d.k.cfg.EventTimeout)
	for {
		st, err := d.k.client.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: d.id})
		if err == nil && len(st.GetCalls()) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("device %s did not become idle within %s: state %v, error %v", d.id, d.k.cfg.EventTimeout, st.GetCalls(), err)
			return
		}
		time.Sleep(pollEvery)
	}
}

func capNames(caps []ctiv1.Capability) string {
	names := make([]string, len(caps))
	for i, c := range caps {
		names[i] = sdk.CapabilityName(c)
	}
	return strings.Join(names, ", ")
}
