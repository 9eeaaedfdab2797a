package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// forwardModes maps the forward and unforward mode words to ForwardMode.
var forwardModes = map[string]ctiv1.ForwardMode{
	"always":    ctiv1.ForwardMode_FORWARD_MODE_ALWAYS,
	"busy":      ctiv1.ForwardMode_FORWARD_MODE_BUSY,
	"noanswer":  ctiv1.ForwardMode_FORWARD_MODE_NO_ANSWER,
	"no-answer": ctiv1.ForwardMode_FORWARD_MODE_NO_ANSWER,
}

// forwardMode parses a forward mode word.
func forwardMode(s string) (ctiv1.ForwardMode, error) {
	if m, ok := forwardModes[strings.ToLower(s)]; ok {
		return m, nil
	}
	return 0, usagef("forward mode must be always, busy or noanswer, got %q", s)
}

// onOffCommand builds a `<name> <site/device> on|off` command that calls
// send with the device and the switch.
func onOffCommand(name, summary string, send func(ctx context.Context, a *app, dev string, on bool) error) *command {
	return &command{
		name:     name,
		args:     "<site/device> on|off",
		summary:  summary,
		examples: []string{"ctictl " + name + " hq/reception on", "ctictl " + name + " hq/reception off"},
		setup: noFlags(func(ctx context.Context, a *app, args []string) error {
			dev, err := deviceArgs(args, 1, 1)
			if err != nil {
				return err
			}
			on, err := onOff(args[1])
			if err != nil {
				return err
			}
			return send(ctx, a, dev, on)
		}),
	}
}

// deviceCommands are the commands that change a device's settings or an
// agent's queues.
var deviceCommands = []*command{
	onOffCommand("dnd", "switch do-not-disturb on or off", func(ctx context.Context, a *app, dev string, on bool) error {
		return do(ctx, a, "SetDND", a.host.SetDND, &ctiv1.SetDNDRequest{Device: dev, Enabled: on})
	}),
	{
		name:     "forward",
		args:     "<site/device> always|busy|noanswer <dest>",
		summary:  "set a forwarding rule, replacing the rule of the same mode",
		examples: []string{"ctictl forward hq/reception always 2001", "ctictl forward hq/reception noanswer 5550000"},
		setup: noFlags(func(ctx context.Context, a *app, args []string) error {
			dev, err := deviceArgs(args, 2, 2)
			if err != nil {
				return err
			}
			mode, err := forwardMode(args[1])
			if err != nil {
				return err
			}
			return do(ctx, a, "SetForward", a.host.SetForward,
				&ctiv1.SetForwardRequest{Device: dev, Mode: mode, Destination: args[2]})
		}),
	},
	{
		name:     "unforward",
		args:     "<site/device> [always|busy|noanswer]",
		summary:  "remove one forwarding rule, or all of them without a mode",
		examples: []string{"ctictl unforward hq/reception", "ctictl unforward hq/reception busy"},
		setup: noFlags(func(ctx context.Context, a *app, args []string) error {
			dev, err := deviceArgs(args, 0, 1)
			if err != nil {
				return err
			}
			req := &ctiv1.ClearForwardRequest{Device: dev}
			if len(args) == 2 {
				if req.Mode, err = forwardMode(args[1]); err != nil {
					return err
				}
			}
			return do(ctx, a, "ClearForward", a.host.ClearForward, req)
		}),
	},
	onOffCommand("mute", "mute or unmute the device in its active call", func(ctx context.Context, a *app, dev string, on bool) error {
		return do(ctx, a, "SetMute", a.host.SetMute, &ctiv1.SetMuteRequest{Device: dev, Muted: on})
	}),
	{
		name:     "speaker",
		args:     "<site/device>",
		summary:  "move the active call to the loudspeaker",
		examples: []string{"ctictl speaker hq/reception"},
		setup: noFlags(func(ctx context.Context, a *app, args []string) error {
			dev, err := deviceArgs(args, 0, 0)
			if err != nil {
				return err
			}
			return do(ctx, a, "EnableSpeaker", a.host.EnableSpeaker, &ctiv1.DeviceRequest{Device: dev})
		}),
	},
	{
		name:     "reboot",
		args:     "<site/device>",
		summary:  "restart the device",
		examples: []string{"ctictl reboot hq/reception"},
		setup: noFlags(func(ctx context.Context, a *app, args []string) error {
			dev, err := deviceArgs(args, 0, 0)
			if err != nil {
				return err
			}
			return do(ctx, a, "Reboot", a.host.Reboot, &ctiv1.DeviceRequest{Device: dev})
		}),
	},
	{
		name:    "reset",
		args:    "<site/device> --yes-really",
		summary: "factory-reset the device (destructive; needs --yes-really)",
		details: "The device loses its configuration and may not come back without provisioning.\n" +
			"Without --yes-really ctictl refuses and sends nothing.",
		examples: []string{"ctictl reset hq/reception --yes-really"},
		setup: func(fs *flag.FlagSet) runFunc {
			sure := fs.Bool("yes-really", false, "confirm the factory reset")
			return func(ctx context.Context, a *app, args []string) error {
				dev, err := deviceArgs(args, 0, 0)
				if err != nil {
					return err
				}
				if !*sure {
					return usagef("refusing to factory-reset %s without --yes-really", dev)
				}
				return do(ctx, a, "FactoryReset", a.host.FactoryReset, &ctiv1.FactoryResetRequest{Device: dev, Confirm: true})
			}
		},
	},
	{
		name:    "queue",
		args:    "join|leave|pause|unpause <site/device> [queue] [--reason R] | service <site/queue> in|night|out",
		summary: "log an agent into or out of a queue, pause and unpause it, or set a queue's service mode",
		details: "join and leave need a queue; pause and unpause without one act on every queue of the agent.\n" +
			"--reason is for pause only. service puts a queue device in service, in night service or out of service.",
		examples: []string{
			"ctictl queue join hq/agent1 600",
			"ctictl queue pause hq/agent1 --reason lunch",
			"ctictl queue unpause hq/agent1",
			"ctictl queue service cc/600 night",
		},
		setup: func(fs *flag.FlagSet) runFunc {
			reason := fs.String("reason", "", "why the agent pauses (pause only)")
			return func(ctx context.Context, a *app, args []string) error {
				if err := nargs(args, 2, 3); err != nil {
					return err
				}
				op := args[0]
				if !slices.Contains([]string{"join", "leave", "pause", "unpause", "service"}, op) {
					return usagef("queue operation must be join, leave, pause, unpause or service, got %q", op)
				}
				dev, err := deviceRef(args[1])
				if err == nil && op == "service" {
					mode, ok := serviceModes[strings.ToLower(strings.Join(args[2:], ""))]
					if !ok {
						return usagef("queue service needs a mode: in, night or out")
					}
					return do(ctx, a, "SetQueueServiceMode", a.host.SetQueueServiceMode, &ctiv1.SetQueueServiceModeRequest{Device: dev, Mode: mode})
				}
				if err != nil {
					return err
				}
				req := &ctiv1.QueueRequest{Device: dev, Reason: *reason}
				if len(args) == 3 {
					req.Queue = args[2]
				}
				if *reason != "" && op != "pause" {
					return usagef("--reason is for pause only")
				}
				if req.Queue == "" && (op == "join" || op == "leave") {
					return usagef("queue %s needs a queue", op)
				}
				switch op {
				case "join":
					return do(ctx, a, "JoinQueue", a.host.JoinQueue, req)
				case "leave":
					return do(ctx, a, "LeaveQueue", a.host.LeaveQueue, req)
				case "pause":
					return do(ctx, a, "PauseAgent", a.host.PauseAgent, req)
				default:
					return do(ctx, a, "UnpauseAgent", a.host.UnpauseAgent, req)
				}
			}
		},
	},
}

// adminCommands are the operators' commands of the Admin service.
var adminCommands = []*command{
	{
		name:    "plugins",
		args:    "[restart <site> <driver> | swap <driver> [--binary PATH] [--sha256 HEX] [--site S]...]",
		summary: "list plugin instances (state, version, process, restarts, swaps, last error), restart one, or swap a driver's binary",
		details: "swap starts the new binary beside the old one and moves each site over only once the new process is ready; " +
			"a binary that fails to start or crashes within its probation is rolled back. List one --site first for a canary, then the rest. " +
			"A process shared by several sites (isolation = \"driver\") is named by any of its sites, and restarted or swapped for all of them.",
		examples: []string{"ctictl plugins", "ctictl -json plugins", "ctictl plugins restart hq grandstream",
			"ctictl plugins swap grandstream --binary ./bin/plugins/cti-driver-grandstream.new --site hq"},
		setup: func(fs *flag.FlagSet) runFunc {
			binary := fs.String("binary", "", "swap: the new driver binary `PATH` (default: the configured path, rebuilt in place)")
			sum := fs.String("sha256", "", "swap: pin the new binary to this sha256 `HEX`")
			var sites stringList
			fs.Var(&sites, "site", "swap: only this `site`, in the order given (repeatable)")
			return func(ctx context.Context, a *app, args []string) error {
				switch {
				case len(args) > 0 && args[0] == "restart":
					if err := nargs(args, 3, 3); err != nil {
						return err
					}
					p, err := unary(ctx, a, "RestartPlugin", a.admin.RestartPlugin, &ctiv1.RestartPluginRequest{Site: args[1], Driver: args[2]})
					if err != nil {
						return err
					}
					return a.print(p, func(w io.Writer) { printPlugins(w, []*ctiv1.PluginInstance{p}) })
				case len(args) > 0 && args[0] == "swap":
					if err := nargs(args, 2, 2); err != nil {
						return err
					}
					req := &ctiv1.SwapPluginRequest{Driver: args[1], Binary: *binary, Sha256: *sum, Sites: sites}
					resp, err := unary(ctx, a, "SwapPlugin", a.admin.SwapPlugin, req)
					if err != nil {
						return err
					}
					return a.print(resp, func(w io.Writer) {
						printPlugins(w, resp.GetPlugins())
						for i, p := range resp.GetPlugins() {
							fmt.Fprintf(w, "swapped %s/%s in %dms\n", siteCell(p), p.GetDriver(), resp.GetDurationsMs()[i])
						}
					})
				}
				if err := nargs(args, 0, 0); err != nil {
					return err
				}
				resp, err := unary(ctx, a, "ListPlugins", a.admin.ListPlugins, &ctiv1.ListPluginsRequest{})
				if err != nil {
					return err
				}
				return a.print(resp, func(w io.Writer) { printPlugins(w, resp.GetPlugins()) })
			}
		},
	},
	{
		name:     "sites",
		args:     "",
		summary:  "list sites with their devices and the driver serving each",
		examples: []string{"ctictl sites"},
		setup: noFlags(func(ctx context.Context, a *app, args []string) error {
			if err := nargs(args, 0, 0); err != nil {
				return err
			}
			resp, err := unary(ctx, a, "ListSites", a.admin.ListSites, &ctiv1.ListSitesRequest{})
			if err != nil {
				return err
			}
			return a.print(resp, func(w io.Writer) { printSites(w, resp.GetSites()) })
		}),
	},
}

// serviceModes maps the queue service words to QueueServiceMode.
var serviceModes = map[string]ctiv1.QueueServiceMode{
	"in":    ctiv1.QueueServiceMode_QUEUE_SERVICE_MODE_IN_SERVICE,
	"night": ctiv1.QueueServiceMode_QUEUE_SERVICE_MODE_NIGHT_SERVICE,
	"out":   ctiv1.QueueServiceMode_QUEUE_SERVICE_MODE_OUT_OF_SERVICE,
}
