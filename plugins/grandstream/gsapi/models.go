package gsapi

import (
	"fmt"
	"slices"
	"strings"
)

// Family is a group of Grandstream models that share one set of CTI
// functions. The guide splits its functions into "GXP phones only",
// "DP750/720/722/730 only" and "all models".
type Family int

const (
	// FamilyGXP is the GXP16xx, GXP17xx and GXP21xx desk phones (and the
	// GXP1165, which the vendor no longer supports but which answers the same
	// API). Their functions are LineStatus, PhoneStatus, PhoneOperation and
	// Accounts, plus SendKeys without a handset and SysOperation.
	FamilyGXP Family = iota + 1
	// FamilyDP is the DP750 and DP752 DECT bases with their DP720, DP722 and
	// DP730 handsets. Their functions are AccountStatus, HandsetStatus,
	// HandsetLineStatus, MakeCall and DeviceOperation, plus SendKeys with a
	// handset and SysOperation.
	FamilyDP
)

// String returns "GXP" or "DP".
func (f Family) String() string {
	switch f {
	case FamilyGXP:
		return "GXP"
	case FamilyDP:
		return "DP"
	}
	return fmt.Sprintf("Family(%d)", int(f))
}

// dpModels are the DP models the guide names ("DP75X Models include only
// DP750 and DP752 base stations", plus the DP720/722/730 handsets).
var dpModels = []string{"DP750", "DP752", "DP720", "DP722", "DP730"}

// supportedText lists what FamilyOf accepts, for error messages.
const supportedText = "the GXP family (GXP16xx, GXP17xx, GXP21xx such as GXP2135, and GXP1165) " +
	"and the DP family (DP750, DP752, DP720, DP722, DP730)"

// FamilyOf returns the family of a model name such as "GXP2135", "gxp1628"
// or "DP750". Matching is case-insensitive and ignores surrounding spaces.
// An unknown model is an error (wrapping ErrInvalidArgument) that lists the
// supported families.
func FamilyOf(model string) (Family, error) {
	m := strings.ToUpper(strings.TrimSpace(model))
	if slices.Contains(dpModels, m) {
		return FamilyDP, nil
	}
	if m == "GXP1165" {
		return FamilyGXP, nil
	}
	if len(m) == 7 && strings.HasPrefix(m, "GXP") && isDigits(m[5:]) {
		switch m[3:5] {
		case "16", "17", "21":
			return FamilyGXP, nil
		}
	}
	return 0, fmt.Errorf("gsapi: unsupported model %q: supported are %s: %w", model, supportedText, ErrInvalidArgument)
}

// IsDP75x reports whether model is a DP750 or DP752 base station, the models
// whose REBOOT answer is "directreboot" instead of "savereboot".
func IsDP75x(model string) bool {
	m := strings.ToUpper(strings.TrimSpace(model))
	return m == "DP750" || m == "DP752"
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
