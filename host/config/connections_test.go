package config

import (
	"path/filepath"
	"strings"
	"testing"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// pbxSpecs adds a PBX driver that takes connection blocks to testSpecs.
func pbxSpecs() map[string]DriverSpec {
	specs := testSpecs()
	specs["pbx"] = DriverSpec{
		Schema: &ctiv1.ConfigSchema{
			ConnectionSettings: []*ctiv1.ConfigAttribute{
				attr("address", tString, "the PBX's host:port", required),
				attr("password", tString, "the service user's password", required, secret),
				attr("users", tString, "which users to observe", def("*")),
			},
			DeviceSettings: []*ctiv1.ConfigAttribute{attr("note", tString, "a note")},
		},
		Models: []string{"user", "queue"},
	}
	return specs
}

const connectionsConfig = `
plugin "pbx" {%s}
site "hq" {
  connection "ipo" {
    driver   = "pbx"
    address  = "10.0.0.1:443"
    password = env("CTIHOST_TEST_PBX")
  }
  device "201" {
    driver     = "pbx"
    model      = "user"
    connection = "ipo"
  }
}
site "branch" {
  connection "ipo" {
    driver   = "pbx"
    address  = "10.0.0.1:443"
    password = env("CTIHOST_TEST_PBX")
    users    = "3*"
  }
}
`

func TestConnectionsAreConfiguredOncePerSite(t *testing.T) {
	t.Setenv("CTIHOST_TEST_PBX", "pbx-Secret-7")
	for _, tc := range []struct {
		isolation string
		want      map[string][]string // instance site -> connection name:prefix:users, device:connection
	}{
		{"", map[string][]string{
			"branch": {"conn ipo prefix= users=3*"},
			"hq":     {"conn ipo prefix= users=*", "device 201 via ipo"},
		}},
		{`isolation = "driver"`, map[string][]string{
			"": {"conn branch/ipo prefix=branch/ users=3*", "conn hq/ipo prefix=hq/ users=*", "device hq/201 via hq/ipo"},
		}},
	} {
		cfg, diags := Parse([]byte(strings.Replace(connectionsConfig, "%s", tc.isolation, 1)), filepath.Join(t.TempDir(), "config.hcl"))
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		insts, diags := cfg.Resolve(pbxSpecs())
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		got := map[string][]string{}
		for _, inst := range insts {
			if len(inst.Secrets) != 1 || inst.Secrets[0] != "pbx-Secret-7" {
				t.Errorf("instance %q secrets %q, want the password", inst.Site, inst.Secrets)
			}
			for _, c := range inst.Request.GetConnections() {
				got[inst.Site] = append(got[inst.Site], "conn "+c.GetName()+" prefix="+c.GetDevicePrefix()+" users="+c.GetSettings()["users"])
				if c.GetSettings()["password"] != "pbx-Secret-7" || c.GetSettings()["address"] != "10.0.0.1:443" {
					t.Errorf("connection %s settings %v", c.GetName(), c.GetSettings())
				}
			}
			for _, d := range inst.Request.GetDevices() {
				got[inst.Site] = append(got[inst.Site], "device "+d.GetDevice()+" via "+d.GetConnection())
			}
		}
		if len(got) != len(tc.want) {
			t.Errorf("%s: instances %v, want %v", tc.isolation, got, tc.want)
		}
		for site, want := range tc.want {
			if strings.Join(got[site], "; ") != strings.Join(want, "; ") {
				t.Errorf("%s: instance %q: %v, want %v", tc.isolation, site, got[site], want)
			}
		}
	}
}

func TestConnectionProblemsAreReportedWithPositions(t *testing.T) {
	t.Setenv("CTIHOST_TEST_PBX", "pbx-Secret-7")
	src := `
plugin "pbx" {}
plugin "grandstream" {}
site "hq" {
  connection "ipo" {
    driver  = "pbx"
    address = "10.0.0.1:443"
    colour  = "blue"
  }
  connection "ipo" {
    driver = "pbx"
  }
  connection "gs" {
    driver = "grandstream"
  }
  device "201" {
    driver     = "pbx"
    model      = "user"
    connection = "ip0"
  }
  device "202" {
    driver     = "pbx"
    model      = "user"
    connection = "gs"
  }
}
`
	cfg, diags := Parse([]byte(src), filepath.Join(t.TempDir(), "config.hcl"))
	_, more := cfg.Resolve(pbxSpecs())
	diags = append(diags, more...)
	text := diags.Error()
	for _, want := range []string{
		`config.hcl:5:3: error: connection "hq/ipo": missing required attribute "password"`,
		`config.hcl:8:5: error: connection "hq/ipo": unknown attribute "colour"`,
		`config.hcl:10:3: error: connection "ipo" is defined twice in site "hq"`,
		`config.hcl:14:14: error: connection "hq/gs": driver "grandstream" takes no connection blocks`,
		`config.hcl:19:18: error: device "hq/201": connection "ip0" is not a connection block of site "hq" (did you mean "ipo"?)`,
		`config.hcl:24:18: error: device "hq/202": connection "gs" is served by driver "grandstream", the device by driver "pbx"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("diagnostics lack %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "pbx-Secret-7") {
		t.Error("a diagnostic shows the secret")
	}
}
