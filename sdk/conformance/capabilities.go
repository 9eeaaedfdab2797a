package conformance

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
)

// probeCall and friends name things that do not exist, for well-formed
// requests that must be refused without acting.
const (
	probeCall   = "conformance-no-such-call"
	probeOther  = "conformance-no-such-other-call"
	probeQueue  = "conformance-no-such-queue"
	probeDevice = "conformance-no-such-device"
)

// invoker calls one command RPC on device with a well-formed request that
// names no real call, queue or slot. FactoryReset is sent with
// confirm=false: the kit never resets a device.
type invoker func(ctx context.Context, c ctiv1.DriverClient, device, key string) error

func ignore[T any](_ T, err error) error { return err }

// commands holds an invoker for every command RPC of the Driver service.
var commands = map[string]invoker{
	"Dial": func(ctx context.Context, c ctiv1.DriverClient, dev, _ string) error {
		return ignore(c.Dial(ctx, &ctiv1.DialRequest{Device: dev, Destination: "2999"}))
	},
	"Answer": func(ctx context.Context, c ctiv1.DriverClient, dev, _ string) error {
		return ignore(c.Answer(ctx, &ctiv1.CallRequest{Device: dev, CallId: probeCall}))
	},
	"Reject": func(ctx context.Context, c ctiv1.DriverClient, dev, _ string) error {
		return ignore(c.Reject(ctx, &ctiv1.CallRequest{Device: dev, CallId: probeCall}))
	},
	"Hangup": func(ctx context.Context, c ctiv1.DriverClient, dev, _ string) error {
		return ignore(c.Hangup(ctx, &ctiv1.CallRequest{Device: dev, CallId: probeCall}))
	},
	"Hold": func(ctx context.Context, c ctiv1.DriverClient, dev, _ string) error {
		return ignore(c.Hold(ctx, &ctiv1.CallRequest{Device: dev, CallId: probeCall}))
	},
	"Resume": func(ctx context.Context, c ctiv1.DriverClient, dev, _ string) error {
		return ignore(c.Resume(ctx, &ctiv1.CallRequest{Device: dev, CallId: probeCall}))
	},
	"BlindTransfer": func(ctx context.Context, c ctiv1.DriverClient, dev, _ string) error {
		return ignore(c.BlindTransfer(ctx, &ctiv1.TransferRequest{Device: dev, CallId: probeCall, Destination: "2999"}))
	},
	"ConsultTransfer": func(ctx context.Context, c ctiv1.DriverClient, dev, _ string) error {
		return ignore(c.ConsultTransfer(ctx, &ctiv1.TransferRequest{Device: dev, CallId: probeCall, Destination: "2999"}))
	},
	"CompleteTransfer": func(ctx context.Context, c ctiv1.DriverClient, dev, _ string) error {
		return ignore(c.CompleteTransfer(ctx, &ctiv1.CallPairRequest{Device: dev, CallId: probeCall, OtherCallId: probeOther}))
	},
	"Conference": func(ctx context.Context, c ctiv1.DriverClient, dev, _ string) error {
		return ignore(c.Conference(ctx, &ctiv1.CallPairRequest{Device: dev, CallId: probeCall, OtherCallId: probeOther}))
	},
	"SendDTMF": func(ctx context.Context, c ctiv1.DriverClient, dev, _ string) error {
		return ignore(c.SendDTMF(ctx, &ctiv1.SendDTMFRequest{Device: dev, CallId: probeCall, Digits: "1"}))
	},
	"Redirect": func(ctx context.Context, c ctiv1.DriverClient, dev, _ string) error {
		return ignore(c.Redirect(ctx, &ctiv1.TransferRequest{Device: dev, CallId: probeCall, Destination: "2999"}))
	},
	"Park": func(ctx context.Context, c ctiv1.DriverClient, dev, _ string) error {
		return ignore(c.Park(ctx, &ctiv1.ParkRequest{Device: dev, CallId: probeCall}))
	},
	"Unpark": func(ctx context.Context, c ctiv1.DriverClient, dev, _ string) error {
		return ignore(c.Unpark(ctx, &ctiv1.UnparkRequest{Device: dev, Slot: "conformance-no-such-slot"}))
	},
	"SetDND": func(ctx context.Context, c ctiv1.DriverClient, dev, _ string) error {
		return ignore(c.SetDND(ctx, &ctiv1.SetDNDRequest{Device: dev, Enabled: false}))
	},
	"SetForward": func(ctx context.Context, c ctiv1.DriverClient, dev, _ string) error {
		return ignore(c.SetForward(ctx, &ctiv1.SetForwardRequest{Device: dev, Mode: ctiv1.ForwardMode_FORWARD_MODE_NO_ANSWER, Destination: "2999"}))
	},
	"ClearForward": func(ctx context.Context, c ctiv1.DriverClient, dev, _ string) error {
		return ignore(c.ClearForward(ctx, &ctiv1.ClearForwardRequest{Device: dev, Mode: ctiv1.ForwardMode_FORWARD_MODE_NO_ANSWER}))
	},
	"SetMute": func(ctx context.Context, c ctiv1.DriverClient, dev, _ string) error {
		return ignore(c.SetMute(ctx, &ctiv1.SetMuteRequest{Device: dev, Muted: true}))
	},
	"EnableSpeaker": func(ctx context.Context, c ctiv1.DriverClient, dev, _ string) error {
		return ignore(c.EnableSpeaker(ctx, &ctiv1.DeviceRequest{Device: dev}))
	},
	"Reboot": func(ctx context.Context, c ctiv1.DriverClient, dev, _ string) error {
		return ignore(c.Reboot(ctx, &ctiv1.DeviceRequest{Device: dev}))
	},
	"FactoryReset": func(ctx context.Context, c ctiv1.DriverClient, dev, _ string) error {
		return ignore(c.FactoryReset(ctx, &ctiv1.FactoryResetRequest{Device: dev, Confirm: false}))
	},
	"JoinQueue": func(ctx context.Context, c ctiv1.DriverClient, dev, _ string) error {
		return ignore(c.JoinQueue(ctx, &ctiv1.QueueRequest{Device: dev, Queue: probeQueue}))
	},
	"LeaveQueue": func(ctx context.Context, c ctiv1.DriverClient, dev, _ string) error {
		return ignore(c.LeaveQueue(ctx, &ctiv1.QueueRequest{Device: dev, Queue: probeQueue}))
	},
	"PauseAgent": func(ctx context.Context, c ctiv1.DriverClient, dev, _ string) error {
		return ignore(c.PauseAgent(ctx, &ctiv1.QueueRequest{Device: dev, Queue: probeQueue, Reason: "conformance"}))
	},
	"UnpauseAgent": func(ctx context.Context, c ctiv1.DriverClient, dev, _ string) error {
		return ignore(c.UnpauseAgent(ctx, &ctiv1.QueueRequest{Device: dev, Queue: probeQueue}))
	},
	"ShowText": func(ctx context.Context, c ctiv1.DriverClient, dev, _ string) error {
		return ignore(c.ShowText(ctx, &ctiv1.ShowTextRequest{Device: dev, Text: "conformance"}))
	},
	"LookupContact": func(ctx context.Context, c ctiv1.DriverClient, dev, _ string) error {
		_, err := c.LookupContact(ctx, &ctiv1.LookupContactRequest{Device: dev, Number: "5550100"})
		return err
	},
	"SetCallData": func(ctx context.Context, c ctiv1.DriverClient, dev, _ string) error {
		tag := "conformance"
		return ignore(c.SetCallData(ctx, &ctiv1.SetCallDataRequest{Device: dev, CallId: probeCall, Tag: &tag}))
	},
	"SetRecording": func(ctx context.Context, c ctiv1.DriverClient, dev, _ string) error {
		return ignore(c.SetRecording(ctx, &ctiv1.SetRecordingRequest{Device: dev, CallId: probeCall, Action: ctiv1.RecordingAction_RECORDING_ACTION_STOP}))
	},
	"SetQueueServiceMode": func(ctx context.Context, c ctiv1.DriverClient, dev, _ string) error {
		return ignore(c.SetQueueServiceMode(ctx, &ctiv1.SetQueueServiceModeRequest{Device: dev, Mode: ctiv1.QueueServiceMode_QUEUE_SERVICE_MODE_IN_SERVICE}))
	},
	"SendKeys": func(ctx context.Context, c ctiv1.DriverClient, dev, key string) error {
		return ignore(c.SendKeys(ctx, &ctiv1.SendKeysRequest{Device: dev, Keys: []string{key}}))
	},
}

// commandMethods lists the Driver service's command RPCs (those that need
// a capability), in proto order.
func commandMethods() []string {
	var methods []string
	for _, m := range ctiv1.Driver_ServiceDesc.Methods {
		if _, ok := sdk.CapabilityFor(m.MethodName); ok {
			methods = append(methods, m.MethodName)
		}
	}
	return methods
}

// testUndeclared holds every device to UNIMPLEMENTED for every command its
// model does not declare.
func (k *kit) testUndeclared(t *testing.T) {
	k.forEachDevice(t, func(t *testing.T, d *device) {
		key := harmlessKey(d.model.GetKeys())
		if key == "" {
			key = "1"
		}
		for _, method := range commandMethods() {
			c, _ := sdk.CapabilityFor(method)
			if d.has(c) {
				continue // exercised by the scenarios
			}
			t.Run(method+" is unimplemented", func(t *testing.T) {
				call := commands[method]
				if call == nil {
					t.Fatalf("the kit cannot call %s yet: add it to sdk/conformance commands", method)
				}
				err := call(k.ctx(t), k.client, d.id, key)
				if ExpectCode(t, err, codes.Unimplemented) {
					return
				}
				t.Errorf("model %s does not declare %s, so %s MUST answer UNIMPLEMENTED", d.model.GetModel(), sdk.CapabilityName(c), method)
			})
		}
	})
}

// unstageable are the capabilities the kit cannot stage with a Lab: they
// need a second party (conference, consultation), a park server or queues.
// The kit calls them with well-formed requests that name nothing real and
// requires a considered answer: not UNIMPLEMENTED, INTERNAL or UNKNOWN.
var unstageable = map[ctiv1.Capability]bool{
	ctiv1.Capability_CAPABILITY_CONSULT_TRANSFER:  true,
	ctiv1.Capability_CAPABILITY_COMPLETE_TRANSFER: true,
	ctiv1.Capability_CAPABILITY_CONFERENCE:        true,
	ctiv1.Capability_CAPABILITY_PARK:              true,
	ctiv1.Capability_CAPABILITY_UNPARK:            true,
	ctiv1.Capability_CAPABILITY_JOIN_QUEUE:        true,
	ctiv1.Capability_CAPABILITY_LEAVE_QUEUE:       true,
	ctiv1.Capability_CAPABILITY_PAUSE_AGENT:       true,
	ctiv1.Capability_CAPABILITY_SHOW_TEXT:         true, // staged only with a DisplayLab
	ctiv1.Capability_CAPABILITY_LOOKUP_CONTACT:    true, // staged only with a DirectoryLab
}

// stagedBy says which scenario exercises a stageable capability, for the
// failure message when none did.
var stagedBy = map[ctiv1.Capability]string{
	capDial:                               "outbound call",
	capAnswer:                             "inbound call",
	capReject:                             "inbound call is rejected",
	capHangup:                             "inbound or outbound call (needs answer or dial)",
	capHold:                               "a connected call (needs answer or dial)",
	capResume:                             "a connected call (needs hold, and answer or dial)",
	capBlindTransfer:                      "blind transfer (needs answer or dial)",
	capSendDTMF:                           "a connected call (needs answer or dial)",
	capRedirect:                           "redirect",
	capSetDND:                             "dnd",
	capSetForward:                         "forwarding",
	capSetMute:                            "mute",
	capSpeaker:                            "speaker",
	capReboot:                             "reboot",
	capFactoryReset:                       "factory reset needs confirm",
	capSendKeys:                           "a harmless key is pressed",
	capCallEvents:                         "any call scenario",
	capDeviceEvents:                       "dnd or unreachable device",
	ctiv1.Capability_CAPABILITY_DISCOVERY: "info: lists every configured device",
	capQueueMode:                          "queue service mode switches and returns",
	capCallData:                           "a connected call is tagged",
	capDialOptions:                        "outbound call (dialled with a tag)",
	capRecording:                          "a connected call's recording starts, pauses, resumes and stops",
}

// testCoverage checks that every capability a model declares was exercised
// by some scenario, and probes the ones the kit cannot stage.
func (k *kit) testCoverage(t *testing.T) {
	k.forEachDevice(t, func(t *testing.T, d *device) {
		var missing, probed []string
		for _, c := range uniqueCaps(d.model.GetCapabilities()) {
			if _, ok := d.coveredBy(c); ok {
				continue
			}
			if unstageable[c] {
				probed = append(probed, sdk.CapabilityName(c))
				d.probe(t, c)
				continue
			}
			why := stagedBy[c]
			if why == "" {
				why = "unknown to this kit; update sdk/conformance"
			}
			missing = append(missing, fmt.Sprintf("%s (scenario: %s)", sdk.CapabilityName(c), why))
		}
		notStaged := "none"
		if len(probed) > 0 {
			notStaged = strings.Join(probed, ", ")
			t.Logf("model %s: called but not staged, the kit cannot stage them: %s", d.model.GetModel(), notStaged)
		}
		if len(missing) > 0 {
			t.Errorf("model %s declares capabilities that no scenario exercised: %s. Every declared capability MUST work. "+
				"(Exempt because the kit cannot stage them, and only called: %s.)", d.model.GetModel(), strings.Join(missing, "; "), notStaged)
		}
	})
}

// probe calls every RPC of capability c with a request naming nothing real.
func (d *device) probe(t *testing.T, c ctiv1.Capability) {
	t.Helper()
	for _, method := range commandMethods() {
		if mc, _ := sdk.CapabilityFor(method); mc != c {
			continue
		}
		err := commands[method](d.k.ctx(t), d.k.client, d.id, "1")
		codeNot(t, fmt.Sprintf("%s (declared %s, not staged)", method, sdk.CapabilityName(c)), err,
			codes.Unimplemented, codes.Internal, codes.Unknown)
	}
}

func uniqueCaps(caps []ctiv1.Capability) []ctiv1.Capability {
	seen := map[ctiv1.Capability]bool{}
	var out []ctiv1.Capability
	for _, c := range caps {
		if c != ctiv1.Capability_CAPABILITY_UNSPECIFIED && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
