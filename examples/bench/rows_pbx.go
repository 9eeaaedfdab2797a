package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"

	"github.com/ctihost/ctihost/plugins/ipoffice"
	"github.com/ctihost/ctihost/plugins/ipoffice/ipofficesim"
	"github.com/ctihost/ctihost/plugins/ipoffice/mtcti"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk/wsconn"
)

// The busy PBX rows: a simulated Avaya IP Office (ipofficesim, in this
// process, on loopback) with a thousand users takes 100 new external calls
// a second; each rings a user, is answered a moment later and hung up by
// the caller about two seconds after it rang, so about 200 calls are up at
// any time and the driver ingests a steady 300 call-control Notifies a
// second (ring, answer, hang-up), each a full snapshot of the call it
// diffs against the last. The real host runs the real ipoffice plugin
// against it, as `make run` does, and one WatchEvents subscriber times
// every Notify to its event.
//
// Latency is stamped by the simulator: ipofficesim.Load's controls return
// when they started to notify (the model changed, the Notify not yet built,
// encoded or written), and every call comes from its own number, which the
// event carries as the call's remote party; the subscriber keys arrivals by
// (number, ring|answer|hang-up). The figure is simulator → TLS websocket →
// plugin (decode, diff) → go-plugin gRPC → host → subscriber's gRPC stream,
// and errs long by the simulator's own encode and write.
//
// The ingest rows measure the driver without the host: a second simulator
// and the ipoffice package's Driver, in this process through its exported
// API (New, Configure, WatchEvents), take a burst of Notifies the simulator
// made and held (Load.Hold), all queued at once; the rate is frames until
// the last call's CallEnded came out of WatchEvents. The floor is a bare
// client on the same simulator, over the same TLS websocket client
// (sdk/wsconn), given the same bytes (SendRawTo), that only runs
// mtcti.Decode on each.

const (
	// pbxLatencyTarget: p99 Notify → event under 100 ms. A screen pop, a
	// wallboard or a CRM lookup on ringing needs the event within a
	// human's reaction time, and the path is loopback, one plugin hop and
	// two gRPC streams: anything near 100 ms is queueing in the driver or
	// the host, not transport.
	pbxLatencyTarget = 100 * time.Millisecond
	// pbxIngestFactor: the driver ingests at least 10× the offered Notify
	// rate. It then spends at most a tenth of a core's time on a busy
	// PBX's steady load, and bursts (a hunt group ringing every agent at
	// once, the resynchronisation after a reconnect) drain ten times faster
	// than they arrive instead of building up latency.
	pbxIngestFactor = 10
	// pbxEventWait bounds the wait, after the last hang-up, for events
	// not yet arrived; a Notify without its event by then counts as lost.
	pbxEventWait = 10 * time.Second
	// pbxUser is the first user's extension; user k is pbxUser+k.
	pbxUser = 2000
)

// pbxSizes are the busy PBX rows' bounds.
type pbxSizes struct {
	users       int
	rate        int           // new calls per second
	window      time.Duration // the steady load's: notifies, latency and CPU are measured over it
	warmup      time.Duration // after every user is subscribed, before the window
	answerAfter time.Duration // ring → the user answers
	hangupAfter time.Duration // ring → the caller hangs up
	burstCalls  int           // calls of one ingest burst (3 Notifies each)
	rounds      int           // ingest bursts, each for the driver and the floor; the median counts
}

func pbxSizesFor(quick bool) pbxSizes {
	if quick {
		// A smoke run: fewer users (the simulator's subscribe handling is
		// quadratic in them), a short window, the same code paths. Calls
		// live 0.6 s, users are rung every 2 s.
		return pbxSizes{users: 100, rate: 50, window: 2 * time.Second, warmup: 300 * time.Millisecond,
			answerAfter: 200 * time.Millisecond, hangupAfter: 600 * time.Millisecond, burstCalls: 300, rounds: 1}
	}
	return pbxSizes{users: 1000, rate: 100, window: 20 * time.Second, warmup: 2 * time.Second,
		answerAfter: 300 * time.Millisecond, hangupAfter: 2 * time.Second, burstCalls: 5000, rounds: 3}
}

// offered is the nominal Notify rate: three per call.
func (ps pbxSizes) offered() float64 { return float64(3 * ps.rate) }

// pbxFigures is what the rows measured.
type pbxFigures struct {
	sizes                 pbxSizes
	offered               float64 // Notifies/s sent in the window
	p50, p99              time.Duration
	notifies, lost        int
	hostCPU, pluginCPU    float64 // % of one core over the window
	benchCPU              float64 // % of one core: the simulator and the subscriber
	rss, pss              int64   // host + plugin, bytes, at the end of the window
	ingest, floor         float64 // frames/s
	burstFrames           int
	ready, took, lastLate time.Duration
}

// pbxRowNames are the rows of sizes ps, in order.
func pbxRowNames(ps pbxSizes) []string {
	var names []string
	for _, r := range (&pbxFigures{sizes: ps}).rows() {
		names = append(names, r.Name)
	}
	return names
}

func (f *pbxFigures) rows() []row {
	ps := f.sizes
	label := fmt.Sprintf("busy PBX: IP Office %s users, %d calls/s", thousands(ps.users), ps.rate)
	ingestLabel := fmt.Sprintf("busy PBX ingest: IP Office %s users, bursts of %s notifies", thousands(ps.users), thousands(3*ps.burstCalls))
	ingestTarget := pbxIngestFactor * ps.offered()
	pct := 0.0
	if f.floor > 0 {
		pct = f.ingest / f.floor * 100
	}
	return []row{
		measured(label+": call-control notifies offered (ring, answer, hang-up)", f.offered, "notifies/s"),
		measured(label+": notify→event p50 (simulator sends → WatchEvents subscriber)", millis(f.p50), "ms"),
		measured(label+": notify→event p99 (simulator sends → WatchEvents subscriber)", millis(f.p99), "ms").
			against(fmt.Sprintf("< %d ms", pbxLatencyTarget.Milliseconds()), float64(f.p99)/float64(pbxLatencyTarget), f.p99 < pbxLatencyTarget),
		measured(label+": notifies with no event", float64(f.lost), "notifies").want("0", f.lost == 0),
		measured(label+": host+plugin CPU", f.hostCPU+f.pluginCPU, "% of a core"),
		measured(label+": simulator and subscriber CPU (the bench process, not counted above)", f.benchCPU, "% of a core"),
		measured(label+": host+plugin resident memory (RSS)", mib(f.rss), "MiB"),
		measured(label+": host+plugin proportional memory (PSS)", mib(f.pss), "MiB"),
		measured(ingestLabel+": driver in process (wss read, decode, diff, publish)", f.ingest, "notifies/s").
			against(fmt.Sprintf(">= %.0f (%d × offered)", ingestTarget, pbxIngestFactor), f.ingest/ingestTarget, f.ingest >= ingestTarget),
		measured(ingestLabel+": bare client floor (wss read, mtcti.Decode only)", f.floor, "notifies/s"),
		measured(ingestLabel+": driver as % of the floor", pct, "%"),
	}
}

// pbxRows measures the host under load, then the driver's ingest.
func pbxRows(ctx context.Context, h *harness, ps pbxSizes) ([]row, error) {
	began := time.Now()
	s := h.scope()
	defer s.close()
	f, err := measurePBX(ctx, s, ps)
	if err != nil {
		return nil, err
	}
	s.close() // the host and its simulator stop before the ingest bursts
	if err := measureIngest(ctx, ps, f); err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	f.took = time.Since(began)
	fmt.Fprintf(os.Stderr, "bench: busy PBX: %d users subscribed %.1fs after the host ran; %d notifies, %d without an event (the last arrived %.0f ms after its notify); CPU host %.0f%%, plugin %.0f%%, bench %.0f%% of a core; ingest %.0f/s, floor %.0f/s over %d-frame bursts; measured in %.0fs\n",
		ps.users, f.ready.Seconds(), f.notifies, f.lost, millis(f.lastLate), f.hostCPU, f.pluginCPU, f.benchCPU, f.ingest, f.floor, f.burstFrames, f.took.Seconds())
	return f.rows(), nil
}

// pbxUsers are the simulated users.
func pbxUsers(n int) []ipofficesim.UserSpec {
	users := make([]ipofficesim.UserSpec, n)
	for k := range users {
		users[k] = ipofficesim.UserSpec{Extension: pbxExt(k), Name: fmt.Sprintf("Agent %d", k+1)}
	}
	return users
}

func pbxExt(k int) string { return fmt.Sprint(pbxUser + k) }

// The service user the driver logs in as; its password is benchPasscode.
const pbxServiceUser = "ctihost"

func newPBXSim(users int) (*ipofficesim.Server, string, error) {
	sim := ipofficesim.New(ipofficesim.Options{Username: pbxServiceUser, Password: benchPasscode, Users: pbxUsers(users)})
	addr, err := sim.Start()
	if err != nil {
		return nil, "", err
	}
	return sim, addr, nil
}

// waitSubscribed waits until one connection has a user subscription for
// every user, each past its first Notify's ack, and returns that
// connection's number.
func waitSubscribed(ctx context.Context, sim *ipofficesim.Server, users int, d time.Duration, exited <-chan struct{}) (int, error) {
	deadline := time.Now().Add(d)
	for {
		conn, n := 0, 0
		for _, si := range sim.Subscriptions() {
			if si.Kind == "user" && si.AwaitingAck == 0 && si.Held == 0 {
				conn, n = si.Conn, n+1
			}
		}
		if n == users {
			return conn, nil
		}
		select {
		case <-exited:
			return 0, errors.New("the driver stopped")
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("%d of %d users subscribed after %s", n, users, d)
		}
	}
}

// pbxStep is one Notify of a call.
type pbxStep int

const (
	stepRing pbxStep = iota
	stepAnswer
	stepHangup
)

// pbxKey names one Notify: the calling number (one per call) and the step.
type pbxKey struct {
	from string
	step pbxStep
}

// measurePBX runs the simulator, the host and the subscriber, offers the
// load over ps.window and measures it.
func measurePBX(ctx context.Context, h *harness, ps pbxSizes) (*pbxFigures, error) {
	f := &pbxFigures{sizes: ps}
	sim, addr, err := newPBXSim(ps.users)
	if err != nil {
		return nil, err
	}
	h.onClose(func() { sim.Close() })
	listen, err := freeAddr()
	if err != nil {
		return nil, err
	}
	config := fmt.Sprintf(`host {
  listen     = %q
  plugin_dir = %q
  log_level  = "warn"
}
plugin "ipoffice" {}
site "pbx" {
  connection "ipo" {
    driver             = "ipoffice"
    address            = %q
    username           = %q
    password           = env("BENCH_PASSCODE")
    certificate_sha256 = %q
  }
}
`, listen, filepath.Join(h.dir, "plugins"), addr, pbxServiceUser, sim.CertFingerprint())
	host, err := h.launchHost(ctx, "pbx", listen, config, 1)
	if err != nil {
		return nil, err
	}
	running := time.Now()
	pluginPID, err := host.pluginPID(ctx, "ipoffice")
	if err != nil {
		return nil, err
	}
	if _, err := waitSubscribed(ctx, sim, ps.users, 3*time.Minute, host.proc.done); err != nil {
		return nil, fmt.Errorf("the host's ipoffice plugin: %w\n%s", err, host.proc.stderr.tail())
	}
	f.ready = time.Since(running)
	// The host has the devices too: what a subscriber would look up.
	if err := waitUntil(ctx, time.Minute, func() bool {
		resp, err := host.host.ListDevices(ctx, &ctiv1.ListDevicesRequest{})
		return err == nil && len(resp.GetDevices()) >= ps.users
	}); err != nil {
		return nil, fmt.Errorf("the host does not list the %d users: %w", ps.users, err)
	}

	sub, err := watchPBX(ctx, host)
	if err != nil {
		return nil, err
	}
	defer sub.stop()
	// The host registers the subscriber when the stream reaches it, with
	// no acknowledgement to wait for: the warm-up covers it.
	if err := sleepCtx(ctx, ps.warmup); err != nil {
		return nil, err
	}

	pids := []int{host.proc.pid(), int(pluginPID), os.Getpid()}
	var cpu0 []int64
	var cpuErr error
	// Calls start now; the window starts once the first calls hang up,
	// when as many end as start, so that it sees the steady load.
	start := time.Now().Add(ps.hangupAfter)
	sent, err := offerCalls(ctx, sim.Load(), ps, start, func() {
		cpu0, cpuErr = cpuTicksOf(pids)
	}, func() {
		// The window's end: CPU and memory now, while calls still end.
		cpu1, err := cpuTicksOf(pids)
		if err != nil || cpuErr != nil {
			cpuErr = errors.Join(cpuErr, err)
			return
		}
		pct := func(i int) float64 { return float64(cpu1[i]-cpu0[i]) / ticksPerSecond / ps.window.Seconds() * 100 }
		f.hostCPU, f.pluginCPU, f.benchCPU = pct(0), pct(1), pct(2)
		for _, pid := range pids[:2] {
			r, err1 := vmRSS(pid)
			p, err2 := pssOf(pid)
			f.rss, f.pss, cpuErr = f.rss+r, f.pss+p, errors.Join(cpuErr, err1, err2)
		}
	})
	if err != nil {
		return nil, err
	}
	if cpuErr != nil {
		return nil, fmt.Errorf("the host's and plugin's CPU and memory: %w", cpuErr)
	}
	if now, err := host.pluginPID(ctx, "ipoffice"); err != nil || now != pluginPID {
		return nil, fmt.Errorf("the ipoffice plugin (pid %d) was restarted during the window (now %d, %v)\n%s", pluginPID, now, err, host.proc.stderr.tail())
	}

	// Every Notify must have its event; those sent in the window make the
	// figures.
	seen := sub.wait(ctx, sent, pbxEventWait)
	var lat []time.Duration
	for k, at := range sent {
		got, ok := seen[k]
		if !ok {
			f.lost++
		}
		if at.Before(start) || !at.Before(start.Add(ps.window)) {
			continue
		}
		f.notifies++
		if ok {
			d := got.Sub(at)
			lat = append(lat, d)
			f.lastLate = max(f.lastLate, d)
		}
	}
	f.offered = float64(f.notifies) / ps.window.Seconds()
	if len(lat) == 0 {
		return nil, fmt.Errorf("none of %d notifies reached the subscriber: %v\n%s", len(sent), sub.failure(), host.proc.stderr.tail())
	}
	f.p50, f.p99 = percentile(lat, 50), percentile(lat, 99)
	return f, nil
}

// offerCalls rings ps.rate calls a second, user after user, from now until
// start + ps.window; each is answered ps.answerAfter and hung up by its
// caller ps.hangupAfter after it rang. It calls atStart at start and atEnd
// at the window's end, and returns, once every call ended, when each
// Notify was sent.
func offerCalls(ctx context.Context, ld *ipofficesim.Load, ps pbxSizes, start time.Time, atStart, atEnd func()) (map[pbxKey]time.Time, error) {
	first := time.Now()
	n := int(start.Add(ps.window).Sub(first).Seconds() * float64(ps.rate))
	interval := time.Second / time.Duration(ps.rate)
	type call struct {
		from string
		sent [3]time.Time
	}
	calls := make([]call, n)
	var (
		wg       sync.WaitGroup
		errMu    sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		errMu.Lock()
		defer errMu.Unlock()
		if firstErr == nil {
			firstErr = err
		}
	}
	begin, end := runAt(start, atStart), runAt(start.Add(ps.window), atEnd)
	for i := range calls {
		if err := sleepCtx(ctx, time.Until(first.Add(time.Duration(i)*interval))); err != nil {
			fail(err)
			break
		}
		c := &calls[i]
		ext := pbxExt(i % ps.users)
		c.from = fmt.Sprintf("01632%06d", i)
		g, at, err := ld.Ring(ext, c.from)
		if err != nil {
			fail(fmt.Errorf("ring %s: %w", ext, err))
			break
		}
		c.sent[stepRing] = at
		wg.Add(2)
		time.AfterFunc(time.Until(at.Add(ps.answerAfter)), func() {
			defer wg.Done()
			at, err := ld.Answer(ext, g)
			if err != nil {
				fail(fmt.Errorf("answer %s: %w", ext, err))
				return
			}
			c.sent[stepAnswer] = at
		})
		time.AfterFunc(time.Until(at.Add(ps.hangupAfter)), func() {
			defer wg.Done()
			at, err := ld.RemoteHangup(g)
			if err != nil {
				fail(fmt.Errorf("hang up on %s: %w", ext, err))
				return
			}
			c.sent[stepHangup] = at
		})
	}
	wg.Wait()
	begin.wait()
	end.wait()
	if firstErr != nil {
		return nil, firstErr
	}
	sent := make(map[pbxKey]time.Time, 3*n)
	for _, c := range calls {
		for step, at := range c.sent {
			if !at.IsZero() {
				sent[pbxKey{c.from, pbxStep(step)}] = at
			}
		}
	}
	return sent, nil
}

// mark is a function to run at a time, in its own goroutine.
type mark struct {
	timer *time.Timer
	f     func()
	done  chan struct{}
}

func runAt(t time.Time, f func()) *mark {
	m := &mark{f: f, done: make(chan struct{})}
	m.timer = time.AfterFunc(time.Until(t), func() { f(); close(m.done) })
	return m
}

// wait returns once f has run: now, if its time has not come (a failure
// ended the calls early).
func (m *mark) wait() {
	if m.timer.Stop() {
		m.f()
		return
	}
	<-m.done
}

// pbxWatch is the subscriber: when each call's ringing, connected and
// ended events arrived.
type pbxWatch struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu   sync.Mutex
	seen map[pbxKey]time.Time
	err  error
}

// watchPBX subscribes to the call events of site pbx.
func watchPBX(ctx context.Context, host *runningHost) (*pbxWatch, error) {
	sctx, cancel := context.WithCancel(ctx)
	stream, err := host.host.WatchEvents(sctx, &ctiv1.WatchEventsRequest{Sites: []string{"pbx"}, Kinds: []ctiv1.EventKind{ctiv1.EventKind_EVENT_KIND_CALL}})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("WatchEvents: %w", err)
	}
	w := &pbxWatch{cancel: cancel, done: make(chan struct{}), seen: map[pbxKey]time.Time{}}
	go func() {
		defer close(w.done)
		for {
			ev, err := stream.Recv()
			now := time.Now()
			if err != nil {
				w.mu.Lock()
				if sctx.Err() == nil {
					w.err = err
				}
				w.mu.Unlock()
				return
			}
			k, ok := pbxKeyOf(ev)
			if !ok {
				continue
			}
			w.mu.Lock()
			if _, dup := w.seen[k]; !dup {
				w.seen[k] = now
			}
			w.mu.Unlock()
		}
	}()
	return w, nil
}

// pbxKeyOf names the Notify an event reports, if it is one of the load's.
func pbxKeyOf(ev *ctiv1.Event) (pbxKey, bool) {
	if end := ev.GetCallEnded(); end != nil {
		return pbxKey{end.GetCall().GetRemote().GetNumber(), stepHangup}, true
	}
	c := ev.GetCallChanged().GetCall()
	switch c.GetState() {
	case ctiv1.CallState_CALL_STATE_RINGING:
		return pbxKey{c.GetRemote().GetNumber(), stepRing}, true
	case ctiv1.CallState_CALL_STATE_CONNECTED:
		return pbxKey{c.GetRemote().GetNumber(), stepAnswer}, true
	}
	return pbxKey{}, false
}

// wait returns the arrivals once every Notify of sent has its event, or
// after timeout, or when the stream failed.
func (w *pbxWatch) wait(ctx context.Context, sent map[pbxKey]time.Time, timeout time.Duration) map[pbxKey]time.Time {
	deadline := time.Now().Add(timeout)
	for {
		w.mu.Lock()
		all := true
		for k := range sent {
			if _, ok := w.seen[k]; !ok {
				all = false
				break
			}
		}
		w.mu.Unlock()
		if all || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		select {
		case <-w.done:
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
		select {
		case <-w.done:
			deadline = time.Now() // the stream ended: nothing more comes
		default:
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make(map[pbxKey]time.Time, len(w.seen))
	for k, v := range w.seen {
		out[k] = v
	}
	return out
}

func (w *pbxWatch) failure() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *pbxWatch) stop() {
	w.cancel()
	<-w.done
}

// measureIngest runs the ingest bursts: the in-process driver's, then the
// bare client's, ps.rounds times each; the medians count.
func measureIngest(ctx context.Context, ps pbxSizes, f *pbxFigures) error {
	sim, addr, err := newPBXSim(ps.users)
	if err != nil {
		return err
	}
	defer sim.Close()
	settings := map[string]string{"address": addr, "username": pbxServiceUser, "password": benchPasscode, "certificate_sha256": sim.CertFingerprint()}
	drv := ipoffice.New(hclog.NewNullLogger())
	defer drv.Close()
	if _, err := drv.Configure(ctx, &ctiv1.ConfigureRequest{Site: "pbx", Connections: []*ctiv1.ConnectionConfig{{Name: "ipo", Settings: settings}}}); err != nil {
		return fmt.Errorf("configure the driver: %w", err)
	}
	driverConn, err := waitSubscribed(ctx, sim, ps.users, 3*time.Minute, nil)
	if err != nil {
		return fmt.Errorf("the in-process driver: %w", err)
	}
	// The driver's events, counted as they leave it.
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	counter := &endCounter{ctx: wctx, started: make(chan struct{})}
	watchErr := make(chan error, 1)
	go func() { watchErr <- drv.WatchEvents(&ctiv1.WatchEventsRequest{}, counter) }()
	select {
	case <-counter.started: // registered, and sending its snapshot
	case err := <-watchErr:
		return fmt.Errorf("the driver's WatchEvents: %w", err)
	case <-time.After(30 * time.Second):
		return errors.New("the driver's WatchEvents sent nothing")
	}

	bare, err := dialBare(ctx, sim, addr)
	if err != nil {
		return err
	}
	defer bare.close()
	// The client's handshake ends before the simulator has registered the
	// connection on its side: wait for it.
	var bareConn int
	for deadline := time.Now().Add(10 * time.Second); bareConn == 0 && time.Now().Before(deadline); {
		for _, id := range sim.ConnIDs() {
			if id != driverConn {
				bareConn = id
			}
		}
		if bareConn == 0 {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if len(sim.ConnIDs()) != 2 || bareConn == 0 {
		return fmt.Errorf("the simulator has connections %v; want the driver's (%d) and the bare client's", sim.ConnIDs(), driverConn)
	}

	ld := sim.Load()
	var driverRates, floorRates []float64
	for round := range ps.rounds {
		ld.Hold()
		for i := range ps.burstCalls {
			ext := pbxExt(i % ps.users)
			g, _, err := ld.Ring(ext, fmt.Sprintf("01633%d%06d", round, i))
			if err == nil {
				_, err = ld.Answer(ext, g)
			}
			if err == nil {
				_, err = ld.RemoteHangup(g)
			}
			if err != nil {
				ld.Release()
				return fmt.Errorf("burst call %d to %s: %w", i, ext, err)
			}
		}
		done := counter.expect(ps.burstCalls)
		began := time.Now()
		frames := ld.Release()
		select {
		case <-done:
		case err := <-watchErr:
			return fmt.Errorf("the driver's event stream ended during the burst (%d of %d calls ended): %v", counter.ended.Load(), ps.burstCalls, err)
		case <-time.After(2 * time.Minute):
			return fmt.Errorf("the driver ended %d of %d calls in 2 minutes", counter.ended.Load(), ps.burstCalls)
		}
		driverRates = append(driverRates, float64(len(frames))/time.Since(began).Seconds())

		bareDone := bare.expect(len(frames))
		began = time.Now()
		if err := sim.SendRawTo(bareConn, frames); err != nil {
			return err
		}
		select {
		case <-bareDone:
		case <-bare.failed:
			return fmt.Errorf("the bare client: %w", bare.err)
		case <-time.After(2 * time.Minute):
			return fmt.Errorf("the bare client decoded %d of %d frames in 2 minutes", bare.count.Load(), len(frames))
		}
		floorRates = append(floorRates, float64(len(frames))/time.Since(began).Seconds())
		if bare.bad.Load() > 0 {
			return fmt.Errorf("the bare client could not decode %d frames", bare.bad.Load())
		}
		f.burstFrames = len(frames)
	}
	f.ingest, f.floor = median(driverRates), median(floorRates)
	return nil
}

func median(xs []float64) float64 {
	slices.Sort(xs)
	return xs[len(xs)/2]
}

// endCounter is a WatchEvents stream that counts CallEnded events and
// signals when a burst's calls have all ended.
type endCounter struct {
	grpc.ServerStream
	ctx     context.Context
	started chan struct{}
	once    sync.Once

	ended atomic.Int64
	mu    sync.Mutex
	want  int64
	done  chan struct{}
}

func (c *endCounter) Context() context.Context { return c.ctx }

func (c *endCounter) Send(ev *ctiv1.Event) error {
	c.once.Do(func() { close(c.started) })
	if ev.GetCallEnded() == nil {
		return nil
	}
	n := c.ended.Add(1)
	c.mu.Lock()
	if c.done != nil && n >= c.want {
		close(c.done)
		c.done = nil
	}
	c.mu.Unlock()
	return nil
}

// expect returns a channel closed once calls more calls have ended.
func (c *endCounter) expect(calls int) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	done := make(chan struct{})
	c.want, c.done = c.ended.Load()+int64(calls), done
	return done
}

// bareClient reads an MTCTI3 connection and only decodes what it reads.
type bareClient struct {
	conn   *wsconn.Conn
	count  atomic.Int64
	bad    atomic.Int64
	failed chan struct{}
	err    error
	exited chan struct{}

	mu   sync.Mutex
	want int64
	done chan struct{}
}

func dialBare(ctx context.Context, sim *ipofficesim.Server, addr string) (*bareClient, error) {
	conn, err := wsconn.Dial(ctx, wsconn.Options{
		URL: ipofficesim.URL(addr, mtcti.Framed), Subprotocol: mtcti.Subprotocol,
		Username: pbxServiceUser, Password: benchPasscode,
		TLS:       wsconn.TLSOptions{PinSHA256: sim.CertFingerprint()},
		ReadLimit: mtcti.MaxFrameSize,
	})
	if err != nil {
		return nil, fmt.Errorf("the bare client: %w", err)
	}
	b := &bareClient{conn: conn, failed: make(chan struct{}), exited: make(chan struct{})}
	go func() {
		defer close(b.exited)
		for {
			msg, err := conn.Read(context.Background())
			if err != nil {
				b.err = err
				close(b.failed)
				return
			}
			if _, err := mtcti.Decode(mtcti.Framed, msg); err != nil {
				b.bad.Add(1)
			}
			n := b.count.Add(1)
			b.mu.Lock()
			if b.done != nil && n >= b.want {
				close(b.done)
				b.done = nil
			}
			b.mu.Unlock()
		}
	}()
	return b, nil
}

// expect returns a channel closed once n more frames were decoded.
func (b *bareClient) expect(n int) <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	done := make(chan struct{})
	b.want, b.done = b.count.Load()+int64(n), done
	return done
}

func (b *bareClient) close() {
	b.conn.Close()
	<-b.exited
}
