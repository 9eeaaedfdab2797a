package sdk

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// everything declares every capability, so that only validation can refuse.
func everything() *ctiv1.ModelInfo {
	m := &ctiv1.ModelInfo{Model: "All"}
	for _, c := range methodCapability {
		m.Capabilities = append(m.Capabilities, c)
	}
	return m
}

func TestGuardValidatesRequests(t *testing.T) {
	d := newFake()
	d.info.Models = []*ctiv1.ModelInfo{everything()}
	c := serveGuarded(t, d)
	configure(t, c, &ctiv1.DeviceConfig{Device: "d", Model: "all"})
	long := strings.Repeat("1", maxDestination+1)
	keys65 := make([]string, 65)
	for i := range keys65 {
		keys65[i] = "1"
	}
	tests := []struct {
		name   string
		method string
		call   func(ctx context.Context) error
		valid  bool
	}{
		{"lookup by number", "LookupContact", func(ctx context.Context) error {
			_, err := c.LookupContact(ctx, &ctiv1.LookupContactRequest{Device: "d", Number: "+441632960001"})
			return err
		}, true},
		{"lookup by name", "LookupContact", func(ctx context.Context) error {
			_, err := c.LookupContact(ctx, &ctiv1.LookupContactRequest{Device: "d", Query: "ACME", Limit: 100})
			return err
		}, true},
		{"lookup with neither number nor query", "LookupContact", func(ctx context.Context) error {
			_, err := c.LookupContact(ctx, &ctiv1.LookupContactRequest{Device: "d"})
			return err
		}, false},
		{"lookup with both number and query", "LookupContact", func(ctx context.Context) error {
			_, err := c.LookupContact(ctx, &ctiv1.LookupContactRequest{Device: "d", Number: "1", Query: "a"})
			return err
		}, false},
		{"lookup a number with letters", "LookupContact", func(ctx context.Context) error {
			_, err := c.LookupContact(ctx, &ctiv1.LookupContactRequest{Device: "d", Number: "0800-FLOWERS"})
			return err
		}, false},
		{"lookup with a wildcard", "LookupContact", func(ctx context.Context) error {
			_, err := c.LookupContact(ctx, &ctiv1.LookupContactRequest{Device: "d", Query: "%"})
			return err
		}, false},
		{"lookup with a limit over 100", "LookupContact", func(ctx context.Context) error {
			_, err := c.LookupContact(ctx, &ctiv1.LookupContactRequest{Device: "d", Query: "a", Limit: 101})
			return err
		}, false},
		{"dial with a negative line", "Dial", func(ctx context.Context) error {
			_, err := c.Dial(ctx, &ctiv1.DialRequest{Device: "d", Destination: "100", Line: -1})
			return err
		}, false},
		{"dial without destination", "Dial", func(ctx context.Context) error {
			_, err := c.Dial(ctx, &ctiv1.DialRequest{Device: "d"})
			return err
		}, false},
		{"dial a destination too long", "Dial", func(ctx context.Context) error {
			_, err := c.Dial(ctx, &ctiv1.DialRequest{Device: "d", Destination: long})
			return err
		}, false},
		{"dial a destination with a space", "Dial", func(ctx context.Context) error {
			_, err := c.Dial(ctx, &ctiv1.DialRequest{Device: "d", Destination: "10 0"})
			return err
		}, false},
		{"dial a sip uri", "Dial", func(ctx context.Context) error {
			_, err := c.Dial(ctx, &ctiv1.DialRequest{Device: "d", Destination: "sip:100@pbx.example/x"})
			return err
		}, true},
		{"dial a number on line 2", "Dial", func(ctx context.Context) error {
			_, err := c.Dial(ctx, &ctiv1.DialRequest{Device: "d", Destination: "*100#", Line: 2})
			return err
		}, true},
		{"call request without call_id", "Answer", func(ctx context.Context) error {
			_, err := c.Answer(ctx, &ctiv1.CallRequest{Device: "d"})
			return err
		}, false},
		{"transfer without call_id", "BlindTransfer", func(ctx context.Context) error {
			_, err := c.BlindTransfer(ctx, &ctiv1.TransferRequest{Device: "d", Destination: "100"})
			return err
		}, false},
		{"transfer without destination", "BlindTransfer", func(ctx context.Context) error {
			_, err := c.BlindTransfer(ctx, &ctiv1.TransferRequest{Device: "d", CallId: "1-1"})
			return err
		}, false},
		{"redirect to an undiallable destination", "Redirect", func(ctx context.Context) error {
			_, err := c.Redirect(ctx, &ctiv1.TransferRequest{Device: "d", CallId: "1-1", Destination: "100&x=1"})
			return err
		}, false},
		{"conference without call_id", "Conference", func(ctx context.Context) error {
			_, err := c.Conference(ctx, &ctiv1.CallPairRequest{Device: "d", OtherCallId: "1-2"})
			return err
		}, false},
		{"complete transfer without other_call_id", "CompleteTransfer", func(ctx context.Context) error {
			_, err := c.CompleteTransfer(ctx, &ctiv1.CallPairRequest{Device: "d", CallId: "1-1"})
			return err
		}, false},
		{"conference of a call with itself", "Conference", func(ctx context.Context) error {
			_, err := c.Conference(ctx, &ctiv1.CallPairRequest{Device: "d", CallId: "1-1", OtherCallId: "1-1"})
			return err
		}, false},
		{"dtmf without call_id", "SendDTMF", func(ctx context.Context) error {
			_, err := c.SendDTMF(ctx, &ctiv1.SendDTMFRequest{Device: "d", Digits: "1"})
			return err
		}, false},
		{"dtmf without digits", "SendDTMF", func(ctx context.Context) error {
			_, err := c.SendDTMF(ctx, &ctiv1.SendDTMFRequest{Device: "d", CallId: "1-1"})
			return err
		}, false},
		{"dtmf with a letter", "SendDTMF", func(ctx context.Context) error {
			_, err := c.SendDTMF(ctx, &ctiv1.SendDTMFRequest{Device: "d", CallId: "1-1", Digits: "12a"})
			return err
		}, false},
		{"dtmf with 33 digits", "SendDTMF", func(ctx context.Context) error {
			_, err := c.SendDTMF(ctx, &ctiv1.SendDTMFRequest{Device: "d", CallId: "1-1", Digits: strings.Repeat("1", 33)})
			return err
		}, false},
		{"dtmf with every allowed digit", "SendDTMF", func(ctx context.Context) error {
			_, err := c.SendDTMF(ctx, &ctiv1.SendDTMFRequest{Device: "d", CallId: "1-1", Digits: "0123456789*#"})
			return err
		}, true},
		{"park without call_id", "Park", func(ctx context.Context) error {
			_, err := c.Park(ctx, &ctiv1.ParkRequest{Device: "d"})
			return err
		}, false},
		{"unpark without slot", "Unpark", func(ctx context.Context) error {
			_, err := c.Unpark(ctx, &ctiv1.UnparkRequest{Device: "d"})
			return err
		}, false},
		{"forward without mode", "SetForward", func(ctx context.Context) error {
			_, err := c.SetForward(ctx, &ctiv1.SetForwardRequest{Device: "d", Destination: "100"})
			return err
		}, false},
		{"forward without destination", "SetForward", func(ctx context.Context) error {
			_, err := c.SetForward(ctx, &ctiv1.SetForwardRequest{Device: "d", Mode: ctiv1.ForwardMode_FORWARD_MODE_BUSY})
			return err
		}, false},
		{"factory reset without confirm", "FactoryReset", func(ctx context.Context) error {
			_, err := c.FactoryReset(ctx, &ctiv1.FactoryResetRequest{Device: "d"})
			return err
		}, false},
		{"join queue without queue", "JoinQueue", func(ctx context.Context) error {
			_, err := c.JoinQueue(ctx, &ctiv1.QueueRequest{Device: "d"})
			return err
		}, false},
		{"leave queue without queue", "LeaveQueue", func(ctx context.Context) error {
			_, err := c.LeaveQueue(ctx, &ctiv1.QueueRequest{Device: "d"})
			return err
		}, false},
		{"pause in every queue", "PauseAgent", func(ctx context.Context) error {
			_, err := c.PauseAgent(ctx, &ctiv1.QueueRequest{Device: "d"})
			return err
		}, true},
		{"send no keys", "SendKeys", func(ctx context.Context) error {
			_, err := c.SendKeys(ctx, &ctiv1.SendKeysRequest{Device: "d"})
			return err
		}, false},
		{"send 65 keys", "SendKeys", func(ctx context.Context) error {
			_, err := c.SendKeys(ctx, &ctiv1.SendKeysRequest{Device: "d", Keys: keys65})
			return err
		}, false},
		{"send a blank key", "SendKeys", func(ctx context.Context) error {
			_, err := c.SendKeys(ctx, &ctiv1.SendKeysRequest{Device: "d", Keys: []string{"1", " "}})
			return err
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.mu.Lock()
			c.reached = nil
			c.mu.Unlock()
			err := tt.call(t.Context())
			if tt.valid {
				// The fake does not implement the method: reaching it
				// is what a valid request must do.
				if !c.reachedDriver(tt.method) {
					t.Fatalf("valid request did not reach the driver: %v", err)
				}
				return
			}
			wantCode(t, err, codes.InvalidArgument)
			if c.reachedDriver(tt.method) {
				t.Fatal("invalid request reached the driver")
			}
		})
	}
}

func TestGuardChecksKeysAgainstTheModel(t *testing.T) {
	d := newFake()
	phone := everything()
	phone.Keys = []string{"VUP", "VDOWN", "1", "SEND"}
	bare := everything()
	bare.Model = "Bare"
	d.info.Models = []*ctiv1.ModelInfo{phone, bare}
	c := serveGuarded(t, d)
	configure(t, c, &ctiv1.DeviceConfig{Device: "d", Model: "all"}, &ctiv1.DeviceConfig{Device: "b", Model: "bare"})
	tests := []struct {
		name   string
		device string
		keys   []string
		valid  bool
	}{
		{"listed keys in any case", "d", []string{"vup", "1", "Send"}, true},
		{"pound and star are always accepted", "d", []string{"*", "#"}, true},
		{"a key the model does not list", "d", []string{"1", "FLASH"}, false},
		{"a model without a key list takes any key", "b", []string{"FLASH"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.mu.Lock()
			c.reached = nil
			c.mu.Unlock()
			_, err := c.SendKeys(t.Context(), &ctiv1.SendKeysRequest{Device: tt.device, Keys: tt.keys})
			if tt.valid {
				if !c.reachedDriver("SendKeys") {
					t.Fatalf("valid keys did not reach the driver: %v", err)
				}
				return
			}
			st := wantCode(t, err, codes.InvalidArgument)
			if !strings.Contains(st.Message(), `"FLASH"`) {
				t.Errorf("message %q does not name the key", st.Message())
			}
		})
	}
}
