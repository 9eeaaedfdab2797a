package conformance

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
)

// semver is semver.org's version grammar, without a "v" prefix.
var semver = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)` +
	`(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?` +
	`(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)

// snakeCase is the form of config attribute names.
var snakeCase = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// testInfo checks what the driver says about itself and its devices.
func (k *kit) testInfo(t *testing.T, before preConfigure) {
	t.Run("answers GetInfo and GetConfigSchema before Configure", func(t *testing.T) {
		ExpectCode(t, before.infoErr, codes.OK)
		ExpectCode(t, before.schemaErr, codes.OK)
		if before.infoErr == nil && before.info.GetName() != k.info.GetName() {
			t.Errorf("GetInfo before Configure names the driver %q, after %q", before.info.GetName(), k.info.GetName())
		}
	})
	t.Run("refuses device calls before Configure", func(t *testing.T) {
		ExpectCode(t, before.stateErr, codes.FailedPrecondition)
	})
	t.Run("describes itself", func(t *testing.T) { checkInfo(t, k.info) })
	t.Run("declares every configured model", func(t *testing.T) {
		for _, dc := range k.cfg.Devices {
			if findModel(k.info, dc.GetModel()) == nil {
				t.Errorf("device %s has model %q, which GetInfo does not declare", dc.GetDevice(), dc.GetModel())
			}
		}
	})
	t.Run("declares a well-formed config schema", func(t *testing.T) {
		schema, err := k.client.GetConfigSchema(k.ctx(t), &ctiv1.GetConfigSchemaRequest{})
		mustOK(t, "GetConfigSchema", err)
		checkAttributes(t, "driver setting", schema.GetDriverSettings())
		checkAttributes(t, "device setting", schema.GetDeviceSettings())
	})
	t.Run("lists every configured device", k.testListDevices)
	t.Run("reports well-formed device state", func(t *testing.T) {
		k.forEachDevice(t, func(t *testing.T, d *device) {
			st, err := k.client.GetDeviceState(k.ctx(t), &ctiv1.GetDeviceStateRequest{Device: d.id})
			mustOK(t, "GetDeviceState", err)
			checkState(t, d, st)
		})
	})
	t.Run("configure is idempotent", func(t *testing.T) {
		_, err := k.client.Configure(k.ctx(t), k.configureRequest())
		mustOK(t, "Configure with the same configuration again", err)
		for _, d := range k.devices {
			_, err := k.client.GetDeviceState(k.ctx(t), &ctiv1.GetDeviceStateRequest{Device: d.id})
			ExpectCode(t, err, codes.OK)
			d.waitReachable(t, true)
		}
	})
}

func checkInfo(t *testing.T, info *ctiv1.DriverInfo) {
	t.Helper()
	if info.GetName() == "" || info.GetName() != strings.ToLower(info.GetName()) {
		t.Errorf("name %q: want a short lower-case name", info.GetName())
	}
	if !semver.MatchString(info.GetVersion()) {
		t.Errorf("version %q is not a semver version such as 1.2.0", info.GetVersion())
	}
	if info.GetApiVersion() != sdk.APIVersion {
		t.Errorf("api_version %q, want %q", info.GetApiVersion(), sdk.APIVersion)
	}
	if info.GetVendor() == "" {
		t.Error("vendor is empty")
	}
	if len(info.GetModels()) == 0 {
		t.Fatal("no models declared")
	}
	seen := map[string]bool{}
	for i, m := range info.GetModels() {
		name := strings.ToLower(m.GetModel())
		switch {
		case name == "":
			t.Errorf("models[%d] has no name", i)
		case seen[name]:
			t.Errorf("model %q is declared twice (names match case-insensitively)", m.GetModel())
		}
		seen[name] = true
		if len(m.GetCapabilities()) == 0 {
			t.Errorf("model %q declares no capabilities", m.GetModel())
		}
		if slices.Contains(m.GetCapabilities(), ctiv1.Capability_CAPABILITY_UNSPECIFIED) {
			t.Errorf("model %q declares CAPABILITY_UNSPECIFIED", m.GetModel())
		}
	}
}

func checkAttributes(t *testing.T, kind string, attrs []*ctiv1.ConfigAttribute) {
	t.Helper()
	seen := map[string]bool{}
	for _, a := range attrs {
		switch {
		case !snakeCase.MatchString(a.GetName()):
			t.Errorf("%s %q: want a snake_case name", kind, a.GetName())
		case seen[a.GetName()]:
			t.Errorf("%s %q is declared twice", kind, a.GetName())
		}
		seen[a.GetName()] = true
		if a.GetType() == ctiv1.ConfigType_CONFIG_TYPE_UNSPECIFIED {
			t.Errorf("%s %q has no type", kind, a.GetName())
		}
		if a.GetDescription() == "" {
			t.Errorf("%s %q has no description", kind, a.GetName())
		}
		if a.GetRequired() && a.GetDefaultValue() != "" {
			t.Errorf("%s %q is required and has a default; one of the two is wrong", kind, a.GetName())
		}
		if d := a.GetDefaultValue(); d != "" && len(a.GetAllowedValues()) > 0 && !slices.Contains(a.GetAllowedValues(), d) {
			t.Errorf("%s %q: default %q is not among its allowed values", kind, a.GetName(), d)
		}
	}
}

func (k *kit) testListDevices(t *testing.T) {
	resp, err := k.client.ListDevices(k.ctx(t), &ctiv1.ListDevicesRequest{})
	mustOK(t, "ListDevices", err)
	listed := map[string]*ctiv1.Device{}
	for _, dev := range resp.GetDevices() {
		listed[dev.GetDevice()] = dev
	}
	for _, d := range k.devices {
		dev := listed[d.id]
		if dev == nil {
			t.Errorf("configured device %s is not listed", d.id)
			continue
		}
		if !strings.EqualFold(dev.GetModel(), d.model.GetModel()) {
			t.Errorf("device %s is listed with model %q, configured %q", d.id, dev.GetModel(), d.model.GetModel())
		}
		if !dev.GetConfigured() {
			t.Errorf("configured device %s is listed with configured=false", d.id)
		}
		if got, want := uniqueCaps(dev.GetCapabilities()), uniqueCaps(d.model.GetCapabilities()); !slices.Equal(got, want) {
			t.Errorf("device %s is listed with capabilities %s, its model declares %s", d.id, capNames(got), capNames(want))
		}
		if d.has(ctiv1.Capability_CAPABILITY_DISCOVERY) {
			d.cover(t, ctiv1.Capability_CAPABILITY_DISCOVERY)
		}
	}
}

func checkState(t *testing.T, d *device, st *ctiv1.DeviceState) {
	t.Helper()
	if st.GetDevice() != d.id {
		t.Errorf("GetDeviceState(%s) answers for device %q", d.id, st.GetDevice())
	}
	if !strings.EqualFold(st.GetModel(), d.model.GetModel()) {
		t.Errorf("state model %q, want %q", st.GetModel(), d.model.GetModel())
	}
	if st.GetStatus() == nil {
		t.Error("state has no status")
	}
	if st.GetUpdatedAt() == nil {
		t.Error("state has no updated_at")
	}
	for _, c := range st.GetCalls() {
		if c.GetCallId() == "" {
			t.Errorf("state lists a call without call_id: %v", c)
		}
		if s := c.GetState(); s == ctiv1.CallState_CALL_STATE_ENDED || s == ctiv1.CallState_CALL_STATE_FAILED {
			t.Errorf("state lists call %s, which has ended", c.GetCallId())
		}
	}
	for i := 1; i < len(st.GetLines()); i++ {
		if st.GetLines()[i].GetNumber() <= st.GetLines()[i-1].GetNumber() {
			t.Errorf("lines are not in line-number order: %v", st.GetLines())
			break
		}
	}
}
