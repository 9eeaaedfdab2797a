package gsapi

import (
	"errors"
	"strings"
	"testing"
)

func TestFamilyOf(t *testing.T) {
	tests := map[string]Family{
		"GXP2135": FamilyGXP, "gxp2135": FamilyGXP, " GXP1628 ": FamilyGXP, "GXP1782": FamilyGXP,
		"GXP1165": FamilyGXP, "GXP2170": FamilyGXP,
		"DP750": FamilyDP, "dp752": FamilyDP, "DP720": FamilyDP, "DP722": FamilyDP, "DP730": FamilyDP,
	}
	for model, want := range tests {
		if got, err := FamilyOf(model); err != nil || got != want {
			t.Errorf("FamilyOf(%q) = %v, %v; want %v", model, got, err, want)
		}
	}
	for _, model := range []string{"", "GXP", "GXP3140", "GXP21", "GXP21355", "GRP2612", "DP760", "HT802", "GXP21ab"} {
		_, err := FamilyOf(model)
		if !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("FamilyOf(%q) err = %v, want ErrInvalidArgument", model, err)
			continue
		}
		for _, s := range []string{"GXP21xx", "DP750"} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("FamilyOf(%q) error %q does not list %s", model, err, s)
			}
		}
	}
}

func TestFamilyStringAndDP75x(t *testing.T) {
	if FamilyGXP.String() != "GXP" || FamilyDP.String() != "DP" || Family(9).String() != "Family(9)" {
		t.Errorf("family names: %v %v %v", FamilyGXP, FamilyDP, Family(9))
	}
	for model, want := range map[string]bool{"DP750": true, "dp752": true, "DP720": false, "GXP2135": false} {
		if got := IsDP75x(model); got != want {
			t.Errorf("IsDP75x(%q) = %v, want %v", model, got, want)
		}
	}
}
