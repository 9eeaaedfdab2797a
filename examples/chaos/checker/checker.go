// Package checker is ctihost's chaos checker, in the spirit of Jepsen: it
// runs several hosts of one cluster on an embedded NATS, simulated phones,
// and apps that watch and command, while a schedule kills (-9), pauses
// (SIGSTOP) and restarts hosts, kills (-9) and hot-swaps drivers, and cuts
// (connections dropped) or delays (answers 5s late) the links to the
// phones. Afterwards it checks
// what the apps saw against the simulators' ground truth:
//
//   - every call the simulators rang reached the apps as events, or the
//     apps were told of lost events (a Gap);
//   - no call stays active at the apps after the device cleared it (every
//     call the apps saw got its CallEnded);
//   - the events of each call arrive in order (nothing after its
//     CallEnded, no call ended twice), under strictly increasing
//     sequences, and one call id never names two calls;
//   - no command ran twice at a phone: every Dial (each to a number of its
//     own) reached the phone at most once, and exactly once when the app
//     got an answer;
//
// and prints the schedule, the counts and every violation.
package checker

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// Options size a run.
type Options struct {
	// Root is the repository (to build the binaries from).
	Root string
	// Duration of the faults and the workload.
	Duration time.Duration
	// Hosts and Phones: how many ctihost processes (all configured for
	// the one site) and simulated phones.
	Hosts, Phones int
	// Pauses adds SIGSTOP/SIGCONT of hosts to the schedule.
	Pauses bool
	// Seed makes the schedule repeatable.
	Seed uint64
	// Out receives the report.
	Out io.Writer
	// LogDir, when set, keeps each host's log (level info) there as
	// host-X.log, appended to across its restarts.
	LogDir string
}

// Report is what a run found.
type Report struct {
	Schedule   []string
	Rung       int
	Seen       int // of the rung calls, reached the apps
	Covered    int // of the others, rang while their phone was announced out of service
	Gaps       int
	Events     int
	Commands   int
	CommandErr int
	Failures   map[string]int    // failed commands by method and gRPC code
	Examples   map[string]string // one message of each kind of failure
	Dials      int               // acknowledged Dials, each checked against the phones' request logs
	Violations []string
}

const token = "chaos-app-token-0123456789"

// Run runs the checker and returns its report (and an error if it could
// not run at all).
func Run(ctx context.Context, o Options) (*Report, error) {
	dir, err := os.MkdirTemp("", "ctihost-chaos-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	for out, pkg := range map[string]string{
		"ctihost": "./host", "gssim": "./plugins/grandstream/cmd/gssim",
		"plugins/cti-driver-grandstream": "./plugins/grandstream/cmd/cti-driver-grandstream",
	} {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(dir, out), pkg)
		cmd.Dir = o.Root
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("build %s: %v\n%s", pkg, err, b)
		}
	}
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: filepath.Join(dir, "nats"), NoSigs: true, NoLog: true})
	if err != nil {
		return nil, err
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		return nil, fmt.Errorf("nats-server did not start")
	}
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()

	r := &run{o: o, dir: dir, rng: rand.New(rand.NewPCG(o.Seed, o.Seed^0x5eed)), work: rand.New(rand.NewPCG(o.Seed^0xca11, o.Seed)), report: &Report{Failures: map[string]int{}, Examples: map[string]string{}}, calls: map[string]*call{}, seen: map[uint64]*ctiv1.Event{}}
	defer r.stopAll()
	if err := r.startPhones(); err != nil {
		return nil, err
	}
	for i := range o.Hosts {
		h, err := r.startHost(i, ns.ClientURL())
		if err != nil {
			return nil, err
		}
		r.hosts = append(r.hosts, h)
	}
	if err := r.waitServing(ctx, 30*time.Second); err != nil {
		return nil, err
	}
	watchCtx, stopWatching := context.WithCancel(ctx)
	for i := range r.hosts {
		go r.watch(watchCtx, i)
	}
	runCtx, stopRun := context.WithTimeout(ctx, o.Duration)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); r.workload(runCtx) }()
	go func() { defer wg.Done(); r.faults(runCtx) }()
	wg.Wait()
	stopRun()
	r.ending.Wait() // the last calls get their whole hold too
	// The end: every host back, every call hung up at the phones, then the
	// apps get time to see it all.
	r.heal(ctx)
	r.hangUpAll()
	r.quiesce(ctx, 30*time.Second)
	stopWatching()
	r.check()
	r.print()
	return r.report, nil
}

type host struct {
	id, listen, path string
	cmd              *exec.Cmd
	stopped          bool // SIGSTOP'd
	dead             bool
	conn             *grpc.ClientConn
	client           ctiv1.HostClient
	admin            ctiv1.AdminClient
}

type call struct {
	phone  int
	line   int // 0 for a dial until the phone shows it
	rang   time.Time
	hungUp bool
	// dialed: an app dialled this number (the call is outbound); acked:
	// the Dial was answered OK.
	dialed, acked bool
}

type run struct {
	o      Options
	dir    string
	rng    *rand.Rand // the faults' schedule
	work   *rand.Rand // the workload's calls (its own: the two run at once)
	report *Report

	phones []string // addresses
	gssim  *exec.Cmd
	hosts  []*host

	ending sync.WaitGroup // endCall goroutines

	mu         sync.Mutex
	faultTimes []time.Time
	calls      map[string]*call        // by remote number: the ground truth
	seen       map[uint64]*ctiv1.Event // by sequence: what the apps saw, merged
	gaps       int
}

func (r *run) logf(format string, args ...any) {
	now := time.Now()
	line := fmt.Sprintf("%s "+format, append([]any{now.Format("15:04:05.000")}, args...)...)
	r.mu.Lock()
	r.report.Schedule = append(r.report.Schedule, line)
	r.faultTimes = append(r.faultTimes, now)
	r.mu.Unlock()
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func (r *run) startPhones() error {
	args := []string{"-auto-answer", "0"}
	for range r.o.Phones {
		addr, err := freeAddr()
		if err != nil {
			return err
		}
		r.phones = append(r.phones, addr)
		args = append(args, "-phone", addr+"=GXP2135")
	}
	r.gssim = exec.Command(filepath.Join(r.dir, "gssim"), args...)
	r.gssim.Env = append(os.Environ(), "GXP_PASSCODE="+token)
	if err := r.gssim.Start(); err != nil {
		return err
	}
	for _, p := range r.phones {
		deadline := time.Now().Add(10 * time.Second)
		for {
			resp, err := http.Get("http://" + p + "/sim/state")
			if err == nil {
				resp.Body.Close()
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("gssim does not answer on %s", p)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nil
}

func (r *run) startHost(i int, natsURL string) (*host, error) {
	listen, err := freeAddr()
	if err != nil {
		return nil, err
	}
	h := &host{id: fmt.Sprintf("host-%c", 'a'+i), listen: listen, path: filepath.Join(r.dir, fmt.Sprintf("host-%d.hcl", i))}
	var b strings.Builder
	level := "warn"
	if r.o.LogDir != "" {
		level = "info"
	}
	fmt.Fprintf(&b, "host {\n  listen = %q\n  plugin_dir = %q\n  log_level = %q\n  command_timeout = \"3s\"\n}\n", listen, filepath.Join(r.dir, "plugins"), level)
	b.WriteString("plugin \"grandstream\" {\n  config {\n    poll_interval = \"200ms\"\n  }\n}\nsite \"hq\" {\n")
	for n, p := range r.phones {
		fmt.Fprintf(&b, "  device \"desk%d\" {\n    driver = \"grandstream\"\n    model = \"GXP2135\"\n    host = %q\n    passcode = env(\"CHAOS_TOKEN\")\n  }\n", n, p)
	}
	fmt.Fprintf(&b, "}\ncluster {\n  nats_url = %q\n  host_id = %q\n  lease_ttl = \"2s\"\n}\n", natsURL, h.id)
	fmt.Fprintf(&b, "client \"chaos\" {\n  token = env(\"CHAOS_TOKEN\")\n  sites = [\"*\"]\n  scopes = [\"events\", \"calls\", \"devices\", \"admin\"]\n}\n")
	if err := os.WriteFile(h.path, []byte(b.String()), 0o600); err != nil {
		return nil, err
	}
	h.conn, err = grpc.NewClient(listen, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithPerRPCCredentials(bearer(token)))
	if err != nil {
		return nil, err
	}
	h.client, h.admin = ctiv1.NewHostClient(h.conn), ctiv1.NewAdminClient(h.conn)
	return h, r.launch(h)
}

func (r *run) launch(h *host) error {
	h.cmd = exec.Command(filepath.Join(r.dir, "ctihost"), "-config", h.path)
	h.cmd.Env = append(os.Environ(), "CHAOS_TOKEN="+token, "XDG_CONFIG_HOME="+filepath.Join(r.dir, "xdg-"+h.id))
	h.cmd.Stderr = io.Discard
	if r.o.LogDir != "" {
		f, err := os.OpenFile(filepath.Join(r.o.LogDir, h.id+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		defer f.Close() // the child holds its own copy
		h.cmd.Stderr = f
	}
	h.dead, h.stopped = false, false
	return h.cmd.Start()
}

type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}
func (bearer) RequireTransportSecurity() bool { return false }

// waitServing waits until the site's first device answers through every
// host.
func (r *run) waitServing(ctx context.Context, d time.Duration) error {
	deadline := time.Now().Add(d)
	for _, h := range r.hosts {
		for {
			c, cancel := context.WithTimeout(ctx, time.Second)
			st, err := h.client.GetDeviceState(c, &ctiv1.GetDeviceStateRequest{Device: "hq/desk0"})
			cancel()
			if err == nil && st.GetStatus().GetReachable() {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s does not serve hq: %v", h.id, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return nil
}

// watch is one app on one host: it reads the events from the start and,
// when the stream breaks (the host died or paused), resumes after the
// last sequence it saw, on whichever host answers.
func (r *run) watch(ctx context.Context, i int) {
	var last uint64
	for ctx.Err() == nil {
		h := r.hosts[i%len(r.hosts)]
		stream, err := h.client.WatchEvents(ctx, &ctiv1.WatchEventsRequest{FromSequence: last + 1})
		if err != nil {
			i++
			time.Sleep(100 * time.Millisecond)
			continue
		}
		for {
			ev, err := stream.Recv()
			if err != nil {
				break
			}
			r.mu.Lock()
			if ev.GetGap() != nil {
				r.gaps++
			} else if ev.GetSequence() > 0 {
				if ev.GetSequence() <= last {
					r.report.Violations = append(r.report.Violations, fmt.Sprintf("app %d: sequence %d after %d", i, ev.GetSequence(), last))
				}
				last = ev.GetSequence()
				if _, dup := r.seen[last]; !dup {
					r.seen[last] = ev
				}
			}
			r.mu.Unlock()
		}
		i++
		time.Sleep(100 * time.Millisecond)
	}
}

// workload rings phones from unique numbers, or has an app dial a unique
// number from a phone through a random host, and ends the calls: the far
// end hangs up, or an app rejects through a random host.
func (r *run) workload(ctx context.Context) {
	n := 0
	for ctx.Err() == nil {
		n++
		phone := r.work.IntN(len(r.phones))
		// Every call lasts several polls (200ms): a shorter one can fall
		// between two polls of a polled phone, unseen by any driver.
		hold := time.Duration(800+r.work.IntN(2000)) * time.Millisecond
		via := r.hosts[r.work.IntN(len(r.hosts))]
		if r.work.IntN(4) == 0 {
			number := fmt.Sprintf("66%07d", n)
			r.mu.Lock()
			r.calls[number] = &call{phone: phone, rang: time.Now(), dialed: true}
			r.mu.Unlock()
			r.ending.Add(1)
			go func() {
				defer r.ending.Done()
				cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
				_, err := via.client.Dial(cctx, &ctiv1.DialRequest{Device: fmt.Sprintf("hq/desk%d", phone), Destination: number})
				cancel()
				r.mu.Lock()
				r.report.Commands++
				if err != nil {
					r.failedLocked("Dial", err)
				} else {
					r.calls[number].acked = true
				}
				r.mu.Unlock()
				r.endCall(number, hold, nil)
			}()
		} else {
			number := fmt.Sprintf("55%07d", n)
			line, err := ring(r.phones[phone], number)
			if err == nil {
				r.mu.Lock()
				r.calls[number] = &call{phone: phone, line: line, rang: time.Now()}
				r.mu.Unlock()
				var rejectVia *host
				if r.work.IntN(3) == 0 {
					rejectVia = via
				}
				r.ending.Add(1)
				go func() { defer r.ending.Done(); r.endCall(number, hold, rejectVia) }()
			}
		}
		sleep(ctx, time.Duration(200+r.work.IntN(400))*time.Millisecond)
	}
}

// endCall ends a call after a while: an app rejects it through
// rejectVia first when that is set, then the far end hangs up. The hold
// is never cut short: a call shorter than a poll is invisible to a polled
// phone's API, whatever the host does.
func (r *run) endCall(number string, after time.Duration, rejectVia *host) {
	time.Sleep(after)
	r.mu.Lock()
	c := r.calls[number]
	r.mu.Unlock()
	if c.dialed {
		// The far end hangs up the dialled call, if the phone placed it.
		if line := lineOf(r.phones[c.phone], number); line > 0 {
			hangup(r.phones[c.phone], line)
		}
		r.mu.Lock()
		c.hungUp = true
		r.mu.Unlock()
		return
	}
	if rejectVia != nil {
		if id := r.callIDOf(number); id != "" {
			h := rejectVia
			cctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			_, err := h.client.Reject(cctx, &ctiv1.CallRequest{Device: fmt.Sprintf("hq/desk%d", c.phone), CallId: id})
			cancel()
			r.mu.Lock()
			r.report.Commands++
			if err != nil {
				r.failedLocked("Reject", err)
			}
			r.mu.Unlock()
		}
	}
	hangup(r.phones[c.phone], c.line)
	r.mu.Lock()
	c.hungUp = true
	r.mu.Unlock()
}

// failedLocked counts a failed command. r.mu is held.
func (r *run) failedLocked(method string, err error) {
	r.report.CommandErr++
	kind := method + " " + status.Code(err).String()
	r.report.Failures[kind]++
	if _, ok := r.report.Examples[kind]; !ok {
		r.report.Examples[kind] = status.Convert(err).Message()
	}
}

// callIDOf is the latest call id the apps saw for a caller number, or "".
func (r *run) callIDOf(number string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var id string
	var at uint64
	for seq, ev := range r.seen {
		if c := ev.GetCallChanged().GetCall(); c != nil && c.GetRemote().GetNumber() == number && seq > at {
			id, at = c.GetCallId(), seq
		}
	}
	return id
}

// faults runs the schedule: kill -9 and restart, pause and resume, swap.
func (r *run) faults(ctx context.Context) {
	kinds := []string{"kill", "swap", "link", "crash"}
	if r.o.Pauses {
		kinds = append(kinds, "pause")
	}
	for {
		sleep(ctx, time.Duration(2500+r.rng.IntN(2500))*time.Millisecond)
		if ctx.Err() != nil {
			return
		}
		// Faults hit the host running the site half the time (and a swap
		// and a crash always: only it runs the driver), a random one otherwise.
		h := r.hosts[r.rng.IntN(len(r.hosts))]
		kind := kinds[r.rng.IntN(len(kinds))]
		if o := r.owner(); o != nil && (kind == "swap" || kind == "crash" || r.rng.IntN(2) == 0) {
			h = o
		}
		switch kind {
		case "kill":
			if h.dead {
				continue
			}
			r.logf("kill -9 %s", h.id)
			_ = h.cmd.Process.Signal(syscall.SIGKILL)
			_ = h.cmd.Wait()
			h.dead = true
			sleep(ctx, time.Second)
			r.logf("restart %s", h.id)
			if err := r.launch(h); err != nil {
				r.logf("restart %s failed: %v", h.id, err)
			}
		case "pause":
			if h.dead || h.stopped {
				continue
			}
			r.logf("SIGSTOP %s", h.id)
			_ = h.cmd.Process.Signal(syscall.SIGSTOP)
			h.stopped = true
			sleep(ctx, 3*time.Second)
			r.logf("SIGCONT %s", h.id)
			_ = h.cmd.Process.Signal(syscall.SIGCONT)
			h.stopped = false
		case "crash":
			// The driver process dies under the host that runs it.
			pid := r.driverPID(h)
			if pid <= 0 {
				continue
			}
			r.logf("kill -9 the driver at %s (pid %d)", h.id, pid)
			_ = syscall.Kill(int(pid), syscall.SIGKILL)
		case "link":
			phone := r.rng.IntN(len(r.phones))
			mode := []string{"drop", "slow"}[r.rng.IntN(2)]
			r.logf("%s the link to phone %d", map[string]string{"drop": "cut", "slow": "delay"}[mode], phone)
			setFault(r.phones[phone], mode)
			sleep(ctx, 3*time.Second)
			setFault(r.phones[phone], "none")
			r.logf("restore the link to phone %d", phone)
			continue
		case "swap":
			cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, err := h.admin.SwapPlugin(cctx, &ctiv1.SwapPluginRequest{Driver: "grandstream", Binary: filepath.Join(r.dir, "plugins", "cti-driver-grandstream")})
			cancel()
			r.logf("swap the driver at %s: %v", h.id, errText(err))
		}
	}
}

// historyLocked lists a call's events, for a violation's report. r.mu is
// held.
func (r *run) historyLocked(key string) string {
	var out []string
	for _, seq := range sortedSeqs(r.seen) {
		ev := r.seen[seq]
		c := ev.GetCallChanged().GetCall()
		kind := "changed"
		if c == nil {
			c, kind = ev.GetCallEnded().GetCall(), "ended"
		}
		if c != nil && callKey(ev.GetDevice(), c) == key {
			out = append(out, fmt.Sprintf("#%d %s %s %s", seq, kind, c.GetCallId(), strings.ToLower(strings.TrimPrefix(c.GetState().String(), "CALL_STATE_"))))
		}
	}
	return strings.Join(out, ", ")
}

// coveredLocked reports whether at falls in a window when the site may
// have had no observing host: less than lease_ttl plus a few seconds
// after a fault the schedule logged. r.mu is held.
func (r *run) coveredLocked(at time.Time) bool {
	for _, f := range r.faultTimes {
		if !at.Before(f.Add(-time.Second)) && at.Sub(f) < 6*time.Second {
			return true
		}
	}
	return false
}

// owner is the host whose driver runs now, or nil.
func (r *run) owner() *host {
	for _, h := range r.hosts {
		if h.dead || h.stopped {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		resp, err := h.admin.ListPlugins(ctx, &ctiv1.ListPluginsRequest{})
		cancel()
		if err == nil && len(resp.GetPlugins()) == 1 && resp.GetPlugins()[0].GetHost() == h.id &&
			resp.GetPlugins()[0].GetState() == ctiv1.DriverState_DRIVER_STATE_RUNNING {
			return h // every host shows where the site runs: only the one running it says itself
		}
	}
	return nil
}

// driverPID is the pid of the driver process h runs, or 0.
func (r *run) driverPID(h *host) int64 {
	if h.dead || h.stopped {
		return 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	resp, err := h.admin.ListPlugins(ctx, &ctiv1.ListPluginsRequest{})
	if err != nil || len(resp.GetPlugins()) != 1 || resp.GetPlugins()[0].GetHost() != h.id {
		return 0
	}
	return resp.GetPlugins()[0].GetPid()
}

// heal brings every host back, and restarts a crash-looping driver as an
// operator would (the schedule's driver kills can put it there).
func (r *run) heal(ctx context.Context) {
	for _, p := range r.phones {
		setFault(p, "none")
	}
	for _, h := range r.hosts {
		if h.dead {
			_ = r.launch(h)
		}
		_ = h.cmd.Process.Signal(syscall.SIGCONT)
	}
	for _, h := range r.hosts {
		if pid := r.driverPID(h); pid == 0 {
			ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			resp, err := h.admin.ListPlugins(ctx, &ctiv1.ListPluginsRequest{})
			if err == nil && len(resp.GetPlugins()) == 1 && resp.GetPlugins()[0].GetHost() == h.id &&
				resp.GetPlugins()[0].GetState() == ctiv1.DriverState_DRIVER_STATE_CRASH_LOOP {
				_, err = h.admin.RestartPlugin(ctx, &ctiv1.RestartPluginRequest{Site: "hq", Driver: "grandstream"})
				r.logf("heal: restart the crash-looping driver at %s: %v", h.id, errText(err))
			}
			cancel()
		}
	}
	_ = r.waitServing(ctx, 30*time.Second)
}

// hangUpAll ends every call at the phones: the ground truth's last word.
func (r *run) hangUpAll() {
	for _, p := range r.phones {
		for line := 1; line <= 8; line++ { // a GXP2135 has 8 lines
			hangup(p, line)
		}
	}
}

// quiesce waits until every call the apps saw has ended there, or d.
func (r *run) quiesce(ctx context.Context, d time.Duration) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if len(r.openAtApps()) == 0 {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// callKey names a call the way apps do: its device and its call id. One
// id names one call: a driver numbers its calls anew in every process, on
// every host, so the host must keep them apart (a cluster's host prefixes
// them per lease and process).
func callKey(device string, c *ctiv1.Call) string {
	return device + " call " + c.GetCallId() + " (" + c.GetRemote().GetNumber() + ")"
}

// openAtApps are the calls the apps saw without their CallEnded.
func (r *run) openAtApps() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	open := map[string]bool{}
	for _, seq := range sortedSeqs(r.seen) {
		ev := r.seen[seq]
		if c := ev.GetCallChanged().GetCall(); c != nil {
			open[callKey(ev.GetDevice(), c)] = true
		}
		if c := ev.GetCallEnded().GetCall(); c != nil {
			delete(open, callKey(ev.GetDevice(), c))
		}
	}
	var out []string
	for k := range open {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedSeqs(m map[uint64]*ctiv1.Event) []uint64 {
	seqs := make([]uint64, 0, len(m))
	for s := range m {
		seqs = append(seqs, s)
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	return seqs
}

// check compares what the apps saw with the ground truth.
func (r *run) check() {
	open := r.openAtApps()
	r.mu.Lock()
	defer r.mu.Unlock()
	rep := r.report
	rep.Rung, rep.Events, rep.Gaps = len(r.calls), len(r.seen), r.gaps
	numbers := map[string]bool{}
	ended := map[string]bool{}
	outOfService := map[string][]time.Time{} // device -> when apps were told it was not observed
	type status struct {
		at time.Time
		up bool
	}
	statuses := map[string][]status{} // device -> its reachability events, in order
	for _, seq := range sortedSeqs(r.seen) {
		ev := r.seen[seq]
		if st := ev.GetDeviceChanged().GetStatus(); st != nil && !st.GetReachable() {
			outOfService[ev.GetDevice()] = append(outOfService[ev.GetDevice()], ev.GetTime().AsTime())
		}
		if st := ev.GetDeviceChanged().GetStatus(); st != nil {
			statuses[ev.GetDevice()] = append(statuses[ev.GetDevice()], status{ev.GetTime().AsTime(), st.GetReachable()})
		}
		if d := ev.GetDriverChanged(); d != nil && ev.GetDevice() == "" {
			// The site's driver went down (crash loop included) or came
			// back: apps know every device of the site unobserved until
			// the driver reports it again.
			var up bool
			switch d.GetState() {
			case ctiv1.DriverState_DRIVER_STATE_DOWN, ctiv1.DriverState_DRIVER_STATE_CRASH_LOOP, ctiv1.DriverState_DRIVER_STATE_STOPPED:
			case ctiv1.DriverState_DRIVER_STATE_RUNNING, ctiv1.DriverState_DRIVER_STATE_RESTARTED, ctiv1.DriverState_DRIVER_STATE_SWAPPED:
				up = true
			default:
				continue
			}
			for n := range r.phones {
				dev := fmt.Sprintf("hq/desk%d", n)
				statuses[dev] = append(statuses[dev], status{ev.GetTime().AsTime(), up})
				if !up {
					outOfService[dev] = append(outOfService[dev], ev.GetTime().AsTime())
				}
			}
		}
		if c := ev.GetCallChanged().GetCall(); c != nil {
			numbers[c.GetRemote().GetNumber()] = true
			if ended[callKey(ev.GetDevice(), c)] {
				rep.Violations = append(rep.Violations, fmt.Sprintf("sequence %d: %s changed after its CallEnded (%s)", seq, callKey(ev.GetDevice(), c), r.historyLocked(callKey(ev.GetDevice(), c))))
			}
		}
		if c := ev.GetCallEnded().GetCall(); c != nil {
			numbers[c.GetRemote().GetNumber()] = true
			if ended[callKey(ev.GetDevice(), c)] {
				rep.Violations = append(rep.Violations, fmt.Sprintf("sequence %d: %s ended twice (%s)", seq, callKey(ev.GetDevice(), c), r.historyLocked(callKey(ev.GetDevice(), c))))
			}
			ended[callKey(ev.GetDevice(), c)] = true
		}
	}
	var missed []string
	for number, c := range r.calls {
		if c.dialed && !c.acked {
			continue // its outcome is unknown to the app: checked by dialsRanLocked
		}
		if numbers[number] {
			rep.Seen++
			continue
		}
		// A call that rang and ended while no host observed its phone is
		// covered when the apps knew the device was out of service when
		// it rang (its link was down), or were told so later, in a
		// fault's window (the host running the site died and its lease
		// had not expired yet): the announced gap of that device.
		dev := fmt.Sprintf("hq/desk%d", c.phone)
		downAtRing := false
		for _, st := range statuses[dev] {
			if st.at.After(c.rang) {
				break
			}
			downAtRing = !st.up
		}
		if downAtRing || slices.ContainsFunc(outOfService[dev], func(at time.Time) bool { return at.After(c.rang) }) && r.coveredLocked(c.rang) {
			rep.Covered++
			continue
		}
		missed = append(missed, fmt.Sprintf("%s (phone %d, rang %s; %s's status then: %s)", number, c.phone, c.rang.Format("15:04:05.000"), dev, r.statusesLocked(dev, c.rang.Add(-2*time.Second), c.rang.Add(6*time.Second))))
	}
	sort.Strings(missed)
	if len(missed) > 0 && r.gaps == 0 {
		rep.Violations = append(rep.Violations, fmt.Sprintf("%d calls rang at the phones but never reached the apps, with no Gap or out-of-service announced: %s", len(missed), strings.Join(first(missed, 5), ", ")))
	}
	for _, k := range open {
		rep.Violations = append(rep.Violations, "a call still active at the apps after every phone hung up: "+k+" ("+r.historyLocked(k)+")")
	}
	rep.Violations = append(rep.Violations, r.dialsRanLocked()...)
}

// statusesLocked lists a device's status events between from and to, for a
// violation's report. r.mu is held.
func (r *run) statusesLocked(dev string, from, to time.Time) string {
	var out []string
	for _, seq := range sortedSeqs(r.seen) {
		ev := r.seen[seq]
		st := ev.GetDeviceChanged().GetStatus()
		if at := ev.GetTime().AsTime(); st == nil || ev.GetDevice() != dev || at.Before(from) || at.After(to) {
			continue
		}
		state := "reachable"
		if !st.GetReachable() {
			state = "unreachable " + strconv.Quote(st.GetDetail())
		}
		out = append(out, fmt.Sprintf("#%d %s %s", seq, ev.GetTime().AsTime().Format("15:04:05.000"), state))
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

// dialsRanLocked checks every Dial against the phones' own request logs:
// the keys of its number were sent at most once, and exactly once when
// the app was told the Dial succeeded. r.mu is held.
func (r *run) dialsRanLocked() []string {
	sent := map[string]int{} // number -> api-send_key requests that typed it
	for _, p := range r.phones {
		for _, req := range requests(p) {
			path, query, _ := strings.Cut(req, "?")
			if path != "/cgi-bin/api-send_key" {
				continue
			}
			q, err := url.ParseQuery(query)
			if err != nil {
				continue
			}
			var digits strings.Builder
			for _, k := range strings.Split(q.Get("keys"), ":") {
				if len(k) == 1 && k[0] >= '0' && k[0] <= '9' {
					digits.WriteString(k)
				}
			}
			sent[digits.String()]++
		}
	}
	var out []string
	for number, c := range r.calls {
		if !c.dialed {
			continue
		}
		if c.acked {
			r.report.Dials++
		}
		switch n := sent[number]; {
		case n > 1:
			out = append(out, fmt.Sprintf("the Dial of %s reached phone %d %d times", number, c.phone, n))
		case n == 0 && c.acked:
			out = append(out, fmt.Sprintf("the Dial of %s was acknowledged but never reached phone %d", number, c.phone))
		}
	}
	sort.Strings(out)
	return out
}

func first(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], "…")
	}
	return s
}

func (r *run) print() {
	w := r.o.Out
	if w == nil {
		return
	}
	rep := r.report
	fmt.Fprintf(w, "schedule (%d faults):\n", len(rep.Schedule))
	for _, s := range rep.Schedule {
		fmt.Fprintln(w, "  "+s)
	}
	fmt.Fprintf(w, "calls rung or dialled %d, reached the apps %d, rang while their phone was announced out of service %d; events %d; gaps %d; commands %d (%d failed, %d acknowledged Dials checked at the phones)\n",
		rep.Rung, rep.Seen, rep.Covered, rep.Events, rep.Gaps, rep.Commands, rep.CommandErr, rep.Dials)
	if len(rep.Failures) > 0 {
		var fs []string
		for k, n := range rep.Failures {
			fs = append(fs, fmt.Sprintf("  %s %d, e.g. %q", k, n, rep.Examples[k]))
		}
		sort.Strings(fs)
		fmt.Fprintf(w, "failed commands:\n%s\n", strings.Join(fs, "\n"))
	}
	if len(rep.Violations) == 0 {
		fmt.Fprintln(w, "no violation")
		return
	}
	fmt.Fprintf(w, "%d violations:\n", len(rep.Violations))
	for _, v := range rep.Violations {
		fmt.Fprintln(w, "  "+v)
	}
}

func (r *run) stopAll() {
	for _, h := range r.hosts {
		if h.cmd != nil && h.cmd.Process != nil {
			_ = h.cmd.Process.Signal(syscall.SIGCONT)
			_ = h.cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan struct{})
			go func() { _ = h.cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				_ = h.cmd.Process.Kill()
			}
		}
		if h.conn != nil {
			h.conn.Close()
		}
	}
	if r.gssim != nil && r.gssim.Process != nil {
		_ = r.gssim.Process.Kill()
		_ = r.gssim.Wait()
	}
}

func ring(phone, number string) (int, error) {
	resp, err := http.Post("http://"+phone+"/sim/ring?number="+number+"&name=Chaos", "", nil)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var out struct {
		Line int `json:"line"`
	}
	if resp.StatusCode != 200 || json.NewDecoder(bufio.NewReader(resp.Body)).Decode(&out) != nil {
		return 0, fmt.Errorf("ring: %s", resp.Status)
	}
	return out.Line, nil
}

// lineOf is the phone's line whose remote party is number, or 0.
func lineOf(phone, number string) int {
	resp, err := http.Get("http://" + phone + "/sim/state")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	var st struct {
		Lines map[string][]struct {
			Line         int    `json:"line"`
			RemoteNumber string `json:"remote_number"`
		} `json:"lines"`
	}
	if json.NewDecoder(resp.Body).Decode(&st) != nil {
		return 0
	}
	for _, l := range st.Lines["0"] {
		if l.RemoteNumber == number {
			return l.Line
		}
	}
	return 0
}

// requests is the phone's log of the CGI requests it served.
func requests(phone string) []string {
	resp, err := http.Get("http://" + phone + "/sim/requests")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var out []string
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return out
}

// setFault makes the simulated phone misbehave (gssim fault modes).
func setFault(phone, mode string) {
	resp, err := http.Post("http://"+phone+"/sim/fault?mode="+mode, "", nil)
	if err == nil {
		resp.Body.Close()
	}
}

func hangup(phone string, line int) {
	resp, err := http.Post(fmt.Sprintf("http://%s/sim/hangup?line=%d", phone, line), "", nil)
	if err == nil {
		resp.Body.Close()
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func errText(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}
