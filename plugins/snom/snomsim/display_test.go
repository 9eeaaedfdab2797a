package snomsim

import (
	"reflect"
	"strings"
	"testing"
)

func TestXmlPushDisplays(t *testing.T) {
	for _, tc := range []struct{ name, document string }{
		{"escaped, in quotes", `"&lt;SnomIPPhoneText&gt;&lt;Title&gt;Ada Lovelace&lt;/Title&gt;&lt;Text&gt;Customer 42&lt;/Text&gt;&lt;/SnomIPPhoneText&gt;"`},
		{"cdata", `<![CDATA[<?xml version="1.0" encoding="UTF-8"?><SnomIPPhoneText><Title>Ada Lovelace</Title><Text>Customer 42</Text></SnomIPPhoneText>]]>`},
		{"inline", `<SnomIPPhoneText><Title>Ada Lovelace</Title><Text>Customer 42</Text></SnomIPPhoneText>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPhone(t, Options{})
			callIn(t, p, "5551001")
			body := mustCSTA(t, p, `<csta:XmlPush><csta:document>`+tc.document+`</csta:document></csta:XmlPush>`)
			if want := "<XmlPushResponse"; !strings.Contains(body, want) {
				t.Errorf("answer %s", body)
			}
			d := p.Display()
			if d.Source != "xmlpush" || d.Kind != "SnomIPPhoneText" || d.Title != "Ada Lovelace" || d.Text != "Customer 42" {
				t.Errorf("display %+v", d)
			}
			keys(t, p, "CANCEL") // closes the minibrowser, the call still rings
			if d := p.Display(); d.Source != "phone" || d.Title != "Incoming call" {
				t.Errorf("after CANCEL: %+v", d)
			}
			if len(p.Calls()) != 1 {
				t.Error("CANCEL with a document open rejected the call")
			}
		})
	}
}

func TestXmlPushMenuAndRefusals(t *testing.T) {
	p := newPhone(t, Options{})
	mustCSTA(t, p, `<csta:XmlPush><csta:document>&lt;IPPhoneMenu&gt;&lt;Title&gt;CRM&lt;/Title&gt;&lt;MenuItem&gt;&lt;Name&gt;Open ticket&lt;/Name&gt;&lt;/MenuItem&gt;&lt;MenuItem&gt;&lt;Name&gt;Notes&lt;/Name&gt;&lt;/MenuItem&gt;&lt;/IPPhoneMenu&gt;</csta:document></csta:XmlPush>`)
	if d := p.Display(); d.Kind != "IPPhoneMenu" || !reflect.DeepEqual(d.Items, []string{"Open ticket", "Notes"}) {
		t.Errorf("display %+v", d)
	}
	for _, doc := range []string{`not xml`, `&lt;html&gt;&lt;/html&gt;`, ``} {
		code, body := csta(t, p, envelope(`<csta:XmlPush><csta:document>`+doc+`</csta:document></csta:XmlPush>`))
		if code != 500 || operation(body) != "valueOutOfRange" {
			t.Errorf("document %q: %d %s", doc, code, body)
		}
	}
	if p.Display().Kind != "IPPhoneMenu" {
		t.Error("a refused push replaced the display")
	}
}

func TestOwnScreen(t *testing.T) {
	p := newPhone(t, Options{})
	if d := p.Display(); d.Source != "phone" || d.Title != "Sim 1001" {
		t.Errorf("idle %+v", d)
	}
	keys(t, p, "5;5")
	if d := p.Display(); d.Title != "Dial" || d.Text != "55" {
		t.Errorf("dialing %+v", d)
	}
}
