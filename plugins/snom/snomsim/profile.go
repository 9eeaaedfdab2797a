package snomsim

import (
	"fmt"
	"strconv"
	"strings"
)

// modelInfo is what the simulator knows of one Snom desk phone model.
type modelInfo struct {
	pkeys int // free programmable function keys P1..Pn, pages included
}

// knownModels holds the P-key counts of the models named in the brief,
// as Snom's datasheets give them (physical SmartLabel keys times pages).
// The search corpus held no datasheet to check them against, so they are
// "modelled": override them with Options.PKeys. Any other D3xx/D7xx model
// is accepted when Options.PKeys is set. D8xx phones are refused: the
// vendor document says "This feature is not supported for D8XX"
// (shared/vendor-docs/snom-http-remote-control.txt, first line).
var knownModels = map[string]modelInfo{
	"D345": {pkeys: 48}, // 12 SmartLabel keys x 4 pages
	"D385": {pkeys: 48}, // 12 SmartLabel keys x 4 pages
	"D715": {pkeys: 5},  // 5 LED keys, no pages
	"D735": {pkeys: 32}, // 8 SmartLabel keys x 4 pages
	"D785": {pkeys: 48}, // 24 SmartLabel keys x 2 pages
}

// softKeys is how many context keys F1..F4 every D3xx/D7xx has. The
// document's only exceptions (snom 190/200 without F4, snom870 without
// F1-F4) are not D models.
const softKeys = 4

// defaultExpansionKeys is how many EK keys a D3xx accepts by default: one
// expansion module is assumed attached (modelled). The document: "EK0-
// EKmax ... expansion module Only for snom3xx".
const defaultExpansionKeys = 48

// normModel returns the model in upper case ("d385" → "D385") and its
// series, '3' or '7'.
func normModel(m string) (string, byte, error) {
	m = strings.ToUpper(strings.TrimSpace(m))
	m = strings.TrimPrefix(m, "SNOM")
	if len(m) != 4 || m[0] != 'D' {
		return "", 0, fmt.Errorf("snomsim: model %q; want a Snom desk phone D3xx or D7xx such as D385 or D735", m)
	}
	if _, err := strconv.Atoi(m[1:]); err != nil {
		return "", 0, fmt.Errorf("snomsim: model %q; want D followed by three digits", m)
	}
	switch m[1] {
	case '3', '7':
		return m, m[1], nil
	case '8':
		return "", 0, fmt.Errorf("snomsim: model %s: Snom documents HTTP remote control for D3xx and D7xx only, not D8xx", m)
	}
	return "", 0, fmt.Errorf("snomsim: model %s is not a D3xx or D7xx desk phone", m)
}

// Version is a dotted firmware version such as 8.7.3.25 or 10.1.54.13.
type Version []int

// ParseVersion parses a dotted firmware version; at least major.minor.
func ParseVersion(s string) (Version, error) {
	parts := strings.Split(strings.TrimSpace(s), ".")
	if len(parts) < 2 {
		return nil, fmt.Errorf("snomsim: firmware %q; want a dotted version such as 8.7.3.25", s)
	}
	v := make(Version, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("snomsim: firmware %q; want a dotted version such as 8.7.3.25", s)
		}
		v[i] = n
	}
	return v, nil
}

// Less reports whether v is older than w; missing parts count as 0.
func (v Version) Less(w Version) bool {
	for i := 0; i < max(len(v), len(w)); i++ {
		a, b := 0, 0
		if i < len(v) {
			a = v[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			return a < b
		}
	}
	return false
}

func (v Version) String() string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ".")
}

// CSTASupport is what a firmware does with POST /csta.
type CSTASupport int

const (
	// CSTANone: before 7.3.4 the phone has no CSTA ("Versions 7.1 and
	// earlier have no CSTA support", wiki.snom.com/CSTA); /csta is 404.
	CSTANone CSTASupport = iota
	// CSTAHTTP: 7.3.4 up to 8.7 and 8.7.3 on ("Versions starting from
	// 7.3.4 till < 8.7 support CSTA via HTTP only", "Versions since
	// 8.7.3 support CSTA via HTTP and uaCSTA").
	CSTAHTTP
	// CSTABroken: 8.7.0 to 8.7.2 ("Versions since 8.7.1 support uaCSTA
	// (via SIP) but have broken HTTP-CSTA until 8.7.3", "8.7-Versions
	// before 8.7.3 do not support CSTA via HTTP"). Modelled: the document
	// does not say how it fails; its only documented failure of /csta is
	// "HTTP/1.1 500 Internal Server Error" with a CSTA error body, so every
	// request answers that, with operation "generic", and does nothing. A
	// driver must treat it as permanent for that firmware, not retry.
	CSTABroken
)

func (s CSTASupport) String() string {
	if s >= 0 && int(s) < 3 {
		return [...]string{"none", "http", "broken"}[s]
	}
	return fmt.Sprintf("CSTASupport(%d)", int(s))
}

// MarshalText encodes the support as its name (for /sim/state).
func (s CSTASupport) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Dialect is the shape of the /csta answers. The document prints three
// success and three error forms, "slightly different with the different
// implementations", without saying which firmware uses which.
type Dialect int

const (
	// DialectAuto picks the dialect from the firmware (see Profile).
	DialectAuto Dialect = iota
	// DialectSOAPHeader: XML declaration, SOAP-ENV:Envelope with an empty
	// SOAP-ENV:Header, csta:XResponse; errors carry an ECMA-323 code
	// such as "invalidCallID" (the document's first form).
	DialectSOAPHeader
	// DialectBare: XML declaration and the bare XResponse element; errors
	// are a bare CSTAErrorCode (the document's second form, and the form
	// of Snom's "CSTA over HTTP - Requests" page).
	DialectBare
	// DialectSOAPNoHeader: SOAP-ENV:Envelope declaring both namespaces,
	// no XML declaration, no Header; errors carry a readable text such as
	// "Invalid CallID" (the document's third form).
	DialectSOAPNoHeader
)

var dialectNames = []string{"auto", "soap-header", "bare", "soap-no-header"}

func (d Dialect) String() string {
	if d >= 0 && int(d) < len(dialectNames) {
		return dialectNames[d]
	}
	return fmt.Sprintf("Dialect(%d)", int(d))
}

// MarshalText encodes the dialect as its name (for /sim/state).
func (d Dialect) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// ParseDialect returns the Dialect named s: auto, soap-header, bare or
// soap-no-header.
func ParseDialect(s string) (Dialect, error) {
	for i, n := range dialectNames {
		if strings.EqualFold(strings.TrimSpace(s), n) {
			return Dialect(i), nil
		}
	}
	return 0, fmt.Errorf("snomsim: unknown dialect %q; want one of %s", s, strings.Join(dialectNames, ", "))
}

// Profile is what a model and firmware make the phone do. Read it with
// Phone.Profile.
type Profile struct {
	Model    string `json:"model"`    // e.g. "D385"
	Firmware string `json:"firmware"` // e.g. "10.1.54.13"
	PKeys    int    `json:"pkeys"`    // P1..PKeys are valid keys
	// ExpansionKeys: EK0..EK(ExpansionKeys-1) are valid keys; 0 on D7xx.
	ExpansionKeys int         `json:"expansion_keys"`
	CSTA          CSTASupport `json:"csta"`
	// LegacyConnectionID: the phone expects a ConnectionID as plain text,
	// <callToBeAnswered>-18</callToBeAnswered>, not as
	// <callToBeAnswered><callID>-18</callID></callToBeAnswered>. True
	// before 8.7 and with csta_legacy_control on later firmware.
	LegacyConnectionID bool `json:"legacy_connection_id"`
	// DeviceIndex: a deviceID may be the identity index 1..12 ("since
	// 8.7.4 you may also use the index (1..12)").
	DeviceIndex bool `json:"device_index"`
	// Dialect of the /csta answers.
	Dialect Dialect `json:"dialect"`
}

var (
	v734 = Version{7, 3, 4}
	v80  = Version{8, 0}
	v87  = Version{8, 7}
	v873 = Version{8, 7, 3}
	v874 = Version{8, 7, 4}
)

// profileFor derives the profile. Modelled dialect per firmware (the
// document gives none): 7.3.4-7.x the third form (no XML declaration, no
// Header, readable error texts: the oldest-looking form), 8.0-8.6 the
// first form (SOAP with Header, ECMA-323 error codes, as the old
// wiki.snom.com/CSTA templates), 8.7.3 on the second form (bare elements,
// as every example on Snom's "CSTA over HTTP - Requests" page, which also
// documents 8.7.4 features). 8.7.0-8.7.2 answer faults in the first form.
func profileFor(model string, fw Version, o Options) Profile {
	p := Profile{Model: model, Firmware: fw.String(), PKeys: o.PKeys, ExpansionKeys: o.ExpansionKeys}
	switch {
	case fw.Less(v734):
		p.CSTA = CSTANone
	case fw.Less(v87):
		p.CSTA = CSTAHTTP
		p.LegacyConnectionID = true
	case fw.Less(v873):
		p.CSTA = CSTABroken
	default:
		p.CSTA = CSTAHTTP
		p.LegacyConnectionID = o.CSTALegacyControl
	}
	p.DeviceIndex = !fw.Less(v874)
	switch {
	case o.Dialect != DialectAuto:
		p.Dialect = o.Dialect
	case fw.Less(v80):
		p.Dialect = DialectSOAPNoHeader
	case fw.Less(v873):
		p.Dialect = DialectSOAPHeader
	default:
		p.Dialect = DialectBare
	}
	return p
}
