package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/timestamppb"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// floodTotal is what one FAULT_FLOOD press publishes: 100000 calls, each a
// CallChanged and a CallEnded (examples/buggy-driver).
const floodTotal = 200000

// tally is what one subscriber saw.
type tally struct {
	flood      int             // flood events received
	gapped     uint64          // sequence numbers announced lost by Gap events
	gaps       int             // Gap events
	first      uint64          // first sequence received
	last       uint64          // last sequence received
	unannounce uint64          // sequence numbers skipped without a Gap
	finished   time.Time       // when it had seen want events
	sentFirst  time.Time       // the plugin's time stamp of the first flood event received
	sentLast   time.Time       // and of the last
	latency    []time.Duration // event.time to receipt, every stride-th event
}

// subscribe reads a stream until it has received or been told it lost want
// flood events, checking that sequence numbers strictly increase with no
// unannounced hole.
func subscribe(recv func() (*ctiv1.Event, error), want, stride int) (*tally, error) {
	t := &tally{latency: make([]time.Duration, 0, want/stride+1)}
	var expect uint64
	for t.flood+int(t.gapped) < want {
		ev, err := recv()
		if err != nil {
			return t, err
		}
		now := time.Now()
		if g := ev.GetGap(); g != nil {
			t.gaps++
			t.gapped += g.GetToSequence() - g.GetFromSequence() + 1
			expect = g.GetToSequence() + 1
			continue
		}
		seq := ev.GetSequence()
		switch {
		case t.first == 0:
			t.first = seq
		case seq <= t.last:
			return t, fmt.Errorf("sequence %d after %d: not strictly increasing", seq, t.last)
		case seq != expect:
			t.unannounce += seq - expect
		}
		t.last, expect = seq, seq+1
		if strings.HasPrefix(ev.GetCallEnded().GetCall().GetCallId(), "flood-") ||
			strings.HasPrefix(ev.GetCallChanged().GetCall().GetCallId(), "flood-") {
			t.flood++
			if sent := ev.GetTime(); sent != nil {
				at := sent.AsTime()
				if t.sentFirst.IsZero() || at.Before(t.sentFirst) {
					t.sentFirst = at
				}
				if at.After(t.sentLast) {
					t.sentLast = at
				}
			}
			if t.flood%stride == 0 && ev.GetTime() != nil {
				t.latency = append(t.latency, now.Sub(ev.GetTime().AsTime()))
			}
		}
	}
	t.finished = time.Now()
	return t, nil
}

// eventRows floods the host from the buggy driver to K subscribers and, in
// the same run, streams the same number of pre-built events from a bare
// gRPC server to K clients, for each K.
func eventRows(ctx context.Context, h *harness, sz sizes) ([]row, error) {
	acme := h.acmePhone()
	// The replay buffer holds the whole flood: a subscriber may fall behind
	// a burst by all of it without losing an event, which is what an
	// operator sizes event_buffer for (the default 10,000 is for bursts
	// of a few seconds of a busy site).
	host, err := h.startHostWith(ctx, "events", []device{{site: "hq", name: "desk", driver: "buggy", model: "BUGGY-1",
		addr: strings.TrimPrefix(acme.URL, "http://")}}, hostConfig{hostAttrs: fmt.Sprintf("  event_buffer = %d\n", floodTotal+floodTotal/4)})
	if err != nil {
		return nil, err
	}
	bare, err := h.bareStream(sz.floodEvents)
	if err != nil {
		return nil, err
	}
	var rows []row
	for _, k := range sz.subscribers {
		// Beyond 10 subscribers each one counts a share of the flood, so
		// that 100 of them deliver as many events in all as 10 do and the
		// run stays short; the rates are per subscriber either way.
		want := sz.floodEvents
		if k > 10 {
			want = sz.floodEvents * 10 / k
		}
		hr, err := hostFlood(ctx, host, k, want)
		if err != nil {
			return nil, fmt.Errorf("host, %d subscribers: %w", k, err)
		}
		br, err := bare.run(ctx, k, want)
		if err != nil {
			return nil, fmt.Errorf("bare stream, %d subscribers: %w", k, err)
		}
		ratio := hr.rate / br.rate
		label := fmt.Sprintf("events %d sub", k)
		ingest := measured(label+": into the host from one plugin", hr.ingest, "events/s")
		if k == 10 {
			ingest = ingest.against(">= 50000", hr.ingest/50000, hr.ingest >= 50000)
		}
		rows = append(rows,
			ingest,
			measured(label+": host delivered/s per subscriber (slowest)", hr.rate, "events/s").
				against(">= 0.5 × bare", ratio, ratio >= 0.5),
			measured(label+": bare gRPC stream/s per subscriber (slowest)", br.rate, "events/s"),
			measured(label+": host p99 delivery latency", millis(hr.p99), "ms"),
			measured(label+": host CPU per event", hr.cpuPerEvent, "µs"),
			measured(label+": announced loss (Gap) over all subscribers", float64(hr.gapped), "events").
				want("0", hr.gapped == 0),
		)
	}
	return rows, nil
}

// floodResult sums a flood over its subscribers.
type floodResult struct {
	rate        float64 // events/s of the slowest subscriber
	ingest      float64 // events/s the plugin sent them at (gRPC flow control paces it to the host's intake)
	p99         time.Duration
	cpuPerEvent float64 // µs of host CPU per event published
	gapped      uint64
}

// hostFlood opens k subscribers on their own connections, presses
// FAULT_FLOOD and waits until each has seen want flood events.
func hostFlood(ctx context.Context, host *runningHost, k, want int) (*floodResult, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	streams := make([]grpc.ServerStreamingClient[ctiv1.Event], k)
	for i := range streams {
		conn, err := host.dial()
		if err != nil {
			return nil, err
		}
		defer conn.Close()
		if streams[i], err = ctiv1.NewHostClient(conn).WatchEvents(ctx, &ctiv1.WatchEventsRequest{}); err != nil {
			return nil, err
		}
	}
	// The host registers a subscriber when the stream reaches it; there is
	// no acknowledgement to wait for.
	time.Sleep(300 * time.Millisecond)
	cpu0, err := cpuTicks(host.proc.pid())
	if err != nil {
		return nil, err
	}
	pressed := time.Now()
	if _, err := host.host.SendKeys(ctx, &ctiv1.SendKeysRequest{Device: "hq/desk", Keys: []string{"FAULT_FLOOD"}}); err != nil {
		return nil, fmt.Errorf("press FAULT_FLOOD: %w", err)
	}
	tallies, err := subscribeAll(streams, want, k)
	if err != nil {
		return nil, err
	}
	cpu1, err := cpuTicks(host.proc.pid())
	if err != nil {
		return nil, err
	}
	res := summarise(tallies, pressed)
	var first, last uint64
	for _, t := range tallies {
		if t.first != 0 && (first == 0 || t.first < first) {
			first = t.first
		}
		last = max(last, t.last)
	}
	if published := last - first + 1; first != 0 && last >= first {
		res.cpuPerEvent = float64(cpu1-cpu0) * (1e6 / ticksPerSecond) / float64(published)
	}
	return res, nil
}

// subscribeAll runs subscribe on every stream at once; it fails on any
// stream error or unannounced loss.
func subscribeAll(streams []grpc.ServerStreamingClient[ctiv1.Event], want, stride int) ([]*tally, error) {
	tallies := make([]*tally, len(streams))
	errs := make([]error, len(streams))
	var wg sync.WaitGroup
	for i, s := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tallies[i], errs[i] = subscribe(s.Recv, want, stride)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for i, t := range tallies {
		if t.unannounce > 0 {
			return nil, fmt.Errorf("subscriber %d: %d events lost without a Gap event", i, t.unannounce)
		}
	}
	return tallies, nil
}

func summarise(tallies []*tally, began time.Time) *floodResult {
	res := &floodResult{}
	var lat []time.Duration
	for i, t := range tallies {
		rate := float64(t.flood) / t.finished.Sub(began).Seconds()
		if i == 0 || rate < res.rate {
			res.rate = rate
		}
		res.gapped += t.gapped
		lat = append(lat, t.latency...)
	}
	res.p99 = percentile(lat, 99)
	var first, last time.Time
	for _, t := range tallies {
		if !t.sentFirst.IsZero() && (first.IsZero() || t.sentFirst.Before(first)) {
			first = t.sentFirst
		}
		if t.sentLast.After(last) {
			last = t.sentLast
		}
	}
	if span := last.Sub(first).Seconds(); span > 0 && len(tallies) > 0 {
		res.ingest = float64(tallies[0].flood+int(tallies[0].gapped)) / span
	}
	return res
}

// bareServer streams the same pre-built events to each WatchEvents caller
// once every expected caller is in.
type bareServer struct {
	ctiv1.UnimplementedHostServer
	events []*ctiv1.Event
	addr   string

	mu      sync.Mutex
	entered atomic.Int64
	start   chan struct{}
}

func (b *bareServer) WatchEvents(_ *ctiv1.WatchEventsRequest, s grpc.ServerStreamingServer[ctiv1.Event]) error {
	b.mu.Lock()
	start := b.start
	b.mu.Unlock()
	b.entered.Add(1)
	select {
	case <-start:
	case <-s.Context().Done():
		return s.Context().Err()
	}
	for _, ev := range b.events {
		if err := s.Send(ev); err != nil {
			return err
		}
	}
	return nil
}

// bareStream serves n flood-like events in process on loopback.
func (h *harness) bareStream(n int) (*bareServer, error) {
	now := timestamppb.Now()
	remote := &ctiv1.Party{Number: "5550000", Name: "flood"}
	b := &bareServer{events: make([]*ctiv1.Event, n)}
	for i := range b.events {
		id := fmt.Sprintf("flood-%d", i/2+1)
		ev := &ctiv1.Event{Sequence: uint64(i + 1), Site: "hq", Device: "hq/desk", Time: now}
		if i%2 == 0 {
			ev.Payload = &ctiv1.Event_CallChanged{CallChanged: &ctiv1.CallChanged{Call: &ctiv1.Call{CallId: id,
				State: ctiv1.CallState_CALL_STATE_RINGING, Direction: ctiv1.CallDirection_CALL_DIRECTION_INBOUND,
				Remote: remote, VendorState: "flood", StartedAt: now}}}
		} else {
			ev.Payload = &ctiv1.Event_CallEnded{CallEnded: &ctiv1.CallEnded{Call: &ctiv1.Call{CallId: id,
				State: ctiv1.CallState_CALL_STATE_ENDED, Direction: ctiv1.CallDirection_CALL_DIRECTION_INBOUND,
				Remote: remote, VendorState: "flood", StartedAt: now},
				Reason: ctiv1.EndReason_END_REASON_NORMAL, EndedBy: ctiv1.EndedBy_ENDED_BY_REMOTE}}
		}
		b.events[i] = ev
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b.addr = l.Addr().String()
	srv := grpc.NewServer()
	ctiv1.RegisterHostServer(srv, b)
	go srv.Serve(l)
	h.onClose(srv.Stop)
	return b, nil
}

// run streams the events to k clients on their own connections.
func (b *bareServer) run(ctx context.Context, k, want int) (*floodResult, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	b.mu.Lock()
	b.start = make(chan struct{})
	b.mu.Unlock()
	b.entered.Store(0)
	streams := make([]grpc.ServerStreamingClient[ctiv1.Event], k)
	for i := range streams {
		conn, err := grpc.NewClient(b.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return nil, err
		}
		defer conn.Close()
		if streams[i], err = ctiv1.NewHostClient(conn).WatchEvents(ctx, &ctiv1.WatchEventsRequest{}); err != nil {
			return nil, err
		}
	}
	if err := waitUntil(ctx, 30*time.Second, func() bool { return b.entered.Load() == int64(k) }); err != nil {
		return nil, fmt.Errorf("bare subscribers did not arrive: %w", err)
	}
	began := time.Now()
	close(b.start)
	tallies, err := subscribeAll(streams, want, k)
	if err != nil {
		return nil, err
	}
	return summarise(tallies, began), nil
}
