package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ctihost/ctihost/host/bus"
	"github.com/ctihost/ctihost/host/eventlog"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// maxReconcileScan bounds how many of the newest logged events the start
// reads to find the calls that were up when the host stopped.
const maxReconcileScan = 100000

// openEventLog opens the durable event log and puts a durable bus in
// place of the memory one; it returns the calls open at the end of the
// log (for reconcile) and the function that closes the log.
func (h *host) openEventLog(ctx context.Context) (map[string]map[string]*ctiv1.Call, func(), error) {
	hc := h.cfg.Host
	log, err := eventlog.Open(eventlog.Options{Dir: hc.EventLogDir, MaxBytes: hc.EventLogMaxBytes, MaxAge: hc.EventLogMaxAge, Sync: hc.EventLogSync})
	if err != nil {
		return nil, nil, err
	}
	b, err := bus.NewDurable(ctx, hc.EventBuffer, log, func(err error) {
		h.logger.Error("the event log refused an event: events are kept in memory only until ctihost restarts", "error", err)
	})
	if err != nil {
		log.Close()
		return nil, nil, fmt.Errorf("event log: %w", err)
	}
	open, scanned, err := openCalls(ctx, log)
	if err != nil {
		log.Close()
		return nil, nil, fmt.Errorf("event log: %w", err)
	}
	h.bus = b
	first, last, _ := log.Bounds(ctx)
	h.logger.Info("event log open", "dir", hc.EventLogDir, "first_sequence", first, "last_sequence", last,
		"calls_open_at_stop", count(open), "scanned", scanned, "sync", hc.EventLogSync)
	return open, log.Close, nil
}

// openCalls reads the newest logged events and returns the calls they
// leave open, by device reference and call id.
func openCalls(ctx context.Context, log *eventlog.Log) (map[string]map[string]*ctiv1.Call, int, error) {
	first, last, err := log.Bounds(ctx)
	if err != nil || last == 0 {
		return nil, 0, err
	}
	from := max(first, last-min(last, maxReconcileScan)+1)
	open := map[string]map[string]*ctiv1.Call{}
	scanned := 0
	for from <= last {
		events, _, err := log.Read(ctx, from, 1024)
		if err != nil {
			return nil, scanned, err
		}
		if len(events) == 0 {
			break
		}
		for _, ev := range events {
			scanned++
			dev := ev.GetDevice()
			if c := ev.GetCallChanged().GetCall(); c != nil {
				if open[dev] == nil {
					open[dev] = map[string]*ctiv1.Call{}
				}
				open[dev][c.GetCallId()] = c
			}
			if c := ev.GetCallEnded().GetCall(); c != nil {
				delete(open[dev], c.GetCallId())
			}
			from = ev.GetSequence() + 1
		}
	}
	return open, scanned, nil
}

func count(open map[string]map[string]*ctiv1.Call) int {
	n := 0
	for _, calls := range open {
		n += len(calls)
	}
	return n
}

// reconcile ends, as LOST, the calls that were up when the host stopped
// and that their device no longer has, once its driver answers: an app
// that resumes across the restart converges without re-reading every
// device. A device whose driver does not answer within the deadline keeps
// its calls; they end when the driver reports them gone, or never.
func (h *host) reconcile(ctx context.Context, open map[string]map[string]*ctiv1.Call, deadline time.Duration, why string) {
	devices := make([]string, 0, len(open))
	for dev, calls := range open {
		if len(calls) > 0 {
			devices = append(devices, dev)
		}
	}
	slices.Sort(devices)
	until := time.Now().Add(deadline)
	for _, dev := range devices {
		var st *ctiv1.DeviceState
		for {
			var err error
			st, err = h.hostAPI.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: dev})
			if err == nil || time.Now().After(until) || ctx.Err() != nil {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if st == nil {
			h.logger.Warn("cannot reconcile a device's calls after the restart: its driver does not answer", "device", dev)
			continue
		}
		site := siteOf(dev)
		for _, id := range sortedKeys(open[dev]) {
			if slices.ContainsFunc(st.GetCalls(), func(c *ctiv1.Call) bool { return c.GetCallId() == id }) {
				continue
			}
			last := proto.Clone(open[dev][id]).(*ctiv1.Call)
			last.State = ctiv1.CallState_CALL_STATE_ENDED
			h.publish(&ctiv1.Event{Site: site, Device: dev, Time: timestamppb.Now(), Payload: &ctiv1.Event_CallEnded{CallEnded: &ctiv1.CallEnded{
				Call: last, Reason: ctiv1.EndReason_END_REASON_LOST, VendorReason: why}}})
		}
	}
}

func siteOf(ref string) string {
	for i := range len(ref) {
		if ref[i] == '/' {
			return ref[:i]
		}
	}
	return ""
}

func sortedKeys(m map[string]*ctiv1.Call) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// joinCluster connects to the cluster's NATS and puts a shared bus in
// place of the memory one: this host's events go into the cluster's
// stream, and the bus serves every host's events from it. It returns the
// connection and the function that lets go of the cluster.
func (h *host) joinCluster(ctx context.Context) (*nats.Conn, *eventlog.Log, func(), error) {
	cl := h.cfg.Cluster
	opts := []nats.Option{nats.Name("ctihost " + cl.HostID), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second)}
	if cl.Token != "" {
		opts = append(opts, nats.Token(cl.Token))
	}
	if cl.CAFile != "" {
		opts = append(opts, nats.RootCAs(cl.CAFile))
	}
	nc, err := nats.Connect(strings.Join(cl.URLs, ","), opts...)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("cluster: cannot reach NATS at %s: %w", strings.Join(cl.URLs, ","), err)
	}
	log, err := eventlog.Connect(nc, eventlog.Options{MaxBytes: cl.MaxBytes, MaxAge: cl.MaxAge}, cl.Replicas)
	if err != nil {
		nc.Close()
		return nil, nil, nil, fmt.Errorf("cluster: %w", err)
	}
	followCtx, stopFollowing := context.WithCancel(context.Background())
	b, err := bus.NewShared(followCtx, h.cfg.Host.EventBuffer, log, func(err error) {
		h.logger.Error("cluster events", "error", err)
	})
	if err != nil {
		stopFollowing()
		nc.Close()
		return nil, nil, nil, fmt.Errorf("cluster: %w", err)
	}
	h.bus = b
	_, last, _ := log.Bounds(ctx)
	h.logger.Info("joined the cluster", "host_id", cl.HostID, "nats", strings.Join(cl.URLs, ","), "last_sequence", last)
	return nc, log, func() {
		stopFollowing()
		nc.Close()
	}, nil
}
