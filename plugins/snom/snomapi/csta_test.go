package snomapi

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// inEnvelope wraps a document fragment the way the document's POST example
// wraps AnswerCall, namespaces still empty as in the copy.
func inEnvelope(fragment string) string {
	return `<SOAP-ENV:Envelope xmlns:SOAP-ENV="" xmlns:csta=""> <SOAP-ENV:Body> ` + fragment + ` </SOAP-ENV:Body> </SOAP-ENV:Envelope>`
}

// replaceInOrder replaces each old, in order, once.
func replaceInOrder(s string, pairs ...string) string {
	for i := 0; i < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			panic("example lacks " + pairs[i])
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	return s
}

// The client's request bodies equal the document's examples byte for byte
// once fillNamespaces has put the lost URIs back and placeholders ("Name
// of the Setting", "XML Document as a String in Quotes", "... Possibly
// all settings ...") are replaced by the values sent.
func TestRequestsMatchTheDocument(t *testing.T) {
	ctx := context.Background()
	const push = `<SnomIPPhoneText><Text>Call from "Joe" & co</Text></SnomIPPhoneText>`
	var escapedPush strings.Builder
	_ = xml.EscapeText(&escapedPush, []byte(push))
	for _, tc := range []struct {
		name     string
		firmware string
		call     func(*Client) error
		want     string
	}{
		{"AnswerCall -2, legacy (the POST example)", "8.4.35", func(c *Client) error { return c.AnswerCall(ctx, "-2") }, docPOSTBody},
		{"AnswerCall -18, legacy", "7.3.4", func(c *Client) error { return c.AnswerCall(ctx, "-18") }, inEnvelope(docAnswerCallLegacy)},
		{"AnswerCall -18, 8.7.3 and later", "8.7.3.25", func(c *Client) error { return c.AnswerCall(ctx, "-18") }, inEnvelope(docAnswerCallCallID)},
		{"GetSettings", "", func(c *Client) error { _, err := c.GetSettings(ctx); return err }, docGetSettings},
		{"SetSettings", "", func(c *Client) error {
			return c.SetSettings(ctx, []Setting{{"action_incoming_url", "http://10.0.0.9/cb?a=1&b=2"}, {"action_fwtest_url", ""}})
		}, replaceInOrder(docSetSettings,
			" Name of the Setting ", "action_incoming_url", " Value of the setting ", "http://10.0.0.9/cb?a=1&amp;b=2",
			" Name of the Setting ", "action_fwtest_url", " Value of the setting ", "",
			" ... Possibly all settings in the above list, but at least one setting.", "")},
		{"XmlPush", "", func(c *Client) error { return c.XmlPush(ctx, push) },
			replaceInOrder(docXmlPush, ` "XML Document as a String in Quotes" `, escapedPush.String())},
		{"FireTest", "", func(c *Client) error { return c.FireTest(ctx) }, docFireTest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			phone := &fakePhone{}
			c := newTestClient(t, phone, Config{Firmware: tc.firmware})
			if err := tc.call(c); err != nil {
				t.Fatal(err)
			}
			r := phone.last(t)
			if r.method != http.MethodPost || r.uri != "/csta" || r.contentType != "text/xml" {
				t.Fatalf("sent %s %s (%s), want POST /csta (text/xml)", r.method, r.uri, r.contentType)
			}
			if want := fillNamespaces(tc.want); string(r.body) != want {
				t.Fatalf("body\n%s\nwant\n%s", r.body, want)
			}
		})
	}
}

// The POST example's Content-Length (343) is the length of its body with
// an XML declaration and every element, and the xmlns:csta attribute, on a
// line of its own, CRLF-terminated: the copy lost the declaration and the
// line breaks (the one between the attributes without a trace, hence
// ""xmlns:csta), not content. The check holds for ed3, ed4 and ed5 alike.
func TestPOSTExampleLength(t *testing.T) {
	body := strings.NewReplacer("> <", ">\r\n<", `" xmlns:csta=`, "\"\r\nxmlns:csta=").Replace(fillNamespaces(docPOSTBody))
	if n := len(`<?xml version="1.0" encoding="UTF-8"?>` + "\r\n" + body + "\r\n"); n != 343 {
		t.Fatalf("length %d, want the example's Content-Length 343", n)
	}
}

func TestOtherRequestShapes(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, firmware string
		call           func(*Client) error
		want           string // payload
	}{
		{"ClearConnection", "10.1.54.13", func(c *Client) error { return c.ClearConnection(ctx, "-3") },
			`<csta:ClearConnection> <csta:connectionToBeCleared> <csta:callID>-3</csta:callID> </csta:connectionToBeCleared> </csta:ClearConnection>`},
		{"HoldCall legacy", "8.6.5", func(c *Client) error { return c.HoldCall(ctx, "-3") },
			`<csta:HoldCall> <csta:callToBeHeld>-3</csta:callToBeHeld> </csta:HoldCall>`},
		{"RetrieveCall", "8.7.3.25", func(c *Client) error { return c.RetrieveCall(ctx, "7") },
			`<csta:RetrieveCall> <csta:callToBeRetrieved> <csta:callID>7</csta:callID> </csta:callToBeRetrieved> </csta:RetrieveCall>`},
		{"SingleStepTransferCall since 8.7.4", "8.7.4.8", func(c *Client) error { return c.SingleStepTransferCall(ctx, "-3", "sip:200@pbx") },
			`<csta:SingleStepTransferCall> <csta:activeCall> <csta:callID>-3</csta:callID> </csta:activeCall> <csta:transferredTo>sip:200@pbx</csta:transferredTo> </csta:SingleStepTransferCall>`},
		{"SingleStepTransferCall on 8.7.3", "8.7.3.25", func(c *Client) error { return c.SingleStepTransferCall(ctx, "-3", "200") },
			`<csta:SingleStepTransferCall> <csta:activeCall>-3</csta:activeCall> <csta:transferredTo>200</csta:transferredTo> </csta:SingleStepTransferCall>`},
		{"ConsultationCall", "10.1.54.13", func(c *Client) error { _, err := c.ConsultationCall(ctx, "-3", "sip:201@pbx"); return err },
			`<csta:ConsultationCall> <csta:existingCall> <csta:callID>-3</csta:callID> </csta:existingCall> <csta:consultedDevice>sip:201@pbx</csta:consultedDevice> </csta:ConsultationCall>`},
		{"TransferCall", "10.1.54.13", func(c *Client) error { return c.TransferCall(ctx, "-3", "-4") },
			`<csta:TransferCall> <csta:heldCall> <csta:callID>-3</csta:callID> </csta:heldCall> <csta:activeCall> <csta:callID>-4</csta:callID> </csta:activeCall> </csta:TransferCall>`},
		{"MakeCall", "8.7.4.8", func(c *Client) error { _, err := c.MakeCall(ctx, "1", "455360"); return err },
			`<csta:MakeCall> <csta:callingDevice>1</csta:callingDevice> <csta:calledDirectoryNumber>455360</csta:calledDirectoryNumber> <csta:autoOriginate>doNotPrompt</csta:autoOriginate> </csta:MakeCall>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			phone := &fakePhone{}
			c := newTestClient(t, phone, Config{Firmware: tc.firmware})
			if err := tc.call(c); err != nil {
				t.Fatal(err)
			}
			if got, want := string(phone.last(t).body), fillNamespaces(inEnvelope(tc.want)); got != want {
				t.Fatalf("body\n%s\nwant\n%s", got, want)
			}
			m, err := ParseRequest(phone.last(t).body)
			if err != nil || m.Name()+"" == "" {
				t.Fatalf("ParseRequest: %v", err)
			}
		})
	}
}

func TestFirmwareGating(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, firmware string
		dialect        Dialect
		call           func(*Client) error
		want           error
	}{
		{"no firmware, no dialect", "", 0, func(c *Client) error { return c.AnswerCall(ctx, "-1") }, ErrDialectUnknown},
		{"8.7.1 is broken", "8.7.1.3", 0, func(c *Client) error { return c.AnswerCall(ctx, "-1") }, ErrUnsupported},
		{"8.7.2 is broken even when forced", "8.7.2.9", DialectCallID, func(c *Client) error { return c.HoldCall(ctx, "-1") }, ErrUnsupported},
		{"7.3.3 has no csta", "7.3.3", 0, func(c *Client) error { return c.AnswerCall(ctx, "-1") }, ErrUnsupported},
		{"consultation before 8.7.4", "8.7.3.25", 0, func(c *Client) error { _, err := c.ConsultationCall(ctx, "-1", "200"); return err }, ErrUnsupported},
		{"identity index before 8.7.4", "8.7.3.25", 0, func(c *Client) error { _, err := c.MakeCall(ctx, "2", "200"); return err }, ErrUnsupported},
		{"bad call id", "10.1.54.13", 0, func(c *Client) error { return c.AnswerCall(ctx, "<x/>") }, ErrInvalidArgument},
		{"control character", "10.1.54.13", 0, func(c *Client) error { return c.XmlPush(ctx, "a\x00b") }, ErrInvalidArgument},
		{"no settings", "", 0, func(c *Client) error { return c.SetSettings(ctx, nil) }, ErrInvalidArgument},
		{"bad setting name", "", 0, func(c *Client) error { return c.SetSettings(ctx, []Setting{{"Action URL", "x"}}) }, ErrInvalidArgument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			phone := &fakePhone{}
			c := newTestClient(t, phone, Config{Firmware: tc.firmware, Dialect: tc.dialect})
			if err := tc.call(c); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if n := len(phone.requests()); n != 0 {
				t.Fatalf("%d requests reached the phone", n)
			}
		})
	}
	t.Run("forced legacy dialect on new firmware", func(t *testing.T) {
		phone := &fakePhone{}
		c := newTestClient(t, phone, Config{Firmware: "10.1.54.13", Dialect: DialectLegacy})
		if err := c.AnswerCall(ctx, "-18"); err != nil {
			t.Fatal(err)
		}
		if got, want := string(phone.last(t).body), fillNamespaces(inEnvelope(docAnswerCallLegacy)); got != want {
			t.Fatalf("body %s", got)
		}
	})
}

func TestDetectDialect(t *testing.T) {
	ctx := context.Background()
	answer := func(fw string) func(w http.ResponseWriter, r *http.Request, _ []byte) {
		return func(w http.ResponseWriter, r *http.Request, _ []byte) {
			fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="%s" xmlns:csta="%s"><SOAP-ENV:Body><csta:GetSettingsResponse>`+
				`<csta:Setting><csta:name>mac</csta:name><csta:value>000413A1B2C3</csta:value></csta:Setting>`+
				`<csta:Setting><csta:name> firmware_version </csta:name><csta:value> %s </csta:value></csta:Setting>`+
				`</csta:GetSettingsResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>`, SOAPNamespace, CSTANamespace, fw)
		}
	}
	for _, tc := range []struct {
		fw      string
		want    Dialect
		wantErr error
	}{
		{"snomD785-SIP 10.1.33.33", DialectCallID, nil},
		{"8.7.3.25", DialectCallID, nil},
		{"8.4.35", DialectLegacy, nil},
		{"8.7.1.3", DialectUnknown, ErrUnsupported},
		{"unknown", DialectUnknown, ErrBadResponse},
	} {
		t.Run(tc.fw, func(t *testing.T) {
			c := newTestClient(t, &fakePhone{handle: answer(tc.fw)}, Config{})
			_, d, err := c.DetectDialect(ctx)
			if d != tc.want || !errors.Is(err, tc.wantErr) && (err != nil || tc.wantErr != nil) {
				t.Fatalf("dialect %v err %v, want %v %v", d, err, tc.want, tc.wantErr)
			}
			if c.Dialect() != tc.want {
				t.Fatalf("client dialect %v", c.Dialect())
			}
		})
	}
}

func TestMakeCallReturnsTheCallID(t *testing.T) {
	// Snom's MakeCall example answer (service.snom.com, CSTA over HTTP -
	// Requests), bare and in the ed5 namespace.
	const answer = `<?xml version="1.0" encoding="utf-8"?>
<MakeCallResponse xmlns="http://www.ecma-international.org/standards/ecma-323/csta/ed5">
<callingDevice>
<callID>2</callID>
<deviceID>sip:455455@ser.intern.snom.de</deviceID>
</callingDevice>
</MakeCallResponse>`
	phone := &fakePhone{handle: func(w http.ResponseWriter, r *http.Request, _ []byte) { io.WriteString(w, answer) }}
	c := newTestClient(t, phone, Config{})
	id, err := c.MakeCall(context.Background(), "sip:455455@ser.intern.snom.de", "455360")
	if err != nil || id != "2" {
		t.Fatalf("id %q err %v", id, err)
	}
}

func TestCSTAAnswersFromThePhone(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		status int
		body   string
		check  func(t *testing.T, err error)
	}{
		{"each error form", 500, docErrFault, func(t *testing.T, err error) {
			var e *CSTAError
			if !errors.As(err, &e) || e.Operation != "invalidCallID" || e.Class() != ClassNotFound || e.HTTPStatus != 500 ||
				e.Request != "AnswerCall" || !errors.Is(err, ErrCSTA) || e.FaultCode != "Client" || e.FaultString != "CSTA Error" {
				t.Fatalf("err = %#v", err)
			}
			if !strings.Contains(err.Error(), `csta AnswerCall on 127.0.0.1`) || !strings.Contains(err.Error(), "invalidCallID") {
				t.Fatalf("message %q", err)
			}
		}},
		{"wrong response name", 200, strings.ReplaceAll(docOKBare, "AnswerCall", "HoldCall"), wantKind(KindBadResponse)},
		{"html page", 200, "<html><body>CSTA disabled</body></html>", wantKind(KindBadResponse)},
		{"not xml", 200, "OK", wantKind(KindBadResponse)},
		{"500 without a csta error", 500, "<html>Internal error</html>", wantKind(KindBadResponse)},
		{"404", 404, "", wantKind(KindUnsupported)},
		{"401", 401, "", wantKind(KindAuth)},
		{"302", 302, "", wantKind(KindBadResponse)},
		{"oversized", 200, "<a>" + strings.Repeat("x", maxXML) + "</a>", wantKind(KindBadResponse)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			phone := &fakePhone{handle: func(w http.ResponseWriter, r *http.Request, _ []byte) {
				if tc.status == 302 {
					w.Header().Set("Location", "/index.htm")
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, fillNamespaces(tc.body))
			}}
			c := newTestClient(t, phone, Config{Firmware: "10.1.54.13"})
			tc.check(t, c.AnswerCall(ctx, "-18"))
		})
	}
}

func wantKind(k ErrorKind) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var e *Error
		if !errors.As(err, &e) || e.Kind != k || !strings.HasPrefix(err.Error(), "snomapi: csta AnswerCall on ") {
			t.Fatalf("err = %v, want kind %v", err, k)
		}
	}
}

func TestGetSettings(t *testing.T) {
	c := newTestClient(t, &fakePhone{}, Config{})
	got, err := c.GetSettings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// The document's example, names and values trimmed.
	if len(got) != 1 || got["Name of the Setting"] != "Value of the setting" {
		t.Fatalf("settings %q", got)
	}
}
