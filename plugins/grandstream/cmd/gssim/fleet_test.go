package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestParseFleet(t *testing.T) {
	f, err := parseFleet("3=gxp2135@127.1.0.254:18080")
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(f.addrs(), " ")
	if want := "127.1.0.254:18080 127.1.0.255:18080 127.1.1.0:18080"; got != want || f.model != "gxp2135" {
		t.Errorf("addrs = %s model %s, want %s", got, f.model, want)
	}
	if _, err := parseFleet("2=DP750@127.255.255.253:1"); err != nil {
		t.Errorf("a fleet ending at 127.255.255.254: %v", err)
	}
}

func TestParseFleetRejects(t *testing.T) {
	for _, tc := range []struct{ flag, why string }{
		{"", "no ="},
		{"10=GXP2135", "no @"},
		{"0=GXP2135@127.1.0.1:18080", "COUNT must be"},
		{"-5=GXP2135@127.1.0.1:18080", "COUNT must be"},
		{"lots=GXP2135@127.1.0.1:18080", "COUNT must be"},
		{"16385=GXP2135@127.1.0.1:18080", "COUNT must be"},
		{"10=HT802@127.1.0.1:18080", "HT802"},
		{"10=GXP2135@127.1.0.1", "not an IPv4 address and port"},
		{"10=GXP2135@localhost:18080", "not an IPv4 address and port"},
		{"10=GXP2135@127.1.0.1:0", "PORT must be"},
		{"10=GXP2135@127.1.0.1:70000", "not an IPv4 address and port"},
		{"10=GXP2135@10.0.0.1:18080", "not an IPv4 loopback address"},
		{"10=GXP2135@0.0.0.0:18080", "not an IPv4 loopback address"},
		{"10=GXP2135@127.0.0.0:18080", "not an IPv4 loopback address"},
		{"10=GXP2135@[::1]:18080", "not an IPv4 loopback address"},
		{"10=GXP2135@[::ffff:127.1.0.1]:18080", "not an IPv4 loopback address"},
		{"2=GXP2135@127.255.255.254:18080", "run past 127.255.255.254"},
	} {
		_, err := parseFleet(tc.flag)
		if err == nil || !strings.Contains(err.Error(), tc.why) || !strings.Contains(err.Error(), "COUNT=MODEL@FIRSTIP:PORT") {
			t.Errorf("parseFleet(%q) = %v, want an error saying %q and the format", tc.flag, err, tc.why)
		}
	}
}

func TestCheckDescriptors(t *testing.T) {
	if err := checkDescriptors(10); err != nil {
		t.Errorf("10 phones: %v", err)
	}
	err := checkDescriptors(1 << 30)
	if err == nil || !strings.Contains(err.Error(), "several gssim processes") {
		t.Errorf("a billion phones: %v, want advice to split them", err)
	}
}

func TestRunServesAFleet(t *testing.T) {
	port := strings.TrimPrefix(freeAddr(t), "127.0.0.1:") // free on 127.0.0.1; 127.3.x is unused
	var out syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-fleet", "3=GXP1165@127.3.0.255:" + port, "-fleet", "1=DP750@127.3.9.1:" + port,
			"-passcode-env", "MY_PASS"}, func(string) string { return "s3cr3t-pass" }, &out)
	}()
	for _, addr := range []string{"127.3.0.255", "127.3.1.0", "127.3.1.1"} {
		c := ready(t, ctx, addr+":"+port)
		if lines, err := c.LineStatus(ctx); err != nil || len(lines) != 8 {
			t.Errorf("%s: GXP1165 lines = %d, %v", addr, len(lines), err)
		}
	}
	ready(t, ctx, "127.3.9.1:"+port)
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
	for _, want := range []string{"phones=3 model=GXP1165 first=127.3.0.255:" + port + " last=127.3.1.1:" + port, "phones=1 model=DP750"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

func TestRunRejectsABadFleet(t *testing.T) {
	var out syncBuffer
	err := run(context.Background(), []string{"-fleet", "10=GXP2135@192.168.1.10:18080"}, func(string) string { return "" }, &out)
	if err == nil || !strings.Contains(out.String()+err.Error(), "not an IPv4 loopback address") {
		t.Errorf("run = %v, output %s; want a loopback error", err, out.String())
	}
}
