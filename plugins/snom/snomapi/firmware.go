package snomapi

import (
	"fmt"
	"strconv"
	"strings"
)

// Firmware is a phone firmware version such as 8.7.3.25 or 10.1.54.13.
// Missing parts are 0. The zero value means unknown.
type Firmware struct {
	Major, Minor, Patch, Build int
}

// IsZero reports whether f is unknown.
func (f Firmware) IsZero() bool { return f == Firmware{} }

// String returns "major.minor.patch.build".
func (f Firmware) String() string {
	return fmt.Sprintf("%d.%d.%d.%d", f.Major, f.Minor, f.Patch, f.Build)
}

// Less reports whether f is older than g.
func (f Firmware) Less(g Firmware) bool {
	a := [4]int{f.Major, f.Minor, f.Patch, f.Build}
	b := [4]int{g.Major, g.Minor, g.Patch, g.Build}
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// Versions the vendor document and the Snom wiki gate features on.
var (
	// fwCSTA is the first firmware with CSTA over HTTP ("Versions starting
	// from 7.3.4 till < 8.7 support CSTA via HTTP only").
	fwCSTA = Firmware{7, 3, 4, 0}
	// fw87 .. fw873: "8.7-Versions before 8.7.3 do not support CSTA via
	// HTTP", "broken HTTP-CSTA until 8.7.3"; from 8.7.3 the ConnectionID
	// carries a <callID> element.
	fw87  = Firmware{8, 7, 0, 0}
	fw873 = Firmware{8, 7, 3, 0}
	// fw874 brings identity indexes 1..12 as device ids ("since 8.7.4"),
	// ConsultationCall and the current SingleStepTransferCall form
	// (wiki.snom.com/Category/CSTA/HTTP: "ConsultationCall (since 8.7.4)",
	// "SingleStepTransferCall, find example here (since 8.7.4) or here
	// (before 8.7.4)").
	fw874 = Firmware{8, 7, 4, 0}
)

// maxFirmwareText bounds the text ParseFirmware looks at.
const maxFirmwareText = 256

// ParseFirmware finds the first dotted version of two to four decimal
// parts in s: "8.7.3.25", "10.1.198.19", and also "snomD785-SIP 10.1.33.33"
// or "V8.7.5.35 SIP" (the firmware_version setting and User-Agent strings
// carry such prefixes and suffixes). Each part has at most 6 digits.
func ParseFirmware(s string) (Firmware, error) {
	if len(s) > maxFirmwareText {
		s = s[:maxFirmwareText]
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) || (i > 0 && (isDigit(s[i-1]) || s[i-1] == '.')) {
			continue
		}
		var parts []int
		j := i
		for len(parts) < 4 {
			k := j
			for k < len(s) && isDigit(s[k]) {
				k++
			}
			if k == j || k-j > 6 {
				break
			}
			n, _ := strconv.Atoi(s[j:k])
			parts = append(parts, n)
			j = k
			if j+1 < len(s) && s[j] == '.' && isDigit(s[j+1]) && len(parts) < 4 {
				j++
				continue
			}
			break
		}
		if len(parts) >= 2 {
			parts = append(parts, 0, 0)
			f := Firmware{parts[0], parts[1], parts[2], parts[3]}
			if f.IsZero() {
				break
			}
			return f, nil
		}
	}
	return Firmware{}, fmt.Errorf("snomapi: firmware %q has no version such as 8.7.3.25: %w", truncateText(s), ErrInvalidArgument)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// Dialect is the form of a CSTA ConnectionID the phone expects (vendor
// document, "CSTA Events and Action URL").
type Dialect int

const (
	// DialectUnknown: not set; requests that carry a ConnectionID fail
	// with ErrDialectUnknown.
	DialectUnknown Dialect = iota
	// DialectLegacy writes the bare value,
	// <csta:callToBeAnswered>-18</csta:callToBeAnswered>: firmware 7.3.4 up
	// to 8.7, and later firmware with the setting csta_legacy_control (the
	// document: "when csta_legacy_control is set to 0"; the setting is not
	// among those GetSettings reads, so set Config.Dialect).
	DialectLegacy
	// DialectCallID wraps the value, <csta:callToBeAnswered> <csta:callID>
	// -18</csta:callID> </csta:callToBeAnswered>: firmware 8.7.3 and later.
	DialectCallID
)

// String returns "legacy", "callid" or "unknown".
func (d Dialect) String() string {
	switch d {
	case DialectLegacy:
		return "legacy"
	case DialectCallID:
		return "callid"
	}
	return "unknown"
}

// DialectForFirmware returns the dialect of firmware f. Firmware without
// CSTA over HTTP is an error wrapping ErrUnsupported: before 7.3.4 (no
// CSTA at all) and 8.7.0 to 8.7.2 (HTTP-CSTA broken; uaCSTA over SIP
// only). An unknown (zero) f is ErrInvalidArgument.
func DialectForFirmware(f Firmware) (Dialect, error) {
	if f.IsZero() {
		return DialectUnknown, fmt.Errorf("snomapi: firmware version unknown: %w", ErrInvalidArgument)
	}
	if p := cstaProblem(f); p != "" {
		return DialectUnknown, fmt.Errorf("snomapi: %s: %w", p, ErrUnsupported)
	}
	if f.Less(fw873) {
		return DialectLegacy, nil
	}
	return DialectCallID, nil
}

// cstaProblem says why known firmware f has no working CSTA over HTTP, or
// returns "".
func cstaProblem(f Firmware) string {
	switch {
	case f.IsZero():
		return ""
	case f.Less(fwCSTA):
		return fmt.Sprintf("firmware %s has no csta over http (it starts with 7.3.4); upgrade the phone", f)
	case !f.Less(fw87) && f.Less(fw873):
		return fmt.Sprintf("firmware %s has broken csta over http (8.7.0 to 8.7.2 speak uacsta over sip only); upgrade to 8.7.3 or later", f)
	}
	return ""
}

// isIdentityIndex reports whether s is an identity index "1".."12", the
// device id form accepted since 8.7.4.
func isIdentityIndex(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 1 && n <= 12 && strings.TrimLeft(s, "0123456789") == "" && s[0] != '0'
}
