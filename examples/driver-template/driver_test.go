package acme_test

import (
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk/conformance"

	"github.com/ctihost/ctihost/examples/driver-template/acmesim"
)

// driverBinary is the driver built by TestMain, the way ctihost runs it.
var driverBinary string

// TestMain builds cmd/cti-driver-acme once (with -race when the tests run
// with -race, so the kit also catches the driver's races).
func TestMain(m *testing.M) {
	binary, cleanup, err := conformance.BuildDriver("./cmd/cti-driver-acme")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	driverBinary = binary
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// TestConformance runs the whole conformance kit against the driver binary
// and two simulated phones on loopback. The second id is in the form a
// process shared by several sites gets (isolation = "driver"): ids are
// opaque and may contain "/".
func TestConformance(t *testing.T) {
	phones := acmesim.Lab{}
	var devices []*ctiv1.DeviceConfig
	for i, id := range []string{"desk-1", "branch/desk-2"} {
		token := fmt.Sprintf("tok-%d-s3cret", i)
		phones[id] = acmesim.NewPhone(token, 2)
		srv := httptest.NewServer(phones[id])
		t.Cleanup(srv.Close)
		devices = append(devices, &ctiv1.DeviceConfig{
			Device:   id,
			Model:    "acme-1", // models match case-insensitively
			Settings: map[string]string{"host": strings.TrimPrefix(srv.URL, "http://"), "token": token},
		})
	}
	conformance.Run(t, conformance.Config{
		DriverPath:   driverBinary,
		Site:         "lab",
		Settings:     map[string]string{"poll_interval": "50ms"},
		Devices:      devices,
		Lab:          phones,
		EventTimeout: 5 * time.Second,
	})
}
