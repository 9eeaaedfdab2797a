package supervisor

import (
	"context"
	"fmt"
	"sync"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Per-device command limits, unless the plugin block sets them. Desk
// phones are small web servers that answer one request at a time; a few
// in flight keep a phone busy without drowning it.
const (
	DefaultDeviceCommands = 4
	DefaultDeviceQueue    = 16
	// deviceRetryAfter is the retry hint of a refused command.
	deviceRetryAfter = 200 * time.Millisecond
)

// deviceLimits bounds the commands in flight to each device, and those
// waiting for a turn; beyond both a command is refused at once. A flood of
// commands to one device so never holds up commands to another.
type deviceLimits struct {
	mu      sync.Mutex
	running int // per device
	queue   int // per device
	devices map[string]*deviceSlots
}

type deviceSlots struct {
	slots   chan struct{}
	waiting int
}

func newDeviceLimits(running, queue int) *deviceLimits {
	l := &deviceLimits{devices: map[string]*deviceSlots{}}
	l.set(running, queue)
	return l
}

// set changes the bounds (a config reload); commands in flight keep their
// slots, and new commands wait under the new bounds.
func (l *deviceLimits) set(running, queue int) {
	if running <= 0 {
		running = DefaultDeviceCommands
	}
	if queue <= 0 {
		queue = DefaultDeviceQueue
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if running != l.running {
		l.devices = map[string]*deviceSlots{}
	}
	l.running, l.queue = running, queue
}

// acquire waits for a turn to send a command to device and returns its
// release; it fails RESOURCE_EXHAUSTED at once when the device already has
// its full queue waiting, and with ctx's error when ctx ends first.
func (l *deviceLimits) acquire(ctx context.Context, device string, describe func() string) (func(), error) {
	l.mu.Lock()
	d := l.devices[device]
	if d == nil {
		d = &deviceSlots{slots: make(chan struct{}, l.running)}
		l.devices[device] = d
	}
	select {
	case d.slots <- struct{}{}:
		l.mu.Unlock()
		return func() { <-d.slots }, nil
	default:
	}
	if d.waiting >= l.queue {
		running, queue := l.running, l.queue
		l.mu.Unlock()
		return nil, busy(device, describe(), running, queue)
	}
	d.waiting++
	l.mu.Unlock()
	defer func() { l.mu.Lock(); d.waiting--; l.mu.Unlock() }()
	select {
	case d.slots <- struct{}{}:
		return func() { <-d.slots }, nil
	case <-ctx.Done():
		return nil, status.FromContextError(ctx.Err()).Err()
	}
}

// busy is the RESOURCE_EXHAUSTED of a device with a full queue, with a
// RetryInfo detail for clients that honour it.
func busy(device, describe string, running, queue int) error {
	st := status.New(codes.ResourceExhausted, fmt.Sprintf(
		"device %q of %s already has %d commands in flight and %d waiting (max_device_commands, max_device_queue); retry in %s",
		device, describe, running, queue, deviceRetryAfter))
	if with, err := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(deviceRetryAfter)}); err == nil {
		st = with
	}
	return st.Err()
}

// Acquire waits for a turn to send a command to device (a driver device
// id) and returns its release, which the caller MUST call when the
// command is done. See deviceLimits.acquire.
func (i *Instance) Acquire(ctx context.Context, device string) (release func(), err error) {
	return i.limits.acquire(ctx, device, i.Describe)
}

// SetDeviceLimits changes the per-device bounds (a config reload).
func (i *Instance) SetDeviceLimits(running, queue int) { i.limits.set(running, queue) }
