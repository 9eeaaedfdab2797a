package snom_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ctihost/ctihost/plugins/snom/snomsim"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk/conformance"
)

// driverBinary is the plugin built once for the conformance run.
var driverBinary string

func TestMain(m *testing.M) {
	binary, cleanup, err := conformance.BuildDriver("github.com/ctihost/ctihost/plugins/snom/cmd/cti-driver-snom")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	driverBinary = binary
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// simPhone is a snomsim phone behind a switch that takes it off the
// network: while down, every connection is dropped unanswered.
type simPhone struct {
	*snomsim.Phone
	down atomic.Bool
}

func (s *simPhone) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.down.Load() {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	s.Phone.ServeHTTP(w, r)
}

// lab drives snomsim phones as the far side of each device.
type lab struct{ phones map[string]*simPhone }

func (l lab) RingIn(_ context.Context, device, from string) error {
	_, err := l.phones[device].RingIn(from, "Conformance")
	return err
}

func (l lab) RemoteAnswer(_ context.Context, device string) error {
	return l.phones[device].RemoteAnswer("")
}

func (l lab) RemoteHangup(_ context.Context, device string) error {
	return l.phones[device].RemoteHangup("")
}

func (l lab) SetReachable(_ context.Context, device string, up bool) error {
	l.phones[device].down.Store(!up)
	return nil
}

// partyNumber is the second far party the phones call: snomsim's far end
// rings until AnswerNumber answers it. Digits only, so that the key path
// (F_HOLD, digits, ENTER) of firmware before 8.7.4 can dial it.
const partyNumber = "5552002"

// Party makes the lab a PartyLab.
func (l lab) Party(context.Context, string) (string, error) { return partyNumber, nil }

// AnswerNumber answers the phone's outbound call to number.
func (l lab) AnswerNumber(_ context.Context, device, number string) error {
	ph := l.phones[device]
	for _, c := range ph.Calls() {
		if c.Outbound && c.State == snomsim.StateCalling && dialled(c.Number, number) {
			return ph.RemoteAnswer(c.CSTAID)
		}
	}
	return fmt.Errorf("no outbound call to %s is ringing on %s", number, device)
}

// Display makes the lab a DisplayLab.
func (l lab) Display(_ context.Context, device string) (string, error) {
	d := l.phones[device].Display()
	return strings.TrimSpace(d.Title + "\n" + d.Text + "\n" + strings.Join(d.Items, "\n")), nil
}

// TestConformance runs the SDK's kit against the plugin binary with a D785
// on firmware 10 (CSTA with <callID>) and a D385 on 8.6 (legacy CSTA).
// Consultations: the D785 uses CSTA ConsultationCall, the D385 (no
// ConsultationCall before 8.7.4) the document's keys; both complete with
// CSTA TransferCall.
func TestConformance(t *testing.T) {
	l := lab{phones: map[string]*simPhone{}}
	var devices []*ctiv1.DeviceConfig
	for _, spec := range []struct{ id, model, fw string }{
		{"d785", "D785", "10.1.54.13"},
		{"d385", "D385", "8.6.5.12"},
	} {
		sim, err := snomsim.New(snomsim.Options{Model: spec.model, Firmware: spec.fw, User: "admin", Password: "conformance-pass"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(sim.Close)
		sp := &simPhone{Phone: sim}
		srv := httptest.NewServer(sp)
		t.Cleanup(srv.Close)
		l.phones[spec.id] = sp
		devices = append(devices, &ctiv1.DeviceConfig{Device: spec.id, Model: spec.model, Settings: map[string]string{
			"host": srv.URL, "username": "admin", "password": "conformance-pass",
		}})
	}
	conformance.Run(t, conformance.Config{
		DriverPath: driverBinary,
		Site:       "conformance",
		Settings:   map[string]string{"request_timeout": "1s", "callback_timeout": "2s", "poll_interval": "200ms", "retry_interval": "100ms"},
		Devices:    devices,
		Callbacks:  true,
		Lab:        l,
	})
}

// dialled reports whether the phone's call to got dialled number: as the
// number, or as the SIP URI the driver makes of it for CSTA.
func dialled(got, number string) bool {
	return got == number || strings.HasPrefix(got, "sip:"+number+"@")
}
