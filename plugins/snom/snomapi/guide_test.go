package snomapi

import "strings"

// Examples of the vendor document (shared/vendor-docs/snom-http-remote-control.txt),
// copied verbatim, one line each: the copy lost the namespace URIs
// (xmlns:SOAP-ENV="") and joined every example onto one line, elements
// separated by single spaces.
const (
	// line 91: AnswerCall, firmware 8.7.3 and later
	docAnswerCallCallID = `<csta:AnswerCall> <csta:callToBeAnswered> <csta:callID>-18</csta:callID> </csta:callToBeAnswered> </csta:AnswerCall>`
	// line 93: AnswerCall, before 8.7 or csta_legacy_control
	docAnswerCallLegacy = `<csta:AnswerCall> <csta:callToBeAnswered>-18</csta:callToBeAnswered> </csta:AnswerCall>`
	// line 97: success, SOAP with Header
	docOKSOAPHeader = `<?xml version="1.0" encoding="utf-8"?> <SOAP-ENV:Envelope xmlns:SOAP-ENV=""> <SOAP-ENV:Header/> <SOAP-ENV:Body> <csta:AnswerCallResponse xmlns:csta=""/> </SOAP-ENV:Body> </SOAP-ENV:Envelope>`
	// line 98: success, bare element
	docOKBare = `<?xml version="1.0" encoding="utf-8"?> <AnswerCallResponse xmlns:csta=""/>`
	// line 99: success, SOAP without Header
	docOKSOAP = `<SOAP-ENV:Envelope xmlns:SOAP-ENV="" xmlns:csta=""> <SOAP-ENV:Body> <csta:AnswerCallResponse></csta:AnswerCallResponse> </SOAP-ENV:Body> </SOAP-ENV:Envelope>`
	// line 101: error, SOAP Fault with csta:CSTAErrorCode
	docErrFault = `<?xml version="1.0" encoding="utf-8"?> <SOAP-ENV:Envelope xmlns:SOAP-ENV=""> <SOAP-ENV:Header/> <SOAP-ENV:Body> <SOAP-ENV:Fault> <SOAP-ENV:faultcode>Client</SOAP-ENV:faultcode> <SOAP-ENV:faultstring>CSTA Error</SOAP-ENV:faultstring> <SOAP-ENV:detail> <csta:CSTAErrorCode xmlns:csta=""> <csta:operation>invalidCallID</csta:operation> </csta:CSTAErrorCode> </SOAP-ENV:detail> </SOAP-ENV:Fault> </SOAP-ENV:Body> </SOAP-ENV:Envelope>`
	// line 102: error, bare CSTAErrorCode (mismatched operation tags as printed)
	docErrBare = `<?xml version="1.0" encoding="utf-8"?> <CSTAErrorCode xmlns:csta=""> <operation>invalidCallID</csta:operation> </CSTAErrorCode>`
	// line 103: error, the "Invalid CallID" text form
	docErrText = `<SOAP-ENV:Envelope xmlns:SOAP-ENV="" xmlns:csta=""> <SOAP-ENV:Body> <SOAP-ENV:Fault> <SOAP-ENV:faultcode>Client</SOAP-ENV:faultcode> <SOAP-ENV:faultstring>CSTA Error</SOAP-ENV:faultstring> <SOAP-ENV:detail> <csta:CSTAErrorCode xmlns:csta=""> <csta:operation>Invalid CallID</csta:operation> </csta:CSTAErrorCode> </SOAP-ENV:detail> </SOAP-ENV:Fault> </SOAP-ENV:Body> </SOAP-ENV:Envelope>`
	// line 107: the curl dump of an AnswerCall POST (headers and body on one line)
	docPOST = `POST /csta HTTP/1.1 User-Agent: curl/7.18.0 (i486-pc-linux-gnu) libcurl/7.18.0 OpenSSL/0.9.8g zlib/ libidn/1.1 Host: Accept: */* Content-Length: 343 Content-Type: text/xml ... <SOAP-ENV:Envelope xmlns:SOAP-ENV=""xmlns:csta=""> <SOAP-ENV:Body> <csta:AnswerCall> <csta:callToBeAnswered>-2</csta:callToBeAnswered> </csta:AnswerCall> </SOAP-ENV:Body> </SOAP-ENV:Envelope>`
	// line 114: the settings list and the GetSettings request
	docGetSettingsLine = `- mac (only readable) - phone_type (only readable) - firmware_version (only readable) - user_nameN - user_realnameN - user_hostN - action_incoming_url - action_outgoing_url - action_connected_url - action_disconnected_url - action_hold - action_unhold - action_transfer - action_blind_transfer - action_attended_transfer - action_offhook_url - action_onhook_url - action_missed_url - firmware_version (only readable)CTI Application => Phone<SOAP-ENV:Envelope xmlns:SOAP-ENV="" xmlns:csta=""> <SOAP-ENV:Body> <csta:GetSettings> </csta:GetSettings> </SOAP-ENV:Body> </SOAP-ENV:Envelope>`
	// line 115: GetSettingsResponse
	docGetSettingsResponseLine = `Phone => CTI Application<SOAP-ENV:Envelope xmlns:SOAP-ENV="" xmlns:csta=""> <SOAP-ENV:Body> <csta:GetSettingsResponse> <csta:Setting> <csta:name> Name of the Setting </csta:name> <csta:value> Value of the setting </csta:value> </csta:Setting> <csta:Setting> <csta:name> Name of the Setting </csta:name> <csta:value> Value of the setting </csta:value> </csta:Setting> ... All settings in the above list. </csta:GetSettingsResponse> </SOAP-ENV:Body> </SOAP-ENV:Envelope>`
	// line 117: SetSettings
	docSetSettings = `<SOAP-ENV:Envelope xmlns:SOAP-ENV="" xmlns:csta=""> <SOAP-ENV:Body> <csta:SetSettings> <csta:Setting> <csta:name> Name of the Setting </csta:name> <csta:value> Value of the setting </csta:value> </csta:Setting> <csta:Setting> <csta:name> Name of the Setting </csta:name> <csta:value> Value of the setting </csta:value> </csta:Setting> ... Possibly all settings in the above list, but at least one setting. </csta:SetSettings> </SOAP-ENV:Body> </SOAP-ENV:Envelope>`
	// line 118: SetSettingsResponse
	docSetSettingsResponse = `<SOAP-ENV:Envelope xmlns:SOAP-ENV="" xmlns:csta=""> <SOAP-ENV:Body> <csta:SetSettingsResponse> </csta:SetSettingsResponse> </SOAP-ENV:Body> </SOAP-ENV:Envelope>`
	// line 122: XmlPush
	docXmlPush = `<SOAP-ENV:Envelope xmlns:SOAP-ENV="" xmlns:csta=""> <SOAP-ENV:Body> <csta:XmlPush> <csta:document> "XML Document as a String in Quotes" </csta:document> </csta:XmlPush> </SOAP-ENV:Body> </SOAP-ENV:Envelope>`
	// line 123: XmlPushResponse
	docXmlPushResponse = `<SOAP-ENV:Envelope xmlns:SOAP-ENV="" xmlns:csta=""> <SOAP-ENV:Body> <csta:XmlPushResponse> </csta:XmlPushResponse> </SOAP-ENV:Body> </SOAP-ENV:Envelope>`
	// line 128: FireTest
	docFireTest = `<SOAP-ENV:Envelope xmlns:SOAP-ENV="" xmlns:csta=""> <SOAP-ENV:Body> <csta:FireTest> </csta:FireTest> </SOAP-ENV:Body> </SOAP-ENV:Envelope>`
	// line 129: FireTestResponse
	docFireTestResponse = `<SOAP-ENV:Envelope xmlns:SOAP-ENV="" xmlns:csta=""> <SOAP-ENV:Body> <csta:FireTestResponse> </csta:FireTestResponse> </SOAP-ENV:Body> </SOAP-ENV:Envelope>`
)

// after returns what follows marker in s (the example after a label such
// as "CTI Application => Phone" or the curl dump's "... ").
func after(s, marker string) string {
	i := strings.Index(s, marker)
	if i < 0 {
		panic("marker " + marker + " not in example")
	}
	return s[i+len(marker):]
}

// Document examples cut out of the lines that hold more than one thing.
var (
	docGetSettings         = after(docGetSettingsLine, "CTI Application => Phone")
	docGetSettingsResponse = after(docGetSettingsResponseLine, "Phone => CTI Application")
	docPOSTBody            = after(docPOST, "... ")
)

// fillNamespaces puts the namespace URIs the copy lost back into a
// document example, and the space the copy lost between the two
// attributes of the POST example (xmlns:SOAP-ENV=""xmlns:csta=""). This is
// the only change made before comparing the client's requests with the
// document byte for byte.
func fillNamespaces(s string) string {
	return strings.NewReplacer(
		`xmlns:SOAP-ENV=""xmlns:csta=""`, `xmlns:SOAP-ENV="`+SOAPNamespace+`" xmlns:csta="`+CSTANamespace+`"`,
		`xmlns:SOAP-ENV=""`, `xmlns:SOAP-ENV="`+SOAPNamespace+`"`,
		`xmlns:csta=""`, `xmlns:csta="`+CSTANamespace+`"`,
	).Replace(s)
}

// docResponses are every answer the document prints, verbatim, by the
// request they answer; errors answer AnswerCall.
var docResponses = map[string]string{
	"AnswerCall":  docOKSOAPHeader,
	"GetSettings": docGetSettingsResponse,
	"SetSettings": docSetSettingsResponse,
	"XmlPush":     docXmlPushResponse,
	"FireTest":    docFireTestResponse,
}

// docSuccessForms and docErrorForms are the document's three forms of
// each.
var (
	docSuccessForms = []string{docOKSOAPHeader, docOKBare, docOKSOAP}
	docErrorForms   = []string{docErrFault, docErrBare, docErrText}
)
