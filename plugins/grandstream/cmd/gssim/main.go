// Command gssim serves simulated Grandstream phones (see package gssim) so
// that out-of-process tests and demos can drive a ctihost driver without
// hardware:
//
//	GXP_PASSCODE=admin gssim -phone 127.0.0.1:18101=GXP2135 -phone 127.0.0.1:18102=DP750 -ring-every 30s
//
// Each phone answers the CTI functions of its model under /cgi-bin/ and the
// test controls under /sim/ (ring, answer, hangup, fault, state, requests).
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
	passEnv := fs.String("passcode-env", "GXP_PASSCODE", "environment `variable` holding the passcode (admin if unset)")
	autoAnswer := fs.Duration("auto-answer", 2*time.Second, "outbound calls are answered after this delay (0: only via /sim/answer)")
	ringEvery := fs.Duration("ring-every", 0, "if > 0, each phone gets a call from a fake caller at this interval")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if len(specs) == 0 || fs.NArg() > 0 {
		return errors.New("give one or more -phone ADDR=MODEL and no other arguments")
	}
	passcode := getenv(*passEnv)
	if passcode == "" {
		passcode = "admin"
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))

	var servers []*http.Server
	errc := make(chan error, len(specs))
	defer func() {
		for _, srv := range servers {
			shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = srv.Shutdown(shut)
			cancel()
			srv.Handler.(*gssim.Phone).Close()
		}
	}()
	for _, s := range specs {
		phone, err := gssim.New(gssim.Options{Model: s[1], Passcode: passcode, AutoAnswerAfter: *autoAnswer})
		if err != nil {
			return err
		}
		ln, err := net.Listen("tcp", s[0])
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: phone, ReadHeaderTimeout: 10 * time.Second}
		servers = append(servers, srv)
		go func() { errc <- srv.Serve(ln) }()
		log.Info("serving simulated phone", "addr", ln.Addr().String(), "model", phone.Model())
		if *ringEvery > 0 {
			go func() { _ = phone.RunCallers(ctx, gssim.Callers{Every: *ringEvery}) }()
		}
	}
	select {
	case <-ctx.Done():
		log.Info("shutting down")
		return nil
	case err := <-errc:
		return err
	}
}
