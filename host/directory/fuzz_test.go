package directory

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks that no file makes Load panic, and that a loaded
// directory keeps its bounds and answers lookups.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"name,company,number,number2,email\nAda,Engines,+44 20 7946 0000,(020) 7946-0001,ada@example.com\n",
		"\uFEFFName;x,NUMBERS,id\r\n\"Babbage, Charles\",100;200;+1 (555) 010,C-1\r\n",
		"name,numbers,notes\n\"a\nb\",1;2;3;4;5;6;7;8;9;10;11;12;13;14;15;16,\"q\"\"uote\"\n",
		"name,number\n\"unclosed,1\n",
		"name,number\nB\"ob,1\n",
		"company,number\nx,1\n",
		"name,,,\n,,,\nx,1,2,3,4\n",
		"name,number\n\xff,1\n",
		"nAme ,00000000000000\n\x16", // a name of a control character only
		"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Load("fuzz", data)
		if err != nil {
			if d != nil {
				t.Fatal("a directory and an error")
			}
			if !strings.HasPrefix(err.Error(), "line ") {
				t.Fatalf("error without a line: %v", err)
			}
			return
		}
		if d.Len() > MaxRows || len(d.fieldKeys) > MaxFields || d.Numbers() > d.Len()*MaxNumbers {
			t.Fatalf("bounds: %d rows, %d fields, %d numbers", d.Len(), len(d.fieldKeys), d.Numbers())
		}
		for i := range d.rows {
			r := &d.rows[i]
			if i >= 256 { // LookupName scans every row: keep the check linear
				break
			}
			if len(r.numbers) > MaxNumbers || len(r.fields) > MaxFields || len(r.name) > MaxValue || len(r.company) > MaxValue || len(r.id) > MaxValue {
				t.Fatalf("row %d out of bounds", i)
			}
			for _, v := range append([]string{r.name, r.company, r.id}, r.fields...) {
				if !utf8.ValidString(v) {
					t.Fatalf("row %d: invalid UTF-8", i)
				}
			}
			for _, n := range r.numbers {
				found := false
				for _, c := range d.LookupNumber(n, MaxLimit) {
					found = found || c.GetId() == d.contact(int32(i)).GetId()
				}
				if !found && len(d.LookupNumber(n, MaxLimit)) < MaxLimit {
					t.Fatalf("row %d: its number %q does not find it", i, n)
				}
			}
			if r.name != "" && len(d.LookupName(r.name, 1)) != 1 {
				t.Fatalf("row %d: its name does not find it", i)
			}
		}
		d.LookupNumber(string(data), 0)
		d.LookupName(string(data), 0)
	})
}
