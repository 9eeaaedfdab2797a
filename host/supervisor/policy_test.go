package supervisor

import (
	"strings"
	"testing"
	"time"

	"github.com/ctihost/ctihost/sdk"
)

func TestBackoffDoublesWithJitterUpToTheCap(t *testing.T) {
	p := Policy{RestartBackoff: 100 * time.Millisecond, MaxRestartBackoff: time.Second}.withDefaults()
	for n, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 50: time.Second} {
		for i := 0; i < 100; i++ {
			got := p.backoff(n)
			if got < want*8/10 || got > want*12/10 {
				t.Fatalf("backoff(%d) = %s, want %s ±20%%", n, got, want)
			}
		}
	}
}

func TestTailKeepsThePanicAndRedactsSecrets(t *testing.T) {
	tl := newTail(sdk.NewRedactor("hunter22").Redact)
	tl.Write([]byte(`{"@level":"info","@message":"configured"}` + "\n"))
	tl.Write([]byte("panic: boom with hunter22\n\ngoroutine 1 [running]:\nmain.main()\n"))
	for i := 0; i < 20; i++ {
		tl.Write([]byte("\tstack frame line\n"))
	}
	got := tl.suffix()
	if !strings.Contains(got, "panic: boom") || strings.Contains(got, "hunter22") {
		t.Errorf("suffix = %q, want the panic line with the secret redacted", got)
	}
	quiet := newTail(sdk.RedactURL)
	quiet.Write([]byte(`{"@level":"error","@message":"cannot bind","error":"address in use"}` + "\npartial line without end"))
	if got := quiet.suffix(); got != ": last stderr: error: cannot bind: address in use" {
		t.Errorf("suffix = %q, want the last complete line made readable", got)
	}
	if len(quiet.lines) > tailLines {
		t.Errorf("kept %d lines, want at most %d", len(quiet.lines), tailLines)
	}
}
