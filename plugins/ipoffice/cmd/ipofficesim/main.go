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
// certificate, self-signed (for localhost, 127.0.0.1, ::1 and -hosts) unless
// -cert and -key are given. With -cert-out it also writes that certificate
// as PEM to a file, once it listens, for a client's CA file: `make run`
// points config.hcl's ca_file at it, and waits for the file to appear
// before it starts the host.
//
// The service user's password is -password if given (ps shows it), else
// the environment variable -password-env names (IPO_PASSWORD) if set, else
// "password"; it is never printed:
//
//	IPO_PASSWORD=secret ipofficesim -listen 127.0.0.1:18443 -cert-out ipo.pem -users 6 -ring-every 60s
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
	"path/filepath"
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
		password    = flag.String("password", ipofficesim.DefaultPassword, "service user password (ps shows it: prefer the -password-env variable; given, it wins)")
		passwordEnv = flag.String("password-env", "IPO_PASSWORD", "environment `variable` holding the service user password")
		certOut     = flag.String("cert-out", "", "write the certificate served, as PEM, to this `file` once listening (for a client's CA file)")
		fpOut       = flag.String("fingerprint-out", "", "write the certificate's SHA-256 fingerprint to this `file` once listening (for a client's certificate pin)")
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
	passwordSet := false
	flag.Visit(func(f *flag.Flag) { passwordSet = passwordSet || f.Name == "password" })
	if v := os.Getenv(*passwordEnv); v != "" && !passwordSet {
		*password = v
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	if err := run(log, config{
		listen: *listen, certFile: *certFile, keyFile: *keyFile, certOut: *certOut, fpOut: *fpOut, hosts: *hosts, user: *username, password: *password,
		version: *version, users: *nUsers, queues: *nQueues, ringEvery: *ringEvery, answerAfter: *answerAfter,
		hangupAfter: *hangupAfter, script: *script, scriptStep: *scriptStep,
	}); err != nil {
		fmt.Fprintln(os.Stderr, "ipofficesim:", err)
		os.Exit(1)
	}
}

type config struct {
	listen, certFile, keyFile, certOut, fpOut, hosts, user, password, version string
	users, queues                                                             int
	ringEvery, answerAfter, hangupAfter, scriptStep                           time.Duration
	script                                                                    bool
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
	if cfg.certOut != "" {
		if err := writeFileAtomic(cfg.certOut, srv.CertPEM()); err != nil {
			ln.Close()
			return fmt.Errorf("write the certificate: %w", err)
		}
	}
	if cfg.fpOut != "" {
		if err := writeFileAtomic(cfg.fpOut, []byte(srv.CertFingerprint()+"\n")); err != nil {
			ln.Close()
			return fmt.Errorf("write the fingerprint: %w", err)
		}
	}
	fmt.Printf("IP Office MTCTI3 simulator (%s)\n", cfg.version)
	fmt.Printf("  %s\n  %s\n", ipofficesim.URL(addr, mtcti.Framed), ipofficesim.URL(addr, mtcti.NoFraming))
	fmt.Printf("  service user %q\n", cfg.user)
	fmt.Printf("  certificate SHA-256 fingerprint: %s\n", srv.CertFingerprint())
	if cfg.certOut != "" {
		fmt.Printf("  certificate written to %s\n", cfg.certOut)
	}
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

// writeFileAtomic writes data to path through a temporary file in the same
// folder and a rename, so that whoever waits for path never reads it half
// written.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // after a successful rename: nothing to remove
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil { // a certificate, no secret
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
