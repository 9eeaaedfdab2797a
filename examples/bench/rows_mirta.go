package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ctihost/ctihost/plugins/mirta/mirtasim"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// The polled PBX rows: a simulated MiRTA PBX (mirtasim, in this process,
// on loopback) with one tenant of 100 or 1,000 extensions and mirtaQueues
// queues, the real host running the real mirta plugin against it with
// poll_interval mirtaPoll, as `make run` does. External callers ring
// extensions at a steady rate and hang up mirtaHold later, so a tenth of
// the extensions have a call.
//
// Poll cost is per tenant and per poll: requests, bytes answered, the
// simulator's time to answer them (the PBX's work, a lower bound for a
// real one) and the plugin's CPU, over the window divided by the polls in
// it. change → event is from the simulator's RingIn returning (the
// channel exists) to the ringing CallChanged at a WatchEvents subscriber:
// polling makes it poll_interval/2 on average, at most poll_interval plus
// one poll's work.
const (
	mirtaPoll   = time.Second
	mirtaQueues = 5
	mirtaHold   = 3 * time.Second
	// mirtaLatencyTarget: p99 change → event within one poll interval
	// plus 250 ms of work.
	mirtaLatencyTarget = mirtaPoll + 250*time.Millisecond
)

// mirtaSizes are the polled PBX rows' bounds.
type mirtaSizes struct {
	extensions []int
	window     time.Duration
}

func mirtaSizesFor(quick bool) mirtaSizes {
	if quick {
		return mirtaSizes{extensions: []int{100}, window: 3 * time.Second}
	}
	return mirtaSizes{extensions: []int{100, 1000}, window: 20 * time.Second}
}

// mirtaFigures is what one size measured.
type mirtaFigures struct {
	extensions      int
	polls           float64
	requests, bytes float64 // per poll
	serveTime       time.Duration
	pluginCPU       float64 // ms of CPU per poll
	p50, p99        time.Duration
	changes, lost   int
}

func (f *mirtaFigures) rows() []row {
	label := fmt.Sprintf("polled PBX: MiRTA tenant of %s extensions, %d queues, poll %s", thousands(f.extensions), mirtaQueues, mirtaPoll)
	return []row{
		measured(label+": requests per poll", f.requests, "requests"),
		measured(label+": bytes answered per poll", f.bytes/1024, "KiB"),
		measured(label+": PBX (simulator) time answering per poll", millis(f.serveTime), "ms"),
		measured(label+": plugin CPU per poll", f.pluginCPU, "ms"),
		measured(label+": change→event p50 (ring → WatchEvents subscriber)", millis(f.p50), "ms"),
		measured(label+": change→event p99 (ring → WatchEvents subscriber)", millis(f.p99), "ms").
			against(fmt.Sprintf("< %d ms (poll + 250 ms)", mirtaLatencyTarget.Milliseconds()), float64(f.p99)/float64(mirtaLatencyTarget), f.p99 < mirtaLatencyTarget),
		measured(label+": changes with no event", float64(f.lost), "changes").want("0", f.lost == 0),
	}
}

// mirtaRowNames are the rows of sizes ms, in order.
func mirtaRowNames(ms mirtaSizes) []string {
	var names []string
	for _, n := range ms.extensions {
		for _, r := range (&mirtaFigures{extensions: n}).rows() {
			names = append(names, r.Name)
		}
	}
	return names
}

// mirtaRows measures each size with its own simulator and host.
func mirtaRows(ctx context.Context, h *harness, ms mirtaSizes) ([]row, error) {
	var out []row
	for _, n := range ms.extensions {
		s := h.scope()
		f, err := measureMiRTA(ctx, s, n, ms.window)
		s.close()
		if err != nil {
			return nil, fmt.Errorf("%d extensions: %w", n, err)
		}
		fmt.Fprintf(os.Stderr, "bench: polled PBX: %d extensions: %.0f polls, %.1f requests and %.0f KiB each, simulator %.1f ms, plugin %.1f ms CPU per poll; %d changes, %d without an event\n",
			n, f.polls, f.requests, f.bytes/1024, millis(f.serveTime), f.pluginCPU, f.changes, f.lost)
		out = append(out, f.rows()...)
	}
	return out, nil
}

// counting wraps the simulator to count requests, bytes and serving time.
type counting struct {
	next              http.Handler
	requests, bytes   atomic.Int64
	serveNanos, polls atomic.Int64
}

func (c *counting) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	began := time.Now()
	cw := &countingWriter{ResponseWriter: w}
	c.next.ServeHTTP(cw, r)
	c.requests.Add(1)
	c.bytes.Add(cw.n)
	c.serveNanos.Add(int64(time.Since(began)))
	if r.URL.Query().Get("reqtype") == "CHANNELS" {
		c.polls.Add(1)
	}
}

type countingWriter struct {
	http.ResponseWriter
	n int64
}

func (w *countingWriter) Write(b []byte) (int, error) {
	n, err := w.ResponseWriter.Write(b)
	w.n += int64(n)
	return n, err
}

// mirtaTenant is the simulated tenant: extensions 1000.., queues with ten
// agents each.
func mirtaTenant(n int) mirtasim.TenantSpec {
	spec := mirtasim.TenantSpec{Code: "BENCH", Key: benchPasscode}
	for k := range n {
		spec.Extensions = append(spec.Extensions, mirtasim.ExtensionSpec{Number: strconv.Itoa(1000 + k), Name: fmt.Sprintf("Agent %d", k+1)})
	}
	for q := range mirtaQueues {
		qs := mirtasim.QueueSpec{ID: strconv.Itoa(300 + q), Number: strconv.Itoa(600 + q), Name: fmt.Sprintf("Queue %d", q+1)}
		for a := range 10 {
			qs.Agents = append(qs.Agents, mirtasim.AgentSpec{Extension: strconv.Itoa(1000 + (q*10+a)%n)})
		}
		spec.Queues = append(spec.Queues, qs)
	}
	return spec
}

func measureMiRTA(ctx context.Context, h *harness, n int, window time.Duration) (*mirtaFigures, error) {
	f := &mirtaFigures{extensions: n}
	pbx, err := mirtasim.New(mirtasim.Options{FarAnswerAfter: -1, Tenants: []mirtasim.TenantSpec{mirtaTenant(n)}})
	if err != nil {
		return nil, err
	}
	cnt := &counting{next: pbx}
	srv := httptest.NewServer(cnt)
	h.onClose(srv.Close)
	listen, err := freeAddr()
	if err != nil {
		return nil, err
	}
	config := fmt.Sprintf(`host {
  listen     = %q
  plugin_dir = %q
  log_level  = "warn"
}
plugin "mirta" {}
site "pbx" {
  connection "pbx" {
    driver        = "mirta"
    url           = %q
    tenant        = "BENCH"
    key           = env("BENCH_PASSCODE")
    poll_interval = %q
    dnd_refresh   = "0s"
  }
}
`, listen, filepath.Join(h.dir, "plugins"), srv.URL, mirtaPoll.String())
	host, err := h.launchHost(ctx, "mirta", listen, config, 1)
	if err != nil {
		return nil, err
	}
	pluginPID, err := host.pluginPID(ctx, "mirta")
	if err != nil {
		return nil, err
	}
	if err := waitUntil(ctx, time.Minute, func() bool {
		resp, err := host.host.ListDevices(ctx, &ctiv1.ListDevicesRequest{})
		return err == nil && len(resp.GetDevices()) >= n
	}); err != nil {
		return nil, fmt.Errorf("the host does not list the %d extensions: %w\n%s", n, err, host.proc.stderr.tail())
	}
	sub, err := watchPBX(ctx, host)
	if err != nil {
		return nil, err
	}
	defer sub.stop()
	if err := sleepCtx(ctx, 2*mirtaPoll); err != nil {
		return nil, err
	}

	// A tenth of the extensions busy: n/10 calls up, each held mirtaHold.
	rate := float64(n) / 10 / mirtaHold.Seconds()
	every := time.Duration(float64(time.Second) / rate)
	sent := map[pbxKey]time.Time{}
	var mu sync.Mutex
	var hangups sync.WaitGroup
	var loadErr error
	cpu0, err := cpuTicksOf([]int{int(pluginPID)})
	if err != nil {
		return nil, err
	}
	polls0, req0, bytes0, serve0 := cnt.polls.Load(), cnt.requests.Load(), cnt.bytes.Load(), cnt.serveNanos.Load()
	began := time.Now()
	for k := 0; time.Since(began) < window; k++ {
		from := fmt.Sprintf("0163296%04d", k)
		ext := strconv.Itoa(1000 + (k*7)%n)
		ch, err := pbx.RingIn("BENCH", from, ext)
		if err != nil {
			loadErr = errors.Join(loadErr, err)
		} else {
			mu.Lock()
			sent[pbxKey{from, stepRing}] = time.Now()
			mu.Unlock()
			hangups.Add(1)
			time.AfterFunc(mirtaHold, func() {
				defer hangups.Done()
				_ = pbx.RemoteHangup(ch.LinkedID)
			})
		}
		if err := sleepCtx(ctx, time.Until(began.Add(time.Duration(k+1)*every))); err != nil {
			return nil, err
		}
	}
	cpu1, err := cpuTicksOf([]int{int(pluginPID)})
	if err != nil {
		return nil, err
	}
	polls := float64(cnt.polls.Load() - polls0)
	if polls == 0 {
		return nil, errors.New("no poll in the window")
	}
	f.polls = polls
	f.requests = float64(cnt.requests.Load()-req0) / polls
	f.bytes = float64(cnt.bytes.Load()-bytes0) / polls
	f.serveTime = time.Duration(float64(cnt.serveNanos.Load()-serve0) / polls)
	f.pluginCPU = float64(cpu1[0]-cpu0[0]) / ticksPerSecond * 1000 / polls
	hangups.Wait()
	if loadErr != nil {
		return nil, fmt.Errorf("the simulated callers: %w", loadErr)
	}
	mu.Lock()
	defer mu.Unlock()
	seen := sub.wait(ctx, sent, pbxEventWait)
	var lat []time.Duration
	for k, at := range sent {
		got, ok := seen[k]
		if !ok {
			f.lost++
			continue
		}
		lat = append(lat, got.Sub(at))
	}
	f.changes = len(sent)
	f.p50, f.p99 = percentile(lat, 50), percentile(lat, 99)
	return f, nil
}
