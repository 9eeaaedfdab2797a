package gsapi

import (
	"encoding/json"
	"testing"
)

// flexCorpus holds values the fast paths take and values they must leave to
// json.Unmarshal.
var flexCorpus = []string{
	`0`, `1`, `7`, `42`, `999999999`, `1000000000`, `2147483648`, `-1`, `1.5`, `1e3`,
	`true`, `false`, `null`, `""`, `"1"`, `" 2 "`, `"yes"`, `"No"`, `"TRUE"`,
	`"idle"`, `"connected"`, `"Ada Lovelace"`, `"+4930123456"`, `"Zoë"`, `"a\"b"`, `"\u00e9"`,
	`"tab\there"`, "\"\xff\xfe\"", `"<&>"`, `[1]`, `{"a":1}`,
}

// The fast paths of the flex types give exactly what decodeAny gives, for
// the shapes they take.
func TestFlexFastPathsMatchTheGeneralDecoder(t *testing.T) {
	for _, in := range flexCorpus {
		checkFlexFastPaths(t, []byte(in))
	}
}

func FuzzFlexFastPaths(f *testing.F) {
	for _, in := range flexCorpus {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return // encoding/json hands UnmarshalJSON only checked values
		}
		checkFlexFastPaths(t, b)
	})
}

func checkFlexFastPaths(t *testing.T, b []byte) {
	t.Helper()
	var fi, si flexInt
	ei, esi := fi.UnmarshalJSON(b), si.decodeAny(b)
	if (ei == nil) != (esi == nil) || fi != si {
		t.Errorf("flexInt %s: %d, %v; decodeAny %d, %v", b, fi, ei, si, esi)
	}
	var fb, sb flexBool
	eb, esb := fb.UnmarshalJSON(b), sb.decodeAny(b)
	if (eb == nil) != (esb == nil) || fb != sb {
		t.Errorf("flexBool %s: %v, %v; decodeAny %v, %v", b, fb, eb, sb, esb)
	}
	var fs, ss flexString
	es, ess := fs.UnmarshalJSON(b), ss.decodeAny(b)
	if (es == nil) != (ess == nil) || fs != ss {
		t.Errorf("flexString %s: %q, %v; decodeAny %q, %v", b, fs, es, ss, ess)
	}
}
