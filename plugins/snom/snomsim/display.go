package snomsim

import (
	"errors"
	"fmt"
	"strings"
)

// Display is what the phone's screen shows, for tests.
type Display struct {
	// Source is "xmlpush" while a document pushed by XmlPush is open,
	// otherwise "phone" (the phone's own screen, summarised).
	Source string `json:"source"`
	// Kind is the minibrowser object, e.g. "SnomIPPhoneText"; "" for the
	// phone's own screen.
	Kind  string   `json:"kind,omitempty"`
	Title string   `json:"title"`
	Text  string   `json:"text"`
	Items []string `json:"items,omitempty"` // menu items, directory entries
	// Raw is the pushed document as the phone received it.
	Raw string `json:"raw,omitempty"`
}

// minibrowserKinds are the XML objects of Snom's XML Minibrowser
// (service.snom.com/display/wiki/XML+Minibrowser); firmware 10 also
// accepts them without the "Snom" prefix (IPPhoneText...).
var minibrowserKinds = []string{
	"SnomIPPhoneText", "SnomIPPhoneImage", "SnomIPPhoneImageFile", "SnomIPPhoneInput",
	"SnomIPPhoneDirectory", "SnomIPPhoneMenu", "SnomIPPhoneBatch", "SnomIPPhoneSilent",
}

// parseMinibrowser reads a pushed document. The document says XmlPush
// carries "XML Document as a String in Quotes"; the simulator takes the
// text of csta:document (XML escaped or in CDATA) or, modelled, the
// elements written inline, and drops one pair of surrounding quotes.
// Anything that is not a minibrowser object is refused.
func parseMinibrowser(docNode *xnode) (Display, error) {
	if docNode == nil {
		return Display{}, errors.New("no document")
	}
	raw := strings.TrimSpace(docNode.text)
	if len(docNode.kids) > 0 {
		raw = strings.TrimSpace(string(docNode.raw))
	}
	if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' {
		raw = strings.TrimSpace(raw[1 : len(raw)-1])
	}
	root, err := parseXML([]byte(raw))
	if err != nil {
		return Display{}, fmt.Errorf("document is not XML: %w", err)
	}
	known := false
	for _, k := range minibrowserKinds {
		if root.name == k || root.name == strings.TrimPrefix(k, "Snom") {
			known = true
		}
	}
	if !known {
		return Display{}, fmt.Errorf("%s is not a minibrowser object", root.name)
	}
	d := Display{Source: "xmlpush", Kind: root.name, Raw: raw, Title: root.value("Title"), Text: root.value("Text")}
	if d.Text == "" {
		d.Text = root.value("Prompt")
	}
	for _, it := range root.children("MenuItem") {
		d.Items = append(d.Items, it.value("Name"))
	}
	for _, it := range root.children("DirectoryEntry") {
		d.Items = append(d.Items, strings.TrimSpace(it.value("Name")+" "+it.value("Telephone")))
	}
	return d, nil
}

// Display returns what the phone shows: the pushed document while it is
// open (CANCEL, a reboot or a reset closes it; modelled), otherwise a
// summary of the phone's own screen.
func (p *Phone) Display() Display {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pushed != nil {
		d := *p.pushed
		d.Items = append([]string(nil), d.Items...)
		return d
	}
	return p.ownScreen()
}

// ownScreen summarises the phone's screen. Modelled wording.
func (p *Phone) ownScreen() Display {
	d := &p.dev
	scr := Display{Source: "phone", Title: p.identity(p.activeIdentity()).RealName}
	switch {
	case d.holdList:
		scr.Title = "Calls on Hold"
		for _, c := range d.calls {
			if c.state == StateHeld {
				scr.Items = append(scr.Items, c.number)
			}
		}
	case d.xfer != 0:
		scr.Title, scr.Text = "Transfer", d.xferDigits
	case d.first(StateConnected) != nil:
		c := d.first(StateConnected)
		scr.Title, scr.Text = "Connected", c.number
	case d.first(StateRinging) != nil:
		c := d.first(StateRinging)
		scr.Title, scr.Text = "Incoming call", strings.TrimSpace(c.remoteName+" "+c.number)
	case d.last(StateCalling) != nil:
		scr.Title, scr.Text = "Calling", d.last(StateCalling).number
	case d.dialing:
		scr.Title, scr.Text = "Dial", d.digits
	case d.first(StateHeld) != nil:
		scr.Title, scr.Text = "On hold", d.first(StateHeld).number
	case d.dnd:
		scr.Text = "DND"
	}
	return scr
}
