package mtcti

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Framing says how a websocket binary message carries a Message.
type Framing int

const (
	// Framed is the /tpkt/openapi endpoint: each websocket binary message is
	// the 4-octet header 00 00 00 01 followed by the encoded Message, in both
	// directions (vendor document, lines 200, 221-231 and 4456-4470).
	Framed Framing = iota
	// NoFraming is the /tpkt/openapinoframing endpoint: each websocket binary
	// message is the encoded Message alone (vendor document, lines 4314-4320).
	NoFraming
)

// Subprotocol is the websocket subprotocol IP Office expects in
// Sec-WebSocket-Protocol, and echoes in its 101 answer, on both endpoints
// (vendor document, lines 218 and 4621-4641).
const Subprotocol = "openapi"

// header is the 4-octet frame header of the Framed endpoint.
var header = []byte{0, 0, 0, 1}

// MaxFrameSize bounds one websocket message, header included, in both
// directions. The largest message the document describes is the first
// NotifyLines, which lists every user and queue of the network: at about 60
// bytes a line (16-byte GUID, number, name), even a large SCN of a few
// thousand users stays far below 1 MiB, while a peer that sends more is
// broken or hostile, and reading it would only cost memory. The document
// sets no limit of its own. Use it as the websocket read limit too, so an
// oversized message is refused before it is buffered.
const MaxFrameSize = 1 << 20

// recursionLimit bounds message nesting while decoding. The deepest nesting
// the schema has is 7 (Message, Notify, NotifyCallControl, CallInfo,
// Targets, Target, PartyInfo); 32 leaves room for vendor growth while a
// crafted frame cannot make the decoder recurse thousands of levels deep.
const recursionLimit = 32

// Sentinel errors of Encode and Decode; test for them with errors.Is. The
// errors they return wrap one of these and add detail.
var (
	// ErrFrameTooLarge: the websocket message exceeds MaxFrameSize.
	ErrFrameTooLarge = errors.New("mtcti: frame too large")
	// ErrBadHeader: a Framed message does not start with 00 00 00 01.
	ErrBadHeader = errors.New("mtcti: bad frame header")
	// ErrTruncated: the frame ends before its header or its last field does.
	ErrTruncated = errors.New("mtcti: truncated frame")
	// ErrMalformed: the frame is not a valid encoded Message.
	ErrMalformed = errors.New("mtcti: malformed message")
)

// String returns the framing's name as the endpoint path says it.
func (f Framing) String() string {
	switch f {
	case Framed:
		return "framed"
	case NoFraming:
		return "noframing"
	}
	return fmt.Sprintf("Framing(%d)", int(f))
}

// Path returns the HTTP path of the websocket endpoint that uses this
// framing, or "" for an unknown Framing.
func (f Framing) Path() string {
	switch f {
	case Framed:
		return "/tpkt/openapi"
	case NoFraming:
		return "/tpkt/openapinoframing"
	}
	return ""
}

// Encode returns the websocket binary message that carries m. It is safe for
// concurrent use as long as m is not modified meanwhile.
func Encode(f Framing, m *Message) ([]byte, error) {
	if m == nil {
		return nil, errors.New("mtcti: encode: nil message")
	}
	var out []byte
	switch f {
	case Framed:
		out = append(make([]byte, 0, len(header)+proto.Size(m)), header...)
	case NoFraming:
	default:
		return nil, fmt.Errorf("mtcti: encode: unknown framing %d", int(f))
	}
	out, err := proto.MarshalOptions{}.MarshalAppend(out, m)
	if err != nil {
		return nil, fmt.Errorf("mtcti: encode: %w", err)
	}
	if len(out) > MaxFrameSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, len(out), MaxFrameSize)
	}
	return out, nil
}

// Decode parses one websocket binary message. It never panics, and every
// error for bad input wraps one of the sentinel errors above (only an
// unknown Framing, a caller's bug, does not). A header-only frame decodes to
// a Message with no payload, which the document says to ignore. Unknown
// fields (from a newer IP Office) are kept, so a decoded message re-encodes
// to the same fields. It is safe for concurrent use.
func Decode(f Framing, b []byte) (*Message, error) {
	if len(b) > MaxFrameSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, len(b), MaxFrameSize)
	}
	switch f {
	case Framed:
		n := min(len(b), len(header))
		if !bytes.Equal(b[:n], header[:n]) {
			// A frame from the noframing endpoint starts with a field tag
			// (0x0a..0x4a) where the header's zeros should be.
			return nil, fmt.Errorf("%w: starts % x, want 00 00 00 01 (a noframing peer?)", ErrBadHeader, b[:n])
		}
		if n < len(header) {
			return nil, fmt.Errorf("%w: %d of the 4 header bytes", ErrTruncated, n)
		}
		b = b[len(header):]
	case NoFraming:
		// Field number 0 is invalid, so the header cannot start a Message:
		// say what is likely wrong rather than only "malformed".
		if bytes.HasPrefix(b, header) {
			return nil, fmt.Errorf("%w: starts with the 00 00 00 01 header (a framed peer?)", ErrMalformed)
		}
	default:
		return nil, fmt.Errorf("mtcti: decode: unknown framing %d", int(f))
	}
	m := new(Message)
	err := (proto.UnmarshalOptions{RecursionLimit: recursionLimit}).Unmarshal(b, m)
	if err != nil && !truncated(b) {
		// proto3 strings must be UTF-8, and Go's decoder refuses a whole
		// frame for one name that is not: the document promises UTF-8 only
		// for arg1 (line 3355), and a user's name typed in another code
		// page must not make that user's every notify unreadable. Such
		// bytes become U+FFFD, and the frame is read once more.
		if fixed, changed := repairUTF8(b, m.ProtoReflect().Descriptor(), 0); changed {
			m = new(Message)
			err = (proto.UnmarshalOptions{RecursionLimit: recursionLimit}).Unmarshal(fixed, m)
		}
	}
	if err != nil {
		if truncated(b) {
			return nil, fmt.Errorf("%w: %v", ErrTruncated, err)
		}
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return m, nil
}

// repairUTF8 returns b with the invalid UTF-8 of every string field of md
// (nested messages included) replaced by U+FFFD, and whether it changed
// anything. It leaves malformed input as it is: Unmarshal reports it.
func repairUTF8(b []byte, md protoreflect.MessageDescriptor, depth int) ([]byte, bool) {
	if depth > recursionLimit {
		return b, false
	}
	out := make([]byte, 0, len(b))
	changed := false
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return b, false
		}
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			return b, false
		}
		field := b[:n+m]
		if fd := md.Fields().ByNumber(num); fd != nil && typ == protowire.BytesType {
			v, _ := protowire.ConsumeBytes(b[n:])
			switch {
			case fd.Kind() == protoreflect.StringKind && !utf8.Valid(v):
				v, changed = []byte(strings.ToValidUTF8(string(v), "\uFFFD")), true
				field = protowire.AppendBytes(protowire.AppendTag(nil, num, typ), v)
			case fd.Kind() == protoreflect.MessageKind:
				if inner, ok := repairUTF8(v, fd.Message(), depth+1); ok {
					changed = true
					field = protowire.AppendBytes(protowire.AppendTag(nil, num, typ), inner)
				}
			}
		}
		out = append(out, field...)
		b = b[n+m:]
	}
	return out, changed
}

// truncated reports whether b's top-level fields run past its end, which is
// what a frame cut short looks like (the proto decoder does not say so).
func truncated(b []byte) bool {
	for len(b) > 0 {
		_, _, n := protowire.ConsumeField(b)
		if n < 0 {
			return errors.Is(protowire.ParseError(n), io.ErrUnexpectedEOF)
		}
		b = b[n:]
	}
	return false
}

// UnpackError returns the RequestResponse that reports result code
// MTCTISESS_UNPACKERR (2, "Message unpack error", vendor document line
// 3029) for requestID. The document defines the code but not when IP Office
// sends it: a simulator answering a frame it cannot parse has no requestid
// to echo and passes 0.
func UnpackError(requestID int32) *Message {
	return &Message{Payload: &Message_Response{Response: &RequestResponse{
		Requestid: requestID,
		Result:    ResultUnpackErr,
	}}}
}
