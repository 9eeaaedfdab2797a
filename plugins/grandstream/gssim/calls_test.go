package gssim

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ctihost/ctihost/plugins/grandstream/gsapi"
)

func TestGXPCallStateMachine(t *testing.T) {
	p := newPhone(t, Options{Model: "GXP2135"})
	c := serve(t, p, "admin", 0)

	t.Run("ring accept hold resume end", func(t *testing.T) {
		line, err := p.RingIn("5551001", "Ada")
		if err != nil || line != 1 {
			t.Fatalf("RingIn = %d, %v", line, err)
		}
		wantLine(t, p, 0, 1, StateRinging, true)
		if st, _ := c.PhoneStatus(bg); st != gsapi.PhoneBusy {
			t.Errorf("phone status %q while ringing", st)
		}
		must(t, c.PhoneOperation(bg, "acceptcall"))
		wantLine(t, p, 0, 1, StateConnected, true)
		must(t, c.PhoneOperation(bg, "holdcall"))
		wantLine(t, p, 0, 1, StateOnHold, true)
		wantRefused(t, c.PhoneOperation(bg, "holdcall"))
		must(t, c.SendKeys(bg, 0, []string{"LINE1"}))
		wantLine(t, p, 0, 1, StateConnected, true)
		must(t, c.PhoneOperation(bg, "endcall"))
		wantLine(t, p, 0, 1, StateIdle, false)
		wantRefused(t, c.PhoneOperation(bg, "endcall"))
		if st, _ := c.PhoneStatus(bg); st != gsapi.PhoneAvailable {
			t.Errorf("phone status %q when idle", st)
		}
	})

	t.Run("dial with keys then remote answers", func(t *testing.T) {
		must(t, c.SendKeys(bg, 0, []string{"1", "0", "0", "0"}))
		wantLine(t, p, 0, 1, StateDialing, true)
		must(t, c.SendKeys(bg, 0, []string{"SEND"}))
		wantLine(t, p, 0, 1, StateCalling, true)
		lines, err := c.LineStatus(bg)
		must(t, err)
		if lines[0].RemoteNumber != "1000" || !lines[0].Active {
			t.Errorf("line 1 = %+v, want remote 1000 active", lines[0])
		}
		must(t, p.RemoteAnswer(1))
		wantLine(t, p, 0, 1, StateConnected, true)
		if err := p.RemoteAnswer(1); !errors.Is(err, ErrNotApplicable) {
			t.Errorf("second RemoteAnswer err = %v", err)
		}
		must(t, p.RemoteHangup(1))
		wantLine(t, p, 0, 1, StateIdle, false)
	})

	t.Run("hash sends like SEND", func(t *testing.T) {
		must(t, c.SendKeys(bg, 0, []string{"2", "0", "0", "2", "#"}))
		wantLine(t, p, 0, 1, StateCalling, true)
		must(t, c.PhoneOperation(bg, "cancel"))
		wantLine(t, p, 0, 1, StateIdle, false)
	})

	t.Run("second call holds the first and LINEn swaps", func(t *testing.T) {
		ringAndAccept(t, p)
		line, err := p.RingIn("5551002", "Grace")
		if err != nil || line != 2 {
			t.Fatalf("RingIn = %d, %v", line, err)
		}
		wantLine(t, p, 0, 1, StateConnected, true) // focus stays on the established call
		must(t, c.PhoneOperation(bg, "acceptcall"))
		wantLine(t, p, 0, 1, StateOnHold, false)
		wantLine(t, p, 0, 2, StateConnected, true)
		must(t, c.SendKeys(bg, 0, []string{"LINE1"}))
		wantLine(t, p, 0, 1, StateConnected, true)
		wantLine(t, p, 0, 2, StateOnHold, false)
		must(t, c.PhoneOperation(bg, "endcall"))
		wantLine(t, p, 0, 2, StateOnHold, true) // the held call gets the focus
		must(t, p.RemoteHangup(2))
	})

	t.Run("blind transfer", func(t *testing.T) {
		ringAndAccept(t, p)
		must(t, c.SendKeys(bg, 0, []string{"XFER", "2", "0", "0", "2", "SEND"}))
		wantLine(t, p, 0, 1, StateIdle, false)
		if got := p.State().LastTransfer; got != "2002" {
			t.Errorf("LastTransfer = %q, want 2002", got)
		}
	})

	t.Run("reject and cancel ringing calls", func(t *testing.T) {
		ring(t, p)
		must(t, c.PhoneOperation(bg, "rejectcall"))
		wantLine(t, p, 0, 1, StateIdle, false)
		wantRefused(t, c.PhoneOperation(bg, "rejectcall"))
		wantRefused(t, c.PhoneOperation(bg, "acceptcall"))
		wantRefused(t, c.PhoneOperation(bg, "cancel"))
	})

	t.Run("a refused key sequence changes nothing", func(t *testing.T) {
		wantRefused(t, c.SendKeys(bg, 0, []string{"1", "HOLD"}))
		wantLine(t, p, 0, 1, StateIdle, false)
		wantRefused(t, c.SendKeys(bg, 0, []string{"LINE1", "SEND"})) // nothing dialed
		wantLine(t, p, 0, 1, StateIdle, false)
	})

	t.Run("dnd and mute", func(t *testing.T) {
		must(t, c.SendKeys(bg, 0, []string{"DND"}))
		if _, err := p.RingIn("5551003", ""); !errors.Is(err, ErrNotApplicable) {
			t.Errorf("RingIn with DND err = %v", err)
		}
		must(t, c.SendKeys(bg, 0, []string{"DND"}))
		wantRefused(t, c.SendKeys(bg, 0, []string{"MUTE"}))
		ringAndAccept(t, p)
		must(t, c.SendKeys(bg, 0, []string{"MUTE"}))
		if !p.State().Muted {
			t.Error("not muted")
		}
		must(t, c.PhoneOperation(bg, "endcall"))
		if p.State().Muted {
			t.Error("still muted after the last call")
		}
	})

	t.Run("reboot drops calls", func(t *testing.T) {
		ringAndAccept(t, p)
		body, err := c.SysOperation(bg, "REBOOT")
		if err != nil || body != "savereboot" {
			t.Fatalf("SysOperation = %q, %v", body, err)
		}
		wantLine(t, p, 0, 1, StateIdle, false)
		if p.State().Rebooted != 1 {
			t.Errorf("rebooted = %d", p.State().Rebooted)
		}
	})

	t.Run("dp functions answer 404", func(t *testing.T) {
		err := c.MakeCall(bg, 1, "3501")
		if !errors.Is(err, gsapi.ErrUnsupported) {
			t.Errorf("MakeCall on GXP err = %v, want ErrUnsupported", err)
		}
	})
}

func TestAutoAnswer(t *testing.T) {
	p := newPhone(t, Options{Model: "GXP2135", AutoAnswerAfter: 10 * time.Millisecond})
	c := serve(t, p, "admin", 0)
	must(t, c.SendKeys(bg, 0, []string{"3", "5", "0", "1", "SEND"}))
	eventually(t, "auto answer", func() bool { return p.Lines(0)[0].State == StateConnected })

	// a call cancelled before the answer stays idle
	slow := newPhone(t, Options{Model: "DP750", AutoAnswerAfter: 50 * time.Millisecond})
	sc := serve(t, slow, "admin", 0)
	must(t, sc.MakeCall(bg, 1, "3501"))
	must(t, sc.DeviceOperation(bg, 1, 1, "cancel"))
	time.Sleep(100 * time.Millisecond)
	wantLine(t, slow, 1, 1, StateIdle, true)

	// Close stops pending answers
	late := newPhone(t, Options{Model: "GXP2135", AutoAnswerAfter: time.Hour})
	lc := serve(t, late, "admin", 0)
	must(t, lc.SendKeys(bg, 0, []string{"1", "SEND"}))
	late.Close()
	late.mu.Lock()
	pending := len(late.timers)
	late.mu.Unlock()
	if pending != 0 {
		t.Errorf("%d timers pending after Close", pending)
	}
}

// TestRandomOperationsKeepInvariants drives both families with random
// requests and checks the invariants of the line model after each one.
func TestRandomOperationsKeepInvariants(t *testing.T) {
	gxpOps := []string{
		"api-phone_operation?passcode=admin&cmd=acceptcall", "api-phone_operation?passcode=admin&cmd=rejectcall",
		"api-phone_operation?passcode=admin&cmd=endcall", "api-phone_operation?passcode=admin&cmd=holdcall",
		"api-phone_operation?passcode=admin&cmd=cancel", "api-send_key?passcode=admin&keys=1:2",
		"api-send_key?passcode=admin&keys=SEND", "api-send_key?passcode=admin&keys=%23", "api-send_key?passcode=admin&keys=LINE1",
		"api-send_key?passcode=admin&keys=LINE2", "api-send_key?passcode=admin&keys=LINE3", "api-send_key?passcode=admin&keys=HOLD",
		"api-send_key?passcode=admin&keys=XFER", "api-send_key?passcode=admin&keys=MUTE", "api-send_key?passcode=admin&keys=DND",
	}
	dpOps := []string{
		"api-make_call?passcode=admin&hs=1&phonenumber=3501", "api-device_operation?passcode=admin&hs=1&line=1&cmd=acceptcall",
		"api-device_operation?passcode=admin&hs=1&line=2&cmd=holdcall", "api-device_operation?passcode=admin&hs=1&line=1&cmd=unholdcall",
		"api-device_operation?passcode=admin&hs=1&line=2&cmd=endcall", "api-device_operation?passcode=admin&hs=1&line=3&cmd=cancel",
		"api-send_key?passcode=admin&hs=1&keys=OFFHOOK", "api-send_key?passcode=admin&hs=1&keys=ONHOOK",
		"api-send_key?passcode=admin&hs=1&keys=4:HASH", "api-device_operation?passcode=admin&hs=1&cmd=mute",
	}
	for _, tc := range []struct {
		model string
		ops   []string
		hs    int
	}{{"GXP2135", gxpOps, 0}, {"DP750", dpOps, 1}} {
		t.Run(tc.model, func(t *testing.T) {
			p := newPhone(t, Options{Model: tc.model, Lines: 3})
			rng := rand.New(rand.NewPCG(1, 2))
			seen := map[string]bool{}
			for i := range 3000 {
				switch r := rng.IntN(len(tc.ops) + 3); {
				case r < len(tc.ops):
					code, _ := do(t, p, "/cgi-bin/"+tc.ops[r])
					if code != 200 {
						t.Fatalf("step %d %s: http %d", i, tc.ops[r], code)
					}
				case r == len(tc.ops):
					_, _ = p.RingIn("5551001", "x")
				case r == len(tc.ops)+1:
					_ = p.RemoteAnswer(1 + rng.IntN(3))
				default:
					_ = p.RemoteHangup(1 + rng.IntN(3))
				}
				checkInvariants(t, p, tc.hs, i)
				for _, l := range p.Lines(tc.hs) {
					seen[l.State] = true
				}
			}
			for _, s := range []string{StateIdle, StateRinging, StateDialing, StateCalling, StateConnected, StateOnHold} {
				if !seen[s] {
					t.Errorf("the walk never reached %q", s)
				}
			}
		})
	}
}

func checkInvariants(t *testing.T, p *Phone, hs, step int) {
	t.Helper()
	connected, active, busy := 0, 0, false
	var activeLine Line
	for _, l := range p.Lines(hs) {
		if l.State == StateConnected {
			connected++
		}
		if l.Active {
			active++
			activeLine = l
		}
		if l.State != StateIdle {
			busy = true
		}
	}
	st := p.State()
	switch {
	case connected > 1:
		t.Fatalf("step %d: %d connected lines", step, connected)
	case busy && (active != 1 || activeLine.State == StateIdle):
		t.Fatalf("step %d: calls exist but the focus is on %+v (%d active)", step, activeLine, active)
	case !busy && hs == 0 && active != 0:
		t.Fatalf("step %d: idle GXP with an active line", step)
	case !busy && hs == 1 && (active != 1 || !p.Lines(1)[0].Active):
		t.Fatalf("step %d: idle DP handset without focus on line 1", step)
	case st.Muted && connected == 0:
		t.Fatalf("step %d: muted without an established call", step)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantRefused(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, gsapi.ErrRefused) {
		t.Fatalf("err = %v, want the phone to refuse", err)
	}
}
