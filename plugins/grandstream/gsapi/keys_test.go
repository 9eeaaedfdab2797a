package gsapi

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestNormalizeKeys(t *testing.T) {
	tests := []struct {
		name string
		f    Family
		in   []string
		want []string
	}{
		{"gxp keypad", FamilyGXP, []string{"1", "0", "0", "0"}, []string{"1", "0", "0", "0"}},
		{"gxp lower case", FamilyGXP, []string{"send", " line8 ", "mpk24", "Soft4"}, []string{"SEND", "LINE8", "MPK24", "SOFT4"}},
		{"gxp hash and star unchanged", FamilyGXP, []string{"*", "#"}, []string{"*", "#"}},
		{"dp hash and star as words", FamilyDP, []string{"1", "#", "*", "hash", "star"}, []string{"1", "HASH", "STAR", "HASH", "STAR"}},
		{"dp handset keys", FamilyDP, []string{"left_soft_key", "offhook", "ok", "unlock"}, []string{"LEFT_SOFT_KEY", "OFFHOOK", "OK", "UNLOCK"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeKeys(tt.f, tt.in)
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("NormalizeKeys = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestNormalizeKeysRejects(t *testing.T) {
	tests := []struct {
		name     string
		f        Family
		in       []string
		contains []string
	}{
		{"line9 is beyond LINE1-8", FamilyGXP, []string{"LINE9"}, []string{`"LINE9"`, "LINE1-LINE8"}},
		{"mpk25", FamilyGXP, []string{"1", "MPK25"}, []string{`"MPK25"`, "MPK1-MPK24"}},
		{"dp key on gxp", FamilyGXP, []string{"ONHOOK"}, []string{`"ONHOOK"`, "GXP"}},
		{"gxp key on dp", FamilyDP, []string{"XFER"}, []string{`"XFER"`, "DP", "LEFT_SOFT_KEY"}},
		{"separator inside a key", FamilyGXP, []string{"1:2"}, []string{`"1:2"`}},
		{"empty key", FamilyDP, []string{""}, []string{`""`}},
		{"no keys", FamilyGXP, nil, []string{"no keys"}},
		{"unknown family", Family(0), []string{"1"}, []string{"family"}},
		{"too many", FamilyGXP, strings.Split(strings.Repeat("1", maxKeys+1), ""), []string{"at most"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeKeys(tt.f, tt.in)
			if got != nil || !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("NormalizeKeys = %q, %v; want nil, ErrInvalidArgument", got, err)
			}
			for _, s := range tt.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
		})
	}
}

func TestFlashKeyHasItsOwnExplanation(t *testing.T) {
	for _, f := range []Family{FamilyGXP, FamilyDP} {
		_, err := NormalizeKeys(f, []string{"1", "flash"})
		if !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("%v: err = %v, want ErrInvalidArgument", f, err)
		}
		for _, s := range []string{"FLASH", "does not exist in the cti api", "GXP1165", "XFER", "LINEn"} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%v: flash error %q does not mention %q", f, err, s)
			}
		}
	}
}

func TestValidWireKey(t *testing.T) {
	tests := []struct {
		f    Family
		key  string
		want bool
	}{
		{FamilyGXP, "#", true}, {FamilyGXP, "HASH", false}, {FamilyGXP, "line1", true}, {FamilyGXP, "FLASH", false},
		{FamilyDP, "#", false}, {FamilyDP, "HASH", true}, {FamilyDP, "*", true}, {FamilyDP, "STAR", true},
		{FamilyDP, "SEND", false}, {Family(7), "1", false},
	}
	for _, tt := range tests {
		if got := ValidWireKey(tt.f, tt.key); got != tt.want {
			t.Errorf("ValidWireKey(%v, %q) = %v, want %v", tt.f, tt.key, got, tt.want)
		}
	}
}

func TestEncodeKeys(t *testing.T) {
	if got, want := encodeKeys([]string{"1", "#", "*", "SEND"}), "1:%23:*:SEND"; got != want {
		t.Errorf("encodeKeys = %q, want %q", got, want)
	}
}

func TestKeysListsEveryNormalizableKey(t *testing.T) {
	for _, f := range []Family{FamilyGXP, FamilyDP} {
		keys := Keys(f)
		if !slices.IsSorted(keys) {
			t.Errorf("%v keys not sorted", f)
		}
		if _, err := NormalizeKeys(f, keys); err != nil {
			t.Errorf("%v: Keys lists a key NormalizeKeys rejects: %v", f, err)
		}
		if slices.Contains(keys, "FLASH") {
			t.Errorf("%v lists FLASH", f)
		}
	}
	if k := Keys(FamilyGXP); !slices.Contains(k, "LINE8") || !slices.Contains(k, "MPK24") || slices.Contains(k, "ONHOOK") {
		t.Errorf("GXP keys = %q", k)
	}
	if k := Keys(FamilyDP); !slices.Contains(k, "HASH") || slices.Contains(k, "XFER") {
		t.Errorf("DP keys = %q", k)
	}
}
