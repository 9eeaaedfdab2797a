package main

import (
	"bytes"
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctihost/ctihost/plugins/grandstream/gsapi"
)

// syncBuffer is a bytes.Buffer safe for the logger and the test together.
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

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// ready returns a client for the phone at addr once it answers.
func ready(t *testing.T, ctx context.Context, addr string) *gsapi.Client {
	t.Helper()
	c, err := gsapi.New(gsapi.Config{Host: addr, Passcode: "s3cr3t-pass"})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for _, err = c.SysOperation(ctx, "RESET"); err != nil; _, err = c.SysOperation(ctx, "RESET") {
		if time.Now().After(deadline) {
			t.Fatalf("phone %s never answered: %v", addr, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return c
}

func TestRunServesPhonesUntilCancelled(t *testing.T) {
	gxp, dp := freeAddr(t), freeAddr(t)
	env := map[string]string{"MY_PASS": "s3cr3t-pass"}
	var out syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-phone", gxp + "=GXP2135", "-phone", dp + "=dp750", "-passcode-env", "MY_PASS",
			"-auto-answer", "10ms", "-ring-every", "1h"}, func(k string) string { return env[k] }, &out)
	}()

	c := ready(t, ctx, gxp)
	lines, err := c.LineStatus(ctx)
	if err != nil || len(lines) != 8 {
		t.Errorf("GXP2135 lines = %d, %v", len(lines), err)
	}
	d := ready(t, ctx, dp)
	if body, err := d.SysOperation(ctx, gsapi.SysReboot); err != nil || body != "directreboot" {
		t.Errorf("DP750 reboot = %q, %v", body, err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop")
	}
	log := out.String()
	for _, want := range []string{"addr=" + gxp + " model=GXP2135", "addr=" + dp + " model=DP750"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "s3cr3t-pass") {
		t.Errorf("log shows the passcode:\n%s", log)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"-phone", "127.0.0.1:0"},
		{"-phone", "127.0.0.1:0=HT802"},
		{"-phone", "127.0.0.1:0=GXP2135", "extra"},
		{"-nope"},
	} {
		var out syncBuffer
		if err := run(context.Background(), args, func(string) string { return "" }, &out); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}
