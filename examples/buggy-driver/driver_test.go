package buggy_test

import (
	"bytes"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
	"github.com/ctihost/ctihost/sdk/conformance"

	"github.com/ctihost/ctihost/examples/driver-template/acmesim"
)

var (
	// binDir holds the binaries the tests build.
	binDir string
	// driverBinary is the driver built by TestMain with no start-up
	// fault, the way ctihost runs it.
	driverBinary string
)

// TestMain builds cmd/cti-driver-buggy once (with -race when the tests run
// with -race, so the kit also catches the driver's races).
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cti-driver-buggy-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "temp dir:", err)
		os.Exit(1)
	}
	binDir = dir
	driverBinary, err = buildDriver("cti-driver-buggy", "")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		_ = os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// buildDriver builds cmd/cti-driver-buggy into binDir as name, with
// ldflags if not empty, and returns its path.
func buildDriver(name, ldflags string) (string, error) {
	out := filepath.Join(binDir, name)
	args := []string{"build", "-o", out}
	if raceEnabled {
		args = append(args, "-race")
	}
	if ldflags != "" {
		args = append(args, "-ldflags="+ldflags)
	}
	build := exec.Command("go", append(args, "./cmd/cti-driver-buggy")...)
	if output, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s (ldflags %q): %v\n%s", name, ldflags, err, output)
	}
	return out, nil
}

// phones starts one simulated phone per id on loopback and returns the lab
// and the BUGGY-1 device configs that point at them.
func phones(t *testing.T, ids ...string) (acmesim.Lab, []*ctiv1.DeviceConfig) {
	t.Helper()
	l := acmesim.Lab{}
	var devices []*ctiv1.DeviceConfig
	for i, id := range ids {
		token := fmt.Sprintf("tok-%d-s3cret", i)
		l[id] = acmesim.NewPhone(token, 2)
		srv := httptest.NewServer(l[id])
		t.Cleanup(srv.Close)
		devices = append(devices, &ctiv1.DeviceConfig{
			Device:   id,
			Model:    "buggy-1", // models match case-insensitively
			Settings: map[string]string{"host": strings.TrimPrefix(srv.URL, "http://"), "token": token},
		})
	}
	return l, devices
}

// TestConformance runs the whole conformance kit against the driver binary
// with no fault pressed: the buggy driver is an honest ACME-1 driver until
// told otherwise. (The kit presses the first key of ModelInfo.keys as a
// harmless key: FAULT_RESET.)
func TestConformance(t *testing.T) {
	t.Parallel()
	l, devices := phones(t, "desk-1", "desk-2")
	conformance.Run(t, conformance.Config{
		DriverPath:   driverBinary,
		Site:         "lab",
		Settings:     map[string]string{"poll_interval": "50ms"},
		Devices:      devices,
		Lab:          l,
		EventTimeout: 5 * time.Second,
	})
}

// syncBuffer is a bytes.Buffer safe for the writer goroutines of go-plugin.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// process is one driver process started the way the host starts it.
type process struct {
	client *plugin.Client
	driver ctiv1.DriverClient
	stderr *syncBuffer // the process's raw stderr
	log    *syncBuffer // go-plugin's log: start errors, exit status
}

// launch starts the driver at path through sdk.ClientConfig and
// sdk.Dispense with the given start timeout, and kills it when t ends.
func launch(t *testing.T, path string, startTimeout time.Duration) (*process, error) {
	t.Helper()
	p := &process{stderr: &syncBuffer{}, log: &syncBuffer{}}
	cc := sdk.ClientConfig(path, hclog.New(&hclog.LoggerOptions{Name: "host", Level: hclog.Debug, Output: p.log}))
	cc.Stderr = p.stderr
	cc.StartTimeout = startTimeout
	p.client = plugin.NewClient(cc)
	t.Cleanup(p.client.Kill)
	var err error
	p.driver, err = sdk.Dispense(p.client)
	return p, err
}

// exited waits until the process has exited.
func (p *process) exited(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !p.client.Exited() {
		if time.Now().After(deadline) {
			t.Fatalf("the driver process is still running\nstderr:\n%s", p.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
