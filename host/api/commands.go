package api

// Every command is one call to forward, which does the routing; the list
// follows host.proto's order.

import (
	"context"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc/codes"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
)

// Dial forwards to Driver.Dial. A driver built before DialRequest had
// options would ignore them, so the host refuses them itself for a model
// that does not declare them.
func (s *HostServer) Dial(ctx context.Context, r *ctiv1.DialRequest) (*ctiv1.DialResponse, error) {
	if sdk.HasDialOptions(r) {
		rt, err := s.router.Resolve(ctx, r.GetDevice())
		if err != nil {
			return nil, err
		}
		if !rt.inst.Offers(rt.device, rt.model, ctiv1.Capability_CAPABILITY_DIAL_OPTIONS) {
			return nil, sdk.DialOptionsUnsupported(rt.model).GRPCStatus().Err()
		}
	}
	return forward(ctx, s, "Dial", r, ctiv1.DriverClient.Dial)
}

// Answer forwards to Driver.Answer.
func (s *HostServer) Answer(ctx context.Context, r *ctiv1.CallRequest) (*ctiv1.CommandResponse, error) {
	return forward(ctx, s, "Answer", r, ctiv1.DriverClient.Answer)
}

// Reject forwards to Driver.Reject.
func (s *HostServer) Reject(ctx context.Context, r *ctiv1.CallRequest) (*ctiv1.CommandResponse, error) {
	return forward(ctx, s, "Reject", r, ctiv1.DriverClient.Reject)
}

// Hangup forwards to Driver.Hangup.
func (s *HostServer) Hangup(ctx context.Context, r *ctiv1.CallRequest) (*ctiv1.CommandResponse, error) {
	return forward(ctx, s, "Hangup", r, ctiv1.DriverClient.Hangup)
}

// Hold forwards to Driver.Hold.
func (s *HostServer) Hold(ctx context.Context, r *ctiv1.CallRequest) (*ctiv1.CommandResponse, error) {
	return forward(ctx, s, "Hold", r, ctiv1.DriverClient.Hold)
}

// Resume forwards to Driver.Resume.
func (s *HostServer) Resume(ctx context.Context, r *ctiv1.CallRequest) (*ctiv1.CommandResponse, error) {
	return forward(ctx, s, "Resume", r, ctiv1.DriverClient.Resume)
}

// BlindTransfer forwards to Driver.BlindTransfer.
func (s *HostServer) BlindTransfer(ctx context.Context, r *ctiv1.TransferRequest) (*ctiv1.CommandResponse, error) {
	return forward(ctx, s, "BlindTransfer", r, ctiv1.DriverClient.BlindTransfer)
}

// ConsultTransfer forwards to Driver.ConsultTransfer.
func (s *HostServer) ConsultTransfer(ctx context.Context, r *ctiv1.TransferRequest) (*ctiv1.ConsultTransferResponse, error) {
	return forward(ctx, s, "ConsultTransfer", r, ctiv1.DriverClient.ConsultTransfer)
}

// CompleteTransfer forwards to Driver.CompleteTransfer.
func (s *HostServer) CompleteTransfer(ctx context.Context, r *ctiv1.CallPairRequest) (*ctiv1.CommandResponse, error) {
	return forward(ctx, s, "CompleteTransfer", r, ctiv1.DriverClient.CompleteTransfer)
}

// Conference forwards to Driver.Conference.
func (s *HostServer) Conference(ctx context.Context, r *ctiv1.CallPairRequest) (*ctiv1.CommandResponse, error) {
	return forward(ctx, s, "Conference", r, ctiv1.DriverClient.Conference)
}

// SendDTMF forwards to Driver.SendDTMF.
func (s *HostServer) SendDTMF(ctx context.Context, r *ctiv1.SendDTMFRequest) (*ctiv1.CommandResponse, error) {
	return forward(ctx, s, "SendDTMF", r, ctiv1.DriverClient.SendDTMF)
}

// Redirect forwards to Driver.Redirect.
func (s *HostServer) Redirect(ctx context.Context, r *ctiv1.TransferRequest) (*ctiv1.CommandResponse, error) {
	return forward(ctx, s, "Redirect", r, ctiv1.DriverClient.Redirect)
}

// Park forwards to Driver.Park.
func (s *HostServer) Park(ctx context.Context, r *ctiv1.ParkRequest) (*ctiv1.ParkResponse, error) {
	return forward(ctx, s, "Park", r, ctiv1.DriverClient.Park)
}

// Unpark forwards to Driver.Unpark.
func (s *HostServer) Unpark(ctx context.Context, r *ctiv1.UnparkRequest) (*ctiv1.UnparkResponse, error) {
	return forward(ctx, s, "Unpark", r, ctiv1.DriverClient.Unpark)
}

// SetDND forwards to Driver.SetDND.
func (s *HostServer) SetDND(ctx context.Context, r *ctiv1.SetDNDRequest) (*ctiv1.CommandResponse, error) {
	return forward(ctx, s, "SetDND", r, ctiv1.DriverClient.SetDND)
}

// SetForward forwards to Driver.SetForward.
func (s *HostServer) SetForward(ctx context.Context, r *ctiv1.SetForwardRequest) (*ctiv1.CommandResponse, error) {
	return forward(ctx, s, "SetForward", r, ctiv1.DriverClient.SetForward)
}

// ClearForward forwards to Driver.ClearForward.
func (s *HostServer) ClearForward(ctx context.Context, r *ctiv1.ClearForwardRequest) (*ctiv1.CommandResponse, error) {
	return forward(ctx, s, "ClearForward", r, ctiv1.DriverClient.ClearForward)
}

// SetMute forwards to Driver.SetMute.
func (s *HostServer) SetMute(ctx context.Context, r *ctiv1.SetMuteRequest) (*ctiv1.CommandResponse, error) {
	return forward(ctx, s, "SetMute", r, ctiv1.DriverClient.SetMute)
}

// EnableSpeaker forwards to Driver.EnableSpeaker.
func (s *HostServer) EnableSpeaker(ctx context.Context, r *ctiv1.DeviceRequest) (*ctiv1.CommandResponse, error) {
	return forward(ctx, s, "EnableSpeaker", r, ctiv1.DriverClient.EnableSpeaker)
}

// Reboot forwards to Driver.Reboot.
func (s *HostServer) Reboot(ctx context.Context, r *ctiv1.DeviceRequest) (*ctiv1.CommandResponse, error) {
	return forward(ctx, s, "Reboot", r, ctiv1.DriverClient.Reboot)
}

// FactoryReset forwards to Driver.FactoryReset.
func (s *HostServer) FactoryReset(ctx context.Context, r *ctiv1.FactoryResetRequest) (*ctiv1.CommandResponse, error) {
	return forward(ctx, s, "FactoryReset", r, ctiv1.DriverClient.FactoryReset)
}

// JoinQueue forwards to Driver.JoinQueue.
func (s *HostServer) JoinQueue(ctx context.Context, r *ctiv1.QueueRequest) (*ctiv1.CommandResponse, error) {
	return forward(ctx, s, "JoinQueue", r, ctiv1.DriverClient.JoinQueue)
}

// LeaveQueue forwards to Driver.LeaveQueue.
func (s *HostServer) LeaveQueue(ctx context.Context, r *ctiv1.QueueRequest) (*ctiv1.CommandResponse, error) {
	return forward(ctx, s, "LeaveQueue", r, ctiv1.DriverClient.LeaveQueue)
}

// PauseAgent forwards to Driver.PauseAgent.
func (s *HostServer) PauseAgent(ctx context.Context, r *ctiv1.QueueRequest) (*ctiv1.CommandResponse, error) {
	return forward(ctx, s, "PauseAgent", r, ctiv1.DriverClient.PauseAgent)
}

// SendKeys forwards to Driver.SendKeys; like Dial's options, key timing
// is refused by the host for a model that does not declare it.
func (s *HostServer) SendKeys(ctx context.Context, r *ctiv1.SendKeysRequest) (*ctiv1.CommandResponse, error) {
	if sdk.TimedKeys(r) {
		rt, err := s.router.Resolve(ctx, r.GetDevice())
		if err != nil {
			return nil, err
		}
		if m := rt.inst.Model(rt.model); m != nil && !m.GetTimedKeys() {
			return nil, sdk.TimedKeysUnsupported(m.GetModel()).GRPCStatus().Err()
		}
	}
	return forward(ctx, s, "SendKeys", r, ctiv1.DriverClient.SendKeys)
}

// ShowText forwards to Driver.ShowText.
func (s *HostServer) ShowText(ctx context.Context, r *ctiv1.ShowTextRequest) (*ctiv1.CommandResponse, error) {
	return forward(ctx, s, "ShowText", r, ctiv1.DriverClient.ShowText)
}

// LookupContact forwards to Driver.LookupContact when the device's model
// has a directory of its own (a PBX phonebook); otherwise, or while its
// driver is down, the site's directory block answers, if it has one.
func (s *HostServer) LookupContact(ctx context.Context, r *ctiv1.LookupContactRequest) (*ctiv1.LookupContactResponse, error) {
	rt, err := s.router.Resolve(ctx, r.GetDevice())
	if err != nil {
		return nil, err
	}
	site, _, _ := strings.Cut(r.GetDevice(), "/")
	if dir := s.Directory(site); dir != nil && !hasCapability(rt.inst.Model(rt.model), ctiv1.Capability_CAPABILITY_LOOKUP_CONTACT) {
		began := time.Now()
		if e := sdk.ValidateLookup(r); e != nil {
			s.metrics.Command("LookupContact", codes.InvalidArgument, time.Since(began))
			return nil, e.GRPCStatus().Err()
		}
		resp := &ctiv1.LookupContactResponse{}
		if r.GetNumber() != "" {
			resp.Contacts = dir.LookupNumber(r.GetNumber(), int(r.GetLimit()))
		} else {
			resp.Contacts = dir.LookupName(r.GetQuery(), int(r.GetLimit()))
		}
		s.metrics.Command("LookupContact", codes.OK, time.Since(began))
		return resp, nil
	}
	return forward(ctx, s, "LookupContact", r, ctiv1.DriverClient.LookupContact)
}

// hasCapability reports whether m declares c (false for no model).
func hasCapability(m *ctiv1.ModelInfo, c ctiv1.Capability) bool {
	return m != nil && slices.Contains(m.GetCapabilities(), c)
}

// SetCallData forwards to Driver.SetCallData.
func (s *HostServer) SetCallData(ctx context.Context, r *ctiv1.SetCallDataRequest) (*ctiv1.CommandResponse, error) {
	return forward(ctx, s, "SetCallData", r, ctiv1.DriverClient.SetCallData)
}

// SetRecording forwards to Driver.SetRecording.
func (s *HostServer) SetRecording(ctx context.Context, r *ctiv1.SetRecordingRequest) (*ctiv1.CommandResponse, error) {
	return forward(ctx, s, "SetRecording", r, ctiv1.DriverClient.SetRecording)
}

// SetQueueServiceMode forwards to Driver.SetQueueServiceMode.
func (s *HostServer) SetQueueServiceMode(ctx context.Context, r *ctiv1.SetQueueServiceModeRequest) (*ctiv1.CommandResponse, error) {
	return forward(ctx, s, "SetQueueServiceMode", r, ctiv1.DriverClient.SetQueueServiceMode)
}

// UnpauseAgent forwards to Driver.UnpauseAgent.
func (s *HostServer) UnpauseAgent(ctx context.Context, r *ctiv1.QueueRequest) (*ctiv1.CommandResponse, error) {
	return forward(ctx, s, "UnpauseAgent", r, ctiv1.DriverClient.UnpauseAgent)
}
