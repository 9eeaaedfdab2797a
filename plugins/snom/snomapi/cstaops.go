package snomapi

import (
	"context"
	"fmt"
	"slices"
)

// maxDevice bounds a device id or dialled number.
const maxDevice = 256

// checkDevice validates a CSTA device id: a SIP URI ("Snom phones always
// use and expect sip-uris as deviceIDs"), or, since 8.7.4, an identity
// index 1..12. Numbers to dial are device ids too.
func (c *Client) checkDevice(op, what, dev string, fw Firmware) error {
	if err := checkXMLText(op, what, dev, maxDevice, false); err != nil {
		return err
	}
	if isIdentityIndex(dev) && !fw.IsZero() && fw.Less(fw874) {
		return c.fail(KindUnsupported, op, 0, fmt.Errorf("%s %s is an identity index, which firmware %s does not take (since 8.7.4); use the identity's sip uri", what, dev, fw))
	}
	return nil
}

// MakeCall makes the phone call called from callingDevice, an identity's
// SIP URI ("sip:455455@pbx") or, since 8.7.4, its index "1".."12". It
// returns the new call's callID when the answer carries one (Snom's
// example: <callingDevice><callID>2</callID>...).
func (c *Client) MakeCall(ctx context.Context, callingDevice, called string) (string, error) {
	const op = "csta MakeCall"
	_, fw, err := c.gate(op, Firmware{}, false)
	if err != nil {
		return "", err
	}
	if err := c.checkDevice(op, "calling device", callingDevice, fw); err != nil {
		return "", err
	}
	if err := checkXMLText(op, "called number", called, maxDevice, false); err != nil {
		return "", err
	}
	m, err := c.csta(ctx, "MakeCall", node("MakeCall",
		leaf("callingDevice", callingDevice),
		leaf("calledDirectoryNumber", called),
		leaf("autoOriginate", "doNotPrompt")))
	if err != nil {
		return "", err
	}
	id, _, _ := m.ConnectionID("callingDevice")
	return id, nil
}

// SingleStepTransferCall transfers call cstaID to device to without
// consultation (blind transfer). The Snom wiki keeps separate examples for
// firmware before and since 8.7.4 (wiki.snom.com/Category/CSTA/HTTP)
// without saying how they differ; this client assumes the bare activeCall
// of the legacy dialect before 8.7.4 and the dialect's form since.
func (c *Client) SingleStepTransferCall(ctx context.Context, cstaID, to string) error {
	const op = "csta SingleStepTransferCall"
	if err := checkCallID(op, "call", cstaID); err != nil {
		return err
	}
	d, fw, err := c.gate(op, Firmware{}, true)
	if err != nil {
		return err
	}
	if err := c.checkDevice(op, "transfer target", to, fw); err != nil {
		return err
	}
	if !fw.IsZero() && fw.Less(fw874) {
		d = DialectLegacy
	}
	_, err = c.csta(ctx, "SingleStepTransferCall", node("SingleStepTransferCall",
		connectionID("activeCall", cstaID, d), leaf("transferredTo", to)))
	return err
}

// ConsultationCall holds call cstaID and calls device to (first step of an
// attended transfer; complete it with TransferCall). It needs firmware
// 8.7.4 or later ("ConsultationCall (since 8.7.4)"). It returns the new
// call's callID when the answer carries one (ECMA-323 initiatedCall).
func (c *Client) ConsultationCall(ctx context.Context, cstaID, to string) (string, error) {
	const op = "csta ConsultationCall"
	if err := checkCallID(op, "call", cstaID); err != nil {
		return "", err
	}
	d, fw, err := c.gate(op, fw874, true)
	if err != nil {
		return "", err
	}
	if err := c.checkDevice(op, "consulted device", to, fw); err != nil {
		return "", err
	}
	m, err := c.csta(ctx, "ConsultationCall", node("ConsultationCall",
		connectionID("existingCall", cstaID, d), leaf("consultedDevice", to)))
	if err != nil {
		return "", err
	}
	id, _, _ := m.ConnectionID("initiatedCall")
	return id, nil
}

// TransferCall joins held call heldID with active call activeID and drops
// the phone out (attended transfer).
func (c *Client) TransferCall(ctx context.Context, heldID, activeID string) error {
	const op = "csta TransferCall"
	if err := checkCallID(op, "held call", heldID); err != nil {
		return err
	}
	if err := checkCallID(op, "active call", activeID); err != nil {
		return err
	}
	d, _, err := c.gate(op, Firmware{}, true)
	if err != nil {
		return err
	}
	_, err = c.csta(ctx, "TransferCall", node("TransferCall",
		connectionID("heldCall", heldID, d), connectionID("activeCall", activeID, d)))
	return err
}

// Setting is one name/value pair of GetSettings and SetSettings.
type Setting struct {
	Name, Value string
}

// GetSettings reads the settings the phone exposes to CSTA (the document
// lists mac, phone_type, firmware_version, user_nameN, user_realnameN,
// user_hostN and the action URLs). Names and values are trimmed of
// surrounding white space: the document pads both ("<csta:name> Name of
// the Setting </csta:name>"). A repeated name keeps its last value.
func (c *Client) GetSettings(ctx context.Context) (map[string]string, error) {
	m, err := c.csta(ctx, "GetSettings", node("GetSettings"))
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, s := range m.Settings() {
		out[s.Name] = s.Value
	}
	return out, nil
}

// Limits of SetSettings and XmlPush.
const (
	maxSettings     = 64
	maxSettingValue = 4096
	maxXMLPush      = 64 << 10
)

// SetSettings writes settings (at least one, as the document says;
// at most 64), in the given order, without padding. Names are 1 to 64
// lower-case letters, digits and "_" (the document's settings are such
// names); values are text without control characters.
func (c *Client) SetSettings(ctx context.Context, settings []Setting) error {
	const op = "csta SetSettings"
	if len(settings) == 0 || len(settings) > maxSettings {
		return invalid(op, "%d settings; want 1 to %d", len(settings), maxSettings)
	}
	kids := make([]xelem, 0, len(settings))
	for _, s := range settings {
		if !validSettingName(s.Name) {
			return invalid(op, "setting name %q; want 1 to 64 of a-z, 0-9 and _", truncateText(s.Name))
		}
		if err := checkXMLText(op, "value of "+s.Name, s.Value, maxSettingValue, true); err != nil {
			return err
		}
		kids = append(kids, node("Setting", leaf("name", s.Name), leaf("value", s.Value)))
	}
	_, err := c.csta(ctx, "SetSettings", node("SetSettings", kids...))
	return err
}

func validSettingName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !('a' <= ch && ch <= 'z' || '0' <= ch && ch <= '9' || ch == '_') {
			return false
		}
	}
	return true
}

// FireTest makes the phone fire its hidden action_fwtest_url (set it first
// with SetSettings), to prove that callbacks reach the driver.
func (c *Client) FireTest(ctx context.Context) error {
	_, err := c.csta(ctx, "FireTest", node("FireTest"))
	return err
}

// XmlPush shows an XML minibrowser document (such as a SnomIPPhoneText) on
// the phone. The document's placeholder is "XML Document as a String in
// Quotes"; it travels as the XML-escaped text of <csta:document>, which
// any XML parser reads back as the original string (assumption: the
// quotes are the placeholder's, not literal). At most 64 KiB.
func (c *Client) XmlPush(ctx context.Context, document string) error {
	const op = "csta XmlPush"
	if err := checkXMLText(op, "document", document, maxXMLPush, false); err != nil {
		return err
	}
	_, err := c.csta(ctx, "XmlPush", node("XmlPush", leaf("document", document)))
	return err
}

// ActionSettings returns the SetSettings pairs that point every action URL
// of ActionEvents at base with token, in ActionEvents order: a driver
// installs its callbacks with c.SetSettings(ctx, ActionSettings(...)).
func ActionSettings(base, token string) []Setting {
	out := make([]Setting, 0, len(ActionEvents))
	for _, e := range ActionEvents {
		out = append(out, Setting{Name: e.Setting, Value: ActionURL(base, e.Event, token)})
	}
	return slices.Clip(out)
}
