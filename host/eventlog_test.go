package main

import (
	"fmt"
	"path/filepath"
	"syscall"
	"testing"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// With event_log_dir the host sequence survives a restart: an app resumes
// with the from_sequence it had, gets the logged events with their
// sequences, and a call that ended while the host was down ends as LOST.
func TestEventLogResumesAcrossARestartAndEndsLostCalls(t *testing.T) {
	reception := newPhone(t, "reception", "GXP2135")
	listen := freeAddr(t)
	dir := filepath.Join(t.TempDir(), "events")
	path := writeConfig(t, listen, map[string][]*testPhone{"hq": {reception}}, fmt.Sprintf("event_log_dir = %q", dir))
	h := runHost(t, listen, path, 1)
	before := watch(t, h, &ctiv1.WatchEventsRequest{FromSequence: 1, Devices: []string{"hq/reception"}, Kinds: []ctiv1.EventKind{ctiv1.EventKind_EVENT_KIND_CALL}})
	line, err := reception.sim.RingIn("5551234", "Alice")
	if err != nil {
		t.Fatal(err)
	}
	ring := before.waitEvent(t, "ringing", callIn("hq/reception", ctiv1.CallState_CALL_STATE_RINGING))

	// The host stops; the caller gives up meanwhile; the host starts again.
	if err := h.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-h.done
	if err := reception.sim.RemoteHangup(line); err != nil {
		t.Fatal(err)
	}
	h2 := runHost(t, listen, path, 1)
	after := watch(t, h2, &ctiv1.WatchEventsRequest{FromSequence: ring.GetSequence(), Devices: []string{"hq/reception"}, Kinds: []ctiv1.EventKind{ctiv1.EventKind_EVENT_KIND_CALL}})
	lost := after.waitEvent(t, "the call ended as lost", func(ev *ctiv1.Event) bool {
		return ev.GetCallEnded().GetCall().GetCallId() == ring.GetCallChanged().GetCall().GetCallId()
	})
	if lost.GetCallEnded().GetReason() != ctiv1.EndReason_END_REASON_LOST || lost.GetSequence() <= ring.GetSequence() {
		t.Errorf("the call's end: reason %s, sequence %d (ringing was %d)", lost.GetCallEnded().GetReason(), lost.GetSequence(), ring.GetSequence())
	}
	got := after.snapshot()
	if len(got) == 0 || got[0].GetGap() != nil || got[0].GetSequence() != ring.GetSequence() ||
		got[0].GetCallChanged().GetCall().GetCallId() != ring.GetCallChanged().GetCall().GetCallId() {
		t.Fatalf("the resumed stream starts with %v, want the logged ringing event %d", got[0], ring.GetSequence())
	}
	var last uint64
	for _, ev := range got {
		if ev.GetGap() != nil {
			t.Errorf("a gap across the restart: %v", ev)
		}
		if ev.GetSequence() <= last {
			t.Errorf("sequence %d after %d", ev.GetSequence(), last)
		}
		last = ev.GetSequence()
	}
}
