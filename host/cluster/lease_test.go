package cluster

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func jetStream(t *testing.T) jetstream.JetStream {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// recorder keeps what a host's callbacks saw.
type recorder struct {
	mu       sync.Mutex
	acquired []string
	previous []*Owner
	lost     []string
}

func (r *recorder) acquire(site string, prev *Owner) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.acquired, r.previous = append(r.acquired, site), append(r.previous, prev)
}

func (r *recorder) lose(site string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lost = append(r.lost, site)
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.acquired)
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// One host takes a free site; another sees it as the owner and takes the
// site only once the first gives it up.
func TestOneHostRunsASiteAndAnotherTakesOverWhenItStops(t *testing.T) {
	js := jetStream(t)
	ctx := context.Background()
	var ra, rb recorder
	a, err := New(ctx, js, Owner{Host: "a", Addr: "127.0.0.1:1"}, time.Second, ra.acquire, ra.lose)
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(ctx, js, Owner{Host: "b", Addr: "127.0.0.1:2"}, time.Second, rb.acquire, rb.lose)
	if err != nil {
		t.Fatal(err)
	}
	actx, stopA := context.WithCancel(ctx)
	doneA := make(chan struct{})
	go func() { a.Run(actx, []string{"hq"}); close(doneA) }()
	waitFor(t, "a to take hq", func() bool { return a.Owns("hq") })
	bctx, stopB := context.WithCancel(ctx)
	defer stopB()
	go b.Run(bctx, []string{"hq"})
	waitFor(t, "b to see a as hq's owner", func() bool { o, ok := b.Owner(ctx, "hq"); return ok && o.Host == "a" })
	time.Sleep(1500 * time.Millisecond) // longer than the TTL: a renews, b must not take it
	if b.Owns("hq") || rb.count() != 0 {
		t.Fatal("b took hq while a renewed its lease")
	}
	stopA()
	<-doneA
	waitFor(t, "b to take hq", func() bool { return b.Owns("hq") })
	if o, _ := b.Owner(ctx, "hq"); o.Addr != "127.0.0.1:2" {
		t.Errorf("hq's owner after the takeover: %+v", o)
	}
}

// A lease its owner stops renewing (a host killed) expires, and another
// host takes the site, told who had it.
func TestAnExpiredLeaseIsTakenOver(t *testing.T) {
	js := jetStream(t)
	ctx := context.Background()
	var rb recorder
	b, err := New(ctx, js, Owner{Host: "b", Addr: "127.0.0.1:2"}, time.Second, rb.acquire, rb.lose)
	if err != nil {
		t.Fatal(err)
	}
	dead, _ := json.Marshal(Owner{Host: "a", Addr: "127.0.0.1:1"})
	if _, err := b.kv.Create(ctx, "hq", dead); err != nil {
		t.Fatal(err)
	}
	bctx, stop := context.WithCancel(ctx)
	defer stop()
	began := time.Now()
	go b.Run(bctx, []string{"hq"})
	waitFor(t, "b to take the expired hq", func() bool { return b.Owns("hq") })
	rb.mu.Lock()
	prev := rb.previous[0]
	rb.mu.Unlock()
	if prev == nil || prev.Host != "a" {
		t.Errorf("b was told the previous owner %+v, want a", prev)
	}
	t.Logf("taken over %s after the dead host's last renewal (TTL 1s)", time.Since(began).Round(10*time.Millisecond))
}
