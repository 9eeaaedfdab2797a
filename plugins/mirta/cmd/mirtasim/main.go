// Command mirtasim serves a simulated multi-tenant MiRTA PBX (package
// mirtasim) over HTTP, for trying the MiRTA driver by hand and for
// out-of-process tests:
//
//	MIRTA_KEY=secret mirtasim -listen 127.0.0.1:18401 -tenant DEVEL -tenant ACME \
//	    -extensions 10 -queues 2 -ring-every 30s -control-token "$TOKEN"
//
// Each tenant gets extensions 101, 102, ... (-extensions), queues 600
// "Support", 601 "Sales", 602 "Queue3" ... (-queues) with the extensions
// shared out among them as agents, and flow 500. Every -ring-every an
// external caller rings, in turn, an extension or a queue of each tenant;
// a ringing phone answers after -answer-after and the caller hangs up
// -hangup-after later.
//
// Keys come from the environment only and are never printed: the first
// tenant's read/write key from -key-env (MIRTA_KEY, default
// "mirta-sim-key"), its read-only key from MIRTA_RO_KEY (default
// "mirta-sim-ro-key"), the admin key from -admin-key-env (MIRTA_ADMIN_KEY,
// default "mirta-sim-admin-key"); a further tenant CODE uses MIRTA_KEY_CODE
// (default "mirta-sim-key-code"). The /sim/ test controls need
// "Authorization: Bearer TOKEN" with -control-token (or
// MIRTA_CONTROL_TOKEN); without one a random token is made and printed.
// The simulator listens on loopback addresses only.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ctihost/ctihost/plugins/mirta/mirtasim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "mirtasim:", err)
		os.Exit(1)
	}
}

type config struct {
	listen, path, token                            string
	tenants                                        []string
	extensions, queues                             int
	ringEvery, answerAfter, hangupAfter, farAnswer time.Duration
	keyEnv, roKeyEnv, adminKeyEnv                  string
}

// run serves until ctx is done; ready, if set, is told the address once
// listening.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, ready func(addr string)) error {
	fs := flag.NewFlagSet("mirtasim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	fs.StringVar(&cfg.listen, "listen", "127.0.0.1:18401", "loopback `address` to serve on")
	fs.StringVar(&cfg.path, "path", mirtasim.DefaultPath, "API path (the demo server's /mirtapbx/proxyapi.php is served too)")
	fs.Func("tenant", "tenant `CODE`, repeatable (default DEVEL)", func(s string) error {
		cfg.tenants = append(cfg.tenants, strings.ToUpper(strings.TrimSpace(s)))
		return nil
	})
	fs.IntVar(&cfg.extensions, "extensions", 10, "extensions per tenant, numbered from 101")
	fs.IntVar(&cfg.queues, "queues", 2, "queues per tenant, numbered from 600")
	fs.DurationVar(&cfg.ringEvery, "ring-every", 0, "an external caller rings an extension or a queue this often (0: never)")
	fs.DurationVar(&cfg.answerAfter, "answer-after", 5*time.Second, "a ringing phone answers after this long")
	fs.DurationVar(&cfg.hangupAfter, "hangup-after", 30*time.Second, "the caller hangs up this long after the answer")
	fs.DurationVar(&cfg.farAnswer, "far-answer-after", 2*time.Second, "an external number dialled by DIAL answers after this long (negative: never)")
	fs.StringVar(&cfg.keyEnv, "key-env", "MIRTA_KEY", "environment `variable` holding the first tenant's read/write key")
	fs.StringVar(&cfg.roKeyEnv, "ro-key-env", "MIRTA_RO_KEY", "environment `variable` holding the first tenant's read-only key")
	fs.StringVar(&cfg.adminKeyEnv, "admin-key-env", "MIRTA_ADMIN_KEY", "environment `variable` holding the admin key")
	fs.StringVar(&cfg.token, "control-token", "", "bearer `token` for the /sim/ controls (default $MIRTA_CONTROL_TOKEN, else random and printed)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if len(cfg.tenants) == 0 {
		cfg.tenants = []string{"DEVEL"}
	}
	if cfg.extensions < 1 || cfg.extensions > 9000 || cfg.queues < 0 || cfg.queues > 100 {
		return errors.New("want 1..9000 -extensions and 0..100 -queues")
	}
	if err := loopback(cfg.listen); err != nil {
		return err
	}
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	printedToken := false
	if cfg.token == "" {
		cfg.token = getenv("MIRTA_CONTROL_TOKEN")
	}
	if cfg.token == "" {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		cfg.token, printedToken = hex.EncodeToString(b), true
	}
	opts := mirtasim.Options{Path: cfg.path, AdminKey: env(cfg.adminKeyEnv, "mirta-sim-admin-key"), ControlToken: cfg.token,
		FarAnswerAfter: cfg.farAnswer, Logger: slog.New(slog.NewTextHandler(stderr, nil))}
	for i, code := range cfg.tenants {
		spec := mirtasim.TenantSpec{Code: code, Flows: []mirtasim.FlowSpec{{Number: "500", Name: "Night service"}},
			Phonebooks: []mirtasim.PhonebookSpec{{Name: "Default", Contacts: []mirtasim.Contact{
				{Name: "Ben Smith", Company: "Acme", Phone1: "0612345678", Email: "ben@example.com"},
				{Name: "Ann Jones", Company: "Initech", Phone1: "0655515551"}}}}}
		if i == 0 {
			spec.Key, spec.ReadOnlyKey = env(cfg.keyEnv, "mirta-sim-key"), env(cfg.roKeyEnv, "mirta-sim-ro-key")
		} else {
			spec.Key = env("MIRTA_KEY_"+code, "mirta-sim-key-"+strings.ToLower(code))
		}
		for n := range cfg.extensions {
			spec.Extensions = append(spec.Extensions, mirtasim.ExtensionSpec{Number: strconv.Itoa(101 + n), Name: "User " + strconv.Itoa(101+n)})
		}
		names := []string{"Support", "Sales"}
		for q := range cfg.queues {
			qs := mirtasim.QueueSpec{Number: strconv.Itoa(600 + q), Name: "Queue" + strconv.Itoa(q+1)}
			if q < len(names) {
				qs.Name = names[q]
			}
			for n := range cfg.extensions {
				if cfg.extensions < cfg.queues || n%cfg.queues == q {
					qs.Agents = append(qs.Agents, mirtasim.AgentSpec{Extension: strconv.Itoa(101 + n)})
				}
			}
			spec.Queues = append(spec.Queues, qs)
		}
		opts.Tenants = append(opts.Tenants, spec)
	}
	pbx, err := mirtasim.New(opts)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	fmt.Fprintf(stdout, "MiRTA PBX simulator listening on http://%s%s\n", addr, cfg.path)
	fmt.Fprintf(stdout, "  tenants %s; keys from $%s, $%s, $%s and $MIRTA_KEY_<CODE> (never printed)\n",
		strings.Join(cfg.tenants, " "), cfg.keyEnv, cfg.roKeyEnv, cfg.adminKeyEnv)
	fmt.Fprintf(stdout, "  extensions 101-%d, queues 600-%d, flow 500, phone book Default\n", 100+cfg.extensions, 599+max(cfg.queues, 1))
	if printedToken {
		fmt.Fprintf(stdout, "  test controls: http://%s/sim/ with Authorization: Bearer %s\n", addr, cfg.token)
	} else {
		fmt.Fprintf(stdout, "  test controls: http://%s/sim/ with the given control token\n", addr)
	}
	srv := &http.Server{Handler: pbx, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 1 << 20}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if ready != nil {
		ready(addr)
	}
	if cfg.ringEvery > 0 {
		go callers(ctx, pbx, cfg, stderr)
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		return err
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// loopback checks that addr is HOST:PORT on a loopback address.
func loopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-listen %q is not HOST:PORT", addr)
	}
	if host == "localhost" {
		return nil
	}
	if ip, err := netip.ParseAddr(host); err != nil || !ip.IsLoopback() {
		return fmt.Errorf("-listen %s is not a loopback address: the simulator never listens beyond this machine", host)
	}
	return nil
}

// callers rings, every cfg.ringEvery, an extension or a queue of each
// tenant in turn.
func callers(ctx context.Context, pbx *mirtasim.PBX, cfg config, stderr io.Writer) {
	log := slog.New(slog.NewTextHandler(stderr, nil))
	t := time.NewTicker(cfg.ringEvery)
	defer t.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, code := range cfg.tenants {
			to := strconv.Itoa(101 + (n/2)%cfg.extensions)
			if n%2 == 1 && cfg.queues > 0 {
				to = strconv.Itoa(600 + (n/2)%cfg.queues)
			}
			from := fmt.Sprintf("0170%07d", 1234567+n)
			c, err := pbx.RingIn(code, from, to)
			if err != nil {
				log.Info("ring", "tenant", code, "to", to, "err", err)
				continue
			}
			log.Info("ringing", "tenant", code, "from", from, "to", to, "call", c.LinkedID)
			go lifetime(ctx, pbx, code, c.LinkedID, cfg, log)
		}
	}
}

// lifetime answers call id on a ringing phone after answerAfter and hangs
// the caller up hangupAfter later.
func lifetime(ctx context.Context, pbx *mirtasim.PBX, code, id string, cfg config, log *slog.Logger) {
	sleep := func(d time.Duration) bool {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return true
		}
	}
	if !sleep(cfg.answerAfter) {
		return
	}
	calls, _ := pbx.Calls(code)
	for _, c := range calls {
		if c.LinkedID != id {
			continue
		}
		for _, ch := range c.Channels {
			if ch.Extension != "" && ch.State == mirtasim.StateRinging {
				if _, err := pbx.Answer(code, ch.Extension); err == nil {
					log.Info("answered", "tenant", code, "extension", ch.Extension, "call", id)
					break
				}
			}
		}
	}
	if !sleep(cfg.hangupAfter) {
		return
	}
	if err := pbx.RemoteHangup(id); err == nil {
		log.Info("caller hung up", "tenant", code, "call", id)
	}
}
