// Command gssim serves simulated Grandstream phones (see package gssim) so
// that out-of-process tests and demos can drive a ctihost driver without
// hardware:
//
//	GXP_PASSCODE=admin gssim -phone 127.0.0.1:18101=GXP2135 -phone 127.0.0.1:18102=DP750 -ring-every 30s
//
// For load tests, -fleet starts many phones of one model on consecutive
// loopback addresses, all on one port (the benchmark's phone rows):
//
//	gssim -fleet 3000=GXP2135@127.1.0.1:18080   # 127.1.0.1:18080 ... 127.1.11.184:18080
//
// Each phone answers the CTI functions of its model under /cgi-bin/ and the
// test controls under /sim/ (ring, answer, hangup, fault, state, requests,
// polls).
// The passcode is read from the environment, never from flags, and is
// never printed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ctihost/ctihost/plugins/grandstream/gssim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gssim:", err)
		os.Exit(1)
	}
}

// run serves the phones named in args until ctx is done.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fs := flag.NewFlagSet("gssim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var specs [][2]string
	fs.Func("phone", "`ADDR=MODEL` of a simulated phone, repeatable (e.g. 127.0.0.1:18101=GXP2135)", func(s string) error {
		addr, model, ok := strings.Cut(s, "=")
		if !ok || addr == "" || model == "" {
			return errors.New("want ADDR=MODEL")
		}
		specs = append(specs, [2]string{addr, model})
		return nil
	})
	var fleets []fleet
	fs.Func("fleet", "COUNT phones of MODEL on consecutive loopback addresses from FIRSTIP, all on PORT, as `COUNT=MODEL@FIRSTIP:PORT`; repeatable (e.g. 1000=GXP2135@127.1.0.1:18080)", func(s string) error {
		f, err := parseFleet(s)
		if err != nil {
			return err
		}
		fleets = append(fleets, f)
		return nil
	})
	passEnv := fs.String("passcode-env", "GXP_PASSCODE", "environment `variable` holding the passcode (admin if unset)")
	autoAnswer := fs.Duration("auto-answer", 2*time.Second, "outbound calls are answered after this delay (0: only via /sim/answer)")
	ringEvery := fs.Duration("ring-every", 0, "if > 0, each phone gets a call from a fake caller at this interval")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if (len(specs) == 0 && len(fleets) == 0) || fs.NArg() > 0 {
		return errNoPhones
	}
	fleetPhones := 0
	for _, f := range fleets {
		fleetPhones += f.count
	}
	if fleetPhones > 0 {
		if err := checkDescriptors(len(specs) + fleetPhones); err != nil {
			return err
		}
	}
	passcode := getenv(*passEnv)
	if passcode == "" {
		passcode = "admin"
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))

	var servers []*http.Server
	errc := make(chan error, len(specs)+fleetPhones)
	defer func() {
		// In parallel: a fleet has thousands of servers, each of which may
		// wait for a request in flight.
		var wg sync.WaitGroup
		for _, srv := range servers {
			wg.Go(func() {
				shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				_ = srv.Shutdown(shut)
				cancel()
				srv.Handler.(*gssim.Phone).Close()
			})
		}
		wg.Wait()
	}()
	serve := func(addr, model string) (*gssim.Phone, net.Addr, error) {
		phone, err := gssim.New(gssim.Options{Model: model, Passcode: passcode, AutoAnswerAfter: *autoAnswer})
		if err != nil {
			return nil, nil, err
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, nil, err
		}
		srv := &http.Server{Handler: phone, ReadHeaderTimeout: 10 * time.Second}
		servers = append(servers, srv)
		go func() { errc <- srv.Serve(ln) }()
		if *ringEvery > 0 {
			go func() { _ = phone.RunCallers(ctx, gssim.Callers{Every: *ringEvery}) }()
		}
		return phone, ln.Addr(), nil
	}
	for _, s := range specs {
		phone, addr, err := serve(s[0], s[1])
		if err != nil {
			return err
		}
		log.Info("serving simulated phone", "addr", addr.String(), "model", phone.Model())
	}
	for _, f := range fleets {
		addrs := f.addrs()
		for _, a := range addrs {
			if _, _, err := serve(a, f.model); err != nil {
				return fmt.Errorf("fleet %d=%s@%s: %w", f.count, f.model, addrs[0], err)
			}
		}
		// One line per fleet, not per phone: thousands of lines say nothing.
		log.Info("serving simulated fleet", "phones", f.count, "model", strings.ToUpper(f.model), "first", addrs[0], "last", addrs[len(addrs)-1])
	}
	select {
	case <-ctx.Done():
		log.Info("shutting down")
		return nil
	case err := <-errc:
		return err
	}
}
