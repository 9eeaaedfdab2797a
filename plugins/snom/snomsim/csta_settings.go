package snomsim

// The document's proprietary CSTA messages: "We have introduced
// proprietary CSTA messages to set and get the values of settings, to post
// an action url and to push and xml document to the phone. The message
// exchange follows the mechanism that is already in place", so their
// answers come in the firmware's dialect like any other.

// settingPairs reads <Setting><name/><value/></Setting> elements; the
// document pads names and values with spaces, so both are trimmed.
func settingPairs(req *xnode) [][2]string {
	var out [][2]string
	for _, s := range req.children("Setting") {
		out = append(out, [2]string{s.value("name"), s.value("value")})
	}
	return out
}

// cstaGetSettings answers every setting of SettingNames in order. Modelled
// extension: Setting elements with names limit the answer to those.
func (p *Phone) cstaGetSettings(req *xnode) ([]field, *cstaError) {
	names := SettingNames()
	if asked := settingPairs(req); len(asked) > 0 {
		names = names[:0:0]
		for _, kv := range asked {
			if _, ok := settingIndex[kv[0]]; !ok {
				return nil, errValueOutOfRange
			}
			names = append(names, kv[0])
		}
	}
	fs := make([]field, 0, len(names))
	for _, n := range names {
		fs = append(fs, field{name: "Setting", kids: []field{{name: "name", value: n}, {name: "value", value: p.settings[n]}}})
	}
	return fs, nil
}

func (p *Phone) cstaSetSettings(req *xnode) ([]field, *cstaError) {
	if e := p.setSettings(settingPairs(req)); e != nil {
		return nil, e
	}
	return nil, nil
}

// cstaFireTest fires action_fwtest_url; with none set it answers 200 and
// fires nothing (modelled).
func (p *Phone) cstaFireTest(*xnode) ([]field, *cstaError) {
	p.emit(ActionFirewallTest, nil)
	return nil, nil
}

// cstaXmlPush shows the document ("The phone will display the XML
// document with the minibrowser upon reception"). A document that is not
// a minibrowser object answers valueOutOfRange (modelled).
func (p *Phone) cstaXmlPush(req *xnode) ([]field, *cstaError) {
	d, err := parseMinibrowser(req.child("document"))
	if err != nil {
		return nil, errValueOutOfRange
	}
	p.pushed = &d
	return nil, nil
}
