package snomsim

import (
	"regexp"
	"strings"
	"testing"
)

// settingsOf reads name/value pairs from a GetSettingsResponse.
func settingsOf(body string) [][2]string {
	var out [][2]string
	re := regexp.MustCompile(`<(?:csta:)?name>([^<]*)</(?:csta:)?name><(?:csta:)?value>([^<]*)</(?:csta:)?value>`)
	for _, m := range re.FindAllStringSubmatch(body, -1) {
		out = append(out, [2]string{m[1], m[2]})
	}
	return out
}

func TestGetSettingsListsTheDocumentsSettings(t *testing.T) {
	p := newPhone(t, Options{Model: "D735", Firmware: "8.7.3.25", MAC: "00:04:13:12:34:56",
		Identities: []Identity{{User: "1001", RealName: "Ada", Host: "pbx"}}})
	got := settingsOf(mustCSTA(t, p, `<csta:GetSettings> </csta:GetSettings>`))
	names := SettingNames()
	if len(got) != len(names) {
		t.Fatalf("%d settings, want %d", len(got), len(names))
	}
	for i, kv := range got {
		if kv[0] != names[i] {
			t.Fatalf("setting %d is %s, want %s", i, kv[0], names[i])
		}
	}
	want := map[string]string{"mac": "000413123456", "phone_type": "snomD735", "firmware_version": "8.7.3.25",
		"user_name1": "1001", "user_realname1": "Ada", "user_host1": "pbx", "user_name2": "", "action_incoming_url": ""}
	for _, kv := range got {
		if w, ok := want[kv[0]]; ok && kv[1] != w {
			t.Errorf("%s = %q, want %q", kv[0], kv[1], w)
		}
	}
	for _, n := range []string{"mac", "user_name12", "user_host12", "action_missed_url", "action_fwtest_url"} {
		if !strings.Contains(strings.Join(names, " "), n) {
			t.Errorf("no setting %s", n)
		}
	}
}

func TestSetSettingsRoundTrip(t *testing.T) {
	p := newPhone(t, Options{})
	set := `<csta:SetSettings>
	  <csta:Setting> <csta:name> action_incoming_url </csta:name> <csta:value> http://cti/in?id=$csta_id&amp;from=$remote </csta:value> </csta:Setting>
	  <csta:Setting> <csta:name>user_realname1</csta:name> <csta:value>Grace</csta:value> </csta:Setting>
	</csta:SetSettings>`
	body := mustCSTA(t, p, set)
	if !strings.Contains(body, "<SetSettingsResponse") {
		t.Errorf("answer %s", body)
	}
	got := settingsOf(mustCSTA(t, p, `<csta:GetSettings><csta:Setting><csta:name>action_incoming_url</csta:name></csta:Setting><csta:Setting><csta:name>user_realname1</csta:name></csta:Setting></csta:GetSettings>`))
	want := [][2]string{{"action_incoming_url", "http://cti/in?id=$csta_id&amp;from=$remote"}, {"user_realname1", "Grace"}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("read back %q, want %q", got, want)
	}
	if s := p.Settings()["action_incoming_url"]; s != "http://cti/in?id=$csta_id&from=$remote" {
		t.Errorf("stored %q", s)
	}
}

func TestSetSettingsRefusals(t *testing.T) {
	p := newPhone(t, Options{})
	for _, tc := range []struct{ name, inner, op string }{
		{"read-only mac", `<csta:Setting><csta:name>mac</csta:name><csta:value>x</csta:value></csta:Setting>`, "privilegeViolationOnSpecifiedDevice"},
		{"read-only firmware", `<csta:Setting><csta:name>firmware_version</csta:name><csta:value>x</csta:value></csta:Setting>`, "privilegeViolationOnSpecifiedDevice"},
		{"not in the list", `<csta:Setting><csta:name>http_pass</csta:name><csta:value>x</csta:value></csta:Setting>`, "valueOutOfRange"},
		{"none", ``, "valueOutOfRange"},
	} {
		// A valid setting first: the request is all or nothing.
		doc := envelope(`<csta:SetSettings><csta:Setting><csta:name>action_hold</csta:name><csta:value>http://x/</csta:value></csta:Setting>` + tc.inner + `</csta:SetSettings>`)
		if tc.inner == "" {
			doc = envelope(`<csta:SetSettings></csta:SetSettings>`)
		}
		code, body := csta(t, p, doc)
		if code != 500 || operation(body) != tc.op {
			t.Errorf("%s: %d %s, want 500 %s", tc.name, code, body, tc.op)
		}
		if p.Settings()["action_hold"] != "" {
			t.Fatalf("%s: half applied", tc.name)
		}
	}
}

func TestSettingsChangeIdentities(t *testing.T) {
	p := newPhone(t, Options{})
	mustCSTA(t, p, `<csta:SetSettings><csta:Setting><csta:name>user_name2</csta:name><csta:value>2002</csta:value></csta:Setting><csta:Setting><csta:name>user_host2</csta:name><csta:value>pbx2</csta:value></csta:Setting></csta:SetSettings>`)
	c, err := p.RingInOn(2, "5551001", "")
	if err != nil || c.Remote != "sip:5551001@pbx2" {
		t.Fatalf("ring on identity 2: %+v %v", c, err)
	}
}
