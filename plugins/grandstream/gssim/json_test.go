package gssim

import "testing"

// encode's shortcuts write what encoding/json writes.
func TestEncodeMatchesEncodingJSON(t *testing.T) {
	for _, v := range []any{
		0, 1, -7, 1 << 40, true, false, "", "idle", "Ada Lovelace", "+4930123456", "sip.example.com",
		`a"b`, `back\slash`, "tab\t", "<&>", "Zoë", "\u2028", "\x7f", "\xff", 1.5, nil,
	} {
		if got, want := encode(v), encodeAny(v); got != want {
			t.Errorf("encode(%#v) = %s, want %s", v, got, want)
		}
	}
}
