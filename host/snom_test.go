package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctihost/ctihost/plugins/snom/snomsim"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// Snom tests: the real host runs the Snom driver against a simulated
// phone whose events come as action URLs through the host's callback
// listener.

// startSnomHost runs a simulated D785 (its HTTP password the test's
// secret passcode) and a host with a callback listener serving it as
// office/desk.
func startSnomHost(t *testing.T, hostExtra ...string) (*runningHost, *snomsim.Phone, string) {
	t.Helper()
	phone, err := snomsim.New(snomsim.Options{Model: "D785", Firmware: "10.1.54.13", User: "admin", Password: secretPasscode})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(phone.Close)
	srv := httptest.NewServer(phone)
	t.Cleanup(srv.Close)
	listen, callbacks := freeAddr(t), reservedAddr(t)
	cfg := fmt.Sprintf(`host {
  listen          = %q
  plugin_dir      = %q
  callback_listen = %q
%s
}
plugin "snom" {}
site "office" {
  device "desk" {
    driver   = "snom"
    model    = "D785"
    host     = %q
    username = "admin"
    password = env("IT_PASSCODE")
  }
}
`, listen, filepath.Join(binDir, "plugins"), callbacks, strings.Join(hostExtra, "\n"), srv.URL)
	path := filepath.Join(t.TempDir(), "config.hcl")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	h := runHost(t, listen, path, 1)
	waitFor(t, 20*time.Second, "the phone provisioned, its callbacks proved", func() bool {
		st, err := h.host.GetDeviceState(context.Background(), &ctiv1.GetDeviceStateRequest{Device: "office/desk"})
		return err == nil && st.GetStatus().GetReachable() && provisioned(phone, callbacks)
	})
	return h, phone, callbacks
}

// provisioned reports whether the phone's action URLs point at the host's
// callback listener and its firewall test reached it.
func provisioned(phone *snomsim.Phone, callbacks string) bool {
	if !strings.Contains(phone.Settings()["action_incoming_url"], callbacks) {
		return false
	}
	for _, cb := range phone.Callbacks() {
		if cb.Event == snomsim.ActionFirewallTest && cb.Status == http.StatusNoContent {
			return true
		}
	}
	return false
}

func TestSnomCallRingsAppsThroughTheCallbackListener(t *testing.T) {
	metrics := reservedAddr(t)
	h, phone, callbacks := startSnomHost(t, fmt.Sprintf("  metrics = %q", metrics))
	ev := watch(t, h, &ctiv1.WatchEventsRequest{FromSequence: 1, Sites: []string{"office"}, Kinds: []ctiv1.EventKind{ctiv1.EventKind_EVENT_KIND_CALL}})
	began := time.Now()
	if _, err := phone.RingIn("sip:5551234@pbx.example.com", "Ada Lovelace"); err != nil {
		t.Fatal(err)
	}
	ringing := ev.waitEvent(t, "the call ringing at an app", callIn("office/desk", ctiv1.CallState_CALL_STATE_RINGING))
	took := time.Since(began)
	t.Logf("ring -> action URL -> host -> plugin -> app: %s", took.Round(time.Microsecond))
	if c := ringing.GetCallChanged().GetCall(); c.GetDirection() != ctiv1.CallDirection_CALL_DIRECTION_INBOUND || !strings.Contains(c.GetRemote().GetNumber(), "5551234") {
		t.Errorf("ringing call %v: want inbound from 5551234", c)
	}

	// A forged callback (the phone's path, another token) is refused and
	// counted, and never becomes an event.
	url := phone.Settings()["action_incoming_url"]
	if i := strings.Index(url, "?"); i > 0 {
		url = url[:i]
	}
	code, _ := get(t, "GET", url+"?token=forged&csta_id=-99&remote=6666", nil)
	if code != http.StatusForbidden && code != http.StatusNotFound {
		t.Errorf("a forged callback answered %d, want 403", code)
	}
	if got := scrape(t, h, metrics, `ctihost_callbacks_total{driver="snom",result="refused"}`); got != "1" {
		t.Errorf("refused Snom callbacks counted %q, want 1", got)
	}
	for _, e := range ev.snapshot() {
		if strings.Contains(e.GetCallChanged().GetCall().GetRemote().GetNumber(), "6666") {
			t.Errorf("a forged callback became an event: %v", e)
		}
	}
	if !strings.Contains(url, callbacks) {
		t.Errorf("the phone calls %s, not the host's listener %s", url, callbacks)
	}
	// And the call goes on: answered from the app, hung up by the caller.
	if _, err := h.host.Answer(context.Background(), &ctiv1.CallRequest{Device: "office/desk", CallId: ringing.GetCallChanged().GetCall().GetCallId()}); err != nil {
		t.Fatal(err)
	}
	ev.waitEvent(t, "the call connected", callIn("office/desk", ctiv1.CallState_CALL_STATE_CONNECTED))
	if err := phone.RemoteHangup(""); err != nil {
		t.Fatal(err)
	}
	ev.waitEvent(t, "the call ended", func(e *ctiv1.Event) bool { return e.GetDevice() == "office/desk" && e.GetCallEnded() != nil })
}

// A hot swap of the Snom driver loses no callback: calls that ring while
// the new binary takes over reach apps.
func TestSnomHotSwapLosesNoCallback(t *testing.T) {
	h, phone, _ := startSnomHost(t)
	ev := watch(t, h, &ctiv1.WatchEventsRequest{FromSequence: 1, Sites: []string{"office"}, Kinds: []ctiv1.EventKind{ctiv1.EventKind_EVENT_KIND_CALL}})
	swapped := make(chan error, 1)
	go func() {
		_, err := h.admin.SwapPlugin(context.Background(), &ctiv1.SwapPluginRequest{Driver: "snom", Binary: filepath.Join(binDir, "plugins", "cti-driver-snom")})
		swapped <- err
	}()
	const calls = 10
	for n := range calls {
		if _, err := phone.RingIn(fmt.Sprintf("sip:55500%02d@pbx.example.com", n), "Caller"); err != nil {
			t.Fatal(err)
		}
		if err := phone.RemoteHangup(""); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond) // spread the calls over the swap
	}
	if err := <-swapped; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := phone.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for _, cb := range phone.Callbacks() {
		if cb.Status != http.StatusNoContent && cb.Status != http.StatusOK {
			t.Errorf("callback %s answered %d during the swap", cb.Event, cb.Status)
		}
	}
	for n := range calls {
		from := fmt.Sprintf("55500%02d", n)
		ev.waitEvent(t, "the call from "+from+" seen by apps", func(e *ctiv1.Event) bool {
			return e.GetDevice() == "office/desk" && strings.Contains(e.GetCallChanged().GetCall().GetRemote().GetNumber(), from)
		})
	}
}
