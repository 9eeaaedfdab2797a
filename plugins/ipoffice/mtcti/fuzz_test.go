package mtcti

import (
	"errors"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"
)

// FuzzDecode feeds each input to Decode in both framings. Properties: Decode
// never panics; it returns a message or an error wrapping a sentinel, never
// both or neither; and a message it accepts re-encodes and decodes to an
// equal message.
func FuzzDecode(f *testing.F) {
	for _, v := range vectors(f) {
		f.Add(v.wire)
		f.Add(append(append([]byte(nil), header...), v.wire...))
	}
	for _, k := range payloadKinds() {
		for _, fr := range framings {
			b, err := Encode(fr, k.msg)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 1})
	f.Add([]byte{0, 0, 0, 2, 0x1a, 0x00})
	f.Add([]byte{0x53, 0x53, 0x54})

	sentinels := []error{ErrFrameTooLarge, ErrBadHeader, ErrTruncated, ErrMalformed}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, fr := range framings {
			m, err := Decode(fr, b)
			if err != nil {
				if m != nil {
					t.Fatalf("%v: Decode returned a message and %v", fr, err)
				}
				if !slices.ContainsFunc(sentinels, func(s error) bool { return errors.Is(err, s) }) {
					t.Fatalf("%v: error %v wraps no sentinel", fr, err)
				}
				continue
			}
			if m == nil {
				t.Fatalf("%v: Decode returned neither message nor error", fr)
			}
			again, err := Encode(fr, m)
			if errors.Is(err, ErrFrameTooLarge) {
				// Re-encoding can grow a frame: a 5-byte negative int32
				// comes back as the canonical 10 bytes.
				continue
			}
			if err != nil {
				t.Fatalf("%v: re-encode of an accepted message: %v", fr, err)
			}
			back, err := Decode(fr, again)
			if err != nil {
				t.Fatalf("%v: decode of the re-encoded message: %v", fr, err)
			}
			if !proto.Equal(back, m) {
				t.Fatalf("%v: round trip changed the message:\n got %v\nwant %v", fr, back, m)
			}
		}
	})
}
