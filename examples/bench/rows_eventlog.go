package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/ctihost/ctihost/host/bus"
	"github.com/ctihost/ctihost/host/eventlog"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// The durable event log rows: what fsync costs. The host's bus publishes
// call events as fast as it can, in process, into memory only, into the
// event log flushed every second, and into the event log with an fsync
// per event (ctihost's default, event_log_sync = "0s"), one after the
// other in one run on the same disk.
func eventlogRowNames() []string {
	var names []string
	for _, r := range (&eventlogFigures{}).rows() {
		names = append(names, r.Name)
	}
	return names
}

type eventlogFigures struct {
	memory, interval, always float64 // events/s
}

func (f *eventlogFigures) rows() []row {
	pct := 0.0
	if f.memory > 0 {
		pct = f.always / f.memory * 100
	}
	return []row{
		measured("event log: bus publish, memory only", f.memory, "events/s"),
		measured("event log: bus publish, JetStream file store flushed every 1s", f.interval, "events/s"),
		measured("event log: bus publish, JetStream file store with fsync per event (the default)", f.always, "events/s"),
		measured("event log: fsync per event as a share of memory only", pct, "%"),
	}
}

func eventlogRows(ctx context.Context, h *harness, quick bool) ([]row, error) {
	n := 20000
	if quick {
		n = 500
	}
	f := &eventlogFigures{}
	var err error
	if f.memory, err = publishRate(ctx, bus.New(1024), n); err != nil {
		return nil, err
	}
	for _, c := range []struct {
		sync time.Duration
		into *float64
	}{{time.Second, &f.interval}, {0, &f.always}} {
		dir, err := os.MkdirTemp(h.dir, "eventlog-")
		if err != nil {
			return nil, err
		}
		log, err := eventlog.Open(eventlog.Options{Dir: dir, Sync: c.sync})
		if err != nil {
			return nil, err
		}
		b, err := bus.NewDurable(ctx, 1024, log, nil)
		if err == nil {
			*c.into, err = publishRate(ctx, b, n)
		}
		log.Close()
		if err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(os.Stderr, "bench: event log: %d events each: memory %.0f/s, flushed every 1s %.0f/s, fsync per event %.0f/s\n", n, f.memory, f.interval, f.always)
	return f.rows(), nil
}

// publishRate publishes n call events and returns events per second.
func publishRate(ctx context.Context, b *bus.Bus, n int) (float64, error) {
	began := time.Now()
	for i := range n {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		b.Publish(&ctiv1.Event{Site: "hq", Device: "hq/reception", Payload: &ctiv1.Event_CallChanged{CallChanged: &ctiv1.CallChanged{
			Call: &ctiv1.Call{CallId: fmt.Sprint(i), State: ctiv1.CallState_CALL_STATE_RINGING, Remote: &ctiv1.Party{Number: "5551234"}}}}})
	}
	return float64(n) / time.Since(began).Seconds(), nil
}
