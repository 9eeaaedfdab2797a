package grandstream

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/ctihost/ctihost/plugins/grandstream/gssim"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

func TestPollLimitScalesWithTheSite(t *testing.T) {
	for _, tc := range []struct {
		phones   int
		interval time.Duration
		want     int
	}{
		{0, time.Second, 64},
		{5, time.Second, 64},
		{1000, time.Second, 100},
		{10000, time.Second, 1000},
		{10000, 500 * time.Millisecond, 2000},
		{10000, 10 * time.Second, 100},
		{10001, time.Second, 1001}, // rounded up
		{1000, 0, 64},
	} {
		if got := pollLimit(tc.phones, tc.interval); got != tc.want {
			t.Errorf("pollLimit(%d, %s) = %d, want %d", tc.phones, tc.interval, got, tc.want)
		}
	}
}

// syncBuffer is a bytes.Buffer the logger and the test can share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestMaxConcurrentPollsZeroIsAutomatic(t *testing.T) {
	for _, tc := range []struct {
		setting string // "" leaves it unset
		want    string
	}{
		{"", "max_concurrent_polls=64"},
		{"0", "max_concurrent_polls=64"},
		{"5", "max_concurrent_polls=5"},
	} {
		var log syncBuffer
		d := New(hclog.New(&hclog.LoggerOptions{Output: &log}))
		settings := map[string]string{"poll_interval": "1h"}
		if tc.setting != "" {
			settings["max_concurrent_polls"] = tc.setting
		}
		_, err := d.Configure(context.Background(), &ctiv1.ConfigureRequest{Site: "test", Settings: settings, Devices: []*ctiv1.DeviceConfig{
			{Device: "desk", Model: "GXP2135", Settings: map[string]string{"host": "127.0.0.1:9", "passcode": testPasscode}},
		}})
		if err != nil {
			t.Fatalf("max_concurrent_polls %q: %v", tc.setting, err)
		}
		d.stop()
		if !strings.Contains(log.String(), tc.want) {
			t.Errorf("max_concurrent_polls %q: log lacks %s:\n%s", tc.setting, tc.want, log.String())
		}
	}
}

// Go's default transport keeps 100 idle connections in all: with more
// phones than that it would open a new TCP connection for most polls. Each
// phone must keep one connection from poll to poll.
func TestPollsKeepOneConnectionPerPhone(t *testing.T) {
	const phones = 150 // more than http.DefaultTransport's MaxIdleConns
	var (
		mu    sync.Mutex
		conns = map[string]int{} // phone → connections opened to it
	)
	req := &ctiv1.ConfigureRequest{Site: "test", Settings: map[string]string{"poll_interval": "1h"}}
	for i := range phones {
		id := fmt.Sprintf("p%03d", i)
		sim, err := gssim.New(gssim.Options{Model: "GXP2135", Passcode: testPasscode})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewUnstartedServer(sim)
		srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				mu.Lock()
				conns[id]++
				mu.Unlock()
			}
		}
		srv.Start()
		t.Cleanup(srv.Close)
		req.Devices = append(req.Devices, &ctiv1.DeviceConfig{Device: id, Model: "GXP2135", Settings: map[string]string{
			"host": strings.TrimPrefix(srv.URL, "http://"), "passcode": testPasscode,
		}})
	}
	d := New(hclog.NewNullLogger())
	if _, err := d.Configure(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.stop() })

	// Three rounds over every phone, as the pollers would (the interval is
	// an hour, so they do not), the first with the status poll's two extra
	// requests.
	for round := range 3 {
		for _, dc := range req.Devices {
			p, err := d.phone(dc.GetDevice())
			if err != nil {
				t.Fatal(err)
			}
			p.poll(context.Background())
			if st := p.state(); !st.GetStatus().GetReachable() {
				t.Fatalf("round %d: %s unreachable: %s", round, dc.GetDevice(), st.GetStatus().GetDetail())
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, dc := range req.Devices {
		if n := conns[dc.GetDevice()]; n != 1 {
			t.Errorf("%s: %d connections for 3 polls, want 1 kept alive", dc.GetDevice(), n)
		}
	}
}
