package snomapi

import (
	"errors"
	"testing"
)

func TestParseFirmware(t *testing.T) {
	for in, want := range map[string]Firmware{
		"8.7.3.25":                {8, 7, 3, 25},
		"10.1.198.19":             {10, 1, 198, 19},
		"8.7":                     {8, 7, 0, 0},
		"7.3.4":                   {7, 3, 4, 0},
		"snomD785-SIP 10.1.33.33": {10, 1, 33, 33},
		"snomD717/10.1.198.19":    {10, 1, 198, 19},
		"V8.7.5.35 SIP":           {8, 7, 5, 35},
		" 8.4.35\n":               {8, 4, 35, 0},
		"10.1.2.3.4":              {10, 1, 2, 3},
	} {
		got, err := ParseFirmware(in)
		if err != nil || got != want {
			t.Errorf("ParseFirmware(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "snomD785", "8", "0.0", "1234567.1", "x.y"} {
		if _, err := ParseFirmware(in); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("ParseFirmware(%q): err = %v", in, err)
		}
	}
}

func TestDialectForFirmware(t *testing.T) {
	for in, want := range map[string]Dialect{
		"7.3.4":       DialectLegacy,
		"7.3.30":      DialectLegacy,
		"8.4.35":      DialectLegacy,
		"8.6.99.99":   DialectLegacy,
		"8.7.3":       DialectCallID,
		"8.7.3.25":    DialectCallID,
		"8.7.5.35":    DialectCallID,
		"8.9.3.80":    DialectCallID,
		"10.1.198.19": DialectCallID,
	} {
		f, _ := ParseFirmware(in)
		if got, err := DialectForFirmware(f); err != nil || got != want {
			t.Errorf("DialectForFirmware(%s) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"7.1", "7.3.3.99", "8.7.0", "8.7.1.3", "8.7.2.99"} {
		f, _ := ParseFirmware(in)
		if d, err := DialectForFirmware(f); d != DialectUnknown || !errors.Is(err, ErrUnsupported) {
			t.Errorf("DialectForFirmware(%s) = %v, %v; want unsupported", in, d, err)
		}
	}
	if _, err := DialectForFirmware(Firmware{}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("zero firmware: %v", err)
	}
}
