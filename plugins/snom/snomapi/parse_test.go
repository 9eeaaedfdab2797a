package snomapi

import (
	"errors"
	"strings"
	"testing"
)

func TestParseResponseReadsEveryFormOfTheDocument(t *testing.T) {
	for _, fill := range []bool{false, true} {
		prep := func(s string) string { return s }
		if fill {
			prep = fillNamespaces
		}
		for i, body := range docSuccessForms {
			m, err := ParseResponse(200, []byte(prep(body)))
			if err != nil || m.Name() != "AnswerCallResponse" {
				t.Fatalf("success form %d (namespaces filled %v): %v", i+1, fill, err)
			}
		}
		for i, body := range docErrorForms {
			_, err := ParseResponse(500, []byte(prep(body)))
			var e *CSTAError
			if !errors.As(err, &e) {
				t.Fatalf("error form %d (namespaces filled %v): %v", i+1, fill, err)
			}
			want := []string{"invalidCallID", "invalidCallID", "Invalid CallID"}[i]
			if e.Operation != want || e.Category != "operation" || e.HTTPStatus != 500 || e.Class() != ClassNotFound {
				t.Fatalf("error form %d: %+v", i+1, e)
			}
		}
		for name, body := range docResponses {
			m, err := ParseResponse(200, []byte(prep(body)))
			if err != nil || m.Name() != name+"Response" {
				t.Fatalf("%s answer: %v", name, err)
			}
		}
	}
}

func TestParseResponseSettings(t *testing.T) {
	m, err := ParseResponse(200, []byte(`<GetSettingsResponse>
  <Setting><name>action_incoming_url</name><value>http://10.0.0.9/cb?event=incoming&amp;token=t&amp;csta_id=$csta_id</value></Setting>
  <Setting><name>mac</name><value/></Setting>
  <Setting><value>no name</value></Setting>
  <Setting><name>mac</name><value>000413A1B2C3</value></Setting>
</GetSettingsResponse>`))
	if err != nil {
		t.Fatal(err)
	}
	got := m.Settings()
	want := []Setting{{"action_incoming_url", "http://10.0.0.9/cb?event=incoming&token=t&csta_id=$csta_id"}, {"mac", ""}, {"mac", "000413A1B2C3"}}
	if len(got) != len(want) {
		t.Fatalf("settings %q", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("setting %d %q, want %q", i, got[i], want[i])
		}
	}
}

func TestParseResponseRefusesBadAnswers(t *testing.T) {
	for name, tc := range map[string]struct {
		status int
		body   string
	}{
		"empty":                 {200, ""},
		"text":                  {200, "OK"},
		"html":                  {200, "<html><body><p>Login</p></body></html>"},
		"request echoed":        {200, fillNamespaces(docFireTest)},
		"success with 500":      {500, docOKBare},
		"success with 302":      {302, docOKBare},
		"truncated":             {200, `<SOAP-ENV:Envelope><SOAP-ENV:Body><csta:AnswerCallResponse>`},
		"envelope without body": {200, `<SOAP-ENV:Envelope><SOAP-ENV:Header/></SOAP-ENV:Envelope>`},
		"empty body":            {200, `<SOAP-ENV:Envelope><SOAP-ENV:Body> </SOAP-ENV:Body></SOAP-ENV:Envelope>`},
		"two roots":             {200, `<AResponse/><BResponse/>`},
		"text outside":          {200, `<AResponse/>junk`},
		"doctype":               {200, `<!DOCTYPE r [<!ENTITY a "aaaa">]><AResponse>&a;</AResponse>`},
		"external entity":       {200, `<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><AResponse>&x;</AResponse>`},
		"undefined entity":      {200, `<AResponse>&x;</AResponse>`},
		"latin-1":               {200, `<?xml version="1.0" encoding="iso-8859-1"?><AResponse/>`},
		"too deep":              {200, strings.Repeat("<a>", 40) + strings.Repeat("</a>", 40)},
		"too big":               {200, "<AResponse>" + strings.Repeat(" ", maxXML) + "</AResponse>"},
	} {
		m, err := ParseResponse(tc.status, []byte(tc.body))
		var e *Error
		if m != nil || !errors.As(err, &e) || e.Kind != KindBadResponse {
			t.Errorf("%s: message %v, err %v; want a bad response", name, m, err)
		}
	}
}

func TestParseResponseErrorVariants(t *testing.T) {
	for name, tc := range map[string]struct {
		body     string
		category string
		op       string
		class    Class
	}{
		"state":         {`<CSTAErrorCode><stateIncompatibility>noCallToAnswer</stateIncompatibility></CSTAErrorCode>`, "stateIncompatibility", "noCallToAnswer", ClassWrongState},
		"state unknown": {`<CSTAErrorCode><stateIncompatibility>generic</stateIncompatibility></CSTAErrorCode>`, "stateIncompatibility", "generic", ClassWrongState},
		"security":      {`<CSTAErrorCode><security>generic</security></CSTAErrorCode>`, "security", "generic", ClassDenied},
		"text only":     {`<CSTAErrorCode>invalidDeviceID</CSTAErrorCode>`, "", "invalidDeviceID", ClassNotFound},
		"fault only":    {`<Envelope><Body><Fault><faultcode>Server</faultcode><faultstring>oops</faultstring></Fault></Body></Envelope>`, "", "", ClassUnknown},
		"generic":       {`<CSTAErrorCode><operation>generic</operation></CSTAErrorCode>`, "operation", "generic", ClassUnknown},
	} {
		_, err := ParseResponse(500, []byte(tc.body))
		var e *CSTAError
		if !errors.As(err, &e) || e.Category != tc.category || e.Operation != tc.op || e.Class() != tc.class {
			t.Errorf("%s: %#v", name, err)
		}
	}
}

func TestClassify(t *testing.T) {
	for value, want := range map[string]Class{
		"invalidCallID":                    ClassNotFound,
		"Invalid CallID":                   ClassNotFound,
		"INVALID_CALL_ID":                  ClassNotFound,
		"invalidDeviceID":                  ClassNotFound,
		"invalidConnectionID":              ClassNotFound,
		"stateIncompatibleWithObject":      ClassWrongState,
		"requestIncompatibleWithObject":    ClassWrongState,
		"invalidCSTAApplicationCorrelator": ClassInvalidArgument,
		"valueOutOfRange":                  ClassInvalidArgument,
		"privilegeViolationOnCalledDevice": ClassDenied,
		"generic":                          ClassUnknown,
		"":                                 ClassUnknown,
		"somethingNew":                     ClassUnknown,
	} {
		if got := Classify(value); got != want {
			t.Errorf("Classify(%q) = %v, want %v", value, got, want)
		}
	}
}

func TestParseRequestReadsTheDocumentsRequests(t *testing.T) {
	// The POST example as printed, attributes run together.
	m, err := ParseRequest([]byte(docPOSTBody))
	if err != nil {
		t.Fatal(err)
	}
	if id, d, ok := m.ConnectionID("callToBeAnswered"); m.Name() != "AnswerCall" || id != "-2" || d != DialectLegacy || !ok {
		t.Fatalf("%s %q %v", m.Name(), id, d)
	}
	m, err = ParseRequest([]byte(inEnvelope(docAnswerCallCallID)))
	if err != nil {
		t.Fatal(err)
	}
	if id, d, _ := m.ConnectionID("callToBeAnswered"); id != "-18" || d != DialectCallID {
		t.Fatalf("%q %v", id, d)
	}
	if _, err := ParseRequest([]byte("<a>")); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("err = %v", err)
	}
}
