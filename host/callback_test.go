package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// Callback tests: the host's callback listener hands devices' requests to
// the instance their path names (the buggy driver accepts its devices'
// tokens and refuses the rest), bounded, counted, and through a hot swap.

// get sends one callback and returns its status and body.
func get(t *testing.T, method, url string, body io.Reader) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestCallbacksReachTheServingDriverAndForgeriesAreCounted(t *testing.T) {
	callbacks, metrics := reservedAddr(t), reservedAddr(t)
	h := startBuggyHost(t, fmt.Sprintf("callback_listen = %q", callbacks), fmt.Sprintf("metrics = %q", metrics))
	base := "http://" + callbacks + "/cb/buggy/s/hq/"

	for _, tc := range []struct {
		name, method, url string
		body              io.Reader
		want              int
		wantBody          string
	}{
		{"a device's callback", "GET", base + "desk/incoming?token=" + buggyToken + "&remote=5551234", nil, 200, "ok desk/incoming"},
		{"a forged one", "GET", base + "desk/incoming?token=forged", nil, 403, ""},
		{"a posted one", "POST", base + "desk?token=" + buggyToken, strings.NewReader("state=ringing"), 200, "ok desk"},
		{"another site's path", "GET", "http://" + callbacks + "/cb/buggy/s/branch/desk?token=" + buggyToken, nil, 404, ""},
		{"a driver that takes none", "GET", "http://" + callbacks + "/cb/grandstream/s/branch/x", nil, 404, ""},
		{"no such path", "GET", "http://" + callbacks + "/admin", nil, 404, ""},
		{"a body beyond 64 KiB", "POST", base + "desk?token=" + buggyToken, strings.NewReader(strings.Repeat("x", 65<<10)), 413, ""},
		{"a query beyond 8 KiB", "GET", base + "desk?token=" + buggyToken + "&pad=" + strings.Repeat("x", 9<<10), nil, 414, ""},
		{"a method a device never uses", "DELETE", base + "desk?token=" + buggyToken, nil, 405, ""},
	} {
		code, body := get(t, tc.method, tc.url, tc.body)
		if code != tc.want || (tc.wantBody != "" && body != tc.wantBody) {
			t.Errorf("%s: %d %q, want %d %q", tc.name, code, body, tc.want, tc.wantBody)
		}
	}
	if got := scrape(t, h, metrics, `ctihost_callbacks_total{driver="buggy",result="refused"}`); got != "1" {
		t.Errorf("refused callbacks counted %q, want 1: the forged one", got)
	}
	if got := scrape(t, h, metrics, `ctihost_callbacks_total{driver="",result="unknown"}`); got != "2" {
		t.Errorf("callbacks to no instance counted %q, want 2", got)
	}
	if got := scrape(t, h, metrics, `ctihost_callbacks_total{driver="buggy",result="delivered"}`); got != "2" {
		t.Errorf("delivered callbacks counted %q, want 2", got)
	}
	if strings.Contains(h.stderr.String(), buggyToken) {
		t.Error("a device's callback token appears in the host's log")
	}
}

// A hot swap of the driver loses no callback: the listener hands each one
// to whichever process serves the instance at that moment.
func TestHotSwapLosesNoCallback(t *testing.T) {
	v2 := buildBuggy(t, "2.0.0", "")
	callbacks := reservedAddr(t)
	h := startBuggyHost(t, fmt.Sprintf("callback_listen = %q", callbacks))
	url := "http://" + callbacks + "/cb/buggy/s/hq/desk/incoming?token=" + buggyToken
	var sent, failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 10 * time.Second}
			for {
				select {
				case <-stop:
					return
				default:
				}
				sent.Add(1)
				resp, err := client.Get(url)
				if err != nil || resp.StatusCode != http.StatusOK {
					failed.Add(1)
					t.Errorf("callback during the swap: %v %v", resp.StatusCode, err)
				}
				if resp != nil {
					resp.Body.Close()
				}
			}
		}()
	}
	waitFor(t, 5*time.Second, "callbacks flowing", func() bool { return sent.Load() > 20 })
	if _, err := h.admin.SwapPlugin(context.Background(), &ctiv1.SwapPluginRequest{Driver: "buggy", Binary: v2}); err != nil {
		t.Fatal(err)
	}
	before := sent.Load()
	waitFor(t, 5*time.Second, "callbacks after the swap", func() bool { return sent.Load() > before+20 })
	close(stop)
	wg.Wait()
	if failed.Load() != 0 || buggyStatus(t, h).GetVersion() != "2.0.0" {
		t.Errorf("%d of %d callbacks failed; version now %s", failed.Load(), sent.Load(), buggyStatus(t, h).GetVersion())
	}
	t.Logf("%d callbacks, none lost, across the swap", sent.Load())
}
