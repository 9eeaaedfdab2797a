package acmesim

import (
	"context"
	"fmt"
)

// Lab plays the far side of simulated phones, by device id. It has the
// method set of sdk/conformance.Lab, so a driver test hands it to the kit.
type Lab map[string]*Phone

func (l Lab) phone(device string) (*Phone, error) {
	if p := l[device]; p != nil {
		return p, nil
	}
	return nil, fmt.Errorf("lab has no phone for device %q", device)
}

// RingIn rings device with a call from from.
func (l Lab) RingIn(_ context.Context, device, from string) error {
	p, err := l.phone(device)
	if err != nil {
		return err
	}
	return p.RingIn(from)
}

// RemoteAnswer answers device's outbound call at the far end.
func (l Lab) RemoteAnswer(_ context.Context, device string) error {
	p, err := l.phone(device)
	if err != nil {
		return err
	}
	return p.RemoteAnswer()
}

// RemoteHangup hangs up device's call at the far end.
func (l Lab) RemoteHangup(_ context.Context, device string) error {
	p, err := l.phone(device)
	if err != nil {
		return err
	}
	return p.RemoteHangup()
}

// SetReachable takes device off the network or puts it back.
func (l Lab) SetReachable(_ context.Context, device string, up bool) error {
	p, err := l.phone(device)
	if err != nil {
		return err
	}
	p.SetReachable(up)
	return nil
}
