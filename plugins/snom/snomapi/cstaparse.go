package snomapi

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Bounds of a parsed CSTA document, besides its size (maxXML).
const (
	maxXMLDepth = 32
	maxXMLNodes = 20000
)

// xnode is a parsed element: its local name (prefix dropped), its own
// text, its element children.
type xnode struct {
	name string
	text strings.Builder
	kids []*xnode
}

// child returns the first child named name, or nil.
func (n *xnode) child(name string) *xnode {
	if n == nil {
		return nil
	}
	for _, k := range n.kids {
		if k.name == name {
			return k
		}
	}
	return nil
}

// find returns the first descendant named name (depth first), or nil.
func (n *xnode) find(name string) *xnode {
	if n == nil {
		return nil
	}
	for _, k := range n.kids {
		if k.name == name {
			return k
		}
		if f := k.find(name); f != nil {
			return f
		}
	}
	return nil
}

func (n *xnode) trimmed() string {
	if n == nil {
		return ""
	}
	return strings.TrimSpace(n.text.String())
}

// parseXML reads one XML document leniently and safely: prefixes are
// dropped and namespaces ignored (the document's copies declare
// xmlns:SOAP-ENV=""), an end tag closes the nearest open element of the
// same local name (the document prints <operation>...</csta:operation>),
// and a DTD is refused, so no entity other than XML's five predefined ones
// and character references is ever expanded.
func parseXML(data []byte) (*xnode, error) {
	if len(data) > maxXML {
		return nil, fmt.Errorf("xml document of %d bytes, want at most %d", len(data), maxXML)
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	var root *xnode
	var stack []*xnode
	nodes := 0
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			nodes++
			if nodes > maxXMLNodes || len(stack) >= maxXMLDepth {
				return nil, fmt.Errorf("xml document has more than %d elements or is nested deeper than %d", maxXMLNodes, maxXMLDepth)
			}
			n := &xnode{name: t.Name.Local}
			switch {
			case len(stack) > 0:
				top := stack[len(stack)-1]
				top.kids = append(top.kids, n)
			case root != nil:
				return nil, errors.New("xml document has a second root element")
			default:
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			for i := len(stack) - 1; i >= 0; i-- {
				if stack[i].name == t.Name.Local {
					stack = stack[:i]
					break
				}
			}
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			} else if len(bytes.TrimSpace(t)) > 0 {
				return nil, errors.New("xml document has text outside its root element")
			}
		case xml.Directive:
			return nil, errors.New("xml document has a dtd or directive, which is not accepted")
		}
	}
	switch {
	case root == nil:
		return nil, errors.New("no xml element")
	case len(stack) > 0:
		return nil, fmt.Errorf("xml document ends inside <%s>", stack[len(stack)-1].name)
	}
	return root, nil
}

// payload returns the element inside a SOAP Envelope's Body (Header
// ignored), or root itself when it is not an Envelope.
func payload(root *xnode) (*xnode, error) {
	if root.name != "Envelope" {
		return root, nil
	}
	body := root.child("Body")
	if body == nil {
		return nil, errors.New("soap envelope without a body")
	}
	if len(body.kids) == 0 {
		return nil, errors.New("soap body without an element")
	}
	return body.kids[0], nil
}

// Message is a parsed CSTA message: the element inside the SOAP body, or
// the root element of a bare answer. Simulators get one from ParseRequest,
// the client from ParseResponse.
type Message struct {
	root *xnode
}

// Name returns the local name of the message's element, such as
// "AnswerCallResponse" or "GetSettings".
func (m *Message) Name() string { return m.root.name }

// Text returns the trimmed text of the element reached from the message's
// element by local names (Text("callToBeAnswered", "callID")), and
// whether it exists.
func (m *Message) Text(path ...string) (string, bool) {
	n := m.root
	for _, p := range path {
		if n = n.child(p); n == nil {
			return "", false
		}
	}
	return n.trimmed(), true
}

// ConnectionID returns the id carried by the ConnectionID element elem
// and its form: <callID> inside (DialectCallID) or the bare text
// (DialectLegacy). ok is false when elem is missing or empty.
func (m *Message) ConnectionID(elem string) (id string, d Dialect, ok bool) {
	n := m.root.child(elem)
	if n == nil {
		return "", DialectUnknown, false
	}
	if c := n.child("callID"); c != nil {
		id, d = c.trimmed(), DialectCallID
	} else {
		id, d = n.trimmed(), DialectLegacy
	}
	return id, d, id != ""
}

// Settings returns the Setting children of a GetSettingsResponse or
// SetSettings, names and values trimmed, in document order; settings
// without a name are skipped.
func (m *Message) Settings() []Setting {
	var out []Setting
	for _, k := range m.root.kids {
		if k.name != "Setting" {
			continue
		}
		if name := k.child("name").trimmed(); name != "" {
			out = append(out, Setting{Name: name, Value: k.child("value").trimmed()})
		}
	}
	return out
}

// ParseRequest parses a CSTA request as the phone would receive it, in a
// SOAP envelope or bare, for simulators. Errors wrap ErrInvalidArgument.
func ParseRequest(body []byte) (*Message, error) {
	root, err := parseXML(body)
	if err == nil {
		root, err = payload(root)
	}
	if err != nil {
		return nil, fmt.Errorf("snomapi: csta request: %w: %w", err, ErrInvalidArgument)
	}
	return &Message{root: root}, nil
}

// ParseResponse reads the phone's answer to a CSTA request: any of the
// document's three success forms (SOAP with Header, bare element, SOAP
// without Header) and three error forms (SOAP Fault with
// csta:CSTAErrorCode, bare CSTAErrorCode, the "Invalid CallID" text). An
// error answer is a *CSTAError with httpStatus (the phone sends 500); a
// success answer must come with a 2xx status and an element named
// ...Response. Anything else is an *Error of KindBadResponse. It never
// panics and reads at most 1 MiB.
func ParseResponse(httpStatus int, body []byte) (*Message, error) {
	bad := func(err error) error {
		return &Error{Kind: KindBadResponse, Op: "csta", HTTPStatus: httpStatus, Body: truncateText(string(body)), Err: err}
	}
	root, err := parseXML(body)
	if err != nil {
		return nil, bad(err)
	}
	p, err := payload(root)
	if err != nil {
		return nil, bad(err)
	}
	switch {
	case p.name == "Fault":
		e := &CSTAError{HTTPStatus: httpStatus, FaultCode: truncateText(p.child("faultcode").trimmed()),
			FaultString: truncateText(p.child("faultstring").trimmed())}
		e.setCode(p.find("CSTAErrorCode"))
		return nil, e
	case p.name == "CSTAErrorCode":
		e := &CSTAError{HTTPStatus: httpStatus}
		e.setCode(p)
		return nil, e
	case httpStatus < 200 || httpStatus > 299:
		return nil, bad(fmt.Errorf("http status %d with a %s answer", httpStatus, truncateText(p.name)))
	case !strings.HasSuffix(p.name, "Response"):
		return nil, bad(fmt.Errorf("answer element %s is not a csta response", truncateText(p.name)))
	}
	return &Message{root: p}, nil
}
