package gssim

import (
	"errors"
	"testing"

	"github.com/ctihost/ctihost/plugins/grandstream/gsapi"
)

func TestDPCallStateMachine(t *testing.T) {
	p := newPhone(t, Options{Model: "DP750"})
	c := serve(t, p, "admin", 0)

	t.Run("make call, remote answers, hold, unhold, end", func(t *testing.T) {
		must(t, c.MakeCall(bg, 1, "3501"))
		wantLine(t, p, 1, 1, StateCalling, true)
		lines, err := c.HandsetLineStatus(bg, 1)
		must(t, err)
		if lines[0].Status != StateCalling || lines[0].Account != 1 || !lines[0].Active {
			t.Errorf("line 1 = %+v", lines[0])
		}
		if hs, _ := c.HandsetStatus(bg, 1); hs.Status != "busy" {
			t.Errorf("handset status %q during a call", hs.Status)
		}
		must(t, p.RemoteAnswer(1))
		wantLine(t, p, 1, 1, StateConnected, true)
		must(t, c.DeviceOperation(bg, 1, 1, "holdcall"))
		wantLine(t, p, 1, 1, StateOnHold, true)
		must(t, c.DeviceOperation(bg, 1, 1, "unholdcall"))
		wantLine(t, p, 1, 1, StateConnected, true)
		wantRefused(t, c.DeviceOperation(bg, 1, 2, "endcall"))
		must(t, c.DeviceOperation(bg, 1, 1, "endcall"))
		wantLine(t, p, 1, 1, StateIdle, true) // DP keeps the focus on Line1 while idle
	})

	t.Run("second make_call holds the first", func(t *testing.T) {
		must(t, c.MakeCall(bg, 1, "3501"))
		must(t, p.RemoteAnswer(1))
		must(t, c.MakeCall(bg, 1, "3502"))
		wantLine(t, p, 1, 1, StateOnHold, false)
		wantLine(t, p, 1, 2, StateCalling, true)
		must(t, c.DeviceOperation(bg, 1, 2, "cancel"))
		wantLine(t, p, 1, 1, StateOnHold, true)
		must(t, c.DeviceOperation(bg, 1, 1, "endcall"))
	})

	t.Run("keys dial, offhook answers, onhook hangs up", func(t *testing.T) {
		must(t, c.SendKeys(bg, 1, []string{"1", "0", "0", "0", "#"}))
		wantLine(t, p, 1, 1, StateCalling, true)
		if p.Lines(1)[0].RemoteNumber != "1000" {
			t.Errorf("dialed %q", p.Lines(1)[0].RemoteNumber)
		}
		must(t, c.SendKeys(bg, 1, []string{"ONHOOK"}))
		wantLine(t, p, 1, 1, StateIdle, true)
		ring(t, p)
		must(t, c.SendKeys(bg, 1, []string{"OFFHOOK"}))
		wantLine(t, p, 1, 1, StateConnected, true)
		must(t, c.SendKeys(bg, 1, []string{"ONHOOK"}))
		wantLine(t, p, 1, 1, StateIdle, true)
		wantRefused(t, c.SendKeys(bg, 1, []string{"ONHOOK"}))
		ring(t, p)
		must(t, c.SendKeys(bg, 1, []string{"ONHOOK"}))
		wantLine(t, p, 1, 1, StateIdle, true)
	})

	t.Run("dnd, speaker and mute", func(t *testing.T) {
		must(t, c.DeviceOperation(bg, 1, 0, "setdnd"))
		if !p.State().DND {
			t.Error("setdnd did not set DND")
		}
		if _, err := p.RingIn("5551001", ""); !errors.Is(err, ErrNotApplicable) {
			t.Errorf("RingIn with DND err = %v", err)
		}
		must(t, c.DeviceOperation(bg, 1, 0, "unsetdnd"))
		must(t, c.DeviceOperation(bg, 1, 0, "speaker"))
		if !p.State().Speaker {
			t.Error("speaker not on")
		}
		wantRefused(t, c.DeviceOperation(bg, 1, 0, "mute"))
		dpConnect(t, p)
		must(t, c.DeviceOperation(bg, 1, 0, "mute"))
		if !p.State().Muted {
			t.Error("not muted")
		}
		must(t, p.RemoteHangup(1))
		if st := p.State(); st.Muted {
			t.Error("still muted after the remote hung up")
		}
	})

	t.Run("unpaired handset refuses", func(t *testing.T) {
		wantRefused(t, c.MakeCall(bg, 2, "3501"))
		wantRefused(t, c.SendKeys(bg, 3, []string{"OK"}))
		wantRefused(t, c.DeviceOperation(bg, 6, 0, "speaker"))
		hs, err := c.HandsetStatus(bg, 2)
		if err != nil || hs.Subscribed || hs.Initialized || hs.Status != "" {
			t.Errorf("HandsetStatus(2) = %+v, %v", hs, err)
		}
		if _, err := c.HandsetStatus(bg, 6); !errors.Is(err, gsapi.ErrRefused) {
			t.Errorf("HandsetStatus(6) err = %v, want refused", err)
		}
	})

	t.Run("gxp functions answer 404", func(t *testing.T) {
		if _, err := c.LineStatus(bg); !errors.Is(err, gsapi.ErrUnsupported) {
			t.Errorf("LineStatus on DP err = %v, want ErrUnsupported", err)
		}
	})

	t.Run("more paired handsets", func(t *testing.T) {
		p2 := newPhone(t, Options{Model: "DP752", PairedHandsets: 2})
		c2 := serve(t, p2, "admin", 0)
		must(t, c2.MakeCall(bg, 2, "3501"))
		wantLine(t, p2, 2, 1, StateCalling, true)
		wantLine(t, p2, 1, 1, StateIdle, true)
	})
}
