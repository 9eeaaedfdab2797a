package conformance

import (
	"context"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// concurrentCallers is how many goroutines hit one device at once.
const concurrentCallers = 20

// testConcurrency has many goroutines read the state of each device and
// send it an idempotent command at once: no error but FAILED_PRECONDITION
// may come back (and, with -race, the driver must not race).
func (k *kit) testConcurrency(t *testing.T) {
	k.forEachDevice(t, func(t *testing.T, d *device) {
		d.scenario(t, "state reads and idempotent commands at once", "", d.concurrent)
	})
}

func (d *device) concurrent(t *testing.T) {
	name, command := d.idempotentCommand(t)
	if command == nil && d.has(capHold, capResume) && d.requiresConnected() == "" {
		c := d.connectedCall(t)
		name, command = "Hold and Resume", func(ctx context.Context) error {
			if _, err := d.k.client.Hold(ctx, d.callReq(c)); err != nil {
				return err
			}
			return ignore(d.k.client.Resume(ctx, d.callReq(c)))
		}
	}
	if command == nil {
		t.Logf("model %s declares no idempotent command the kit can repeat; only GetDeviceState runs concurrently", d.model.GetModel())
	}
	ctx := d.k.ctx(t)
	var wg sync.WaitGroup
	for range concurrentCallers {
		wg.Go(func() {
			if _, err := d.k.client.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: d.id}); err != nil {
				t.Errorf("concurrent GetDeviceState: %v", err)
			}
			if command == nil {
				return
			}
			if err := command(ctx); err != nil && status.Code(err) != codes.FailedPrecondition {
				t.Errorf("concurrent %s: got %s, want OK or FailedPrecondition: %v", name, status.Code(err), err)
			}
		})
	}
	wg.Wait()
	_, err := d.k.client.GetDeviceState(d.k.ctx(t), &ctiv1.GetDeviceStateRequest{Device: d.id})
	mustOK(t, "GetDeviceState after the concurrent calls", err)
}
