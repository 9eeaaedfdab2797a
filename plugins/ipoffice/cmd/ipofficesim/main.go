// Command ipofficesim serves a simulated Avaya IP Office MTCTI3 interface
// (package ipofficesim) over wss, for trying the IP Office driver by hand.
//
// It serves -users users (extensions 201 and up) and -queues queues ("Sales"
// 600, "Support" 601, then "Queue3" 602 ...), the users shared out among
// the queues as members. Every -ring-every an external caller rings a queue
// (round robin); after -answer-after a ringing agent answers, and after
// -hangup-after the caller hangs up. With -script each call instead plays
// ipofficesim.RunQueueScript (consultation and transfer included).
//
// On start it prints the wss URLs and the SHA-256 fingerprint of its
// certificate, self-signed unless -cert and -key are given.
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ctihost/ctihost/plugins/ipoffice/ipofficesim"
	"github.com/ctihost/ctihost/plugins/ipoffice/mtcti"
)

func main() {
	var (
		listen      = flag.String("listen", "127.0.0.1:8443", "address to serve wss on")
		certFile    = flag.String("cert", "", "PEM certificate file (default: a self-signed certificate)")
		keyFile     = flag.String("key", "", "PEM key file for -cert")
		hosts       = flag.String("hosts", "", "comma-separated extra host names or addresses for the self-signed certificate")
		username    = flag.String("user", ipofficesim.DefaultUsername, "service user name")
		password    = flag.String("password", ipofficesim.DefaultPassword, "service user password")
		version     = flag.String("version", ipofficesim.DefaultVersion, "versioninfo answered to getversioninfo")
		nUsers      = flag.Int("users", 10, "number of users, extensions 201 and up")
		nQueues     = flag.Int("queues", 2, "number of queues: Sales 600, Support 601, Queue3 602 ...")
		ringEvery   = flag.Duration("ring-every", 60*time.Second, "a caller rings a queue this often (0: never)")
		answerAfter = flag.Duration("answer-after", 5*time.Second, "a ringing agent answers after this long")
		hangupAfter = flag.Duration("hangup-after", 30*time.Second, "the caller hangs up this long after answer")
		script      = flag.Bool("script", false, "play the full queue script (consultation, transfer) for each call")
		scriptStep  = flag.Duration("script-step", 3*time.Second, "pause between the steps of -script")
		verbose     = flag.Bool("v", false, "log debug detail")
	)
	flag.Parse()
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	if err := run(log, config{
		listen: *listen, certFile: *certFile, keyFile: *keyFile, hosts: *hosts, user: *username, password: *password,
		version: *version, users: *nUsers, queues: *nQueues, ringEvery: *ringEvery, answerAfter: *answerAfter,
		hangupAfter: *hangupAfter, script: *script, scriptStep: *scriptStep,
	}); err != nil {
		fmt.Fprintln(os.Stderr, "ipofficesim:", err)
		os.Exit(1)
	}
}

type config struct {
	listen, certFile, keyFile, hosts, user, password, version string
	users, queues                                             int
	ringEvery, answerAfter, hangupAfter, scriptStep           time.Duration
	script                                                    bool
}

func run(log *slog.Logger, cfg config) error {
	if cfg.users < 1 || cfg.queues < 0 {
		return fmt.Errorf("need at least one user and no negative number of queues")
	}
	opts := ipofficesim.Options{
		Username: cfg.user, Password: cfg.password, Version: cfg.version, Logger: log,
		ScriptStep: cfg.scriptStep,
	}
	if cfg.hosts != "" {
		opts.Hosts = strings.Split(cfg.hosts, ",")
	}
	if cfg.certFile != "" || cfg.keyFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.certFile, cfg.keyFile)
		if err != nil {
			return err
		}
		opts.Certificate = &cert
	}
	var exts []string
	for i := range cfg.users {
		ext := strconv.Itoa(201 + i)
		exts = append(exts, ext)
		opts.Users = append(opts.Users, ipofficesim.UserSpec{Extension: ext, Name: "User " + ext})
	}
	names := []string{"Sales", "Support"}
	var queues []string
	for i := range cfg.queues {
		name := "Queue" + strconv.Itoa(i+1)
		if i < len(names) {
			name = names[i]
		}
		spec := ipofficesim.QueueSpec{Name: name, Number: strconv.Itoa(600 + i)}
		for j, ext := range exts {
			if len(exts) < cfg.queues || j%cfg.queues == i {
				spec.Members = append(spec.Members, ext)
			}
		}
		opts.Queues = append(opts.Queues, spec)
		queues = append(queues, name)
	}
	srv := ipofficesim.New(opts)
	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	fmt.Printf("IP Office MTCTI3 simulator (%s)\n", cfg.version)
	fmt.Printf("  %s\n  %s\n", ipofficesim.URL(addr, mtcti.Framed), ipofficesim.URL(addr, mtcti.NoFraming))
	fmt.Printf("  service user %q\n", cfg.user)
	fmt.Printf("  certificate SHA-256 fingerprint: %s\n", srv.CertFingerprint())
	for _, q := range srv.Queues() {
		var m []string
		for _, mm := range q.Members {
			m = append(m, mm.Extension)
		}
		fmt.Printf("  queue %s (%s): members %s\n", q.Name, q.Number, strings.Join(m, " "))
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.ServeTLS(ln) }()
	if cfg.ringEvery > 0 && len(queues) > 0 {
		go callers(ctx, log, srv, queues, cfg)
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		return err
	}
	return srv.Close()
}

// callers rings the queues in turn, one call every cfg.ringEvery.
func callers(ctx context.Context, log *slog.Logger, srv *ipofficesim.Server, queues []string, cfg config) {
	t := time.NewTicker(cfg.ringEvery)
	defer t.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		q := queues[n%len(queues)]
		from := fmt.Sprintf("01707%06d", 123456+n)
		if cfg.script {
			go func() {
				agents := freeMembers(srv, q)
				if len(agents) < 2 {
					log.Info("queue script skipped: fewer than two free agents", "queue", q)
					return
				}
				g, err := srv.RunQueueScript(ctx, q, from, agents[:2]...)
				log.Info("queue script", "queue", q, "gcid", g.String(), "err", err)
			}()
			continue
		}
		g, err := srv.RingQueue(q, from)
		if err != nil {
			log.Info("ring queue", "queue", q, "err", err)
			continue
		}
		log.Info("call into queue", "queue", q, "from", from, "gcid", g.String())
		go lifetime(ctx, log, srv, g, cfg)
	}
}

// lifetime answers call g by a ringing agent after answerAfter and hangs it
// up hangupAfter later.
func lifetime(ctx context.Context, log *slog.Logger, srv *ipofficesim.Server, g ipofficesim.GCID, cfg config) {
	sleep := func(d time.Duration) bool {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(d):
			return true
		}
	}
	if !sleep(cfg.answerAfter) {
		return
	}
	for _, c := range srv.Calls() {
		if c.Kind == "user" && g.Equal(c.GCID) && c.State == mtcti.CallInfo_RINGING {
			if err := srv.AnswerAs(c.Number, g); err == nil {
				log.Info("answered", "agent", c.Number, "gcid", g.String())
				break
			}
		}
	}
	if !sleep(cfg.hangupAfter) {
		return
	}
	if err := srv.RemoteHangup(g); err == nil {
		log.Info("caller hung up", "gcid", g.String())
	}
}

// freeMembers returns the enabled members of queue q on no call.
func freeMembers(srv *ipofficesim.Server, q string) []string {
	busy := map[string]bool{}
	for _, u := range srv.Users() {
		busy[u.Extension] = u.Calls > 0 || u.DND || u.LoggedOff
	}
	var out []string
	for _, qs := range srv.Queues() {
		if qs.Name != q {
			continue
		}
		for _, m := range qs.Members {
			if !m.Disabled && !busy[m.Extension] {
				out = append(out, m.Extension)
			}
		}
	}
	return out
}
