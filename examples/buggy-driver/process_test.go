package buggy_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"

	buggy "github.com/ctihost/ctihost/examples/buggy-driver"
)

// TestStartFaults builds each start-up fault variant and starts it the way
// the host does, with a short start timeout: the broken ones fail to start
// with an error that names the cause, within the timeout, and slowstart
// starts when the timeout allows it.
func TestStartFaults(t *testing.T) {
	t.Parallel()
	modes := []string{buggy.StartStdout, buggy.StartNoHandshake, buggy.StartExit, buggy.StartSlow}
	bins := map[string]string{}
	var (
		wg sync.WaitGroup
		mu sync.Mutex
	)
	for _, mode := range modes {
		wg.Go(func() {
			path, err := buildDriver("cti-driver-buggy-"+mode, "-X main.startFault="+mode)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Error(err)
			}
			bins[mode] = path
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	const short = 2 * time.Second
	tests := []struct {
		name    string
		mode    string
		timeout time.Duration
		starts  bool
		errSays string // what the start error must say
		stderr  string // what the process must have written to stderr
		fast    bool   // the failure is seen at once, not by the timeout
	}{
		{"stdout before the handshake is refused", buggy.StartStdout, short, false, "hello from a chatty plugin", "", true},
		{"no handshake times out", buggy.StartNoHandshake, short, false, "timeout while waiting for plugin to start", "", false},
		// go-plugin words it "plugin exited before we could connect" or
		// "Failed to read any lines from plugin's stdout", whichever it
		// notices first; the cause is on stderr.
		{"exit before serving is reported", buggy.StartExit, short, false, "start driver: ", "buggy: cannot start: missing licence\n", true},
		{"slow start beyond the timeout times out", buggy.StartSlow, short, false, "timeout while waiting for plugin to start", "", false},
		{"slow start within the timeout starts", buggy.StartSlow, 10 * time.Second, true, "", "", false},
	}
	// Start them all at once: most of the time is spent waiting, and
	// parallel subtests would wait for a free slot (-parallel) instead.
	type result struct {
		p    *process
		err  error
		took time.Duration
	}
	results := make([]result, len(tests))
	for i, tt := range tests {
		wg.Go(func() {
			began := time.Now()
			p, err := launch(t, bins[tt.mode], tt.timeout)
			took := time.Since(began)
			if err != nil {
				p.client.Kill() // waits for go-plugin to have read all of stderr
			}
			results[i] = result{p, err, took}
		})
	}
	wg.Wait()
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err, took := results[i].p, results[i].err, results[i].took
			t.Logf("start took %v: %v", took.Round(time.Millisecond), err)
			if tt.starts {
				if err != nil {
					t.Fatalf("start failed: %v\nstderr:\n%s", err, p.stderr)
				}
				info, err := p.driver.GetInfo(t.Context(), &ctiv1.GetInfoRequest{})
				if err != nil || info.GetName() != buggy.Name {
					t.Fatalf("GetInfo = %v, %v", info, err)
				}
				return
			}
			if err == nil {
				t.Fatal("the driver started")
			}
			if !strings.Contains(err.Error(), tt.errSays) {
				t.Errorf("error %q does not say %q", err, tt.errSays)
			}
			if !strings.Contains(p.stderr.String(), tt.stderr) {
				t.Errorf("stderr %q does not hold %q", p.stderr, tt.stderr)
			}
			if limit := tt.timeout + time.Second; took > limit || (tt.fast && took >= tt.timeout) {
				t.Errorf("the failure took %v with a start timeout of %v", took, tt.timeout)
			}
		})
	}
}

// TestVersionIsSetAtBuildTime builds a 2.0.0 binary, as a swap test would.
func TestVersionIsSetAtBuildTime(t *testing.T) {
	t.Parallel()
	path, err := buildDriver("cti-driver-buggy-2.0.0", "-X github.com/ctihost/ctihost/examples/buggy-driver.Version=2.0.0")
	if err != nil {
		t.Fatal(err)
	}
	for bin, want := range map[string]string{driverBinary: "1.0.0", path: "2.0.0"} {
		p, err := launch(t, bin, 10*time.Second)
		if err != nil {
			t.Fatalf("start %s: %v", bin, err)
		}
		info, err := p.driver.GetInfo(t.Context(), &ctiv1.GetInfoRequest{})
		if err != nil || info.GetVersion() != want {
			t.Errorf("%s: GetInfo = %v, %v; want version %s", bin, info, err, want)
		}
	}
}

// configured starts the normal driver with one simulated phone "desk".
func configured(t *testing.T) *process {
	t.Helper()
	p, err := launch(t, driverBinary, 10*time.Second)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	_, devices := phones(t, "desk")
	if _, err := p.driver.Configure(t.Context(), &ctiv1.ConfigureRequest{Site: "lab", Devices: devices}); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	return p
}

func press(ctx context.Context, p *process, key string) error {
	_, err := p.driver.SendKeys(ctx, &ctiv1.SendKeysRequest{Device: "desk", Keys: []string{key}})
	return err
}

func shortCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	t.Cleanup(cancel)
	return ctx
}

// TestProcessFaults presses the faults that need a real process: the ones
// that end it, and hangs seen from the host's side of the connection.
func TestProcessFaults(t *testing.T) {
	t.Parallel()
	t.Run("panic crashes the process", func(t *testing.T) {
		t.Parallel()
		p := configured(t)
		err := press(t.Context(), p, buggy.FaultPanic)
		t.Logf("SendKeys(FAULT_PANIC): %v", err) // OK or UNAVAILABLE: the crash races the answer
		p.exited(t)
		if !strings.Contains(p.stderr.String(), `panic: buggy: FAULT_PANIC pressed on device "desk"`) {
			t.Errorf("stderr has no panic:\n%s", p.stderr)
		}
		if !strings.Contains(p.log.String(), "exit status 2") {
			t.Errorf("go-plugin did not log exit status 2:\n%s", p.log)
		}
	})
	t.Run("exit ends the process with status 3", func(t *testing.T) {
		t.Parallel()
		p := configured(t)
		if err := press(t.Context(), p, buggy.FaultExit); status.Code(err) != codes.Unavailable {
			t.Errorf("SendKeys(FAULT_EXIT) = %v, want UNAVAILABLE: the process is gone", err)
		}
		p.exited(t)
		if !strings.Contains(p.stderr.String(), "buggy: exiting on request\n") {
			t.Errorf("stderr has no exit notice:\n%s", p.stderr)
		}
		if !strings.Contains(p.log.String(), "exit status 3") {
			t.Errorf("go-plugin did not log exit status 3:\n%s", p.log)
		}
	})
	t.Run("hang holds one call, hang all wedges the driver until reset", func(t *testing.T) {
		t.Parallel()
		p := configured(t)
		if err := press(shortCtx(t), p, buggy.FaultHang); status.Code(err) != codes.DeadlineExceeded {
			t.Errorf("SendKeys(FAULT_HANG) = %v, want DEADLINE_EXCEEDED", err)
		}
		if _, err := p.driver.GetDeviceState(shortCtx(t), &ctiv1.GetDeviceStateRequest{Device: "desk"}); err != nil {
			t.Errorf("GetDeviceState beside a hung SendKeys: %v", err)
		}

		if err := press(shortCtx(t), p, buggy.FaultHangAll); err != nil {
			t.Fatalf("SendKeys(FAULT_HANG_ALL): %v", err)
		}
		if _, err := p.driver.GetInfo(shortCtx(t), &ctiv1.GetInfoRequest{}); status.Code(err) != codes.DeadlineExceeded {
			t.Errorf("GetInfo while wedged = %v, want DEADLINE_EXCEEDED", err)
		}
		if _, err := p.driver.Hold(shortCtx(t), &ctiv1.CallRequest{Device: "desk", CallId: "1-1"}); status.Code(err) != codes.DeadlineExceeded {
			t.Errorf("Hold while wedged = %v, want DEADLINE_EXCEEDED", err)
		}
		// The SDK's guard answers for undeclared capabilities itself.
		if _, err := p.driver.Park(shortCtx(t), &ctiv1.ParkRequest{Device: "desk", CallId: "1-1"}); status.Code(err) != codes.Unimplemented {
			t.Errorf("Park while wedged = %v, want UNIMPLEMENTED from the guard", err)
		}
		if err := press(shortCtx(t), p, buggy.FaultReset); err != nil {
			t.Fatalf("SendKeys(FAULT_RESET) while wedged: %v", err)
		}
		if _, err := p.driver.GetInfo(shortCtx(t), &ctiv1.GetInfoRequest{}); err != nil {
			t.Errorf("GetInfo after reset: %v", err)
		}
	})
	t.Run("flood is not cut off", func(t *testing.T) {
		t.Parallel()
		p := configured(t)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel() // ends the stream, and with it the rest of the flood
		stream, err := p.driver.WatchEvents(ctx, &ctiv1.WatchEventsRequest{})
		if err != nil {
			t.Fatalf("WatchEvents: %v", err)
		}
		if _, err := stream.Recv(); err != nil { // the initial picture: the stream is open
			t.Fatalf("Recv: %v", err)
		}
		if err := press(t.Context(), p, buggy.FaultFlood); err != nil {
			t.Fatalf("SendKeys(FAULT_FLOOD): %v", err)
		}
		// Five times what an sdk.Broadcaster lets a stream lag behind
		// before it ends it: the flood comes at the pace the host reads.
		// (faults_internal_test.go counts a whole flood, in process.)
		const want = 5 * 4096
		began := time.Now()
		for flood := 0; flood < want; {
			ev, err := stream.Recv()
			if err != nil {
				t.Fatalf("Recv after %d flood events: %v", flood, err)
			}
			if strings.HasPrefix(ev.GetCallChanged().GetCall().GetCallId()+ev.GetCallEnded().GetCall().GetCallId(), "flood-") {
				flood++
			}
		}
		t.Logf("%d flood events received in %v", want, time.Since(began).Round(time.Millisecond))
	})
}
