package supervisor

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hashicorp/go-hclog"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

func TestSanitize(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"ordinary reason", "plugin process exited with status 2", "plugin process exited with status 2"},
		{"lines become one", "panic: boom\n\ngoroutine 1 [running]:\r\n\tmain.main()", "panic: boom goroutine 1 [running]: main.main()"},
		{"terminal escapes", "red \x1b[31mALERT\x1b[0m\x07", "red [31mALERT [0m"},
		{"DEL and C1", "a\x7fb\u0085c\u009bd", "a b c d"},
		{"line separators", "a\u2028b\u2029c", "a b c"},
		{"bidi override", "file\u202egnp.exe", "file gnp.exe"},
		{"invalid UTF-8", "bad \xff\xfe byte", "bad \ufffd\ufffd byte"},
		{"surrounding space", " \n\t reason \n", "reason"},
		{"non-ASCII kept", "Gerät antwortet nicht: 電話", "Gerät antwortet nicht: 電話"},
		{"empty", "", ""},
		{"only control characters", "\n\r\t\x00", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sanitize(tt.in); got != tt.want {
				t.Fatalf("Sanitize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestSanitizeHugeReason: a megabyte of driver output with newlines,
// control bytes and invalid UTF-8 comes back one line of at most 512 bytes,
// ellipsis included, valid UTF-8, cut on a rune boundary.
func TestSanitizeHugeReason(t *testing.T) {
	var b strings.Builder
	for b.Len() < 1<<20 {
		b.WriteString("configure: phone \"hq/desk\" said:\n\tline\r\x00\x1b[2J\x7f\xc3 ünïcödé 電話 \u2028")
	}
	in := b.String()
	got := Sanitize(in)
	if len(got) > MaxReasonBytes {
		t.Errorf("%d bytes, want at most %d", len(got), MaxReasonBytes)
	}
	if !strings.HasSuffix(got, "…") {
		t.Errorf("a cut reason does not end with an ellipsis: %q", got)
	}
	if !utf8.ValidString(got) {
		t.Errorf("not valid UTF-8: %q", got)
	}
	for _, r := range got {
		if unwantedInReason(r) {
			t.Fatalf("control or format character %U left in %q", r, got)
		}
	}
	if !strings.HasPrefix(got, `configure: phone "hq/desk" said: line [2J`) {
		t.Errorf("the start of the reason was not kept: %q", got)
	}
	if again := Sanitize(got); again != got {
		t.Errorf("Sanitize is not idempotent:\n%q\n%q", got, again)
	}
}

// TestSanitizeCutsOnRuneBoundary: the cut never splits a multi-byte rune,
// wherever the limit falls.
func TestSanitizeCutsOnRuneBoundary(t *testing.T) {
	for pad := range 4 {
		in := strings.Repeat("x", pad) + strings.Repeat("電", MaxReasonBytes)
		got := Sanitize(in)
		if len(got) > MaxReasonBytes || !utf8.ValidString(got) || !strings.HasSuffix(got, "…") {
			t.Fatalf("pad %d: %d bytes, valid %v: %q", pad, len(got), utf8.ValidString(got), got)
		}
		if body := strings.TrimSuffix(got, "…"); len(body) < MaxReasonBytes-len("…")-utf8.UTFMax+1 {
			t.Fatalf("pad %d: cut to %d bytes, more than a rune short", pad, len(body))
		}
	}
	exact := strings.Repeat("y", MaxReasonBytes)
	if got := Sanitize(exact); got != exact {
		t.Fatalf("a reason of exactly %d bytes was changed to %q", MaxReasonBytes, got)
	}
}

func FuzzSanitize(f *testing.F) {
	f.Add("plugin process exited\n\tstatus 2")
	f.Add("\xff\xfe\u2028\u202e")
	f.Add(strings.Repeat("é", 300))
	f.Fuzz(func(t *testing.T, in string) {
		got := Sanitize(in)
		if len(got) > MaxReasonBytes || !utf8.ValidString(got) || strings.ContainsAny(got, "\n\r\t\x00\x7f") {
			t.Fatalf("Sanitize(%q) = %q", in, got)
		}
		if again := Sanitize(got); again != got {
			t.Fatalf("not idempotent: %q then %q", got, again)
		}
	})
}

// TestInstanceSanitizesReasons: whatever reason the supervisor is handed,
// what operators (LastError) and apps (DriverChanged) see is sanitised.
func TestInstanceSanitizesReasons(t *testing.T) {
	var events []*ctiv1.Event
	inst := New(Spec{Site: "hq", Driver: "x"}, hclog.NewNullLogger(), func(ev *ctiv1.Event) { events = append(events, ev) }, Policy{})
	huge := "configure: " + strings.Repeat("line\n\x1b[2J\xff", 1<<16)
	check := func(what, got string) {
		t.Helper()
		if got != Sanitize(huge) {
			t.Errorf("%s = %q (%d bytes), want the sanitised reason", what, got, len(got))
		}
	}

	inst.setState(ctiv1.DriverState_DRIVER_STATE_DOWN, huge)
	check("LastError after setState", inst.Status().GetLastError())
	check("DriverChanged reason after setState", events[len(events)-1].GetDriverChanged().GetReason())

	inst.mu.Lock()
	inst.lastError = ""
	inst.leaveRunningLocked(ctiv1.DriverState_DRIVER_STATE_CRASH_LOOP, huge)
	inst.mu.Unlock()
	check("LastError after leaveRunningLocked", inst.Status().GetLastError())

	inst.announceTo([]string{"hq", "branch"}, ctiv1.DriverState_DRIVER_STATE_STOPPED, huge)
	for _, ev := range events[len(events)-2:] {
		check("DriverChanged reason at site "+ev.GetSite(), ev.GetDriverChanged().GetReason())
	}
}
