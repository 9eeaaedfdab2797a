package mtcti

import (
	"strings"
	"testing"
)

// TestResultTable: every code of the document's tables is there once, with
// a unique MTCTISESS_ name (39 rows: 0-9, 100-102, 150-152, 500, 5000-5003,
// 600-617).
func TestResultTable(t *testing.T) {
	rows := Results()
	if len(rows) != 39 {
		t.Errorf("%d result codes, the document lists 39", len(rows))
	}
	codes, names := map[int32]bool{}, map[string]bool{}
	for _, r := range rows {
		if r.Name == "" || !strings.HasPrefix(r.Name, "MTCTISESS_") {
			t.Errorf("code %d: name %q", r.Code, r.Name)
		}
		if codes[r.Code] || names[r.Name] {
			t.Errorf("code %d (%s) listed twice", r.Code, r.Name)
		}
		codes[r.Code], names[r.Name] = true, true
		if ResultName(r.Code) != r.Name {
			t.Errorf("ResultName(%d) = %q, want %q", r.Code, ResultName(r.Code), r.Name)
		}
	}
	for c := int32(600); c <= 617; c++ {
		if !codes[c] {
			t.Errorf("call-control code %d missing", c)
		}
	}
}

func TestResultLookups(t *testing.T) {
	for code, want := range map[int32]string{
		ResultSuccess:                "MTCTISESS_SUCCESS",
		ResultUnpackErr:              "MTCTISESS_UNPACKERR",
		ResultRequestInvalidContext:  "MTCTISESS_REQUEST_INVALID_CONTEXT",
		ResultCallControlAlreadyDone: "MTCTISESS_CALLCONTROL_ALREADYDONE",
		618:                          "MTCTISESS_618",
		-1:                           "MTCTISESS_-1",
	} {
		if got := ResultName(code); got != want {
			t.Errorf("ResultName(%d) = %q, want %q", code, got, want)
		}
	}
	if r, ok := LookupResult(ResultCallControlNoCoverage); !ok || !strings.Contains(r.Description, "coverage") {
		t.Errorf("LookupResult(611) = %+v, %v", r, ok)
	}
	if _, ok := LookupResult(7000); ok {
		t.Error("LookupResult(7000) found a row")
	}
	rows := Results()
	rows[0].Name = "changed"
	if ResultName(0) != "MTCTISESS_SUCCESS" {
		t.Error("Results returned the table itself, not a copy")
	}
}
