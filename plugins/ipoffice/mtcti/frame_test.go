package mtcti

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

var framings = []Framing{Framed, NoFraming}

// fill sets every field of m (every field of nested messages too, two
// elements in lists) to a non-zero value derived from seed. For each oneof
// it sets the member chosen in pick, or the first member.
func fill(m protoreflect.Message, pick map[protoreflect.FullName]protoreflect.Name, seed int) {
	fs := m.Descriptor().Fields()
	for i := 0; i < fs.Len(); i++ {
		fd := fs.Get(i)
		if od := fd.ContainingOneof(); od != nil {
			want, ok := pick[od.FullName()]
			if (ok && fd.Name() != want) || (!ok && od.Fields().Get(0) != fd) {
				continue
			}
		}
		n := seed*100 + int(fd.Number())
		switch {
		case fd.IsList():
			l := m.Mutable(fd).List()
			for j := 0; j < 2; j++ {
				if fd.Message() != nil {
					e := l.NewElement()
					fill(e.Message(), pick, n+j)
					l.Append(e)
				} else {
					l.Append(scalar(fd, n+j))
				}
			}
		case fd.Message() != nil:
			fill(m.Mutable(fd).Message(), pick, n)
		default:
			m.Set(fd, scalar(fd, n))
		}
	}
}

// scalar returns a non-zero value of fd's kind: negative int32s (10-byte
// varints), non-ASCII strings, bytes with 0x00 and 0xff.
func scalar(fd protoreflect.FieldDescriptor, n int) protoreflect.Value {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(true)
	case protoreflect.Int32Kind:
		if n%2 == 0 {
			return protoreflect.ValueOfInt32(-int32(n))
		}
		return protoreflect.ValueOfInt32(int32(n))
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(fmt.Sprintf("é%d", n))
	case protoreflect.BytesKind:
		return protoreflect.ValueOfBytes([]byte{0x00, 0xff, byte(n)})
	case protoreflect.EnumKind:
		vs := fd.Enum().Values()
		return protoreflect.ValueOfEnum(vs.Get(vs.Len() - 1).Number())
	}
	panic(fmt.Sprintf("no test value for %v", fd.Kind()))
}

// payloadKind is one filled Message per oneof member reachable from Message
// (its own payload, and the payload oneofs of Subscribe, SubscribeCmd,
// Notify, GeneralCmd and GeneralData), named like "notify.callcontrol".
type payloadKind struct {
	name string
	msg  *Message
}

// payloadKinds returns every payload kind, each with every field filled.
func payloadKinds() []payloadKind {
	var out []payloadKind
	top := (&Message{}).ProtoReflect().Descriptor().Oneofs().ByName("payload")
	for i := 0; i < top.Fields().Len(); i++ {
		outer := top.Fields().Get(i)
		inner := outer.Message().Oneofs()
		if inner.Len() == 0 {
			m := &Message{}
			fill(m.ProtoReflect(), map[protoreflect.FullName]protoreflect.Name{top.FullName(): outer.Name()}, i)
			out = append(out, payloadKind{string(outer.Name()), m})
			continue
		}
		for j := 0; j < inner.Get(0).Fields().Len(); j++ {
			member := inner.Get(0).Fields().Get(j)
			m := &Message{}
			fill(m.ProtoReflect(), map[protoreflect.FullName]protoreflect.Name{
				top.FullName():          outer.Name(),
				inner.Get(0).FullName(): member.Name(),
			}, i*10+j)
			out = append(out, payloadKind{string(outer.Name()) + "." + string(member.Name()), m})
		}
	}
	return out
}

// TestPayloadKindsCovered guards the generator above: 9 top-level payloads,
// of which Subscribe has 6 kinds, SubscribeCmd 5, Notify 7, GeneralCmd and
// GeneralData 2 each.
func TestPayloadKindsCovered(t *testing.T) {
	if got, want := len(payloadKinds()), 4+6+5+7+2+2; got != want {
		t.Fatalf("%d payload kinds, want %d", got, want)
	}
}

// TestRoundTripEveryPayload encodes and decodes every payload kind, every
// field set, in both framings.
func TestRoundTripEveryPayload(t *testing.T) {
	for _, k := range payloadKinds() {
		t.Run(k.name, func(t *testing.T) {
			for _, f := range framings {
				b, err := Encode(f, k.msg)
				if err != nil {
					t.Fatalf("%v: encode: %v", f, err)
				}
				back, err := Decode(f, b)
				if err != nil {
					t.Fatalf("%v: decode: %v", f, err)
				}
				if !proto.Equal(back, k.msg) {
					t.Errorf("%v: round trip changed the message:\n got %v\nwant %v", f, back, k.msg)
				}
			}
		})
	}
}

// TestUnknownFieldsSurvive: a field of a newer IP Office (here CallInfo field
// 1, seen as `payload=PayloadFull` in the document, line 2514, with no
// definition) is kept and re-encoded. protobuf-go writes unknown fields after
// the known ones, so the bytes come back identical when the input had that
// order, and equal in meaning otherwise.
func TestUnknownFieldsSurvive(t *testing.T) {
	for _, callinfo := range [][]byte{
		fields(int32Field(2, 1), varintField(1, 1)),
		fields(varintField(1, 1), int32Field(2, 1)),
	} {
		wire := msgField(8, int32Field(1, 2), msgField(14, msgField(2, callinfo)))
		m, err := Decode(NoFraming, wire)
		if err != nil {
			t.Fatal(err)
		}
		ci := m.GetNotify().GetCallcontrol().GetCallinfo()[0]
		if ci.GetCallid() != 1 || !bytes.Equal(ci.ProtoReflect().GetUnknown(), varintField(1, 1)) {
			t.Fatalf("callinfo %v: want callid 1 and unknown field 1", ci)
		}
		again, err := Encode(NoFraming, m)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Decode(NoFraming, again)
		if err != nil || !proto.Equal(back, m) {
			t.Errorf("re-decoded %v (%v), want %v", back, err, m)
		}
		if callinfo[0] == 0x10 && !bytes.Equal(again, wire) {
			t.Errorf("re-encoded % X, want % X", again, wire)
		}
	}
}

func TestEmptyFrames(t *testing.T) {
	// Header only: a Message with no payload, valid on the wire; the
	// document says to ignore it (lines 282, 484-487).
	m, err := Decode(Framed, []byte{0, 0, 0, 1})
	if err != nil || m.GetPayload() != nil {
		t.Errorf("header only: %v, %v; want an empty message", m, err)
	}
	m, err = Decode(NoFraming, nil)
	if err != nil || m.GetPayload() != nil {
		t.Errorf("noframing empty: %v, %v; want an empty message", m, err)
	}
}

func TestDecodeErrors(t *testing.T) {
	first := unhex(t, "1A 0C 08 01 10 01 18 90 1C C2 02 02 08 07")
	framed := append([]byte{0, 0, 0, 1}, first...)
	deep := bytes.Repeat([]byte{0x53}, 20000) // 20000 start-group tags of unknown field 10
	tests := []struct {
		name string
		f    Framing
		in   []byte
		want error
	}{
		{"framed, nothing", Framed, nil, ErrTruncated},
		{"framed, half a header", Framed, []byte{0, 0}, ErrTruncated},
		{"framed, three header bytes", Framed, []byte{0, 0, 0}, ErrTruncated},
		{"framed, cut inside the payload", Framed, framed[:10], ErrTruncated},
		{"framed, last byte missing", Framed, framed[:len(framed)-1], ErrTruncated},
		{"noframing, last byte missing", NoFraming, first[:len(first)-1], ErrTruncated},
		{"noframing, cut in a tag", NoFraming, first[:11], ErrTruncated},
		{"framed, header 00 00 00 02", Framed, append([]byte{0, 0, 0, 2}, first...), ErrBadHeader},
		{"framed, header missing (noframing peer)", Framed, first, ErrBadHeader},
		{"framed, one wrong byte", Framed, []byte{1}, ErrBadHeader},
		{"noframing, framed peer", NoFraming, framed, ErrMalformed},
		{"noframing, field number 0", NoFraming, []byte{0x00, 0x01}, ErrMalformed},
		{"noframing, varint overflow", NoFraming, bytes.Repeat([]byte{0xff}, 11), ErrMalformed},
		{"noframing, stray end group", NoFraming, []byte{0x0c}, ErrMalformed},
		{"noframing, 20000 nested groups", NoFraming, deep, ErrMalformed},
		{"framed, too large", Framed, append([]byte{0, 0, 0, 1}, make([]byte, MaxFrameSize)...), ErrFrameTooLarge},
		{"noframing, too large", NoFraming, make([]byte, MaxFrameSize+1), ErrFrameTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Decode(tc.f, tc.in)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Decode = %v, %v; want %v", m, err, tc.want)
			}
			if m != nil {
				t.Errorf("Decode returned a message with error %v", err)
			}
		})
	}
}

// TestEveryCutIsTruncated: cutting the first-payload frame anywhere (but to
// nothing) gives ErrTruncated, never a shorter valid message.
func TestEveryCutIsTruncated(t *testing.T) {
	first := unhex(t, "1A 0C 08 01 10 01 18 90 1C C2 02 02 08 07")
	for n := 1; n < len(first); n++ {
		if _, err := Decode(NoFraming, first[:n]); !errors.Is(err, ErrTruncated) {
			t.Errorf("cut to %d bytes: %v, want ErrTruncated", n, err)
		}
	}
}

// TestFrameSizeLimit: a frame of exactly MaxFrameSize bytes passes both ways,
// one more byte fails both ways.
func TestFrameSizeLimit(t *testing.T) {
	for _, f := range framings {
		m := &Message{Payload: &Message_Generaldata{Generaldata: &GeneralData{
			Payload: &GeneralData_Getfile{Getfile: &GetFileResponse{}},
		}}}
		gf := m.GetGeneraldata().GetGetfile()
		size := func() int {
			n := proto.Size(m)
			if f == Framed {
				n += len(header)
			}
			return n
		}
		// Size the file content so the frame is exactly MaxFrameSize; the
		// length prefixes grow with the content, hence the few rounds.
		l := MaxFrameSize
		for range 5 {
			gf.Payload = make([]byte, l)
			if size() == MaxFrameSize {
				break
			}
			l -= size() - MaxFrameSize
		}
		if size() != MaxFrameSize {
			t.Fatalf("%v: could not build a frame of exactly %d bytes (got %d)", f, MaxFrameSize, size())
		}
		b, err := Encode(f, m)
		if err != nil || len(b) != MaxFrameSize {
			t.Fatalf("%v: encode at the limit: %d bytes, %v", f, len(b), err)
		}
		if _, err := Decode(f, b); err != nil {
			t.Errorf("%v: decode at the limit: %v", f, err)
		}
		gf.Payload = append(gf.Payload, 0)
		if _, err := Encode(f, m); !errors.Is(err, ErrFrameTooLarge) {
			t.Errorf("%v: encode over the limit: %v, want ErrFrameTooLarge", f, err)
		}
		if _, err := Decode(f, append(b, 0)); !errors.Is(err, ErrFrameTooLarge) {
			t.Errorf("%v: decode over the limit: %v, want ErrFrameTooLarge", f, err)
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	if _, err := Encode(Framed, nil); err == nil {
		t.Error("Encode(nil) succeeded")
	}
	if _, err := Encode(Framing(7), &Message{}); err == nil {
		t.Error("Encode with an unknown framing succeeded")
	}
	if _, err := Decode(Framing(7), nil); err == nil {
		t.Error("Decode with an unknown framing succeeded")
	}
}

func TestFramingNames(t *testing.T) {
	for _, tc := range []struct {
		f          Framing
		name, path string
	}{
		{Framed, "framed", "/tpkt/openapi"},
		{NoFraming, "noframing", "/tpkt/openapinoframing"},
		{Framing(9), "Framing(9)", ""},
	} {
		if tc.f.String() != tc.name || tc.f.Path() != tc.path {
			t.Errorf("Framing %d: %q %q, want %q %q", int(tc.f), tc.f.String(), tc.f.Path(), tc.name, tc.path)
		}
	}
}

func TestUnpackError(t *testing.T) {
	b, err := Encode(Framed, UnpackError(0))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Decode(Framed, b)
	if err != nil {
		t.Fatal(err)
	}
	r := m.GetResponse()
	if r == nil || r.GetResult() != 2 || ResultName(r.GetResult()) != "MTCTISESS_UNPACKERR" {
		t.Errorf("UnpackError(0) decodes to %v", m)
	}
	if got := UnpackError(42).GetResponse().GetRequestid(); got != 42 {
		t.Errorf("UnpackError(42) carries requestid %d", got)
	}
}

// TestNamesInAnotherCodePageAreRepaired: a user name typed in Latin-1 is
// not UTF-8, which Go's decoder refuses; the frame is still read, with
// U+FFFD in its place, and the rest of the message intact.
func TestNamesInAnotherCodePageAreRepaired(t *testing.T) {
	m := &Message{Payload: &Message_Notify{Notify: &Notify{SubscribeId: 7, NotifyId: 3, Payload: &Notify_Lines{Lines: &NotifyLines{
		Adduser: []*LinesUser{{Guid: []byte{1, 2}, Extn: "201", Name: "Andre"}},
	}}}}}
	b, err := Encode(NoFraming, m)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.LastIndex(b, []byte("Andre"))
	b[i+4] = 0xe9 // "Andr\xe9": é in Latin-1
	got, err := Decode(NoFraming, b)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	u := got.GetNotify().GetLines().GetAdduser()[0]
	if u.GetName() != "Andr\uFFFD" || u.GetExtn() != "201" || got.GetNotify().GetNotifyId() != 3 {
		t.Errorf("decoded %v, want the name repaired and the rest intact", got)
	}
	// Malformed input stays malformed.
	if _, err := Decode(NoFraming, append(b[:len(b)-1:len(b)-1], 0xff, 0xff)); !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTruncated) {
		t.Errorf("garbage after a repairable frame: %v", err)
	}
}
