package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestRun(t *testing.T) {
	env := map[string]string{"MIRTA_KEY": "k-devel-secret", "MIRTA_ADMIN_KEY": "k-admin-secret", "MIRTA_KEY_ACME": "k-acme-secret"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-listen", "127.0.0.1:0", "-tenant", "DEVEL", "-tenant", "acme", "-extensions", "3", "-queues", "1",
			"-control-token", "tok"}, func(k string) string { return env[k] }, &out, &errOut, func(a string) { ready <- a })
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatal(err)
	}
	get := func(q string) string {
		resp, err := http.Get("http://" + addr + "/pbx/proxyapi.php?" + q)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if got := get("key=k-devel-secret&reqtype=INFO&info=queues"); got != "1: Support|" && !strings.HasSuffix(got, ": Support|") {
		t.Errorf("DEVEL queues: %q", got)
	}
	if got := get("key=k-acme-secret&reqtype=INFO&info=extensions"); !strings.Contains(got, "103|User 103|SIP|NOT_INUSE|103-ACME|") {
		t.Errorf("ACME extensions: %q", got)
	}
	if got := get("key=k-admin-secret&tenant=ACME&reqtype=DND&action=get&number=101"); got != "off" {
		t.Errorf("admin: %q", got)
	}
	if got := get("key=mirta-sim-ro-key&reqtype=DIAL&source=101&dest=102"); !strings.HasPrefix(got, "Too bad") {
		t.Errorf("read-only default key: %q", got)
	}
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/sim/ring", strings.NewReader(`{"tenant":"DEVEL","from":"0611","to":"600"}`))
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("sim ring: %v %v", resp, err)
	}
	resp.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop")
	}
	all := out.String() + errOut.String()
	if !strings.Contains(all, "listening on http://"+addr+"/pbx/proxyapi.php") {
		t.Errorf("output: %q", all)
	}
	for _, k := range env {
		if strings.Contains(all, k) {
			t.Errorf("output shows a key: %q", all)
		}
	}
}

func TestRunRefusesNonLoopback(t *testing.T) {
	err := run(context.Background(), []string{"-listen", "0.0.0.0:0"}, func(string) string { return "" }, io.Discard, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("%v", err)
	}
}
