package eventlog_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/ctihost/ctihost/host/bus"
	"github.com/ctihost/ctihost/host/eventlog"
)

// startNATS runs a JetStream server on a loopback port.
func startNATS(t *testing.T) string {
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
	return ns.ClientURL()
}

// sharedBus is one host's bus on the cluster at url.
func sharedBus(t *testing.T, url string) *bus.Bus {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	l, err := eventlog.Connect(nc, eventlog.Options{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	b, err := bus.NewShared(ctx, 100, l, func(err error) { t.Errorf("cluster: %v", err) })
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Two hosts of one cluster: each publishes its own site's events, and
// each serves both sites' events under the same sequences, in the same
// order.
func TestHostsOfAClusterServeEachOthersEventsInOneOrder(t *testing.T) {
	url := startNATS(t)
	a, b := sharedBus(t, url), sharedBus(t, url)
	for i := range 10 {
		ev := event(i)
		ev.Site, ev.Device = "hq", "hq/x"
		if i%2 == 1 {
			ev.Site, ev.Device = "br", "br/y"
			if seq := b.Publish(ev); seq == 0 {
				t.Fatal("publish on b failed")
			}
			continue
		}
		if seq := a.Publish(ev); seq == 0 {
			t.Fatal("publish on a failed")
		}
	}
	fromA, fromB := collect(t, a, 1, 10), collect(t, b, 1, 10)
	for i := range 10 {
		if fromA[i].GetSequence() != uint64(i+1) || fromB[i].GetSequence() != uint64(i+1) ||
			fromA[i].GetSite() != fromB[i].GetSite() || fromA[i].GetCallChanged().GetCall().GetCallId() != fromB[i].GetCallChanged().GetCall().GetCallId() {
			t.Fatalf("event %d: a has %v, b has %v", i, fromA[i], fromB[i])
		}
	}
	sites := map[string]int{}
	for _, ev := range fromA {
		sites[ev.GetSite()]++
	}
	if sites["hq"] != 5 || sites["br"] != 5 {
		t.Errorf("a serves %v, want 5 events of each host's site", sites)
	}
	// A third host joining later replays what it missed from the log.
	c := sharedBus(t, url)
	if got := collect(t, c, 1, 10); got[9].GetSequence() != 10 {
		t.Errorf("a late host replays up to %d", got[9].GetSequence())
	}
}
