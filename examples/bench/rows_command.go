package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/ctihost/ctihost/plugins/grandstream/gsapi"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// benchDevice is the Grandstream phone every command and fault row uses.
const benchDevice = "bench/desk"

// commandRows measures one simple command (SendKeys ["VUP"], which needs no
// call and changes nothing) through the host, beside its three floors, and
// returns the rows and the host, which the fault rows reuse.
func commandRows(ctx context.Context, h *harness, sz sizes) ([]row, *runningHost, error) {
	// The phone runs in its own process, as a real phone is its own
	// machine: every path below pays the same wake-up of another process to
	// reach it, and (a) measures exactly that.
	addr, err := h.gssimPhone(ctx, "GXP2135")
	if err != nil {
		return nil, nil, err
	}
	// A second phone answers every request with HTTP 500: a device error,
	// which must reach the app as fast as the phone gave it.
	brokenAddr, err := h.gssimPhone(ctx, "GXP2135")
	if err != nil {
		return nil, nil, err
	}
	if err := setFault(ctx, brokenAddr, "http500"); err != nil {
		return nil, nil, err
	}
	host, err := h.startHost(ctx, "commands", []device{
		{site: "bench", name: "desk", driver: "grandstream", model: "GXP2135", addr: addr},
		{site: "bench", name: "broken", driver: "grandstream", model: "GXP2135", addr: brokenAddr},
	})
	if err != nil {
		return nil, nil, err
	}
	direct, err := gsapi.New(gsapi.Config{Host: addr, Passcode: benchPasscode})
	if err != nil {
		return nil, nil, err
	}
	directBroken, err := gsapi.New(gsapi.Config{Host: brokenAddr, Passcode: benchPasscode})
	if err != nil {
		return nil, nil, err
	}
	echo, err := h.bareEcho()
	if err != nil {
		return nil, nil, err
	}
	twoHop, err := h.twoHop(ctx)
	if err != nil {
		return nil, nil, err
	}

	keys := []string{"VUP"}
	paths := []struct {
		name string
		call func(context.Context) error
	}{
		{"host", func(ctx context.Context) error {
			_, err := host.host.SendKeys(ctx, &ctiv1.SendKeysRequest{Device: benchDevice, Keys: keys})
			return err
		}},
		{"hoststate", func(ctx context.Context) error {
			_, err := host.host.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: benchDevice})
			return err
		}},
		{"direct", func(ctx context.Context) error { return direct.SendKeys(ctx, 0, keys) }},
		{"echo", func(ctx context.Context) error {
			_, err := echo.ListPlugins(ctx, &ctiv1.ListPluginsRequest{})
			return err
		}},
		{"twohop", func(ctx context.Context) error {
			_, err := twoHop.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: benchDevice})
			return err
		}},
		{"hosterror", func(ctx context.Context) error {
			_, err := host.host.SendKeys(ctx, &ctiv1.SendKeysRequest{Device: "bench/broken", Keys: keys})
			if status.Code(err) != codes.Unavailable {
				return fmt.Errorf("want UNAVAILABLE from the broken phone, got %v", err)
			}
			return nil
		}},
		{"directerror", func(ctx context.Context) error {
			if err := directBroken.SendKeys(ctx, 0, keys); err == nil {
				return fmt.Errorf("the broken phone answered OK")
			}
			return nil
		}},
	}
	// The paths take turns, one call each, so that every path sees the
	// same machine: a noisy second on a shared 2-core box then lands on all
	// of them alike instead of on whichever path ran during it.
	lat := make(map[string][]time.Duration, len(paths))
	warm := max(sz.commands/20, 5)
	for i := 0; i < warm+sz.commands; i++ {
		for _, p := range paths {
			took, err := timeCall(ctx, p.call)
			if err != nil {
				return nil, nil, fmt.Errorf("%s path, call %d: %w", p.name, i, err)
			}
			if i >= warm {
				lat[p.name] = append(lat[p.name], took)
			}
		}
	}

	var rows []row
	for _, pc := range []float64{50, 99} {
		q := func(name string) time.Duration { return percentile(lat[name], pc) }
		label := fmt.Sprintf("command p%.0f", pc)
		added := q("host") - q("direct")
		ratio := float64(added) / float64(q("twohop"))
		rows = append(rows,
			measured(label+": app→host→grandstream→gssim (SendKeys VUP)", micros(q("host")), "µs"),
			measured(label+": app→host→grandstream GetDeviceState (no device request)", micros(q("hoststate")), "µs"),
			measured(label+": (a) gsapi→gssim direct", micros(q("direct")), "µs"),
			measured(label+": (b) bare gRPC unary echo", micros(q("echo")), "µs"),
			measured(label+": (c) bare two-hop forwarder→go-plugin echo", micros(q("twohop")), "µs"),
			measured(label+": host added (host − a), ratio to (c)", micros(added), "µs").
				against("<= 1.2 × (c)", ratio, ratio <= 1.2),
		)
		// A device error through the host pays the same hops as a
		// success, and no wait for a driver that might have died.
		errAdded := q("hosterror") - q("directerror")
		errRatio := float64(errAdded) / float64(q("twohop"))
		rows = append(rows,
			measured(label+": device error (HTTP 500) app→host→grandstream→gssim", micros(q("hosterror")), "µs"),
			measured(label+": device error, gsapi→gssim direct", micros(q("directerror")), "µs"),
			measured(label+": device error, host added, ratio to (c)", micros(errAdded), "µs").
				against("<= 1.2 × (c)", errRatio, errRatio <= 1.2),
		)
	}
	return rows, host, nil
}

// timeCall times one call, bounded by 5s.
func timeCall(ctx context.Context, call func(context.Context) error) (time.Duration, error) {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	began := time.Now()
	err := call(cctx)
	return time.Since(began), err
}

// stubAdmin is the bare unary echo: ListPlugins answers an empty list.
type stubAdmin struct{ ctiv1.UnimplementedAdminServer }

func (stubAdmin) ListPlugins(context.Context, *ctiv1.ListPluginsRequest) (*ctiv1.ListPluginsResponse, error) {
	return &ctiv1.ListPluginsResponse{}, nil
}

// bareEcho serves stubAdmin in process on loopback and returns a client
// on its own connection.
func (h *harness) bareEcho() (ctiv1.AdminClient, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := grpc.NewServer()
	ctiv1.RegisterAdminServer(srv, stubAdmin{})
	go srv.Serve(l)
	h.onClose(srv.Stop)
	conn, err := grpc.NewClient(l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	h.onClose(func() { conn.Close() })
	return ctiv1.NewAdminClient(conn), nil
}

// twoHop starts the bare two-hop floor (cmd/bench-twohop) and returns a
// client once it answers.
func (h *harness) twoHop(ctx context.Context) (ctiv1.HostClient, error) {
	listen, err := freeAddr()
	if err != nil {
		return nil, err
	}
	proc, err := h.start(nil, filepath.Join(h.dir, "bench-twohop"), "forward", "-listen", listen)
	if err != nil {
		return nil, err
	}
	conn, err := grpc.NewClient(listen, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	h.onClose(func() { conn.Close() })
	c := ctiv1.NewHostClient(conn)
	err = waitUntil(ctx, 15*time.Second, func() bool {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		_, err := c.GetDeviceState(cctx, &ctiv1.GetDeviceStateRequest{Device: benchDevice})
		return err == nil
	})
	if err != nil {
		return nil, fmt.Errorf("bench-twohop did not answer: %w\n%s", err, proc.stderr.tail())
	}
	return c, nil
}

// gssimPhone runs one simulated phone in a gssim process of its own and
// returns its address once it answers.
func (h *harness) gssimPhone(ctx context.Context, model string) (string, error) {
	addr, err := freeAddr()
	if err != nil {
		return "", err
	}
	env := append(os.Environ(), "GXP_PASSCODE="+benchPasscode)
	proc, err := h.start(env, filepath.Join(h.dir, "gssim"), "-phone", addr+"="+model, "-auto-answer", "0")
	if err != nil {
		return "", err
	}
	client, err := gsapi.New(gsapi.Config{Host: addr, Passcode: benchPasscode})
	if err != nil {
		return "", err
	}
	err = waitUntil(ctx, 15*time.Second, func() bool {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		return client.SendKeys(cctx, 0, []string{"VUP"}) == nil
	})
	if err != nil {
		return "", fmt.Errorf("gssim did not answer: %w\n%s", err, proc.stderr.tail())
	}
	return addr, nil
}

// setFault sets a gssim phone's fault through its control endpoint.
func setFault(ctx context.Context, addr, mode string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/sim/fault?mode="+mode, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("gssim %s: POST /sim/fault?mode=%s: %s", addr, mode, resp.Status)
	}
	return nil
}
