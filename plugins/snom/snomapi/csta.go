package snomapi

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Namespaces of the SOAP envelope. The vendor document's copy lost both
// URIs (xmlns:SOAP-ENV=""); the Snom wiki's own templates for the same
// requests (wiki.snom.com/CSTA, "CSTA XML Templates") write
// xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" and
// xmlns:csta=".../ecma-323/csta/ed4". Snom's request list
// (service.snom.com, "CSTA over HTTP - Requests") mixes ed3 requests with
// ed5 answers, so the phone does not appear to check the edition; the
// parser here ignores namespaces altogether.
const (
	SOAPNamespace = "http://schemas.xmlsoap.org/soap/envelope/"
	CSTANamespace = "http://www.ecma-international.org/standards/ecma-323/csta/ed4"
)

// CSTA element names are ECMA-323's (CSTA XML): AnswerCall/callToBeAnswered,
// ClearConnection/connectionToBeCleared, HoldCall/callToBeHeld,
// RetrieveCall/callToBeRetrieved, SingleStepTransferCall/activeCall+
// transferredTo, ConsultationCall/existingCall+consultedDevice,
// TransferCall/heldCall+activeCall, MakeCall/callingDevice+
// calledDirectoryNumber(+autoOriginate, as in Snom's MakeCall example).
// GetSettings, SetSettings, XmlPush and FireTest are Snom's proprietary
// requests, shaped as the vendor document prints them.

// xelem is a request element: a leaf with text, or children.
type xelem struct {
	name string
	text string // escaped on write
	kids []xelem
}

func leaf(name, text string) xelem { return xelem{name: name, text: text} }
func node(name string, kids ...xelem) xelem {
	if kids == nil {
		kids = []xelem{} // written "<csta:X> </csta:X>", not as an empty leaf
	}
	return xelem{name: name, kids: kids}
}

// write writes e in the document's layout: "<csta:X> child child </csta:X>",
// "<csta:X> </csta:X>" when empty, "<csta:x>text</csta:x>" for a leaf.
func (e xelem) write(b *strings.Builder) {
	b.WriteString("<csta:" + e.name + ">")
	if e.kids == nil {
		_ = xml.EscapeText(b, []byte(e.text)) // a strings.Builder never fails
	} else {
		for _, k := range e.kids {
			b.WriteByte(' ')
			k.write(b)
		}
		b.WriteByte(' ')
	}
	b.WriteString("</csta:" + e.name + ">")
}

// envelope returns the request body: the payload in a SOAP envelope with
// both namespaces on the Envelope, elements separated by one space, as the
// document's POST example (AnswerCall with -2) writes it. The SOAP envelope
// is always used: it was required before 8.7.3 and stays required for the
// proprietary requests (wiki.snom.com/Category/CSTA/HTTP: "since 8.7.3
// this is no longer necessary except for the proprietary requests").
func envelope(payload xelem) []byte {
	var b strings.Builder
	b.WriteString(`<SOAP-ENV:Envelope xmlns:SOAP-ENV="` + SOAPNamespace + `" xmlns:csta="` + CSTANamespace + `"> <SOAP-ENV:Body> `)
	payload.write(&b)
	b.WriteString(` </SOAP-ENV:Body> </SOAP-ENV:Envelope>`)
	return []byte(b.String())
}

// connectionID is a ConnectionID element in dialect d (document lines on
// $csta_id): the bare id, or <csta:callID> inside.
func connectionID(name, id string, d Dialect) xelem {
	if d == DialectCallID {
		return node(name, leaf("callID", id))
	}
	return leaf(name, id)
}

// checkCallID accepts a $csta_id value: an optional "-" and 1 to 18 digits
// (the document's examples are -18 and -2).
func checkCallID(op, what, id string) error {
	s := strings.TrimPrefix(id, "-")
	if s == "" || len(s) > 18 || strings.TrimLeft(s, "0123456789") != "" {
		return invalid(op, "%s %q is not a csta id such as -18 (the $csta_id of an action url)", what, truncateText(id))
	}
	return nil
}

// checkXMLText refuses text an XML 1.0 document cannot carry (control
// characters other than tab and line breaks, invalid UTF-8).
func checkXMLText(op, what, s string, maxLen int, allowEmpty bool) error {
	switch {
	case s == "" && !allowEmpty:
		return invalid(op, "%s is empty", what)
	case len(s) > maxLen:
		return invalid(op, "%s is %d bytes long, want at most %d", what, len(s), maxLen)
	case !utf8.ValidString(s):
		return invalid(op, "%s is not valid utf-8", what)
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' {
			return invalid(op, "%s contains control character %U", what, r)
		}
	}
	return nil
}

// Firmware returns the known firmware (zero if unknown).
func (c *Client) Firmware() Firmware {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.firmware
}

// Dialect returns the CSTA dialect in use (DialectUnknown if none).
func (c *Client) Dialect() Dialect {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.dialect
}

// DetectDialect reads firmware_version with GetSettings, remembers it and,
// unless Config.Dialect forced one, the dialect it implies. Firmware
// without working HTTP-CSTA is an error wrapping ErrUnsupported.
func (c *Client) DetectDialect(ctx context.Context) (Firmware, Dialect, error) {
	settings, err := c.GetSettings(ctx)
	if err != nil {
		return Firmware{}, DialectUnknown, err
	}
	fw, err := ParseFirmware(settings["firmware_version"])
	if err != nil {
		return Firmware{}, DialectUnknown, c.fail(KindBadResponse, "csta GetSettings", http.StatusOK,
			fmt.Errorf("firmware_version %q: %w", truncateText(settings["firmware_version"]), err))
	}
	d, _ := DialectForFirmware(fw) // fw is not zero: the error is cstaProblem's
	c.mu.Lock()
	defer c.mu.Unlock()
	c.firmware = fw
	if !c.forced {
		c.dialect = d
	}
	if p := cstaProblem(fw); p != "" {
		return fw, c.dialect, c.fail(KindUnsupported, "csta", 0, errors.New(p))
	}
	return fw, c.dialect, nil
}

// gate returns the dialect for a request that needs one, refusing firmware
// without HTTP-CSTA or older than need (zero: no minimum).
func (c *Client) gate(op string, need Firmware, needDialect bool) (Dialect, Firmware, error) {
	c.mu.RLock()
	d, fw := c.dialect, c.firmware
	c.mu.RUnlock()
	if !fw.IsZero() {
		if p := cstaProblem(fw); p != "" {
			return 0, fw, c.fail(KindUnsupported, op, 0, errors.New(p))
		}
		if !need.IsZero() && fw.Less(need) {
			return 0, fw, c.fail(KindUnsupported, op, 0, fmt.Errorf("firmware %s; the request needs %d.%d.%d or later", fw, need.Major, need.Minor, need.Patch))
		}
	}
	if needDialect && d == DialectUnknown {
		return 0, fw, fmt.Errorf("snomapi: %s on %s: %w", op, c.base.Host, ErrDialectUnknown)
	}
	return d, fw, nil
}

// csta posts a request to /csta (Content-Type text/xml, as the document
// says) and returns the answer, which must be <request>Response.
func (c *Client) csta(ctx context.Context, request string, payload xelem) (*Message, error) {
	op := "csta " + request
	a, err := c.do(ctx, op, http.MethodPost, "/csta", "", envelope(payload), "text/xml", maxXML, 0)
	if err != nil {
		return nil, err
	}
	if e := c.statusError(op, a); e != nil {
		return nil, e
	}
	if a.truncated {
		return nil, c.fail(KindBadResponse, op, a.status, fmt.Errorf("answer is larger than %d bytes", maxXML))
	}
	if a.status >= 300 && a.status <= 399 {
		return nil, c.fail(KindBadResponse, op, a.status, fmt.Errorf("redirect to %q after a csta request", truncateText(a.header.Get("Location"))))
	}
	m, err := ParseResponse(a.status, a.body)
	if err != nil {
		switch e := err.(type) {
		case *CSTAError:
			e.Request, e.Host, e.redactor = request, c.base.Host, c.redactor
		case *Error:
			e.Op, e.Host, e.redactor = op, c.base.Host, c.redactor
		}
		return nil, err
	}
	if m.Name() != request+"Response" {
		return nil, c.fail(KindBadResponse, op, a.status, fmt.Errorf("answer %s to request %s", truncateText(m.Name()), request))
	}
	return m, nil
}

// connRequest sends a request whose only argument is one ConnectionID.
func (c *Client) connRequest(ctx context.Context, request, elem, cstaID string) error {
	op := "csta " + request
	if err := checkCallID(op, "call", cstaID); err != nil {
		return err
	}
	d, _, err := c.gate(op, Firmware{}, true)
	if err != nil {
		return err
	}
	_, err = c.csta(ctx, request, node(request, connectionID(elem, cstaID, d)))
	return err
}

// AnswerCall answers the ringing call cstaID (the $csta_id of the
// incoming action URL).
func (c *Client) AnswerCall(ctx context.Context, cstaID string) error {
	return c.connRequest(ctx, "AnswerCall", "callToBeAnswered", cstaID)
}

// ClearConnection hangs up the phone's side of call cstaID.
func (c *Client) ClearConnection(ctx context.Context, cstaID string) error {
	return c.connRequest(ctx, "ClearConnection", "connectionToBeCleared", cstaID)
}

// HoldCall puts call cstaID on hold.
func (c *Client) HoldCall(ctx context.Context, cstaID string) error {
	return c.connRequest(ctx, "HoldCall", "callToBeHeld", cstaID)
}

// RetrieveCall takes call cstaID off hold.
func (c *Client) RetrieveCall(ctx context.Context, cstaID string) error {
	return c.connRequest(ctx, "RetrieveCall", "callToBeRetrieved", cstaID)
}
