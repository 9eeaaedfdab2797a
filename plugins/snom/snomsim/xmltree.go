package snomsim

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
)

// xnode is one element of a parsed XML document, namespace prefixes
// dropped: Snom's examples mix csta:-prefixed, default-namespace and
// un-namespaced elements, and the phone matches on local names
// (modelled; its examples lost their namespace URLs).
type xnode struct {
	name string
	kids []*xnode
	text string // the element's own character data (CDATA included), not its children's
	raw  []byte // everything between the start and end tags, as sent
}

// maxXMLDepth bounds nesting so hostile input cannot exhaust the stack.
const maxXMLDepth = 64

// parseXML parses one document and returns its root element.
func parseXML(b []byte) (*xnode, error) {
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Strict = true
	var root *xnode
	var stack []*xnode
	var starts []int64
	var text []*strings.Builder
	for {
		before := dec.InputOffset()
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) >= maxXMLDepth {
				return nil, errors.New("xml nested too deeply")
			}
			n := &xnode{name: t.Name.Local}
			if len(stack) > 0 {
				parent := stack[len(stack)-1]
				parent.kids = append(parent.kids, n)
			} else if root != nil {
				return nil, errors.New("more than one root element")
			} else {
				root = n
			}
			stack = append(stack, n)
			starts = append(starts, dec.InputOffset())
			text = append(text, &strings.Builder{})
		case xml.CharData:
			if len(text) > 0 {
				text[len(text)-1].Write(t)
			}
		case xml.EndElement:
			n := stack[len(stack)-1]
			n.text = text[len(text)-1].String()
			if s := starts[len(starts)-1]; s <= before && int(before) <= len(b) {
				n.raw = b[s:before]
			}
			stack, starts, text = stack[:len(stack)-1], starts[:len(starts)-1], text[:len(text)-1]
		}
	}
	if root == nil {
		return nil, errors.New("no root element")
	}
	return root, nil
}

// child returns the first child element named name, or nil.
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

// children returns the child elements named name.
func (n *xnode) children(name string) []*xnode {
	if n == nil {
		return nil
	}
	var out []*xnode
	for _, k := range n.kids {
		if k.name == name {
			out = append(out, k)
		}
	}
	return out
}

// value returns the trimmed text of child name, "" if absent.
func (n *xnode) value(name string) string {
	if c := n.child(name); c != nil {
		return strings.TrimSpace(c.text)
	}
	return ""
}
