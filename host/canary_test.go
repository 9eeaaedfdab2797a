package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/ctihost/ctihost/examples/driver-template/acmesim"
	"github.com/ctihost/ctihost/plugins/grandstream/gssim"
	"github.com/ctihost/ctihost/plugins/ipoffice/ipofficesim"
	"github.com/ctihost/ctihost/plugins/mirta/mirtasim"
	"github.com/ctihost/ctihost/plugins/snom/snomsim"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// The canary: recognisable secrets in every kind of secret the host holds
// (a device passcode from env(), a driver token from file(), a PBX service
// user's password in a connection block, client tokens, the local token),
// driven through normal use, device failures, a PBX that refuses the
// login, a driver that leaks its secrets on purpose, a crash, a swap, a
// reload and a shutdown. Then every log line, audit line, error, Admin
// answer, event, metric and plugin environment is searched: none may hold
// a secret.
func TestCanarySecretsNeverLeave(t *testing.T) {
	const (
		fileToken    = "Canary-FileToken-5b2e7c"
		clientToken  = "Canary-ClientToken-8d41aa0f"
		ipoUser      = "svc-cti"
		ipoPassword  = "Canary-IPOfficePass-3c9e71"
		snomPassword = "Canary-SnomPass-77f0d2"
		// With characters URL escaping changes: the key travels in a query.
		mirtaKey = "Canary+MiRTA/Key=4f18aa"
		// A webhook's and an ask screening's signing secrets.
		webhookSecret = "Canary-WebhookSecret-0d7e21"
		screenSecret  = "Canary-ScreenSecret-6a90bc"
	)
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "acme.token")
	if err := os.WriteFile(tokenFile, []byte(fileToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	acme := httptest.NewServer(acmesim.NewPhone(fileToken, 2))
	t.Cleanup(acme.Close)
	// An IP Office whose service user's password is a canary: the driver
	// sends it in every websocket handshake, as Basic authorization.
	ipo := ipofficesim.New(ipofficesim.Options{
		Username: ipoUser, Password: ipoPassword,
		Users:  []ipofficesim.UserSpec{{Extension: "201", Name: "Alice"}, {Extension: "202", Name: "Bob"}},
		Queues: []ipofficesim.QueueSpec{{Name: "Sales", Number: "600", Members: []string{"201", "202"}}},
	})
	ipoAddr, err := ipo.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ipo.Close() })
	// A Snom phone whose HTTP password is a canary; its action URLs carry
	// a token derived from the host's callback secret, another canary.
	snom, err := snomsim.New(snomsim.Options{Model: "D785", Firmware: "10.1.54.13", User: "admin", Password: snomPassword})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(snom.Close)
	snomSrv := httptest.NewServer(snom)
	t.Cleanup(snomSrv.Close)
	// A MiRTA PBX whose tenant key is a canary: the driver sends it in
	// every request's query.
	mirta, err := mirtasim.New(mirtasim.Options{Tenants: []mirtasim.TenantSpec{{Code: "DEVEL", Key: mirtaKey,
		Extensions: []mirtasim.ExtensionSpec{{Number: "101", Name: "Alice"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	mirtaSrv := httptest.NewServer(mirta)
	t.Cleanup(mirtaSrv.Close)
	desk := newPhone(t, "desk1", "GXP2135")
	listen := freeAddr(t)
	metricsAddr, callbackAddr := reservedAddr(t), reservedAddr(t)
	auditFile := filepath.Join(dir, "audit.log")
	path := writeConfig(t, listen, map[string][]*testPhone{"branch": {desk}},
		fmt.Sprintf("metrics = %q", metricsAddr), fmt.Sprintf("audit_log = %q", auditFile), fmt.Sprintf("callback_listen = %q", callbackAddr))
	blocks := fmt.Sprintf(`plugin "buggy" {}
plugin "ipoffice" {}
plugin "snom" {}
plugin "mirta" {}
site "mt" {
  connection "pbx" {
    driver        = "mirta"
    url           = %q
    tenant        = "DEVEL"
    key           = env("IT_MIRTA_KEY")
    poll_interval = "100ms"
  }
}
site "lobby" {
  device "phone" {
    driver   = "snom"
    model    = "D785"
    host     = %q
    username = "admin"
    password = env("IT_SNOM_PASSWORD")
  }
}
site "pbx" {
  connection "ipo" {
    driver             = "ipoffice"
    address            = %q
    username           = %q
    password           = env("IT_IPO_PASSWORD")
    certificate_sha256 = %q
  }
}
site "hq" {
  device "desk" {
    driver = "buggy"
    model  = "BUGGY-1"
    host   = %q
    token  = file(%q)
  }
}
webhook "canary" {
  url    = "http://127.0.0.1:9/hook?token=receiver-token"
  secret = env("IT_WEBHOOK_SECRET")
}
screening "canary" {
  callers  = ["09999*"]
  action   = "ask"
  url      = "http://127.0.0.1:9/screen"
  secret   = env("IT_SCREEN_SECRET")
  deadline = "50ms"
}
client "app" {
  token  = env("IT_CLIENT_TOKEN")
  sites  = ["*"]
  scopes = ["events", "calls", "devices", "admin", "metrics"]
}
`, mirtaSrv.URL, snomSrv.URL, ipoAddr, ipoUser, ipo.CertFingerprint(), strings.TrimPrefix(acme.URL, "http://"), tokenFile)
	appendFile(t, path, blocks)
	t.Setenv("IT_CLIENT_TOKEN", clientToken) // the host inherits the test's environment
	t.Setenv("IT_IPO_PASSWORD", ipoPassword)
	t.Setenv("IT_SNOM_PASSWORD", snomPassword)
	t.Setenv("IT_MIRTA_KEY", mirtaKey)
	t.Setenv("IT_WEBHOOK_SECRET", webhookSecret)
	t.Setenv("IT_SCREEN_SECRET", screenSecret)
	h := runHost(t, listen, path, 5)
	app, appAdmin := dialAs(t, h, clientToken)
	ctx := context.Background()
	var seen strings.Builder // everything an app or operator got to see
	record := func(what string, m proto.Message, err error) {
		if m != nil {
			b, _ := protojson.Marshal(m)
			fmt.Fprintf(&seen, "%s: %s\n", what, b)
		}
		if err != nil {
			fmt.Fprintf(&seen, "%s error: %v\n", what, err)
		}
	}
	events := watchWith(t, app, &ctiv1.WatchEventsRequest{FromSequence: 1})

	// Normal use, and a call the ask screening asks about (its webhook
	// does not answer: the call is allowed, and said so).
	if _, err := desk.sim.RingIn("0999912345", "Screened"); err != nil {
		t.Fatal(err)
	}
	events.waitEvent(t, "the screening decision", func(ev *ctiv1.Event) bool { return ev.GetCallScreened().GetRule() == "canary" })
	dial, err := app.Dial(ctx, &ctiv1.DialRequest{Device: "branch/desk1", Destination: "1000"})
	record("dial", dial, err)
	// A driver that quotes its secrets in an error, its log and its stderr.
	_, err = app.SendKeys(ctx, &ctiv1.SendKeysRequest{Device: "hq/desk", Keys: []string{"FAULT_LEAK_SECRETS"}})
	record("leak", nil, err)
	if err == nil {
		t.Error("FAULT_LEAK_SECRETS answered OK")
	}
	// A phone that refuses the passcode.
	desk.sim.SetFault(gssim.FaultWrongPasscode)
	_, err = app.SendKeys(ctx, &ctiv1.SendKeysRequest{Device: "branch/desk1", Keys: []string{"VUP"}})
	record("wrong passcode", nil, err)
	desk.sim.SetFault(gssim.FaultNone)
	// The IP Office: its users discovered over a link the password opened,
	// then a cut link and a login it refuses, so that the driver's errors
	// and every device's status detail say why.
	waitFor(t, 20*time.Second, "the IP Office's users discovered and reachable", func() bool {
		st, err := app.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: "pbx/201"})
		return err == nil && st.GetStatus().GetReachable()
	})
	ipo.RefuseLogin(true)
	ipo.DropConnections()
	var refused *ctiv1.DeviceState
	waitFor(t, 20*time.Second, "the refused login in the devices' status", func() bool {
		st, err := app.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: "pbx/201"})
		refused = st
		return err == nil && strings.Contains(st.GetStatus().GetDetail(), "refused the credentials")
	})
	record("ipoffice refused login", refused, nil)
	ipoDial, err := app.Dial(ctx, &ctiv1.DialRequest{Device: "pbx/201", Destination: "202"})
	record("ipoffice dial while refused", ipoDial, err)
	// The Snom phone: provisioned (its token in its action URLs), a call
	// through the callback listener, then its password refused.
	var snomToken string
	waitFor(t, 20*time.Second, "the Snom phone's action URLs installed", func() bool {
		u, err := url.Parse(snom.Settings()["action_incoming_url"])
		if err == nil {
			snomToken = u.Query().Get("token")
		}
		return snomToken != ""
	})
	if _, err := snom.RingIn("sip:5551234@pbx.example.com", "Caller"); err != nil {
		t.Fatal(err)
	}
	ringing := events.waitEvent(t, "the Snom call through the callback listener", callIn("lobby/phone", ctiv1.CallState_CALL_STATE_RINGING))
	snom.SetFault(snomsim.FaultWrongCredentials)
	_, err = app.Answer(ctx, &ctiv1.CallRequest{Device: "lobby/phone", CallId: ringing.GetCallChanged().GetCall().GetCallId()})
	record("snom refused password", nil, err)
	snomState, err := app.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: "lobby/phone"})
	record("state lobby/phone", snomState, err)
	// The MiRTA tenant: discovered with the key, then the key refused, so
	// that the driver's errors, the connection and the device's status
	// say why.
	waitFor(t, 20*time.Second, "the MiRTA tenant's extension reachable", func() bool {
		st, err := app.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: "mt/101"})
		return err == nil && st.GetStatus().GetReachable()
	})
	mirta.SetFault(mirtasim.FaultWrongKey)
	_, err = app.Dial(ctx, &ctiv1.DialRequest{Device: "mt/101", Destination: "102"})
	record("mirta dial with a refused key", nil, err)
	waitFor(t, 20*time.Second, "the refused key in the MiRTA device's status", func() bool {
		st, err := app.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: "mt/101"})
		record("state mt/101", st, err)
		return err == nil && strings.Contains(st.GetStatus().GetDetail(), "refused the API key")
	})
	// A crash, then a swap, then a reload.
	_, err = app.SendKeys(ctx, &ctiv1.SendKeysRequest{Device: "hq/desk", Keys: []string{"FAULT_PANIC"}})
	record("panic", nil, err)
	events.waitEvent(t, "the restart", driverState(ctiv1.DriverState_DRIVER_STATE_RESTARTED))
	swapped, err := appAdmin.SwapPlugin(ctx, &ctiv1.SwapPluginRequest{Driver: "buggy", Binary: buildBuggy(t, "2.0.0", "")})
	record("swap", swapped, err)
	if err != nil {
		t.Errorf("swap: %v", err)
	}
	src, _ := os.ReadFile(path)
	if err := os.WriteFile(path, []byte(strings.Replace(string(src), `poll_interval = "100ms"`, `poll_interval = "150ms"`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	reloads := strings.Count(h.stderr.String(), "config reloaded")
	h.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, 20*time.Second, "the reload", func() bool { return strings.Count(h.stderr.String(), "config reloaded") > reloads })

	// What apps and operators see.
	plugins, err := appAdmin.ListPlugins(ctx, &ctiv1.ListPluginsRequest{})
	record("plugins", plugins, err)
	sites, err := appAdmin.ListSites(ctx, &ctiv1.ListSitesRequest{})
	record("sites", sites, err)
	devices, err := app.ListDevices(ctx, &ctiv1.ListDevicesRequest{})
	record("devices", devices, err)
	for _, ref := range []string{"hq/desk", "branch/desk1", "pbx/201", "pbx/202", "pbx/600"} {
		st, err := app.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: ref})
		record("state "+ref, st, err)
	}
	// The plugin processes' environment and command line.
	for _, p := range plugins.GetPlugins() {
		for _, f := range []string{"environ", "cmdline"} {
			b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/%s", p.GetPid(), f))
			fmt.Fprintf(&seen, "plugin %d %s: %s\n", p.GetPid(), f, b)
		}
	}
	fmt.Fprintf(&seen, "metrics: %s\n", h.metricsPage(t, metricsAddr))
	time.Sleep(300 * time.Millisecond)
	events.mu.Lock()
	for _, e := range events.all {
		record("event", e, nil)
	}
	events.mu.Unlock()

	// Shutdown, then the logs.
	h.cmd.Process.Signal(syscall.SIGTERM)
	<-h.done
	audit, err := os.ReadFile(auditFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(audit), `"operation":"Admin.SwapPlugin"`) || !strings.Contains(string(audit), `"client":"app"`) {
		t.Errorf("the audit log lacks the swap by client app:\n%s", audit)
	}
	localToken, _ := os.ReadFile(h.localTokenFile()) // removed at exit; read what the test saw
	secrets := map[string]string{
		"device passcode (env)": secretPasscode, "driver token (file)": fileToken, "client token": clientToken,
		"IP Office password (env)":      ipoPassword,
		"IP Office Basic authorization": base64.StdEncoding.EncodeToString([]byte(ipoUser + ":" + ipoPassword)),
		"Snom HTTP password (env)":      snomPassword,
		"Snom Basic authorization":      base64.StdEncoding.EncodeToString([]byte("admin:" + snomPassword)),
		"Snom callback token":           snomToken,
		"MiRTA API key (env)":           mirtaKey,
		"MiRTA API key, URL-escaped":    url.QueryEscape(mirtaKey),
		"webhook secret":                webhookSecret,
		"screening secret":              screenSecret,
	}
	if s := strings.TrimSpace(string(localToken)); s != "" {
		secrets["local token"] = s
	}
	outputs := map[string]string{"host log": h.stderr.String(), "audit log": string(audit), "API answers, events, metrics, plugin environment": seen.String()}
	for where, text := range outputs {
		for what, secret := range secrets {
			if strings.Contains(text, secret) {
				t.Errorf("the %s appears in the %s", what, where)
			}
		}
	}
	// The leak was real, and redacted where it surfaced.
	if !strings.Contains(h.stderr.String(), "leaking the configured tokens") || !strings.Contains(seen.String(), "refused token") {
		t.Errorf("the driver's leak did not reach the log and the app, so the test proves nothing")
	}
	// The Snom phone's refusal was seen by the app, so its text was searched.
	if !strings.Contains(seen.String(), "refused the configured credentials") {
		t.Errorf("the Snom phone's refused password reached no answer, so the test proves nothing for it")
	}
	// The IP Office's refusal was seen by apps, so its texts were searched.
	if !strings.Contains(seen.String(), "refused the credentials") {
		t.Errorf("the IP Office's refused login reached no answer or event, so the test proves nothing for its password")
	}
	t.Logf("searched %d bytes of log, %d of audit and %d of answers, events and metrics", len(h.stderr.String()), len(audit), seen.Len())
}

// metricsPage returns the whole metrics page at addr, read with the host's
// local token, or "" when it cannot be read.
func (h *runningHost) metricsPage(t *testing.T, addr string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	if token, err := os.ReadFile(h.localTokenFile()); err == nil {
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
