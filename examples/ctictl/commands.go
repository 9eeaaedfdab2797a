package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"google.golang.org/grpc"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// callCommands are the commands that list devices and act on calls.
var callCommands = []*command{
	{
		name:     "devices",
		args:     "[--site S]...",
		summary:  "list devices of every site, or of the given sites",
		examples: []string{"ctictl devices", "ctictl devices --site hq --site branch", "ctictl -json devices"},
		setup: func(fs *flag.FlagSet) runFunc {
			var sites stringList
			fs.Var(&sites, "site", "only devices of this `site` (repeatable)")
			return func(ctx context.Context, a *app, args []string) error {
				if err := nargs(args, 0, 0); err != nil {
					return err
				}
				resp, err := unary(ctx, a, "ListDevices", a.host.ListDevices, &ctiv1.ListDevicesRequest{Sites: sites})
				if err != nil {
					return err
				}
				return a.print(resp, func(w io.Writer) { printDevices(w, resp.GetDevices()) })
			}
		},
	},
	{
		name:     "state",
		args:     "<site/device>",
		summary:  "show a device's status, lines, calls and queues",
		examples: []string{"ctictl state hq/reception", "ctictl -json state hq/reception"},
		setup: noFlags(func(ctx context.Context, a *app, args []string) error {
			dev, err := deviceArgs(args, 0, 0)
			if err != nil {
				return err
			}
			resp, err := unary(ctx, a, "GetDeviceState", a.host.GetDeviceState, &ctiv1.GetDeviceStateRequest{Device: dev})
			if err != nil {
				return err
			}
			return a.print(resp, func(w io.Writer) { printState(w, resp) })
		}),
	},
	{
		name:    "dial",
		args:    "<site/device> <number> [--line N] [--tag T] [--account CODE] [--caller-id NUMBER | --withhold]",
		summary: "place an outbound call; prints the new call id when the driver knows it",
		details: "Dial is not idempotent: after an unavailable or deadline_exceeded error check 'ctictl state' before dialling again.\n" +
			"--tag, --account, --caller-id and --withhold need a model with the dial_options capability.",
		examples: []string{"ctictl dial hq/reception 5551234", "ctictl dial hq/reception 'sip:alice@example.com' --line 2",
			"ctictl dial cc/201 01632960123 --tag case-4711 --account 42"},
		setup: func(fs *flag.FlagSet) runFunc {
			line := fs.Int("line", 0, "1-based line `N` to dial from; 0 lets the device choose")
			tag := fs.String("tag", "", "a tag for the call from its start")
			account := fs.String("account", "", "the account `code` to charge the call to")
			callerID := fs.String("caller-id", "", "the `number` to present to the called party")
			withhold := fs.Bool("withhold", false, "present no number to the called party")
			return func(ctx context.Context, a *app, args []string) error {
				dev, err := deviceArgs(args, 1, 1)
				if err != nil {
					return err
				}
				if *line < 0 {
					return usagef("--line must be 0 or more, got %d", *line)
				}
				req := &ctiv1.DialRequest{Device: dev, Destination: args[1], Line: int32(*line),
					Tag: *tag, AccountCode: *account, CallerId: *callerID, WithholdCallerId: *withhold}
				resp, err := unary(ctx, a, "Dial", a.host.Dial, req)
				if err != nil {
					return err
				}
				return a.print(resp, func(w io.Writer) { printNewCall(w, "call", resp.GetCallId()) })
			}
		},
	},
	callCommand("answer", "Answer", "answer a ringing inbound call", ctiv1.HostClient.Answer),
	callCommand("reject", "Reject", "refuse a ringing inbound call", ctiv1.HostClient.Reject),
	callCommand("hangup", "Hangup", "end a call in any state (a ringing one is declined, as reject)", ctiv1.HostClient.Hangup),
	callCommand("hold", "Hold", "put a connected call on hold", ctiv1.HostClient.Hold),
	callCommand("resume", "Resume", "take a held call off hold", ctiv1.HostClient.Resume),
	{
		name:    "transfer",
		args:    "<site/device> <call-id> <dest> [--consult]",
		summary: "blind-transfer a call, or with --consult hold it and call dest for a consultation",
		details: "With --consult the consultation call's id is printed; finish with 'ctictl complete-transfer'.",
		examples: []string{
			"ctictl transfer hq/reception 1-3 2001",
			"ctictl transfer hq/reception 1-3 2001 --consult",
		},
		setup: func(fs *flag.FlagSet) runFunc {
			consult := fs.Bool("consult", false, "consult transfer: hold the call and call dest first")
			return func(ctx context.Context, a *app, args []string) error {
				dev, err := deviceArgs(args, 2, 2)
				if err != nil {
					return err
				}
				req := &ctiv1.TransferRequest{Device: dev, CallId: args[1], Destination: args[2]}
				if !*consult {
					return do(ctx, a, "BlindTransfer", a.host.BlindTransfer, req)
				}
				resp, err := unary(ctx, a, "ConsultTransfer", a.host.ConsultTransfer, req)
				if err != nil {
					return err
				}
				return a.print(resp, func(w io.Writer) { printNewCall(w, "consult call", resp.GetConsultCallId()) })
			}
		},
	},
	pairCommand("complete-transfer", "CompleteTransfer", "<held-call> <consult-call>",
		"join a held call and its consultation call, dropping out", ctiv1.HostClient.CompleteTransfer),
	pairCommand("conference", "Conference", "<call> <other>",
		"join two calls of the device into a conference", ctiv1.HostClient.Conference),
	{
		name:     "dtmf",
		args:     "<site/device> <call-id> <digits>",
		summary:  "send DTMF digits (0-9, *, #) into a connected call",
		examples: []string{"ctictl dtmf hq/reception 1-3 1234#"},
		setup: noFlags(func(ctx context.Context, a *app, args []string) error {
			dev, err := deviceArgs(args, 2, 2)
			if err != nil {
				return err
			}
			return do(ctx, a, "SendDTMF", a.host.SendDTMF,
				&ctiv1.SendDTMFRequest{Device: dev, CallId: args[1], Digits: args[2]})
		}),
	},
	{
		name:     "redirect",
		args:     "<site/device> <call-id> <dest>",
		summary:  "deflect a ringing inbound call to dest",
		examples: []string{"ctictl redirect hq/reception 1-3 2001"},
		setup: noFlags(func(ctx context.Context, a *app, args []string) error {
			dev, err := deviceArgs(args, 2, 2)
			if err != nil {
				return err
			}
			return do(ctx, a, "Redirect", a.host.Redirect,
				&ctiv1.TransferRequest{Device: dev, CallId: args[1], Destination: args[2]})
		}),
	},
	{
		name:    "tag",
		args:    "<site/device> <call-id> <tag> [--account CODE]",
		summary: "attach a tag (and an account code) to a call; it travels with it on transfers",
		details: "An empty tag (\"\") clears it.",
		examples: []string{
			"ctictl tag cc/201 3 case-4711",
			"ctictl tag cc/201 3 case-4711 --account 42",
		},
		setup: func(fs *flag.FlagSet) runFunc {
			account := fs.String("account", "", "the account `code` to charge the call to")
			return func(ctx context.Context, a *app, args []string) error {
				dev, err := deviceArgs(args, 2, 2)
				if err != nil {
					return err
				}
				req := &ctiv1.SetCallDataRequest{Device: dev, CallId: args[1], Tag: &args[2]}
				if *account != "" {
					req.AccountCode = account
				}
				return do(ctx, a, "SetCallData", a.host.SetCallData, req)
			}
		},
	},
	{
		name:    "show",
		args:    "<site/device> <text> [--title T] [--timeout SECONDS]",
		summary: "show a text on a device's display (what a CRM found about a caller)",
		examples: []string{
			`ctictl show hq/reception "ACME Corp, open ticket 4711" --title Caller --timeout 30`,
		},
		setup: func(fs *flag.FlagSet) runFunc {
			title := fs.String("title", "", "a title above the text")
			timeout := fs.Uint("timeout", 0, "`seconds` the display keeps it; 0 lets the device decide")
			return func(ctx context.Context, a *app, args []string) error {
				dev, err := deviceArgs(args, 1, 1)
				if err != nil {
					return err
				}
				return do(ctx, a, "ShowText", a.host.ShowText,
					&ctiv1.ShowTextRequest{Device: dev, Text: args[1], Title: *title, TimeoutS: uint32(*timeout)})
			}
		},
	},
	{
		name:     "lookup",
		args:     "<site/device> <number> | <site/device> --name TEXT",
		summary:  "find who a number (or a name) is in the directory the device's system reads (a PBX phonebook)",
		examples: []string{"ctictl lookup mt/101 01632960001", "ctictl lookup mt/101 --name ACME", "ctictl -json lookup mt/101 01632960001"},
		setup: func(fs *flag.FlagSet) runFunc {
			name := fs.String("name", "", "find names containing this `text` instead of a number")
			limit := fs.Uint("limit", 0, "at most this many contacts (1-100; default 10)")
			return func(ctx context.Context, a *app, args []string) error {
				req := &ctiv1.LookupContactRequest{Query: *name, Limit: uint32(*limit)}
				n := 1
				if *name != "" {
					n = 0
				}
				dev, err := deviceArgs(args, n, n)
				if err != nil {
					return err
				}
				req.Device = dev
				if n == 1 {
					req.Number = args[1]
				}
				resp, err := unary(ctx, a, "LookupContact", a.host.LookupContact, req)
				if err != nil {
					return err
				}
				return a.print(resp, func(w io.Writer) { printContacts(w, resp.GetContacts()) })
			}
		},
	},
	{
		name:     "record",
		args:     "<site/device> <call-id> start|stop|pause|resume",
		summary:  "start, stop, pause or resume a call's recording",
		examples: []string{"ctictl record cc/201 3 pause"},
		setup: noFlags(func(ctx context.Context, a *app, args []string) error {
			dev, err := deviceArgs(args, 2, 2)
			if err != nil {
				return err
			}
			action, ok := recordingActions[strings.ToLower(args[2])]
			if !ok {
				return usagef("record needs start, stop, pause or resume, got %q", args[2])
			}
			return do(ctx, a, "SetRecording", a.host.SetRecording,
				&ctiv1.SetRecordingRequest{Device: dev, CallId: args[1], Action: action})
		}),
	},
	{
		name:    "keys",
		args:    "<site/device> KEY [KEY...]",
		summary: "press raw keys on a phone, in order",
		details: "Key names come from the model (see the driver's documentation) and are case-insensitive.\n" +
			"One colon-joined argument is accepted too: 1:0:0:0:SEND is the same as 1 0 0 0 SEND.\n" +
			"Keys are not idempotent: do not repeat after an unavailable error without checking the phone.",
		examples: []string{"ctictl keys hq/reception 1 0 0 0 SEND", "ctictl keys hq/reception 1:0:0:0:SEND",
			"ctictl keys hq/desk P1 --press 2000"},
		setup: func(fs *flag.FlagSet) runFunc {
			press := fs.Uint("press", 0, "hold each key down this many `ms` (a long press; models with timed keys)")
			pause := fs.Uint("pause", 0, "pause this many `ms` between keys (models with timed keys)")
			return func(ctx context.Context, a *app, args []string) error {
				dev, err := deviceArgs(args, 1, -1)
				if err != nil {
					return err
				}
				var keys []string
				for _, arg := range args[1:] {
					for _, k := range strings.Split(arg, ":") {
						if k == "" {
							return usagef("empty key name in %q", arg)
						}
						keys = append(keys, k)
					}
				}
				return do(ctx, a, "SendKeys", a.host.SendKeys, &ctiv1.SendKeysRequest{Device: dev, Keys: keys,
					PressMs: uint32(*press), PauseMs: uint32(*pause)})
			}
		},
	},
}

// deviceArgs checks that args are a site/device reference followed by
// between min and max more arguments (max < 0: any number) and returns the
// reference.
func deviceArgs(args []string, min, max int) (string, error) {
	if max >= 0 {
		max++
	}
	if err := nargs(args, min+1, max); err != nil {
		return "", err
	}
	return deviceRef(args[0])
}

// callRPC is a Host method expression taking a CallRequest.
type callRPC func(ctiv1.HostClient, context.Context, *ctiv1.CallRequest, ...grpc.CallOption) (*ctiv1.CommandResponse, error)

// callCommand builds a `<name> <site/device> <call-id>` command calling rpc.
func callCommand(name, rpc, summary string, fn callRPC) *command {
	return &command{
		name:     name,
		args:     "<site/device> <call-id>",
		summary:  summary,
		examples: []string{"ctictl " + name + " hq/reception 1-3"},
		setup: noFlags(func(ctx context.Context, a *app, args []string) error {
			dev, err := deviceArgs(args, 1, 1)
			if err != nil {
				return err
			}
			bound := func(ctx context.Context, r *ctiv1.CallRequest, o ...grpc.CallOption) (*ctiv1.CommandResponse, error) {
				return fn(a.host, ctx, r, o...)
			}
			return do(ctx, a, rpc, bound, &ctiv1.CallRequest{Device: dev, CallId: args[1]})
		}),
	}
}

// pairRPC is a Host method expression taking a CallPairRequest.
type pairRPC func(ctiv1.HostClient, context.Context, *ctiv1.CallPairRequest, ...grpc.CallOption) (*ctiv1.CommandResponse, error)

// pairCommand builds a `<name> <site/device> <call> <other>` command calling
// rpc; callArgs names the two calls in the synopsis.
func pairCommand(name, rpc, callArgs, summary string, fn pairRPC) *command {
	return &command{
		name:     name,
		args:     "<site/device> " + callArgs,
		summary:  summary,
		examples: []string{"ctictl " + name + " hq/reception 1-3 1-4"},
		setup: noFlags(func(ctx context.Context, a *app, args []string) error {
			dev, err := deviceArgs(args, 2, 2)
			if err != nil {
				return err
			}
			bound := func(ctx context.Context, r *ctiv1.CallPairRequest, o ...grpc.CallOption) (*ctiv1.CommandResponse, error) {
				return fn(a.host, ctx, r, o...)
			}
			return do(ctx, a, rpc, bound, &ctiv1.CallPairRequest{Device: dev, CallId: args[1], OtherCallId: args[2]})
		}),
	}
}

// printNewCall prints the id of a call a command created, or says that it
// will show up in the events when the driver could not tell at once.
func printNewCall(w io.Writer, what, id string) {
	if id == "" {
		fmt.Fprintf(w, "ok: %s id not known yet; watch 'ctictl events'\n", what)
		return
	}
	fmt.Fprintf(w, "%s %s\n", what, id)
}

// recordingActions maps the record words to RecordingAction.
var recordingActions = map[string]ctiv1.RecordingAction{
	"start":  ctiv1.RecordingAction_RECORDING_ACTION_START,
	"stop":   ctiv1.RecordingAction_RECORDING_ACTION_STOP,
	"pause":  ctiv1.RecordingAction_RECORDING_ACTION_PAUSE,
	"resume": ctiv1.RecordingAction_RECORDING_ACTION_RESUME,
}
