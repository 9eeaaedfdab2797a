package snomsim

import (
	"encoding/xml"
	"strings"
)

// Namespaces. The document's copy lost them (xmlns:csta=""); these are
// the ones of Snom's public pages: SOAP 1.1 and ECMA-323 edition 4 in the
// wiki.snom.com/CSTA templates, edition 5 on "CSTA over HTTP - Requests".
const (
	NamespaceSOAP   = "http://schemas.xmlsoap.org/soap/envelope/"
	NamespaceCSTA4  = "http://www.ecma-international.org/standards/ecma-323/csta/ed4"
	NamespaceCSTA5  = "http://www.ecma-international.org/standards/ecma-323/csta/ed5"
	xmlDeclaration  = `<?xml version="1.0" encoding="utf-8"?>`
	faultPrefixOpen = `<SOAP-ENV:Fault><SOAP-ENV:faultcode>Client</SOAP-ENV:faultcode><SOAP-ENV:faultstring>CSTA Error</SOAP-ENV:faultstring><SOAP-ENV:detail>`
)

// field is one element of a response body.
type field struct {
	name  string
	value string
	kids  []field
}

// cstaError is a CSTA operation error. The document's error bodies carry
// the code in <operation>; the simulator puts every error there, state
// errors included (modelled).
type cstaError struct{ op string }

func (e *cstaError) Error() string { return "csta error " + e.op }

// CSTA operation error values (ECMA-323), as the simulator uses them.
var (
	errInvalidCallID   = &cstaError{"invalidCallID"}                       // no such call, or a ConnectionID in the other form
	errInvalidDevice   = &cstaError{"invalidDeviceID"}                     // deviceID names no identity
	errCallingDevice   = &cstaError{"invalidCallingDevice"}                // MakeCall from an unknown identity
	errCalledDevice    = &cstaError{"invalidCalledDevice"}                 // MakeCall without a number
	errIncompatible    = &cstaError{"requestIncompatibleWithObject"}       // the call's state does not allow it
	errValueOutOfRange = &cstaError{"valueOutOfRange"}                     // unknown setting, bad document
	errPrivilege       = &cstaError{"privilegeViolationOnSpecifiedDevice"} // read-only setting
	errInvalidFeature  = &cstaError{"invalidFeature"}                      // a request the phone does not know
	errGeneric         = &cstaError{"generic"}                             // not XML, broken firmware, FaultCSTA500
)

// readableErrors are the texts of the third dialect, which the document
// shows with "Invalid CallID"; the others are modelled in that style.
var readableErrors = map[string]string{
	"invalidCallID":                       "Invalid CallID",
	"invalidDeviceID":                     "Invalid DeviceID",
	"invalidCallingDevice":                "Invalid Calling Device",
	"invalidCalledDevice":                 "Invalid Called Device",
	"requestIncompatibleWithObject":       "Request Incompatible With Object",
	"valueOutOfRange":                     "Value Out Of Range",
	"privilegeViolationOnSpecifiedDevice": "Privilege Violation",
	"invalidFeature":                      "Invalid Feature",
	"generic":                             "Generic Error",
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// writeFields renders fields, each element name prefixed with prefix.
func writeFields(b *strings.Builder, prefix string, fs []field) {
	for _, f := range fs {
		b.WriteString("<" + prefix + f.name + ">")
		if len(f.kids) > 0 {
			writeFields(b, prefix, f.kids)
		} else {
			b.WriteString(esc(f.value))
		}
		b.WriteString("</" + prefix + f.name + ">")
	}
}

// renderSuccess is the 200 body of response element name (e.g.
// "AnswerCallResponse") in dialect d, following the document's three
// success forms; the lines break where the document's do (modelled:
// the document's copy shows them joined by spaces).
func renderSuccess(d Dialect, name string, fs []field) string {
	var b strings.Builder
	switch d {
	case DialectBare:
		b.WriteString(xmlDeclaration + "\n<" + name + ` xmlns:csta="` + NamespaceCSTA5 + `"`)
		if len(fs) == 0 {
			b.WriteString("/>\n")
			return b.String()
		}
		b.WriteString(">")
		writeFields(&b, "", fs)
		b.WriteString("</" + name + ">\n")
	case DialectSOAPNoHeader:
		b.WriteString(`<SOAP-ENV:Envelope xmlns:SOAP-ENV="` + NamespaceSOAP + `" xmlns:csta="` + NamespaceCSTA4 + `">` + "\n<SOAP-ENV:Body>\n<csta:" + name + ">")
		writeFields(&b, "csta:", fs)
		b.WriteString("</csta:" + name + ">\n</SOAP-ENV:Body>\n</SOAP-ENV:Envelope>\n")
	default: // DialectSOAPHeader
		b.WriteString(xmlDeclaration + "\n" + `<SOAP-ENV:Envelope xmlns:SOAP-ENV="` + NamespaceSOAP + `">` + "\n<SOAP-ENV:Header/>\n<SOAP-ENV:Body>\n<csta:" + name + ` xmlns:csta="` + NamespaceCSTA4 + `"`)
		if len(fs) == 0 {
			b.WriteString("/>")
		} else {
			b.WriteString(">")
			writeFields(&b, "csta:", fs)
			b.WriteString("</csta:" + name + ">")
		}
		b.WriteString("\n</SOAP-ENV:Body>\n</SOAP-ENV:Envelope>\n")
	}
	return b.String()
}

// renderError is the 500 body of e in dialect d, following the document's
// three error forms. The document's bare form closes <operation> with
// </csta:operation>, which is not well-formed XML; the simulator closes it
// with </operation> (modelled: a typo of the copy, not of the phone).
func renderError(d Dialect, e *cstaError) string {
	switch d {
	case DialectBare:
		return xmlDeclaration + "\n" + `<CSTAErrorCode xmlns:csta="` + NamespaceCSTA5 + `"><operation>` + e.op + "</operation></CSTAErrorCode>\n"
	case DialectSOAPNoHeader:
		text := readableErrors[e.op]
		if text == "" {
			text = e.op
		}
		return `<SOAP-ENV:Envelope xmlns:SOAP-ENV="` + NamespaceSOAP + `" xmlns:csta="` + NamespaceCSTA4 + `">` +
			"\n<SOAP-ENV:Body>\n" + faultPrefixOpen + `<csta:CSTAErrorCode xmlns:csta="` + NamespaceCSTA4 + `"><csta:operation>` + esc(text) +
			"</csta:operation></csta:CSTAErrorCode></SOAP-ENV:detail></SOAP-ENV:Fault>\n</SOAP-ENV:Body>\n</SOAP-ENV:Envelope>\n"
	default:
		return xmlDeclaration + "\n" + `<SOAP-ENV:Envelope xmlns:SOAP-ENV="` + NamespaceSOAP + `">` + "\n<SOAP-ENV:Header/>\n<SOAP-ENV:Body>\n" +
			faultPrefixOpen + `<csta:CSTAErrorCode xmlns:csta="` + NamespaceCSTA4 + `"><csta:operation>` + e.op +
			"</csta:operation></csta:CSTAErrorCode></SOAP-ENV:detail></SOAP-ENV:Fault>\n</SOAP-ENV:Body>\n</SOAP-ENV:Envelope>\n"
	}
}
