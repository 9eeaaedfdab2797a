package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
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

// ready waits until the phone at addr answers /sim/state and returns it.
func ready(t *testing.T, addr string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		res, err := http.Get("http://" + addr + "/sim/state")
		if err == nil {
			var st map[string]any
			err = json.NewDecoder(res.Body).Decode(&st)
			res.Body.Close()
			if err == nil {
				return st
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("phone %s never answered: %v", addr, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRunServesPhonesUntilCancelled(t *testing.T) {
	a, b := freeAddr(t), freeAddr(t)
	env := map[string]string{"MY_PASS": "s3cr3t-pass"}
	var out syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-phone", a + "=D385", "-phone", b + "=d735@8.4.35", "-password-env", "MY_PASS",
			"-user", "root", "-ring-every", "1h", "-setting", "action_incoming_url=http://127.0.0.1:1/in?id=$csta_id"},
			func(k string) string { return env[k] }, &out)
	}()
	if st := ready(t, a); st["firmware"] != "10.1.54.13" {
		t.Errorf("default firmware %v", st["firmware"])
	}
	if st := ready(t, b); st["model"] != "D735" || st["firmware"] != "8.4.35" {
		t.Errorf("second phone %v %v", st["model"], st["firmware"])
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+a+"/command.htm?key=DND", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 401 {
		t.Fatalf("without credentials: %v %v", res, err)
	}
	res.Body.Close()
	req.SetBasicAuth("root", "s3cr3t-pass")
	if res, err = http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 {
		t.Fatalf("with credentials: %v %v", res, err)
	}
	res.Body.Close()
	res, err = http.Get("http://" + a + "/sim/settings")
	if err != nil {
		t.Fatal(err)
	}
	var settings map[string]string
	_ = json.NewDecoder(res.Body).Decode(&settings)
	res.Body.Close()
	if settings["action_incoming_url"] != "http://127.0.0.1:1/in?id=$csta_id" {
		t.Errorf("setting %q", settings["action_incoming_url"])
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
	for _, want := range []string{"addr=" + a + " model=D385 firmware=10.1.54.13 csta=http legacy_connection_id=false dialect=bare auth=basic",
		"addr=" + b + " model=D735 firmware=8.4.35 csta=http legacy_connection_id=true dialect=soap-header"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "s3cr3t-pass") {
		t.Errorf("log shows the password:\n%s", log)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"-phone", "127.0.0.1:0"},
		{"-phone", "127.0.0.1:0=D865"},
		{"-phone", "192.168.1.10:80=D385"},
		{"-phone", "example.com:80=D385"},
		{"-phone", "127.0.0.1=D385"},
		{"-phone", "127.0.0.1:0=D385@eight"},
		{"-phone", "127.0.0.1:0=D385", "extra"},
		{"-phone", "127.0.0.1:0=D385", "-dialect", "xml"},
		{"-phone", "127.0.0.1:0=D385", "-setting", "mac=1"},
		{"-phone", "127.0.0.1:0=D385", "-auth", "ntlm"},
		{"-nope"},
	} {
		var out syncBuffer
		env := func(k string) string {
			if k == "SNOM_PASSWORD" {
				return "pw"
			}
			return ""
		}
		if err := run(context.Background(), args, env, &out); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}
