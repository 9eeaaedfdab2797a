package snomsim

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// The document's answer forms, verbatim from
// shared/vendor-docs/snom-http-remote-control.txt (its copy lost the
// namespace URLs: xmlns:...="").
const (
	docSuccessSOAPHeader   = `<?xml version="1.0" encoding="utf-8"?> <SOAP-ENV:Envelope xmlns:SOAP-ENV=""> <SOAP-ENV:Header/> <SOAP-ENV:Body> <csta:AnswerCallResponse xmlns:csta=""/> </SOAP-ENV:Body> </SOAP-ENV:Envelope>`
	docSuccessBare         = `<?xml version="1.0" encoding="utf-8"?> <AnswerCallResponse xmlns:csta=""/>`
	docSuccessSOAPNoHeader = `<SOAP-ENV:Envelope xmlns:SOAP-ENV="" xmlns:csta=""> <SOAP-ENV:Body> <csta:AnswerCallResponse></csta:AnswerCallResponse> </SOAP-ENV:Body> </SOAP-ENV:Envelope>`
	docErrorSOAPHeader     = `<?xml version="1.0" encoding="utf-8"?> <SOAP-ENV:Envelope xmlns:SOAP-ENV=""> <SOAP-ENV:Header/> <SOAP-ENV:Body> <SOAP-ENV:Fault> <SOAP-ENV:faultcode>Client</SOAP-ENV:faultcode> <SOAP-ENV:faultstring>CSTA Error</SOAP-ENV:faultstring> <SOAP-ENV:detail> <csta:CSTAErrorCode xmlns:csta=""> <csta:operation>invalidCallID</csta:operation> </csta:CSTAErrorCode> </SOAP-ENV:detail> </SOAP-ENV:Fault> </SOAP-ENV:Body> </SOAP-ENV:Envelope>`
	// The document closes <operation> with </csta:operation>, which is not
	// well-formed; the simulator writes </operation> (see renderError).
	docErrorBare         = `<?xml version="1.0" encoding="utf-8"?> <CSTAErrorCode xmlns:csta=""> <operation>invalidCallID</csta:operation> </CSTAErrorCode>`
	docErrorSOAPNoHeader = `<SOAP-ENV:Envelope xmlns:SOAP-ENV="" xmlns:csta=""> <SOAP-ENV:Body> <SOAP-ENV:Fault> <SOAP-ENV:faultcode>Client</SOAP-ENV:faultcode> <SOAP-ENV:faultstring>CSTA Error</SOAP-ENV:faultstring> <SOAP-ENV:detail> <csta:CSTAErrorCode xmlns:csta=""> <csta:operation>Invalid CallID</csta:operation> </csta:CSTAErrorCode> </SOAP-ENV:detail> </SOAP-ENV:Fault> </SOAP-ENV:Body> </SOAP-ENV:Envelope>`
)

var (
	nsURL      = regexp.MustCompile(`(xmlns:[A-Za-z-]+)="[^"]*"`)
	betweenTag = regexp.MustCompile(`>\s+<`)
)

// shape blanks namespace URLs and white space between tags, so a body
// compares with the document's flattened copy.
func shape(s string) string {
	s = nsURL.ReplaceAllString(s, `$1=""`)
	return strings.TrimSpace(betweenTag.ReplaceAllString(s, "><"))
}

const (
	answerNew    = `<csta:AnswerCall><csta:callToBeAnswered><csta:callID>%s</csta:callID></csta:callToBeAnswered></csta:AnswerCall>`
	answerLegacy = `<csta:AnswerCall><csta:callToBeAnswered>%s</csta:callToBeAnswered></csta:AnswerCall>`
)

func answerReq(form, id string) string { return strings.Replace(form, "%s", id, 1) }

// operation returns the error code of an error body.
func operation(body string) string {
	m := regexp.MustCompile(`operation>([^<]*)<`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

func TestDialectsAreTheDocumentsForms(t *testing.T) {
	for _, tc := range []struct {
		firmware       string
		dialect        Dialect
		form           string
		success, error string
	}{
		{"7.3.30", DialectSOAPNoHeader, answerLegacy, docSuccessSOAPNoHeader, docErrorSOAPNoHeader},
		{"8.4.35", DialectSOAPHeader, answerLegacy, docSuccessSOAPHeader, docErrorSOAPHeader},
		{"8.7.3.25", DialectBare, answerNew, docSuccessBare, strings.Replace(docErrorBare, "</csta:operation>", "</operation>", 1)},
	} {
		t.Run(tc.firmware, func(t *testing.T) {
			p := newPhone(t, Options{Firmware: tc.firmware})
			if d := p.Profile().Dialect; d != tc.dialect {
				t.Fatalf("dialect %v, want %v", d, tc.dialect)
			}
			id := callIn(t, p, "5551001")
			code, body := csta(t, p, envelope(answerReq(tc.form, "77")))
			if code != 500 || shape(body) != shape(tc.error) {
				t.Errorf("error = %d\n%s\nwant 500\n%s", code, shape(body), shape(tc.error))
			}
			code, body = csta(t, p, envelope(answerReq(tc.form, id)))
			if code != 200 || shape(body) != shape(tc.success) {
				t.Errorf("success = %d\n%s\nwant 200\n%s", code, shape(body), shape(tc.success))
			}
		})
	}
}

func TestDialectOverride(t *testing.T) {
	p := newPhone(t, Options{Firmware: "10.1.54.13", Dialect: DialectSOAPHeader})
	id := callIn(t, p, "1")
	if body := mustCSTA(t, p, answerReq(answerNew, id)); shape(body) != shape(docSuccessSOAPHeader) {
		t.Errorf("body %s", body)
	}
}

func TestConnectionIDForms(t *testing.T) {
	for _, tc := range []struct {
		name         string
		opts         Options
		right, wrong string
	}{
		{"before 8.7", Options{Firmware: "8.4.35"}, answerLegacy, answerNew},
		{"8.7.3 and later", Options{Firmware: "8.7.3.25"}, answerNew, answerLegacy},
		{"csta_legacy_control", Options{Firmware: "10.1.54.13", CSTALegacyControl: true}, answerLegacy, answerNew},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPhone(t, tc.opts)
			id := callIn(t, p, "5551001")
			code, body := csta(t, p, envelope(answerReq(tc.wrong, id)))
			if code != 500 || operation(body) != "invalidCallID" {
				t.Fatalf("wrong form: %d %s, want 500 invalidCallID", code, body)
			}
			wantStates(t, p, id+":ringing")
			mustCSTA(t, p, answerReq(tc.right, id))
			wantStates(t, p, id+":connected")
		})
	}
}

func TestCSTASupportPerFirmware(t *testing.T) {
	for _, tc := range []struct {
		firmware string
		want     CSTASupport
		code     int
	}{
		{"7.1.30", CSTANone, 404},
		{"7.3.4", CSTAHTTP, 200},
		{"8.6.9", CSTAHTTP, 200},
		{"8.7.0", CSTABroken, 500},
		{"8.7.1.5", CSTABroken, 500},
		{"8.7.2.9", CSTABroken, 500},
		{"8.7.3", CSTAHTTP, 200},
		{"10.1.54.13", CSTAHTTP, 200},
	} {
		p := newPhone(t, Options{Firmware: tc.firmware})
		if got := p.Profile().CSTA; got != tc.want {
			t.Errorf("%s: csta %v, want %v", tc.firmware, got, tc.want)
		}
		code, body := csta(t, p, envelope(`<csta:GetSettings></csta:GetSettings>`))
		if code != tc.code {
			t.Errorf("%s: GetSettings %d, want %d", tc.firmware, code, tc.code)
		}
		if tc.want == CSTABroken && operation(body) != "generic" {
			t.Errorf("%s: broken answer %s", tc.firmware, body)
		}
	}
}

func TestMakeCallAndCallControl(t *testing.T) {
	p := newPhone(t, Options{Firmware: "10.1.54.13"})
	body := mustCSTA(t, p, `<csta:MakeCall><csta:callingDevice>sip:1001@pbx.example.com</csta:callingDevice><csta:calledDirectoryNumber>455360</csta:calledDirectoryNumber><csta:autoOriginate>doNotPrompt</csta:autoOriginate></csta:MakeCall>`)
	want := `<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<MakeCallResponse xmlns:csta="` + NamespaceCSTA5 + `"><callingDevice><callID>1</callID><deviceID>sip:1001@pbx.example.com</deviceID></callingDevice></MakeCallResponse>` + "\n"
	if body != want {
		t.Fatalf("MakeCall answer\n%s\nwant\n%s", body, want)
	}
	wantStates(t, p, "1:calling")
	conn := func(elem, id string) string {
		return `<csta:` + elem + `><csta:callID>` + id + `</csta:callID><csta:deviceID>sip:1001@pbx.example.com</csta:deviceID></csta:` + elem + `>`
	}
	code, body := csta(t, p, envelope(`<csta:HoldCall>`+conn("callToBeHeld", "1")+`</csta:HoldCall>`))
	if code != 500 || operation(body) != "requestIncompatibleWithObject" {
		t.Errorf("hold a calling call: %d %s", code, body)
	}
	if err := p.RemoteAnswer("1"); err != nil {
		t.Fatal(err)
	}
	mustCSTA(t, p, `<csta:HoldCall>`+conn("callToBeHeld", "1")+`</csta:HoldCall>`)
	wantStates(t, p, "1:held")
	mustCSTA(t, p, `<csta:RetrieveCall>`+conn("callToBeRetrieved", "1")+`</csta:RetrieveCall>`)
	wantStates(t, p, "1:connected")
	mustCSTA(t, p, `<csta:ClearConnection>`+conn("connectionToBeCleared", "1")+`</csta:ClearConnection>`)
	wantStates(t, p)

	id := callIn(t, p, "5551001")
	mustCSTA(t, p, `<csta:ClearCall><csta:callToBeCleared><csta:callID>`+id+`</csta:callID></csta:callToBeCleared></csta:ClearCall>`)
	wantStates(t, p)
}

func TestDeviceIDForms(t *testing.T) {
	make := func(dev string) string {
		return `<csta:MakeCall><csta:callingDevice>` + dev + `</csta:callingDevice><csta:calledDirectoryNumber>1</csta:calledDirectoryNumber></csta:MakeCall>`
	}
	old := newPhone(t, Options{Firmware: "8.7.3.25"})
	if code, body := csta(t, old, envelope(make("1"))); code != 500 || operation(body) != "invalidCallingDevice" {
		t.Errorf("index on 8.7.3: %d %s", code, body)
	}
	mustCSTA(t, old, make("1001@pbx.example.com"))
	if code, body := csta(t, old, envelope(make("sip:9999@pbx.example.com"))); code != 500 || operation(body) != "invalidCallingDevice" {
		t.Errorf("unknown identity: %d %s", code, body)
	}
	recent := newPhone(t, Options{Firmware: "8.7.4.8"})
	mustCSTA(t, recent, make("1"))
	id := callIn(t, recent, "2")
	code, body := csta(t, recent, envelope(`<csta:AnswerCall><csta:callToBeAnswered><csta:callID>`+id+`</csta:callID><csta:deviceID>sip:4242@elsewhere</csta:deviceID></csta:callToBeAnswered></csta:AnswerCall>`))
	if code != 500 || operation(body) != "invalidDeviceID" {
		t.Errorf("foreign deviceID: %d %s", code, body)
	}
}

func TestBareRequestsAreAccepted(t *testing.T) {
	p := newPhone(t, Options{})
	code, body := csta(t, p, `<?xml version="1.0" encoding="UTF-8"?><MakeCall xmlns='`+NamespaceCSTA5+`'><callingDevice>sip:1001@pbx.example.com</callingDevice><calledDirectoryNumber>455360</calledDirectoryNumber></MakeCall>`)
	if code != 200 || !strings.Contains(body, "<callID>1</callID>") {
		t.Fatalf("bare MakeCall: %d %s", code, body)
	}
	code, body = csta(t, p, `<RequestSystemStatus xmlns="`+NamespaceCSTA5+`"/>`)
	if code != 200 || !strings.Contains(body, "<systemStatus>normal</systemStatus>") {
		t.Errorf("RequestSystemStatus: %d %s", code, body)
	}
}

func TestSingleStepTransfer(t *testing.T) {
	p := newPhone(t, Options{})
	id := callIn(t, p, "5551001")
	mustCSTA(t, p, answerReq(answerNew, id))
	body := mustCSTA(t, p, `<csta:SingleStepTransferCall><csta:activeCall><csta:callID>`+id+`</csta:callID></csta:activeCall><csta:transferredTo>303</csta:transferredTo></csta:SingleStepTransferCall>`)
	if !strings.Contains(body, "<SingleStepTransferCallResponse") || !strings.Contains(body, "<transferredCall><callID>"+id+"</callID>") {
		t.Errorf("answer %s", body)
	}
	wantStates(t, p)
	if tr := p.State().Transfers; len(tr) != 1 || tr[0].Kind != "blind" || tr[0].To != "303" {
		t.Errorf("transfers %+v", tr)
	}
}

func TestConsultationThenTransfer(t *testing.T) {
	p := newPhone(t, Options{})
	a := callIn(t, p, "5551001")
	mustCSTA(t, p, answerReq(answerNew, a))
	body := mustCSTA(t, p, `<csta:ConsultationCall><csta:existingCall><csta:callID>`+a+`</csta:callID></csta:existingCall><csta:consultedDevice>2002</csta:consultedDevice></csta:ConsultationCall>`)
	m := regexp.MustCompile(`<initiatedCall><callID>(-?\d+)</callID>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("ConsultationCall answer %s", body)
	}
	c := m[1]
	wantStates(t, p, a+":held", c+":calling")
	if err := p.RemoteAnswer(c); err != nil {
		t.Fatal(err)
	}
	mustCSTA(t, p, `<csta:TransferCall><csta:heldCall><csta:callID>`+a+`</csta:callID></csta:heldCall><csta:activeCall><csta:callID>`+c+`</csta:callID></csta:activeCall></csta:TransferCall>`)
	wantStates(t, p)
	if tr := p.State().Transfers; len(tr) != 1 || tr[0].Kind != "attended" || tr[0].CSTAID != a {
		t.Errorf("transfers %+v", tr)
	}
}

func TestCSTAErrors(t *testing.T) {
	p := newPhone(t, Options{})
	id := callIn(t, p, "5551001")
	for _, tc := range []struct{ name, doc, op string }{
		{"not xml", "<csta:AnswerCall", "generic"},
		{"empty body", envelope(""), "generic"},
		{"unknown request", envelope("<csta:DeflectCall/>"), "invalidFeature"},
		{"unknown call", envelope(answerReq(answerNew, "-99")), "invalidCallID"},
		{"id not a number", envelope(answerReq(answerNew, "abc")), "invalidCallID"},
		{"no callID", envelope(`<csta:AnswerCall><csta:callToBeAnswered><csta:deviceID>sip:1001@pbx.example.com</csta:deviceID></csta:callToBeAnswered></csta:AnswerCall>`), "invalidCallID"},
		{"retrieve a ringing call", envelope(`<csta:RetrieveCall><csta:callToBeRetrieved><csta:callID>` + id + `</csta:callID></csta:callToBeRetrieved></csta:RetrieveCall>`), "requestIncompatibleWithObject"},
		{"MakeCall without number", envelope(`<csta:MakeCall><csta:callingDevice>1001@pbx.example.com</csta:callingDevice></csta:MakeCall>`), "invalidCalledDevice"},
	} {
		code, body := csta(t, p, tc.doc)
		if code != 500 || operation(body) != tc.op {
			t.Errorf("%s: %d %s, want 500 %s", tc.name, code, body, tc.op)
		}
	}
	wantStates(t, p, id+":ringing")
	if code, _ := get(t, p, "/csta"); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /csta: %d", code)
	}
}

func TestCSTAFaults(t *testing.T) {
	p := newPhone(t, Options{})
	id := callIn(t, p, "5551001")
	p.FailNextCSTA("invalidCallID")
	p.FailNextCSTA("generic")
	for _, want := range []string{"invalidCallID", "generic"} {
		if code, body := csta(t, p, envelope(answerReq(answerNew, id))); code != 500 || operation(body) != want {
			t.Errorf("FailNextCSTA: %d %s, want %s", code, body, want)
		}
	}
	p.SetFault(FaultCSTA500)
	if code, body := csta(t, p, envelope(answerReq(answerNew, id))); code != 500 || operation(body) != "generic" {
		t.Errorf("FaultCSTA500: %d %s", code, body)
	}
	wantStates(t, p, id+":ringing")
	p.SetFault(FaultNone)
	mustCSTA(t, p, answerReq(answerNew, id))
	wantStates(t, p, id+":connected")
}

func TestSnapshotDevice(t *testing.T) {
	p := newPhone(t, Options{})
	id := callIn(t, p, "5551001")
	body := mustCSTA(t, p, `<csta:SnapshotDevice><csta:snapshotObject>1001@pbx.example.com</csta:snapshotObject></csta:SnapshotDevice>`)
	want := `<connectionIdentifier><callID>` + id + `</callID><deviceID>sip:1001@pbx.example.com</deviceID></connectionIdentifier><localCallState><compoundCallState><localConnectionState>alerting</localConnectionState>`
	if !strings.Contains(body, want) {
		t.Errorf("snapshot %s", body)
	}
	if code, body := csta(t, p, envelope(`<csta:SnapshotDevice><csta:snapshotObject>9@x</csta:snapshotObject></csta:SnapshotDevice>`)); code != 500 || operation(body) != "invalidDeviceID" {
		t.Errorf("unknown device: %d %s", code, body)
	}
}

func TestCSTAIDSigns(t *testing.T) {
	p := newPhone(t, Options{})
	in := callIn(t, p, "5551001")
	mustGet(t, p, "/command.htm?number=2002")
	out := p.State().Active
	if in != "-1" || out != "2" {
		t.Errorf("ids in %s out %s, want -1 and 2", in, out)
	}
}
