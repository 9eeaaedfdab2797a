package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ctihost/ctihost/plugins/grandstream/gssim"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// Hostile input: configuration files that used to crash or wedge the host,
// and API requests that used to echo or count without bound.

// A reload of a nesting bomb, of a file() naming a FIFO or of a multi-line
// file in a plain setting is refused while the host serves on, and SIGTERM
// still stops it at once.
func TestHostileConfigReloadsAreRefusedAndTheHostServesOn(t *testing.T) {
	phone := newPhone(t, "reception", "GXP2135")
	listen := freeAddr(t)
	path := writeConfig(t, listen, map[string][]*testPhone{"hq": {phone}})
	h := runHost(t, listen, path, 1)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	hostile := map[string]string{
		"nesting bomb": "host {\n  listen = " + strings.Repeat("[", 70_000) + "\n}\n",
		"fifo":         strings.Replace(string(good), `env("IT_PASSCODE")`, fmt.Sprintf("file(%q)", fifo), 1),
		"passwd":       strings.Replace(string(good), `host = "`, `host = file("/etc/passwd") # "`, 1),
		"environ":      strings.Replace(string(good), `env("IT_PASSCODE")`, `file("/proc/self/environ")`, 1),
	}
	for _, name := range []string{"nesting bomb", "fifo", "passwd", "environ"} {
		refusals := strings.Count(h.stderr.String(), "config reload refused")
		if err := os.WriteFile(path, []byte(hostile[name]), 0o600); err != nil {
			t.Fatal(err)
		}
		h.cmd.Process.Signal(syscall.SIGHUP)
		waitFor(t, 10*time.Second, name+" refused", func() bool {
			return strings.Count(h.stderr.String(), "config reload refused") > refusals
		})
		if _, err := h.host.GetDeviceState(context.Background(), &ctiv1.GetDeviceStateRequest{Device: "hq/reception"}); err != nil {
			t.Errorf("after the %s reload the host does not serve: %v", name, err)
		}
	}
	if log := h.stderr.String(); strings.Contains(log, "root:x:0") || strings.Contains(log, "IT_PASSCODE=") {
		t.Errorf("a file's content reached the log")
	}
	began := time.Now()
	h.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-h.done:
	case <-time.After(10 * time.Second):
		t.Fatal("SIGTERM did not stop the host after hostile reloads")
	}
	t.Logf("stopped %s after SIGTERM", time.Since(began).Round(time.Millisecond))
}

// -check and -config refuse, quickly and without crashing, what used to
// overflow the stack or fill the memory.
func TestHostileConfigFilesAreRefusedAtStart(t *testing.T) {
	dir := t.TempDir()
	bomb := filepath.Join(dir, "bomb.hcl")
	if err := os.WriteFile(bomb, []byte("host {\n  listen = "+strings.Repeat("[", 70_000)+"\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.hcl")
	if err := os.WriteFile(big, bytes.Repeat([]byte("# padding padding padding padding padding padding padding\n"), 12<<20/58), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{bomb, big, "/dev/zero"} {
		var stderr bytes.Buffer
		cmd := exec.Command(filepath.Join(binDir, "ctihost"), "-check", "-config", path)
		cmd.Stderr = &stderr
		began := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("-check -config %s did not finish within 10s", path)
		}
		if code := cmd.ProcessState.ExitCode(); code != 1 || strings.Contains(stderr.String(), "goroutine ") {
			t.Errorf("-check -config %s: exit %d after %s, want 1 with diagnostics:\n%.2000s", path, code, time.Since(began), stderr.String())
		}
	}
}

// Echoes and counters are bounded: a huge device reference comes back as a
// short message, and a from_sequence far ahead counts no lost events.
func TestHostileRequestsGetBoundedAnswers(t *testing.T) {
	metricsAddr := reservedAddr(t)
	h := startHost(t, map[string][]*testPhone{"hq": {newPhone(t, "reception", "GXP2135")}}, fmt.Sprintf("metrics = %q", metricsAddr))
	ctx := context.Background()
	_, err := h.host.Hold(ctx, &ctiv1.CallRequest{Device: "hq/" + strings.Repeat("x", 900<<10), CallId: "1"})
	if status.Code(err) != codes.InvalidArgument || len(err.Error()) > 400 {
		t.Errorf("a 900 KB device reference: %d bytes of %v", len(err.Error()), status.Code(err))
	}
	// 3.9 MB: beyond the request limit, refused by gRPC before any handler.
	_, err = h.host.Hold(ctx, &ctiv1.CallRequest{Device: "hq/" + strings.Repeat("x", 3900<<10), CallId: "1"})
	if status.Code(err) != codes.ResourceExhausted || len(err.Error()) > 400 {
		t.Errorf("a 3.9 MB device reference: %d bytes of %v", len(err.Error()), status.Code(err))
	}
	_, err = h.host.Hold(ctx, &ctiv1.CallRequest{Device: strings.Repeat("y", 300) + "/desk", CallId: "1"})
	if status.Code(err) != codes.NotFound || len(err.Error()) > 400 {
		t.Errorf("an unknown 300-byte site: %d bytes of %v", len(err.Error()), status.Code(err))
	}

	stream, err := h.host.WatchEvents(ctx, &ctiv1.WatchEventsRequest{FromSequence: math.MaxUint64})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := stream.Recv()
	if err != nil || ev.GetGap() == nil {
		t.Fatalf("want a Gap first, got %v %v", ev, err)
	}
	waitFor(t, 5*time.Second, "metrics", func() bool { return scrape(t, h, metricsAddr, "ctihost_event_subscribers") == "1" })
	if got := scrape(t, h, metricsAddr, `ctihost_events_dropped_total{reason="gap"}`); got != "" && got != "0" {
		t.Errorf("a from_sequence beyond the host's counted %s lost events", got)
	}
}

// A flood of commands to one phone is bounded by its queue and refused
// beyond it with a retry hint, while another phone's commands go through.
func TestCommandFloodToOneDeviceNeverStarvesAnother(t *testing.T) {
	sim, err := gssim.New(gssim.Options{Model: "GXP2135", Passcode: secretPasscode, SlowDelay: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	slow := &testPhone{name: "slow", model: "GXP2135", sim: sim, srv: srv}
	quick := newPhone(t, "quick", "GXP2135")
	h := startHost(t, map[string][]*testPhone{"hq": {slow, quick}})
	sim.SetFault(gssim.FaultSlow) // 300 ms per request from now on
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	var exhausted, ok atomic.Int64
	var floodDone atomic.Int64 // UnixNano of the last flood command's answer
	var wg sync.WaitGroup
	for range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := h.host.SendKeys(ctx, &ctiv1.SendKeysRequest{Device: "hq/slow", Keys: []string{"VUP"}})
			switch status.Code(err) {
			case codes.ResourceExhausted:
				if !strings.Contains(err.Error(), "retry in") {
					t.Errorf("refusal without a retry hint: %v", err)
				}
				exhausted.Add(1)
			case codes.OK:
				ok.Add(1)
			}
			for now, last := time.Now().UnixNano(), floodDone.Load(); now > last && !floodDone.CompareAndSwap(last, now); last = floodDone.Load() {
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	began := time.Now()
	for range 5 {
		if _, err := h.host.SendKeys(ctx, &ctiv1.SendKeysRequest{Device: "hq/quick", Keys: []string{"VUP"}}); err != nil {
			t.Errorf("the other phone's command failed during the flood: %v", err)
		}
	}
	quickDone := time.Now()
	wg.Wait()
	if exhausted.Load() == 0 || exhausted.Load()+ok.Load() != 60 {
		t.Errorf("of 60 flooding commands %d went through and %d were refused; want some refused and the rest served", ok.Load(), exhausted.Load())
	}
	// The slow phone's backlog (20 commands of 300 ms, 4 at a time) lasts
	// about 1.5 s; the other phone's commands waited for none of it.
	if last := time.Unix(0, floodDone.Load()); !quickDone.Before(last) {
		t.Errorf("the other phone's 5 commands finished %s after the flood's last one: they waited behind it", quickDone.Sub(last))
	}
	t.Logf("flood: %d served, %d refused; 5 commands to the other phone took %s", ok.Load(), exhausted.Load(), quickDone.Sub(began))
}
