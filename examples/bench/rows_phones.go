package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// The phone rows (issue 5, item 3): the real host and Grandstream plugin
// poll N simulated phones at the plugin block's poll_interval (1s, see
// startHost) and the rows report what that costs and how fresh the events
// are. The target is 10,000 phones under 1 GiB of host+plugin memory, with
// a state change reaching a subscriber within the poll interval + 100 ms
// (the driver's default ±100 ms poll jitter).
//
// The phones run outside the bench process, in gssim processes of at most
// phonesPerSim phones each: a phone holds a listener and the driver's
// keep-alive connection, two file descriptors, and the machine allows
// 20,000 per process. Phone k listens on the loopback address 127.1.0.1+k
// (Linux routes all of 127.0.0.0/8 to lo), every phone on the same port.

const (
	// phonesPerSim bounds the phones of one gssim process.
	phonesPerSim = 3500
	// pollInterval is the plugin block's poll_interval in startHost.
	pollInterval = time.Second
	// eventTarget is the change-to-event target: the poll interval plus
	// the poll jitter.
	eventTarget = pollInterval + 100*time.Millisecond
	// memoryTarget is the host+plugin resident memory target.
	memoryTarget = 1 << 30
	// ringTimeout is how long a ring may take to reach the subscriber
	// before it counts as missed (and as ringTimeout in the percentiles).
	ringTimeout = 20 * time.Second
)

// fleetFirstIP is phone 0's address; phone k is fleetFirstIP + k.
var fleetFirstIP = netip.MustParseAddr("127.1.0.1")

// phoneSizes are the phone rows' loop bounds.
type phoneSizes struct {
	counts []int         // fleet sizes, one set of rows each
	warmup time.Duration // after every phone was polled once, before measuring
	window time.Duration // CPU, rings and poll lag are measured over this
	rings  int           // state changes, spread over the window
}

func phoneSizesFor(quick bool) phoneSizes {
	if quick {
		// A smoke run: one small fleet, the same code paths.
		return phoneSizes{counts: []int{50}, warmup: 500 * time.Millisecond, window: 3 * time.Second, rings: 10}
	}
	return phoneSizes{counts: []int{1000, 5000, 10000}, warmup: 5 * time.Second, window: 20 * time.Second, rings: 200}
}

// fleetFigures is what one fleet size measured.
type fleetFigures struct {
	phones               int
	hostRSS, pluginRSS   int64   // bytes, VmRSS at the end of the window
	hostCPU, pluginCPU   float64 // % of one core over the window
	simCPU               float64 // % of one core, all gssim processes together
	lagP50, lagP99       time.Duration
	lagSamples           int
	eventP50, eventP99   time.Duration
	rings, missed        int
	reachableAfter, took time.Duration
	machineBusy          float64 // % of all cores busy over the window, anyone's
	benchCPU             float64 // % of one core: this process (rings, subscriber)
}

// phoneRows measures every fleet size of ps, each with a fresh host and
// fresh simulators that are stopped before the next size starts.
func phoneRows(ctx context.Context, h *harness, ps phoneSizes) ([]row, error) {
	var rows []row
	for _, n := range ps.counts {
		f, err := measureFleet(ctx, h, n, ps)
		if err != nil {
			return nil, fmt.Errorf("%d phones: %w", n, err)
		}
		fmt.Fprintf(os.Stderr, "bench: %d phones: all reachable %.1fs after the host ran; CPU host %.0f%%, plugin %.0f%%, bench %.0f%% of a core, machine %.0f%% busy; %d poll gaps, %d rings; measured in %.0fs\n",
			n, f.reachableAfter.Seconds(), f.hostCPU, f.pluginCPU, f.benchCPU, f.machineBusy, f.lagSamples, f.rings, f.took.Seconds())
		if f.missed > 0 {
			fmt.Fprintf(os.Stderr, "bench: %d phones: %d of %d rings never reached the subscriber within %s; counted as %s\n",
				n, f.missed, f.rings, ringTimeout, ringTimeout)
		}
		rows = append(rows, f.rows()...)
	}
	return rows, nil
}

// phoneRowNames are the rows of a fleet of n phones, in order.
func phoneRowNames(n int) []string {
	var names []string
	for _, r := range (&fleetFigures{phones: n}).rows() {
		names = append(names, r.Name)
	}
	return names
}

func (f *fleetFigures) rows() []row {
	label := fmt.Sprintf("phones %s polled at %s", thousands(f.phones), pollInterval)
	total := f.hostRSS + f.pluginRSS
	mib := func(b int64) float64 { return float64(b) / (1 << 20) }
	return []row{
		measured(label+": host+plugin RSS", mib(total), "MiB").
			against("< 1024 MiB", float64(total)/memoryTarget, total < memoryTarget),
		measured(label+": host RSS", mib(f.hostRSS), "MiB"),
		measured(label+": plugin RSS", mib(f.pluginRSS), "MiB"),
		measured(label+": host+plugin CPU", f.hostCPU+f.pluginCPU, "% of a core"),
		measured(label+": simulators' CPU (gssim, not counted above)", f.simCPU, "% of a core"),
		// Anyone's: if it is well above the processes above (and the
		// bench's ~1%), something else ran and the figures are suspect.
		measured(label+": whole machine busy (any process)", f.machineBusy, "% of all cores"),
		// Poll lag: the time between two polls of a phone, as the phone
		// saw them, minus the poll interval. An on-time poller spreads it
		// over ±100 ms (the jitter) plus the poll's own duration.
		measured(label+": poll lag p50 (gap between polls − 1s)", millis(f.lagP50), "ms"),
		measured(label+": poll lag p99 (gap between polls − 1s)", millis(f.lagP99), "ms"),
		measured(label+": change-to-event p50 (ring → CallChanged at a subscriber)", millis(f.eventP50), "ms"),
		measured(label+": change-to-event p99 (ring → CallChanged at a subscriber)", millis(f.eventP99), "ms").
			against("< 1100 ms", float64(f.eventP99)/float64(eventTarget), f.eventP99 < eventTarget),
	}
}

// thousands writes n with comma separators: 10000 → "10,000".
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// scope is a harness that shares h's binaries but has its own cleanups, so
// one fleet size's processes stop before the next size starts. h closes it
// too, in case the caller returns early without closing it.
func (h *harness) scope() *harness {
	s := &harness{dir: h.dir, profileDir: h.profileDir}
	h.onClose(s.close)
	return s
}

// measureFleet runs n phones, a host polling them and a subscriber, and
// measures them over ps.window after ps.warmup.
func measureFleet(ctx context.Context, h *harness, n int, ps phoneSizes) (*fleetFigures, error) {
	began := time.Now()
	s := h.scope()
	defer s.close()
	fleet, err := s.startFleet(ctx, n)
	if err != nil {
		return nil, err
	}
	devices := make([]device, n)
	for k := range devices {
		devices[k] = device{site: "fleet", name: phoneName(k), driver: "grandstream", model: "GXP2135", addr: fleet.addrs[k]}
	}
	host, err := s.startHost(ctx, fmt.Sprintf("phones-%d", n), devices)
	if err != nil {
		return nil, err
	}
	running := time.Now()
	pluginPID, err := host.pluginPID(ctx, "grandstream")
	if err != nil {
		return nil, err
	}
	if err := waitReachable(ctx, host, n); err != nil {
		return nil, err
	}
	f := &fleetFigures{phones: n, reachableAfter: time.Since(running)}

	// The samples: phones spread evenly over the fleet (and so over every
	// gssim process), each rung at most once.
	rings := min(ps.rings, n)
	sample := make([]int, rings)
	refs := make([]string, rings)
	for i := range sample {
		sample[i] = i * n / rings
		refs[i] = "fleet/" + phoneName(sample[i])
	}
	sub, err := subscribeRinging(ctx, host, refs)
	if err != nil {
		return nil, err
	}
	defer sub.stop()
	if err := sleepCtx(ctx, ps.warmup); err != nil {
		return nil, err
	}

	pids := []int{host.proc.pid(), int(pluginPID), os.Getpid()}
	for _, p := range fleet.procs {
		pids = append(pids, p.pid())
	}
	cpu0, err := cpuTicksOf(pids)
	if err != nil {
		return nil, err
	}
	busy0, total0 := machineTicks()
	windowStart := time.Now()
	rung, err := fleet.ringSpread(ctx, sample, ps.window)
	if err != nil {
		return nil, err
	}
	if err := sleepCtx(ctx, time.Until(windowStart.Add(ps.window))); err != nil {
		return nil, err
	}
	windowEnd := time.Now()
	if busy1, total1 := machineTicks(); total1 > total0 {
		f.machineBusy = float64(busy1-busy0) / float64(total1-total0) * 100
	}
	// A plugin restarted by the host's liveness probe (a saturated machine
	// can make it miss two in a row) invalidates the window's figures.
	if err := checkPluginKept(ctx, host, pluginPID, f.machineBusy); err != nil {
		return nil, err
	}
	cpu1, err := cpuTicksOf(pids)
	if err != nil {
		return nil, err
	}
	secs := windowEnd.Sub(windowStart).Seconds()
	pct := func(i int) float64 { return float64(cpu1[i]-cpu0[i]) / ticksPerSecond / secs * 100 }
	f.hostCPU, f.pluginCPU, f.benchCPU = pct(0), pct(1), pct(2)
	for i := 3; i < len(pids); i++ {
		f.simCPU += pct(i)
	}
	if f.hostRSS, err = vmRSS(pids[0]); err != nil {
		return nil, err
	}
	if f.pluginRSS, err = vmRSS(pids[1]); err != nil {
		return nil, err
	}
	lags, err := fleet.pollLags(ctx, sample, windowStart, windowEnd)
	if err != nil {
		return nil, err
	}
	f.lagSamples = len(lags)
	if len(lags) == 0 {
		// No sampled phone was polled twice within the window: the gaps
		// are longer than it, which is all the figure can say.
		fmt.Fprintf(os.Stderr, "bench: %d phones: no sampled phone was polled twice in the %s window; poll lag reported as %s, a lower bound\n",
			n, ps.window, ps.window-pollInterval)
		lags = []time.Duration{ps.window - pollInterval}
	}
	f.lagP50, f.lagP99 = percentile(lags, 50), percentile(lags, 99)

	// Every ring's CallChanged, then hang up so no call outlives the size.
	seen := sub.wait(ctx, rung, ringTimeout)
	var latencies []time.Duration
	for i, r := range rung {
		at, ok := seen[refs[i]]
		if !ok {
			f.missed++
			at = r.sent.Add(ringTimeout)
		}
		latencies = append(latencies, at.Sub(r.sent))
	}
	f.rings = len(rung)
	f.eventP50, f.eventP99 = percentile(latencies, 50), percentile(latencies, 99)
	if err := fleet.hangUp(ctx, sample, rung); err != nil {
		return nil, err
	}
	f.took = time.Since(began)
	return f, nil
}

// checkPluginKept fails if the grandstream plugin is no longer the process
// pid, explaining why when the host knows.
func checkPluginKept(ctx context.Context, host *runningHost, pid int64, machineBusy float64) error {
	resp, err := host.admin.ListPlugins(ctx, &ctiv1.ListPluginsRequest{})
	if err != nil {
		return fmt.Errorf("ListPlugins: %w", err)
	}
	for _, p := range resp.GetPlugins() {
		if p.GetDriver() != "grandstream" {
			continue
		}
		if p.GetPid() == pid && p.GetRestarts() == 0 {
			return nil
		}
		return fmt.Errorf("the grandstream plugin (pid %d) was restarted during the measurement: now %s, pid %d, %d restarts, last error %q; the machine was %.0f%% busy (is something else running?)\n%s",
			pid, p.GetState(), p.GetPid(), p.GetRestarts(), p.GetLastError(), machineBusy, host.proc.stderr.tail())
	}
	return fmt.Errorf("the host lists no grandstream plugin")
}

// phoneName is the device name of phone k.
func phoneName(k int) string { return fmt.Sprintf("p%05d", k) }

// simFleet is the gssim processes of one size and every phone's address.
type simFleet struct {
	procs []*process
	addrs []string
	hc    *http.Client // the bench's own client for /sim/ controls
}

// startFleet starts ceil(n/phonesPerSim) gssim processes serving n GXP2135
// phones and returns once each answers.
func (h *harness) startFleet(ctx context.Context, n int) (*simFleet, error) {
	port, err := fleetPort()
	if err != nil {
		return nil, err
	}
	f := &simFleet{hc: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, IdleConnTimeout: 30 * time.Second}}}
	h.onClose(f.hc.CloseIdleConnections)
	a := fleetFirstIP
	for range n {
		f.addrs = append(f.addrs, netip.AddrPortFrom(a, port).String())
		a = a.Next()
	}
	procs := (n + phonesPerSim - 1) / phonesPerSim
	env := append(os.Environ(), "BENCH_PASSCODE="+benchPasscode)
	var lasts []string
	for i := range procs {
		first, count := i*n/procs, (i+1)*n/procs-i*n/procs
		spec := fmt.Sprintf("%d=GXP2135@%s", count, f.addrs[first])
		// -auto-answer 0: nothing changes on a phone but the bench's rings.
		p, err := h.start(env, filepath.Join(h.dir, "gssim"), "-passcode-env", "BENCH_PASSCODE", "-auto-answer", "0", "-fleet", spec)
		if err != nil {
			return nil, fmt.Errorf("start gssim -fleet %s: %w", spec, err)
		}
		f.procs = append(f.procs, p)
		lasts = append(lasts, f.addrs[first+count-1])
	}
	for i, p := range f.procs {
		err := waitUntil(ctx, 60*time.Second, func() bool {
			select {
			case <-p.done:
				return true
			default:
			}
			return f.control(ctx, http.MethodGet, lasts[i], "/sim/state", nil) == nil
		})
		select {
		case <-p.done:
			return nil, fmt.Errorf("gssim %d of %d exited at start:\n%s", i+1, procs, p.stderr.tail())
		default:
		}
		if err != nil {
			return nil, fmt.Errorf("gssim %d of %d: its last phone %s did not answer: %w\n%s", i+1, procs, lasts[i], err, p.stderr.tail())
		}
	}
	return f, nil
}

// fleetPort picks a port that is free on the fleet's first address. No
// other program listens on 127.1.x.x, so it is free on the others too.
func fleetPort() (uint16, error) {
	l, err := net.Listen("tcp", netip.AddrPortFrom(fleetFirstIP, 0).String())
	if err != nil {
		return 0, fmt.Errorf("listen on %s (the simulated phones' loopback addresses): %w", fleetFirstIP, err)
	}
	defer l.Close()
	return uint16(l.Addr().(*net.TCPAddr).Port), nil
}

// control sends one /sim/ request to the phone at addr and decodes its JSON
// answer into out (if not nil).
func (f *simFleet) control(ctx context.Context, method, addr, path string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, "http://"+addr+path, nil)
	if err != nil {
		return err
	}
	resp, err := f.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s%s: %s %s", method, addr, path, resp.Status, strings.TrimSpace(string(body)))
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			return fmt.Errorf("%s %s%s: %w", method, addr, path, err)
		}
	}
	return nil
}

// ring is one state change the bench made.
type ring struct {
	sent time.Time // just before the ring request left the bench
	line int       // the line that rings
}

// ringSpread rings the sampled phones one after another, evenly over
// window, and returns when the last was rung. The time taken is the one
// before the request is sent: the phone changes state a fraction of a
// millisecond later, so the figure errs on the long side.
func (f *simFleet) ringSpread(ctx context.Context, sample []int, window time.Duration) ([]ring, error) {
	rung := make([]ring, len(sample))
	// Leave the window's last 10% free of rings' request bursts; and start
	// at once: the window is also the CPU window.
	step := window * 9 / 10 / time.Duration(len(sample))
	start := time.Now()
	for i, k := range sample {
		if err := sleepCtx(ctx, time.Until(start.Add(time.Duration(i)*step))); err != nil {
			return nil, err
		}
		var answer struct {
			Line int `json:"line"`
		}
		rung[i].sent = time.Now()
		if err := f.control(ctx, http.MethodPost, f.addrs[k], "/sim/ring?number=5550100&name=Bench", &answer); err != nil {
			return nil, fmt.Errorf("ring phone %d: %w", k, err)
		}
		rung[i].line = answer.Line
	}
	return rung, nil
}

// hangUp ends the calls the bench rang.
func (f *simFleet) hangUp(ctx context.Context, sample []int, rung []ring) error {
	var errs []error
	for i, r := range rung {
		path := fmt.Sprintf("/sim/hangup?line=%d", r.line)
		if err := f.control(ctx, http.MethodPost, f.addrs[sample[i]], path, nil); err != nil {
			errs = append(errs, fmt.Errorf("hang up phone %d: %w", sample[i], err))
		}
	}
	return errors.Join(errs...)
}

// pollLags reads when each sampled phone was polled and returns, for every
// two consecutive polls inside [from, to], the gap minus the poll interval.
func (f *simFleet) pollLags(ctx context.Context, sample []int, from, to time.Time) ([]time.Duration, error) {
	var lags []time.Duration
	for _, k := range sample {
		var polls []time.Time
		if err := f.control(ctx, http.MethodGet, f.addrs[k], "/sim/polls", &polls); err != nil {
			return nil, fmt.Errorf("poll log of phone %d: %w", k, err)
		}
		var prev time.Time
		for _, at := range polls {
			if at.Before(from) || at.After(to) {
				continue
			}
			if !prev.IsZero() {
				lags = append(lags, at.Sub(prev)-pollInterval)
			}
			prev = at
		}
	}
	return lags, nil
}

// waitReachable waits until the host reports every phone of the fleet
// reachable, i.e. polled successfully at least once. It replays the
// fleet's device events from the host's first; if the replay buffer lost
// some (a Gap), one GetDeviceState per phone not seen yet covers them:
// what became reachable after the Gap is in the stream.
func waitReachable(ctx context.Context, host *runningHost, n int) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	stream, err := host.host.WatchEvents(ctx, &ctiv1.WatchEventsRequest{FromSequence: 1, Sites: []string{"fleet"},
		Kinds: []ctiv1.EventKind{ctiv1.EventKind_EVENT_KIND_DEVICE}})
	if err != nil {
		return fmt.Errorf("WatchEvents: %w", err)
	}
	pending := make(map[string]bool, n)
	for k := range n {
		pending["fleet/"+phoneName(k)] = true
	}
	for len(pending) > 0 {
		ev, err := stream.Recv()
		if err != nil {
			return fmt.Errorf("%d of %d phones not reachable yet: %w", len(pending), n, err)
		}
		if ev.GetGap() != nil {
			if err := dropReachable(ctx, host, pending); err != nil {
				return err
			}
			continue
		}
		if ev.GetDeviceChanged().GetStatus().GetReachable() {
			delete(pending, ev.GetDevice())
		}
	}
	return nil
}

// dropReachable removes from pending the devices the host reports reachable.
func dropReachable(ctx context.Context, host *runningHost, pending map[string]bool) error {
	refs := make(chan string, len(pending))
	for ref := range pending {
		refs <- ref
	}
	close(refs)
	var (
		mu      sync.Mutex
		wg      sync.WaitGroup
		callErr error
	)
	for range 4 {
		wg.Go(func() {
			for ref := range refs {
				cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				st, err := host.host.GetDeviceState(cctx, &ctiv1.GetDeviceStateRequest{Device: ref})
				cancel()
				mu.Lock()
				switch {
				case err != nil:
					callErr = fmt.Errorf("GetDeviceState %s: %w", ref, err)
				case st.GetStatus().GetReachable():
					delete(pending, ref)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return callErr
}

// ringWatch is a subscriber that keeps when each device's first RINGING
// CallChanged arrived.
type ringWatch struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu   sync.Mutex
	seen map[string]time.Time
	err  error
	note chan struct{} // signalled on every new device seen
}

// subscribeRinging opens WatchEvents for the call events of refs.
func subscribeRinging(ctx context.Context, host *runningHost, refs []string) (*ringWatch, error) {
	sctx, cancel := context.WithCancel(ctx)
	stream, err := host.host.WatchEvents(sctx, &ctiv1.WatchEventsRequest{Devices: refs, Kinds: []ctiv1.EventKind{ctiv1.EventKind_EVENT_KIND_CALL}})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("WatchEvents: %w", err)
	}
	w := &ringWatch{cancel: cancel, done: make(chan struct{}), seen: map[string]time.Time{}, note: make(chan struct{}, 1)}
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
			if ev.GetCallChanged().GetCall().GetState() != ctiv1.CallState_CALL_STATE_RINGING {
				continue
			}
			w.mu.Lock()
			if _, ok := w.seen[ev.GetDevice()]; !ok {
				w.seen[ev.GetDevice()] = now
			}
			w.mu.Unlock()
			select {
			case w.note <- struct{}{}:
			default:
			}
		}
	}()
	return w, nil
}

// wait returns what was seen once every ring arrived, or timeout after the
// last ring, or when the stream failed.
func (w *ringWatch) wait(ctx context.Context, rung []ring, timeout time.Duration) map[string]time.Time {
	deadline := time.Now()
	if len(rung) > 0 {
		deadline = rung[len(rung)-1].sent.Add(timeout)
	}
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for w.pending(len(rung)) {
		select {
		case <-w.note:
		case <-timer.C:
			return w.snapshot()
		case <-ctx.Done():
			return w.snapshot()
		case <-w.done:
			return w.snapshot()
		}
	}
	return w.snapshot()
}

// pending tells whether fewer than want devices were seen.
func (w *ringWatch) pending(want int) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.seen) < want
}

func (w *ringWatch) snapshot() map[string]time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return maps.Clone(w.seen)
}

func (w *ringWatch) stop() {
	w.cancel()
	<-w.done
}

// sleepCtx sleeps for d, or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// cpuTicksOf reads cpuTicks of every pid.
func cpuTicksOf(pids []int) ([]int64, error) {
	out := make([]int64, len(pids))
	for i, pid := range pids {
		t, err := cpuTicks(pid)
		if err != nil {
			return nil, fmt.Errorf("CPU time of pid %d: %w", pid, err)
		}
		out[i] = t
	}
	return out, nil
}

// machineTicks reads the first line of /proc/stat: the ticks all cores
// spent busy (anything but idle and iowait) and in all; zeros if unreadable.
// Whoever else runs on the machine shows here, not in the rows.
func machineTicks() (busy, total int64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0, 0
	}
	for i, v := range f[1:] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, 0
		}
		// user nice system idle iowait irq softirq steal guest guest_nice;
		// guest time is already counted in user and nice.
		switch {
		case i >= 8:
		case i == 3 || i == 4:
			total += n
		default:
			busy += n
			total += n
		}
	}
	return busy, total
}

// vmRSS is a process's resident memory in bytes, from /proc/<pid>/status.
func vmRSS(pid int) (int64, error) { return procKB(pid, "status", "VmRSS") }

// procKB reads the "key: N kB" line of /proc/<pid>/<file>, in bytes.
func procKB(pid int, file, key string) (int64, error) {
	path := fmt.Sprintf("/proc/%d/%s", pid, file)
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s: %s %q: %w", path, key, v, err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("%s has no %s line (has the process exited?)", path, key)
}
