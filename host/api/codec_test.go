package api

import (
	"bytes"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/ctihost/ctihost/host/bus"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// The codec sends an encoded event's bytes as they are, encodes an event
// the bus could not encode itself, and leaves every other message to
// gRPC's protobuf codec.
func TestWireCodecSendsEncodedBytes(t *testing.T) {
	c := newWireCodec()
	ev := &ctiv1.Event{Sequence: 7, Site: "hq", Device: "hq/desk",
		Payload: &ctiv1.Event_CallChanged{CallChanged: &ctiv1.CallChanged{Call: &ctiv1.Call{CallId: "c1"}}}}
	want, err := proto.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]any{
		"encoded":           &bus.Encoded{Event: ev, Wire: want},
		"bus could not":     &bus.Encoded{Event: ev},
		"any other message": ev,
	} {
		out, err := c.Marshal(v)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := out.Materialize(); !bytes.Equal(got, want) {
			t.Errorf("%s: sent %x, want %x", name, got, want)
		}
		var back ctiv1.Event
		if err := c.Unmarshal(out, &back); err != nil || !proto.Equal(&back, ev) {
			t.Errorf("%s: decodes to %v (%v), want %v", name, &back, err, ev)
		}
	}
}
