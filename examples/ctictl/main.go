// Command ctictl is a command-line client of the ctihost gRPC API, for apps
// and operators: it lists devices and plugins, sends call and device
// commands through the cti.v1.Host service, and tails the event stream.
//
// Both services (cti.v1.Host and cti.v1.Admin) are reached on one
// address, 127.0.0.1:7070 unless -addr or CTICTL_ADDR says otherwise.
// Run `ctictl help` for the list of commands.
//
// The host answers only authenticated calls. ctictl sends a bearer token,
// `authorization: Bearer <token>` on every call, from the first of:
//
//   - the -token flag;
//   - the file named by the -token-file flag;
//   - the CTICTL_TOKEN environment variable;
//   - the file named by CTICTL_TOKEN_FILE;
//   - the local token file a host on this machine writes for the user who
//     runs it at every start (auth.LocalTokenFile, e.g.
//     ~/.config/ctihost/tokens/127.0.0.1_7070 for -addr 127.0.0.1:7070):
//     so the user who ran `make run` needs no set-up. A missing local token
//     file is no error: the call goes without a token and the host answers
//     unauthenticated, with a hint.
//
// Tokens for other users and machines are issued in client blocks of the
// host's config.hcl. ctictl never prints a token, and refuses to send one
// in plaintext to an address that is not loopback (127.0.0.0/8, ::1,
// localhost).
//
// -tls connects over TLS (1.2 or later) and verifies the host's certificate
// against the system roots; -ca FILE (CTICTL_CA) trusts that CA instead;
// -cert FILE and -key FILE (CTICTL_CERT, CTICTL_KEY) present a client
// certificate for mutual TLS; -server-name overrides the name checked in
// the host's certificate. Each of them implies -tls.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// defaultAddr is the host's API address when neither -addr nor CTICTL_ADDR
// is given.
const defaultAddr = "127.0.0.1:7070"

// defaultTimeout bounds each unary RPC unless -timeout says otherwise.
const defaultTimeout = 5 * time.Second

// main runs ctictl with the process arguments and exits with its status.
// Ctrl-C (SIGINT) and SIGTERM cancel the running command.
func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// options holds the global flags.
type options struct {
	// addr is the host's gRPC address.
	addr string
	// timeout bounds each unary RPC.
	timeout time.Duration
	// json selects protojson output.
	json bool
	// token is the -token flag; see credential for the order of sources.
	token string
	// tokenFile is the -token-file flag.
	tokenFile string
	// tls asks for TLS with the system roots.
	tls bool
	// ca is a PEM file of the CA to trust for the host's certificate.
	ca string
	// cert and key are PEM files of a client certificate for mutual TLS.
	cert, key string
	// serverName overrides the name checked in the host's certificate.
	serverName string
}

// defaultOptions are the options before the command line: the defaults,
// then the environment. The token variables are read later, by
// credential, which weighs them against the token flags.
func defaultOptions() options {
	opts := options{addr: defaultAddr, timeout: defaultTimeout}
	for _, e := range []struct {
		name string
		dst  *string
	}{{"CTICTL_ADDR", &opts.addr}, {envCA, &opts.ca}, {envCert, &opts.cert}, {envKey, &opts.key}} {
		if v := os.Getenv(e.name); v != "" {
			*e.dst = v
		}
	}
	return opts
}

// register defines the global flags on fs, with the current values as
// defaults, so that they are accepted before and after the command name.
func (o *options) register(fs *flag.FlagSet) {
	fs.StringVar(&o.addr, "addr", o.addr, "host gRPC `address` (env CTICTL_ADDR)")
	fs.DurationVar(&o.timeout, "timeout", o.timeout, "deadline of each command; the events stream has none")
	fs.BoolVar(&o.json, "json", o.json, "print responses as protojson instead of text")
	fs.StringVar(&o.token, "token", o.token, "bearer `token` to send (env "+envToken+"); -token-file keeps it out of ps and shell history")
	fs.StringVar(&o.tokenFile, "token-file", o.tokenFile, "read the bearer token from `file` (env "+envTokenFile+
		"); default: the local token file of a host on this machine at -addr, if there is one")
	fs.BoolVar(&o.tls, "tls", o.tls, "connect over TLS, checking the host's certificate against the system roots")
	fs.StringVar(&o.ca, "ca", o.ca, "trust the CA certificate in `file` (PEM) for the host's certificate; implies -tls (env "+envCA+")")
	fs.StringVar(&o.cert, "cert", o.cert, "client certificate `file` (PEM) for mutual TLS, with -key; implies -tls (env "+envCert+")")
	fs.StringVar(&o.key, "key", o.key, "private key `file` (PEM) of -cert; implies -tls (env "+envKey+")")
	fs.StringVar(&o.serverName, "server-name", o.serverName, "`name` to check in the host's certificate instead of -addr's host; implies -tls")
}

// run is ctictl without the process: it parses args (without the program
// name), runs one command against the host and returns the exit status:
// 0 on success, 1 when an RPC or the connection fails, 2 on a usage error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts := defaultOptions()
	root := flag.NewFlagSet("ctictl", flag.ContinueOnError)
	root.SetOutput(io.Discard)
	opts.register(root)
	if err := root.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printHelp(stdout)
			return 0
		}
		fmt.Fprintf(stderr, "ctictl: %v\nrun 'ctictl help' for usage\n", err)
		return 2
	}
	rest := root.Args()
	if len(rest) == 0 {
		printHelp(stderr)
		return 2
	}
	name, cmdArgs := rest[0], rest[1:]
	if name == "help" {
		return help(cmdArgs, stdout, stderr)
	}
	cmd := lookup(name)
	if cmd == nil {
		fmt.Fprintf(stderr, "ctictl: unknown command %q\nrun 'ctictl help' for usage\n", name)
		return 2
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	runCmd := cmd.setup(fs)
	opts.register(fs)
	pos, err := parseInterspersed(fs, cmdArgs)
	if errors.Is(err, flag.ErrHelp) {
		printCommandUsage(stdout, cmd)
		return 0
	}
	if err == nil && opts.timeout <= 0 {
		err = fmt.Errorf("-timeout must be positive, got %s", opts.timeout)
	}
	if err != nil {
		return report(stderr, cmd, &usageError{msg: err.Error()}, nil)
	}
	cred, dialOpts, err := opts.connection()
	if err != nil {
		return report(stderr, cmd, err, nil)
	}
	conn, err := newClient(opts.addr, dialOpts...)
	if err != nil {
		fmt.Fprintf(stderr, "ctictl: connect %s: %v\n", opts.addr, err)
		return 1
	}
	defer conn.Close()
	a := &app{
		host:    ctiv1.NewHostClient(conn),
		admin:   ctiv1.NewAdminClient(conn),
		out:     stdout,
		errOut:  stderr,
		json:    opts.json,
		timeout: opts.timeout,
	}
	return report(stderr, cmd, runCmd(ctx, a, pos), cred)
}

// report prints err, if any, the way its kind asks and returns the exit
// status: usage errors repeat the command's synopsis and give 2, RPC errors
// give `ctictl: <rpc>: <code>: <message>` and 1, followed for
// UNAUTHENTICATED and PERMISSION_DENIED by `ctictl: hint: ...` about cred,
// the credential sent (nil before one is resolved).
func report(stderr io.Writer, cmd *command, err error, cred *credential) int {
	if err == nil {
		return 0
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "ctictl: %s: %s\nusage: ctictl %s %s\nrun 'ctictl %s -h' for details\n",
			cmd.name, ue.msg, cmd.name, cmd.args, cmd.name)
		return 2
	}
	var re *rpcError
	if errors.As(err, &re) {
		fmt.Fprintf(stderr, "ctictl: %s\n", formatRPCError(re.rpc, re.err))
		if hint := cred.authHint(re.err); hint != "" {
			fmt.Fprintf(stderr, "ctictl: hint: %s\n", hint)
		}
		return 1
	}
	fmt.Fprintf(stderr, "ctictl: %s: %v\n", cmd.name, err)
	return 1
}

// help implements `ctictl help [command]`.
func help(args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0:
		printHelp(stdout)
		return 0
	case len(args) == 1 && lookup(args[0]) != nil:
		printCommandUsage(stdout, lookup(args[0]))
		return 0
	case len(args) > 1:
		fmt.Fprintf(stderr, "ctictl: help: want one command, got %q\n", args)
		return 2
	default:
		fmt.Fprintf(stderr, "ctictl: help: unknown command %q\nrun 'ctictl help' for usage\n", args[0])
		return 2
	}
}

// printHelp prints the global usage: flags, commands and a few examples.
func printHelp(w io.Writer) {
	fmt.Fprint(w, `ctictl talks to a ctihost host over gRPC (services cti.v1.Host and cti.v1.Admin).

usage: ctictl [global flags] <command> [arguments] [flags]

global flags (also accepted after the command):
`)
	fs := flag.NewFlagSet("ctictl", flag.ContinueOnError)
	opts := options{addr: defaultAddr, timeout: defaultTimeout} // not the environment's: help shows defaults
	opts.register(fs)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %s\n    \t%s\n", strings.TrimSpace(c.name+" "+c.args), c.summary)
	}
	fmt.Fprint(w, `
devices are addressed as site/device, e.g. hq/reception.

credentials: ctictl sends the bearer token of the first of -token, $`+envToken+`,
-token-file, $`+envTokenFile+` and the local token file that a host on this machine
writes at every start for the user who runs it (so that user needs nothing).
Other users and machines need a token issued in a client block of the host's
config.hcl. A token goes in plaintext only to a loopback address: use -tls or
-ca beyond it.

examples:
  ctictl devices --site hq
  ctictl -tls -token-file ~/cti.token -addr cti.example.com:7070 state hq/reception
  ctictl -ca ca.pem -cert app.pem -key app-key.pem -addr 10.0.0.5:7070 devices
  ctictl dial hq/reception 5551234
  ctictl events --kind call --site hq
  ctictl -json plugins

run 'ctictl help <command>' or 'ctictl <command> -h' for a command's flags and examples.
`)
}

// printCommandUsage prints one command's synopsis, summary, own flags and
// examples.
func printCommandUsage(w io.Writer, c *command) {
	fmt.Fprintf(w, "usage: ctictl %s %s\n\n%s\n", c.name, c.args, c.summary)
	if c.details != "" {
		fmt.Fprintf(w, "\n%s\n", c.details)
	}
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	c.setup(fs)
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		fmt.Fprintln(w, "\nflags:")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
	var global []string
	gfs := flag.NewFlagSet("ctictl", flag.ContinueOnError)
	(&options{}).register(gfs)
	gfs.VisitAll(func(f *flag.Flag) { global = append(global, "-"+f.Name) })
	fmt.Fprintf(w, "\nglobal flags %s are accepted too; see 'ctictl help'.\n", strings.Join(global, ", "))
	if len(c.examples) > 0 {
		fmt.Fprintln(w, "\nexamples:")
		for _, e := range c.examples {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
}
