package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/ctihost/ctihost/host/bus"
	"github.com/ctihost/ctihost/host/eventlog"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// The cluster rows (issue 15), beside the single-host figures in the same
// run: events through JetStream to 10 subscribers against the memory bus
// (in process, an embedded nats-server on loopback), a command through a
// forwarding host against the same command at the host that runs the site
// (two ctihost processes on one NATS), and the time from a host's kill -9
// to its site serving again on the other host.
const (
	clusterSubscribers = 10
	clusterLeaseTTL    = 2 * time.Second
)

type clusterFigures struct {
	memoryRate, streamRate float64 // events/s delivered to every subscriber
	direct50, direct99     time.Duration
	fwd50, fwd99           time.Duration
	failover               time.Duration
}

func (f *clusterFigures) rows() []row {
	pct := 0.0
	if f.memoryRate > 0 {
		pct = f.streamRate / f.memoryRate * 100
	}
	return []row{
		measured(fmt.Sprintf("cluster: events to %d subscribers, memory bus (one host)", clusterSubscribers), f.memoryRate, "events/s"),
		measured(fmt.Sprintf("cluster: events to %d subscribers, through JetStream (shared bus)", clusterSubscribers), f.streamRate, "events/s"),
		measured("cluster: JetStream as a share of the memory bus", pct, "%"),
		measured("cluster: command p50 at the host running the site (GetDeviceState)", micros(f.direct50), "µs"),
		measured("cluster: command p50 through a forwarding host", micros(f.fwd50), "µs"),
		measured("cluster: command p99 at the host running the site", micros(f.direct99), "µs"),
		measured("cluster: command p99 through a forwarding host", micros(f.fwd99), "µs"),
		measured(fmt.Sprintf("cluster: kill -9 of a site's host to the site in service elsewhere (lease_ttl %s)", clusterLeaseTTL), millis(f.failover), "ms"),
	}
}

func clusterRowNames() []string {
	var names []string
	for _, r := range (&clusterFigures{}).rows() {
		names = append(names, r.Name)
	}
	return names
}

func clusterRows(ctx context.Context, h *harness, quick bool) ([]row, error) {
	f := &clusterFigures{}
	s := h.scope()
	defer s.close()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: s.dir + "/nats", NoSigs: true, NoLog: true})
	if err != nil {
		return nil, err
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		return nil, fmt.Errorf("nats-server did not start")
	}
	s.onClose(func() { ns.Shutdown(); ns.WaitForShutdown() })
	n := 20000
	if quick {
		n = 500
	}
	if f.memoryRate, err = fanOutRate(ctx, bus.New(n+1), n); err != nil {
		return nil, err
	}
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		return nil, err
	}
	s.onClose(nc.Close)
	log, err := eventlog.Connect(nc, eventlog.Options{}, 1)
	if err != nil {
		return nil, err
	}
	follow, stop := context.WithCancel(ctx)
	defer stop()
	shared, err := bus.NewShared(follow, n+1, log, nil)
	if err != nil {
		return nil, err
	}
	if f.streamRate, err = fanOutRate(ctx, shared, n); err != nil {
		return nil, err
	}
	if err := measureForwarding(ctx, s, ns.ClientURL(), quick, f); err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "bench: cluster: %d events to %d subscribers: memory %.0f/s, JetStream %.0f/s; GetDeviceState p50 %s direct, %s forwarded; failover %s\n",
		n, clusterSubscribers, f.memoryRate, f.streamRate, f.direct50, f.fwd50, f.failover.Round(time.Millisecond))
	return f.rows(), nil
}

// fanOutRate publishes n events into b while clusterSubscribers read them
// all, and returns events per second (until the slowest has every one).
func fanOutRate(ctx context.Context, b *bus.Bus, n int) (float64, error) {
	var wg sync.WaitGroup
	ready := make(chan struct{}, clusterSubscribers)
	errs := make(chan error, clusterSubscribers)
	for range clusterSubscribers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
			defer cancel()
			got := 0
			ready <- struct{}{}
			err := b.Subscribe(sctx, 0, nil, func(*bus.Encoded) error {
				got++
				if got == n {
					cancel()
				}
				return nil
			})
			if got < n {
				errs <- fmt.Errorf("a subscriber got %d of %d events: %v", got, n, err)
			}
		}()
	}
	for range clusterSubscribers {
		<-ready
	}
	for b.Subscribers() < clusterSubscribers {
		time.Sleep(time.Millisecond)
	}
	began := time.Now()
	for i := range n {
		b.Publish(&ctiv1.Event{Site: "hq", Device: "hq/reception", Payload: &ctiv1.Event_CallChanged{CallChanged: &ctiv1.CallChanged{
			Call: &ctiv1.Call{CallId: fmt.Sprint(i), State: ctiv1.CallState_CALL_STATE_RINGING}}}})
	}
	wg.Wait()
	took := time.Since(began)
	select {
	case err := <-errs:
		return 0, err
	default:
	}
	return float64(n) / took.Seconds(), nil
}

// measureForwarding runs two hosts on one NATS: host a runs site hq (one
// simulated phone), host b runs site br and stands by for hq. It times
// GetDeviceState for hq at a and through b, then kills a and times until
// hq is in service at b.
func measureForwarding(ctx context.Context, h *harness, natsURL string, quick bool, f *clusterFigures) error {
	phone, err := h.gssimPhone(ctx, "GXP2135")
	if err != nil {
		return err
	}
	other, err := h.gssimPhone(ctx, "GXP2135")
	if err != nil {
		return err
	}
	config := func(listen, id string, sites ...[2]string) string {
		c := fmt.Sprintf("host {\n  listen = %q\n  plugin_dir = %q\n  log_level = \"warn\"\n}\nplugin \"grandstream\" {}\n", listen, h.dir+"/plugins")
		for _, s := range sites {
			c += fmt.Sprintf("site %q {\n  device \"desk\" {\n    driver = \"grandstream\"\n    model = \"GXP2135\"\n    host = %q\n    passcode = env(\"BENCH_PASSCODE\")\n  }\n}\n", s[0], s[1])
		}
		return c + fmt.Sprintf("cluster {\n  nats_url = %q\n  host_id = %q\n  lease_ttl = %q\n}\nclient \"bench\" {\n  token = env(\"BENCH_PASSCODE\")\n  sites = [\"*\"]\n  scopes = [\"events\", \"calls\", \"devices\", \"admin\"]\n}\n",
			natsURL, id, clusterLeaseTTL.String())
	}
	listenA, err := freeAddr()
	if err != nil {
		return err
	}
	a, err := h.launchHostRunning(ctx, "cluster-a", listenA, config(listenA, "host-a", [2]string{"hq", phone}), 1, 1)
	if err != nil {
		return err
	}
	listenB, err := freeAddr()
	if err != nil {
		return err
	}
	b, err := h.launchHostRunning(ctx, "cluster-b", listenB, config(listenB, "host-b", [2]string{"br", other}, [2]string{"hq", phone}), 2, 1)
	if err != nil {
		return err
	}
	dial := func(addr string) (ctiv1.HostClient, error) {
		conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithPerRPCCredentials(bearer(benchPasscode)))
		if err != nil {
			return nil, err
		}
		h.onClose(func() { conn.Close() })
		return ctiv1.NewHostClient(conn), nil
	}
	atA, err := dial(a.listen)
	if err != nil {
		return err
	}
	atB, err := dial(b.listen)
	if err != nil {
		return err
	}
	calls := 2000
	if quick {
		calls = 50
	}
	req := &ctiv1.GetDeviceStateRequest{Device: "hq/desk"}
	var direct, fwd []time.Duration
	for range calls { // in turns, so a noisy moment lands on both
		for _, c := range []struct {
			client ctiv1.HostClient
			into   *[]time.Duration
		}{{atA, &direct}, {atB, &fwd}} {
			began := time.Now()
			if _, err := c.client.GetDeviceState(ctx, req); err != nil {
				return fmt.Errorf("GetDeviceState of hq/desk: %w", err)
			}
			*c.into = append(*c.into, time.Since(began))
		}
	}
	f.direct50, f.direct99 = percentile(direct, 50), percentile(direct, 99)
	f.fwd50, f.fwd99 = percentile(fwd, 50), percentile(fwd, 99)

	killed := time.Now()
	if err := a.proc.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	err = waitUntil(ctx, time.Minute, func() bool {
		st, err := b.host.GetDeviceState(ctx, req)
		return err == nil && st.GetStatus().GetReachable()
	})
	if err != nil {
		return fmt.Errorf("hq did not come back at host b: %w\n%s", err, b.proc.stderr.tail())
	}
	f.failover = time.Since(killed)
	return nil
}
