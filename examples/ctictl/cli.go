package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// app is what every command needs: the clients, where to print and how.
type app struct {
	// host is the cti.v1.Host client.
	host ctiv1.HostClient
	// admin is the cti.v1.Admin client.
	admin ctiv1.AdminClient
	// out receives results.
	out io.Writer
	// errOut receives diagnostics, such as reconnect notices.
	errOut io.Writer
	// json selects protojson output.
	json bool
	// timeout bounds each unary RPC.
	timeout time.Duration
}

// runFunc runs a command whose flags are parsed, with its positional
// arguments.
type runFunc func(ctx context.Context, a *app, args []string) error

// command describes one subcommand.
type command struct {
	// name is what the user types.
	name string
	// args is the synopsis after the name, e.g. "<site/device> <call-id>".
	args string
	// summary is one line for `ctictl help`.
	summary string
	// details is an optional paragraph for `ctictl <command> -h`.
	details string
	// examples are complete command lines.
	examples []string
	// setup defines the command's flags on fs and returns its runner, which
	// reads the flag values once fs is parsed.
	setup func(fs *flag.FlagSet) runFunc
}

// commands lists every subcommand in the order `ctictl help` shows them.
var commands = slices.Concat(callCommands, deviceCommands, []*command{eventsCommand}, adminCommands)

// lookup returns the command called name, or nil.
func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// noFlags is the setup of a command without flags of its own.
func noFlags(f runFunc) func(*flag.FlagSet) runFunc {
	return func(*flag.FlagSet) runFunc { return f }
}

// usageError is a mistake on the command line; it exits 2.
type usageError struct {
	// msg says what is wrong.
	msg string
}

// Error returns the message.
func (e *usageError) Error() string { return e.msg }

// usagef returns a usageError.
func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// rpcError is a failed RPC; it exits 1.
type rpcError struct {
	// rpc is the method name, e.g. "Dial".
	rpc string
	// err is the gRPC error.
	err error
}

// Error returns the formatted error.
func (e *rpcError) Error() string { return formatRPCError(e.rpc, e.err) }

// Unwrap returns the gRPC error.
func (e *rpcError) Unwrap() error { return e.err }

// parseInterspersed parses fs from args, allowing flags between and after
// positional arguments as in `dial hq/reception 123 --line 2`, and returns
// the positional arguments. Everything after "--" is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// stringList is a repeatable string flag.
type stringList []string

// String returns the values joined by commas.
func (l *stringList) String() string { return strings.Join(*l, ",") }

// Set appends one value.
func (l *stringList) Set(v string) error {
	if v == "" {
		return fmt.Errorf("empty value")
	}
	*l = append(*l, v)
	return nil
}

// nargs checks that there are between min and max positional arguments;
// max < 0 means no upper bound.
func nargs(args []string, min, max int) error {
	switch {
	case len(args) < min:
		return usagef("missing arguments: want at least %d, got %d", min, len(args))
	case max >= 0 && len(args) > max:
		return usagef("too many arguments: want at most %d, got %d (%q)", max, len(args), args[max:])
	}
	return nil
}

// deviceRef checks that s is a "site/device" reference.
func deviceRef(s string) (string, error) {
	site, dev, ok := strings.Cut(s, "/")
	if !ok || site == "" || dev == "" || strings.Contains(dev, "/") {
		return "", usagef("device %q is not of the form site/device", s)
	}
	return s, nil
}

// onOff parses "on" or "off".
func onOff(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "on":
		return true, nil
	case "off":
		return false, nil
	}
	return false, usagef("want on or off, got %q", s)
}

// unary calls one unary RPC with the per-command deadline and wraps its
// error as an rpcError named rpc.
func unary[Req, Resp proto.Message](ctx context.Context, a *app, rpc string,
	fn func(context.Context, Req, ...grpc.CallOption) (Resp, error), req Req) (Resp, error) {
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	resp, err := fn(ctx, req)
	if err != nil {
		return resp, &rpcError{rpc: rpc, err: err}
	}
	return resp, nil
}

// do calls an RPC that answers CommandResponse and prints "ok" (or {} with
// -json).
func do[Req proto.Message](ctx context.Context, a *app, rpc string,
	fn func(context.Context, Req, ...grpc.CallOption) (*ctiv1.CommandResponse, error), req Req) error {
	resp, err := unary(ctx, a, rpc, fn, req)
	if err != nil {
		return err
	}
	return a.print(resp, func(w io.Writer) { fmt.Fprintln(w, "ok") })
}

// print writes m as indented protojson with -json, else calls text.
func (a *app) print(m proto.Message, text func(w io.Writer)) error {
	if !a.json {
		text(a.out)
		return nil
	}
	b, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(m)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(a.out, "%s\n", b)
	return err
}
