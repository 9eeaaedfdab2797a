package snomsim

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxIdentities is how many SIP identities a phone has ("LOGOFFLINE=1(..12)",
// "the index (1..12)").
const MaxIdentities = 12

// Action URL settings, in the order of the document's list. Their values
// are URLs with $variables (see actionurl.go).
const (
	ActionIncoming         = "action_incoming_url"
	ActionOutgoing         = "action_outgoing_url"
	ActionConnected        = "action_connected_url"
	ActionDisconnected     = "action_disconnected_url"
	ActionHold             = "action_hold"
	ActionUnhold           = "action_unhold"
	ActionTransfer         = "action_transfer"
	ActionBlindTransfer    = "action_blind_transfer"
	ActionAttendedTransfer = "action_attended_transfer"
	ActionOffhook          = "action_offhook_url"
	ActionOnhook           = "action_onhook_url"
	ActionMissed           = "action_missed_url"
	// ActionFirewallTest is "hidden and can not be set using the web
	// interface. It will be set by a CTI Application via a SetSettings
	// CSTA message", and FireTest fires it.
	ActionFirewallTest = "action_fwtest_url"
)

// ActionSettings lists the action URL settings in the document's order,
// the hidden action_fwtest_url last.
var ActionSettings = []string{
	ActionIncoming, ActionOutgoing, ActionConnected, ActionDisconnected,
	ActionHold, ActionUnhold, ActionTransfer, ActionBlindTransfer,
	ActionAttendedTransfer, ActionOffhook, ActionOnhook, ActionMissed,
	ActionFirewallTest,
}

// Read-only settings ("mac (only readable) - phone_type (only readable) -
// firmware_version (only readable)").
const (
	SettingMAC      = "mac"
	SettingType     = "phone_type"
	SettingFirmware = "firmware_version"
)

// Identity is one SIP identity: the settings user_nameN, user_realnameN and
// user_hostN.
type Identity struct {
	User     string // user_nameN, e.g. "1001"
	RealName string // user_realnameN, e.g. "Ada Lovelace"
	Host     string // user_hostN, e.g. "pbx.example.com"
}

func (id Identity) configured() bool { return id.User != "" }

// URI is the identity's SIP URI, sip:user@host.
func (id Identity) URI() string { return "sip:" + id.User + "@" + id.Host }

// SettingNames returns the names GetSettings answers, in its order: the
// read-only ones, user_nameN, user_realnameN and user_hostN for N=1..12,
// then the action URLs. Only these can be read or changed over CSTA
// ("Only the following settings can be read or changed using the above
// messages").
func SettingNames() []string {
	names := []string{SettingMAC, SettingType, SettingFirmware}
	for _, prefix := range []string{"user_name", "user_realname", "user_host"} {
		for n := 1; n <= MaxIdentities; n++ {
			names = append(names, prefix+strconv.Itoa(n))
		}
	}
	return append(names, ActionSettings...)
}

var settingIndex = func() map[string]int {
	m := map[string]int{}
	for i, n := range SettingNames() {
		m[n] = i
	}
	return m
}()

func readOnly(name string) bool {
	return name == SettingMAC || name == SettingType || name == SettingFirmware
}

// defaultSettings returns the provisioned settings of a new phone; a
// Reset returns to them (modelled: the simulated phone is re-provisioned
// at once, as a phone with a provisioning server would be).
func (p *Phone) defaultSettings() map[string]string {
	s := map[string]string{}
	for _, n := range SettingNames() {
		s[n] = ""
	}
	s[SettingMAC] = p.opts.MAC
	s[SettingType] = "snom" + p.prof.Model
	s[SettingFirmware] = p.prof.Firmware
	for i, id := range p.opts.Identities {
		n := strconv.Itoa(i + 1)
		s["user_name"+n], s["user_realname"+n], s["user_host"+n] = id.User, id.RealName, id.Host
	}
	for k, v := range p.opts.Settings {
		s[k] = v
	}
	return s
}

// identity returns identity n (1..12) from the settings. p.mu is held.
func (p *Phone) identity(n int) Identity {
	if n < 1 || n > MaxIdentities {
		return Identity{}
	}
	k := strconv.Itoa(n)
	return Identity{User: p.settings["user_name"+k], RealName: p.settings["user_realname"+k], Host: p.settings["user_host"+k]}
}

// activeIdentity is the first configured identity, 0 if none. Modelled:
// the phone's "active outgoing identity" is identity 1 unless it is
// logged off.
func (p *Phone) activeIdentity() int {
	for n := 1; n <= MaxIdentities; n++ {
		if p.identity(n).configured() {
			return n
		}
	}
	return 0
}

// deviceIdentity returns the identity a CSTA deviceID names, 0 if none.
// "Snom phones always use and expect sip-uris as deviceIDs. Alternatively
// (since 8.7.4) you may also use the index (1..12)". Snom's SnapshotDevice
// example writes the URI without "sip:", so both forms are accepted.
func (p *Phone) deviceIdentity(dev string) int {
	dev = strings.TrimSpace(dev)
	if n, err := strconv.Atoi(dev); err == nil {
		if p.prof.DeviceIndex && p.identity(n).configured() {
			return n
		}
		return 0
	}
	dev = strings.TrimPrefix(dev, "sip:")
	for n := 1; n <= MaxIdentities; n++ {
		id := p.identity(n)
		if id.configured() && strings.EqualFold(dev, id.User+"@"+id.Host) {
			return n
		}
	}
	return 0
}

// outgoingIdentity returns the identity for command.htm's outgoing_uri
// ("user@domain1"), or the active identity when uri is empty.
func (p *Phone) outgoingIdentity(uri string) int {
	if strings.TrimSpace(uri) == "" {
		return p.activeIdentity()
	}
	return p.deviceIdentity(uri)
}

// Settings returns a copy of the settings GetSettings would answer.
func (p *Phone) Settings() map[string]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]string, len(p.settings))
	for k, v := range p.settings {
		out[k] = v
	}
	return out
}

// SetSetting changes one setting as a test fixture would, bypassing the
// read-only check; unknown names are refused.
func (p *Phone) SetSetting(name, value string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := settingIndex[name]; !ok {
		return fmt.Errorf("snomsim: unknown setting %q", name)
	}
	p.settings[name] = value
	return nil
}

// setSettings applies a SetSettings request: all or nothing. Unknown
// names answer valueOutOfRange, read-only ones
// privilegeViolationOnSpecifiedDevice (both modelled: the document only
// says the phone answers "200 OK or error messages").
func (p *Phone) setSettings(pairs [][2]string) *cstaError {
	if len(pairs) == 0 {
		// "Possibly all settings in the above list, but at least one setting."
		return errValueOutOfRange
	}
	for _, kv := range pairs {
		if _, ok := settingIndex[kv[0]]; !ok {
			return errValueOutOfRange
		}
		if readOnly(kv[0]) {
			return errPrivilege
		}
	}
	for _, kv := range pairs {
		p.settings[kv[0]] = kv[1]
	}
	return nil
}
