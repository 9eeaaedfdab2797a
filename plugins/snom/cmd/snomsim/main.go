// Command snomsim serves simulated Snom desk phones (see package snomsim)
// so that out-of-process tests and demos can drive a ctihost driver
// without hardware:
//
//	SNOM_PASSWORD=s3cr3t snomsim -phone 127.0.0.1:18201=D385 \
//	    -phone 127.0.0.1:18202=D735@8.4.35 -auth digest -ring-every 30s \
//	    -setting 'action_incoming_url=http://127.0.0.1:9000/in?id=$csta_id'
//
// Each phone answers command.htm, the other remote pages and /csta like
// the real phone, fires its action URLs, and offers the test controls
// under /sim/ (ring, answer, hangup, fault, fail-csta, state, requests,
// callbacks, display, keys, settings). Phones listen on loopback
// addresses only. The password is read from the environment, never from
// flags, and is never printed.
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
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ctihost/ctihost/plugins/snom/snomsim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "snomsim:", err)
		os.Exit(1)
	}
}

// phoneSpec is one -phone ADDR=MODEL[@FIRMWARE].
type phoneSpec struct{ addr, model, firmware string }

// parsePhone parses and checks ADDR=MODEL[@FIRMWARE]; ADDR must be a
// loopback address with a port.
func parsePhone(s string) (phoneSpec, error) {
	addr, rest, ok := strings.Cut(s, "=")
	if !ok || addr == "" || rest == "" {
		return phoneSpec{}, errors.New("want ADDR=MODEL[@FIRMWARE], e.g. 127.0.0.1:18201=D385@8.7.3.25")
	}
	model, fw, _ := strings.Cut(rest, "@")
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return phoneSpec{}, fmt.Errorf("%q is not HOST:PORT", addr)
	}
	if host != "localhost" {
		ip, err := netip.ParseAddr(host)
		if err != nil || !ip.IsLoopback() {
			return phoneSpec{}, fmt.Errorf("%s is not a loopback address: simulated phones never listen beyond this machine", host)
		}
	}
	return phoneSpec{addr: addr, model: model, firmware: fw}, nil
}

var errNoPhones = errors.New("give one or more -phone ADDR=MODEL[@FIRMWARE] and no other arguments")

// run serves the phones named in args until ctx is done.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fs := flag.NewFlagSet("snomsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var specs []phoneSpec
	fs.Func("phone", "simulated phone as `ADDR=MODEL[@FIRMWARE]`, repeatable (e.g. 127.0.0.1:18201=D385@8.7.3.25)", func(s string) error {
		sp, err := parsePhone(s)
		if err == nil {
			specs = append(specs, sp)
		}
		return err
	})
	settings := map[string]string{}
	fs.Func("setting", "initial setting as `NAME=VALUE`, repeatable (e.g. action_incoming_url=http://127.0.0.1:9000/in?id=$csta_id)", func(s string) error {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return errors.New("want NAME=VALUE")
		}
		settings[k] = v
		return nil
	})
	user := fs.String("user", "admin", "HTTP user name the phones require when a password is set")
	passEnv := fs.String("password-env", "SNOM_PASSWORD", "environment `variable` holding the HTTP password (no authentication if unset)")
	authName := fs.String("auth", "basic", "authentication scheme when a password is set: basic or digest")
	dialectName := fs.String("dialect", "auto", "CSTA answer dialect: auto (by firmware), soap-header, bare or soap-no-header")
	legacy := fs.Bool("csta-legacy-control", false, "firmware 8.7.3 and later expect the legacy ConnectionID form")
	autoAnswer := fs.Duration("auto-answer", 2*time.Second, "outbound calls are answered after this delay (0: only via /sim/answer)")
	ringEvery := fs.Duration("ring-every", 0, "if > 0, each phone gets a call from a fake caller at this interval")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if len(specs) == 0 || fs.NArg() > 0 {
		return errNoPhones
	}
	password := getenv(*passEnv)
	scheme := snomsim.AuthNone
	if password != "" {
		var err error
		if scheme, err = snomsim.ParseAuthScheme(*authName); err != nil || (scheme != snomsim.AuthBasic && scheme != snomsim.AuthDigest) {
			return fmt.Errorf("-auth %q: want basic or digest", *authName)
		}
	}
	dialect, err := snomsim.ParseDialect(*dialectName)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))

	var servers []*http.Server
	var phones []*snomsim.Phone
	errc := make(chan error, len(specs))
	callersCtx, stopCallers := context.WithCancel(ctx)
	var callers sync.WaitGroup
	defer func() {
		stopCallers()
		callers.Wait()
		for _, srv := range servers {
			shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = srv.Shutdown(shut)
			cancel()
		}
		for _, p := range phones {
			p.Close()
		}
	}()
	for _, sp := range specs {
		phone, err := snomsim.New(snomsim.Options{Model: sp.model, Firmware: sp.firmware, Auth: scheme, User: *user,
			Password: password, Dialect: dialect, CSTALegacyControl: *legacy, AutoAnswerAfter: *autoAnswer, Settings: settings})
		if err != nil {
			return fmt.Errorf("-phone %s=%s: %w", sp.addr, sp.model, err)
		}
		phones = append(phones, phone)
		ln, err := net.Listen("tcp", sp.addr)
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: phone, ReadHeaderTimeout: 10 * time.Second}
		servers = append(servers, srv)
		go func() { errc <- srv.Serve(ln) }()
		if *ringEvery > 0 {
			callers.Go(func() { _ = phone.RunCallers(callersCtx, snomsim.Callers{Every: *ringEvery}) })
		}
		pr := phone.Profile()
		log.Info("serving simulated phone", "addr", ln.Addr().String(), "model", pr.Model, "firmware", pr.Firmware,
			"csta", pr.CSTA.String(), "legacy_connection_id", pr.LegacyConnectionID, "dialect", pr.Dialect.String(), "auth", scheme.String())
	}
	select {
	case <-ctx.Done():
		log.Info("shutting down")
		return nil
	case err := <-errc:
		return err
	}
}
