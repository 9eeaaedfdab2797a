package directory

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

func mustLoad(t testing.TB, csv string) *Directory {
	t.Helper()
	d, err := Load("crm", []byte(csv))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return d
}

// lineOf returns the line of a *ParseError, or 0.
func lineOf(err error) int {
	var pe *ParseError
	if errors.As(err, &pe) {
		return pe.Line
	}
	return 0
}

func names(cs []*ctiv1.Contact) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.GetName())
	}
	return out
}

func TestHeaderVariants(t *testing.T) {
	for _, tc := range []struct {
		name, csv string
		number    string // looked up
		want      string // the contact's name
	}{
		{"plain", "name,company,number\nAda,Engines,100\n", "100", "Ada"},
		{"case and spaces", " NAME , Company ,NUMBER\nAda,Engines,100\n", "100", "Ada"},
		{"byte order mark", "\uFEFFName,Number\r\nAda,100\r\n", "100", "Ada"},
		{"other order", "number,email,name\n100,a@example.com,Ada\n", "100", "Ada"},
		{"number2", "name,number,number2,Number17\nAda,100,200,300\n", "300", "Ada"},
		{"numbers", "name,numbers\nAda,100;200 ; 300\n", "200", "Ada"},
		{"number and numbers", "name,number,numbers\nAda,100,200;300\n", "300", "Ada"},
		{"no number column", "name,company\nAda,Engines\n", "", ""},
		{"short row", "name,company,number\nAda\nBob,,100\n", "100", "Bob"},
		{"long row, empty extra cells", "name,number\nAda,100,,\n", "100", "Ada"},
		{"empty header column", "name,,number\nAda,x,100\n", "100", "Ada"},
		{"no final newline", "name,number\nAda,100", "100", "Ada"},
	} {
		d, err := Load("crm", []byte(tc.csv))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if tc.number == "" {
			if d.Len() != 1 || d.Numbers() != 0 {
				t.Errorf("%s: %d rows, %d numbers", tc.name, d.Len(), d.Numbers())
			}
			continue
		}
		if got := names(d.LookupNumber(tc.number, 0)); !slices.Equal(got, []string{tc.want}) {
			t.Errorf("%s: LookupNumber(%s) = %q, want %q", tc.name, tc.number, got, tc.want)
		}
	}
	for _, tc := range []struct{ name, csv, want string }{
		{"empty", "", "line 1: the file is empty"},
		{"only a byte order mark", "\uFEFF", "line 1: the file is empty"},
		{"no name column", "company,number\nEngines,100\n", "line 1: the header has no name column"},
		{"column twice", "name,Email,email\n", `line 1: column "email" appears twice`},
		{"number twice", "name,number,NUMBER\n", `line 1: column "number" appears twice`},
		{"long column name", "name," + strings.Repeat("x", 65) + "\n", "line 1: the name of column 2 is longer than 64 bytes"},
		{"long row", "name,number\nAda,100\nBob,200,x\n", "line 3: the row has 3 values, the header 2 columns"},
	} {
		_, err := Load("crm", []byte(tc.csv))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
	d := mustLoad(t, "name,,number,\nAda,x,100,y\n")
	if w := d.Warnings(); !slices.Equal(w.IgnoredColumns, []string{"column 2", "column 4"}) || !strings.Contains(w.String(), "2 columns are ignored (column 2, column 4)") {
		t.Errorf("warnings %+v: %s", w, w)
	}
}

func TestQuoting(t *testing.T) {
	d := mustLoad(t, `name,company,number,notes
"Babbage, Charles","Difference ""Engines"" Ltd",+44 20 7946 0002,"two
lines"
"Ada
Lovelace",,"100",
`)
	c := d.LookupNumber("+442079460002", 0)
	if len(c) != 1 || c[0].GetName() != "Babbage, Charles" || c[0].GetCompany() != `Difference "Engines" Ltd` || c[0].GetFields()["notes"] != "two\nlines" {
		t.Fatalf("contact %v", c)
	}
	if c[0].GetId() != "2" {
		t.Errorf("id %q, want the row number 2", c[0].GetId())
	}
	c = d.LookupNumber("100", 0)
	if len(c) != 1 || c[0].GetName() != "Ada Lovelace" || c[0].GetId() != "3" {
		t.Errorf("a line break in a name: %v", c)
	}
	for _, tc := range []struct{ name, csv, want string }{
		{"bare quote", "name,number\nAda,100\nB\"ob,200\n", "line 3: column 2: bare \" in non-quoted-field"},
		{"text after the closing quote", "name,number\n\"Ada\"x,100\n", "line 2: column 5: extraneous or missing \" in quoted-field"},
		{"unclosed quote", "name,number\nAda,100\n\"Bob,200\nCarl,300\n", "(in the row that starts on line 3)"},
	} {
		_, err := Load("crm", []byte(tc.csv))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := Load("crm", []byte("name,number\nAda,100\n\"Bob,200\nCarl,300\n")); lineOf(err) != 4 {
		t.Errorf("unclosed quote: %v, want line 4 (where the file ends)", err)
	}
}

func TestNormalizeNumber(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"100", "100"},
		{"+442079460000", "+442079460000"},
		{" +44 20 7946-0000 ", "+442079460000"},
		{"+44 (0)20 7946 0000", "+442079460000"},
		{"(020) 7946.0000", "02079460000"},
		{"089/123 45", "08912345"},
		{"0 20\u00a07946\u20130000", "02079460000"}, // no-break space, en dash
		{"+1 (555) 010-0000", "+15550100000"},
		{"ext. 12", ""},
		{"100x12", ""},
		{"1-800-FLOWERS", ""},
		{"*97", ""},
		{"100#", ""},
		{"1+2", ""},
		{"++1", ""},
		{"+", ""},
		{"() - .", ""},
		{"", ""},
		{"١٢٣", ""}, // digits, but not ASCII ones
		{strings.Repeat("1", 32), strings.Repeat("1", 32)},
		{strings.Repeat("1", 33), ""},
		{"+" + strings.Repeat("1 ", 33), ""},
		{"\xff100", ""},
	} {
		got, ok := NormalizeNumber(tc.in)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("NormalizeNumber(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
}

func TestNumbers(t *testing.T) {
	d := mustLoad(t, `name,number,numbers,number2
Ada,+44 20 7946 0000,020 7946 0000; (0800) 123;n/a;;,+44 20 7946 0000
Bob,ext. 12,,
Carl,020-7946-0000,,
`)
	if d.Numbers() != 3 || d.Warnings().InvalidNumbers != 2 {
		t.Errorf("%d numbers, warnings %+v", d.Numbers(), d.Warnings())
	}
	ada := d.LookupNumber("+442079460000", 0)
	if len(ada) != 1 { // Ada's two cells of one number: one match
		t.Fatalf("+442079460000: %v", ada)
	}
	if want := []string{"+44 20 7946 0000", "020 7946 0000", "(0800) 123", "+44 20 7946 0000"}; !slices.Equal(ada[0].GetNumbers(), want) {
		t.Errorf("numbers %q, want %q as written", ada[0].GetNumbers(), want)
	}
	if got := names(d.LookupNumber("02079460000", 0)); !slices.Equal(got, []string{"Ada", "Carl"}) {
		t.Errorf("a number of two rows: %q, want both in file order", got)
	}
	if got := names(d.LookupNumber("0800 123", 0)); !slices.Equal(got, []string{"Ada"}) {
		t.Errorf("the query is normalized too: %q", got)
	}
	// No guessing: the international and the national forms are different
	// numbers unless the file writes both.
	if got := d.LookupNumber("+448001234", 0); got != nil {
		t.Errorf("+448001234 found %v from 0800 123", names(got))
	}
	if got := d.LookupNumber("00442079460000", 0); got != nil {
		t.Errorf("00442079460000 found %v", names(got))
	}
	for _, q := range []string{"", "ext. 12", "12", "n/a"} {
		if got := d.LookupNumber(q, 0); got != nil {
			t.Errorf("LookupNumber(%q) = %v", q, names(got))
		}
	}
	if got := d.LookupNumber("02079460000", 1); !slices.Equal(names(got), []string{"Ada"}) {
		t.Errorf("limit 1: %q", names(got))
	}
}

func TestContacts(t *testing.T) {
	d := mustLoad(t, "id,name,company,number,email,notes\nC-17,Ada,Engines,100,ada@example.com,\n,Bob,,100,,\n")
	if d.Name() != "crm" || d.Source() != "csv:crm" || d.Len() != 2 {
		t.Errorf("name %q source %q len %d", d.Name(), d.Source(), d.Len())
	}
	c := d.LookupNumber("100", 0)
	if len(c) != 2 {
		t.Fatalf("%v", c)
	}
	if c[0].GetId() != "C-17" || c[0].GetSource() != "csv:crm" || c[0].GetCompany() != "Engines" || len(c[0].GetFields()) != 1 || c[0].GetFields()["email"] != "ada@example.com" {
		t.Errorf("first %v", c[0])
	}
	if c[1].GetId() != "3" || c[1].GetFields() != nil {
		t.Errorf("second %v: want the row number as id, and no empty fields", c[1])
	}
	// Fresh copies: changing one changes neither the directory nor another
	// lookup's.
	c[0].Name, c[0].Numbers[0], c[0].Fields["email"] = "Eve", "666", "eve@example.com"
	again := d.LookupNumber("100", 0)
	if again[0].GetName() != "Ada" || again[0].GetNumbers()[0] != "100" || again[0].GetFields()["email"] != "ada@example.com" {
		t.Errorf("a lookup shares memory with the directory: %v", again[0])
	}
	if n := names(d.LookupName("ad", 0)); !slices.Equal(n, []string{"Ada"}) {
		t.Errorf("LookupName: %q", n)
	}
	d = mustLoad(t, "name,company,number\n,,100\n,Engines,200\n\n,,\n")
	if d.Len() != 1 || d.Warnings().UnnamedRows != 1 || d.Numbers() != 1 {
		t.Errorf("len %d numbers %d warnings %+v: want the company-only row kept, the unnamed one skipped, the empty one silently", d.Len(), d.Numbers(), d.Warnings())
	}
	var nilDir *Directory
	if nilDir.LookupNumber("100", 0) != nil || nilDir.LookupName("a", 0) != nil {
		t.Error("a nil directory finds something")
	}
}

func TestFieldsBounded(t *testing.T) {
	var head, row []string
	for i := range 40 {
		head = append(head, fmt.Sprintf("f%02d", i))
		row = append(row, fmt.Sprintf("v%d", i))
	}
	long := strings.Repeat("é", 200) // 400 bytes
	csv := "name,number," + strings.Join(head, ",") + "\n" + long + ",100," + strings.Join(row, ",") + "\n"
	d := mustLoad(t, csv)
	c := d.LookupNumber("100", 0)[0]
	if len(c.GetFields()) != MaxFields || c.GetFields()["f31"] != "v31" || c.GetFields()["f32"] != "" {
		t.Errorf("%d fields: %v", len(c.GetFields()), c.GetFields())
	}
	if len(c.GetName()) != 256 || !utf8.ValidString(c.GetName()) {
		t.Errorf("name of %d bytes, valid %v", len(c.GetName()), utf8.ValidString(c.GetName()))
	}
	w := d.Warnings()
	if len(w.IgnoredColumns) != 8 || w.IgnoredColumns[0] != "f32" || w.CutValues != 1 {
		t.Errorf("warnings %+v", w)
	}
	if s := w.String(); !strings.Contains(s, "8 columns are ignored (f32, f33, f34, f35, f36 and 3 more)") || !strings.Contains(s, "1 value is cut") {
		t.Errorf("warnings text %q", s)
	}
	// A cut at 256 bytes falls inside a 3-byte character: back to its start.
	d = mustLoad(t, "name,number,note\nA,100,"+"xx"+strings.Repeat("€", 100)+"\n")
	if v := d.LookupNumber("100", 0)[0].GetFields()["note"]; len(v) != 254 || !utf8.ValidString(v) {
		t.Errorf("note of %d bytes", len(v))
	}
	if !mustLoad(t, "name,number\nA,100\n").Warnings().Empty() {
		t.Error("warnings for a clean file")
	}
}

func TestLimits(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("name,number\n")
	for i := range MaxRows {
		fmt.Fprintf(&b, "n,%d\n", i)
	}
	d, err := Load("crm", b.Bytes())
	if err != nil || d.Len() != MaxRows || d.Numbers() != MaxRows {
		t.Fatalf("%d rows: %v", MaxRows, err)
	}
	b.WriteString("\nlast,1\n") // the blank line is no row, but a line
	if _, err := Load("crm", b.Bytes()); lineOf(err) != MaxRows+3 || !strings.Contains(err.Error(), "more than 200000 rows") {
		t.Errorf("one row too many: %v", err)
	}

	nums := make([]string, MaxNumbers)
	for i := range nums {
		nums[i] = fmt.Sprint(100 + i)
	}
	if _, err := Load("crm", []byte("name,numbers\nA,"+strings.Join(nums, ";")+"\n")); err != nil {
		t.Errorf("16 numbers: %v", err)
	}
	if _, err := Load("crm", []byte("name,numbers,number\nA,1\nB,"+strings.Join(nums, ";")+",x\n")); lineOf(err) != 3 || !strings.Contains(err.Error(), "more than 16 numbers") {
		t.Errorf("17 numbers, one invalid: %v", err)
	}

	if _, err := Load("crm", []byte("name,number\nA,1\n\"B\",2"+strings.Repeat(",", MaxColumns)+"\n")); lineOf(err) != 3 || !strings.Contains(err.Error(), "more than 256 columns") {
		t.Errorf("too many columns: %v", err)
	}
	if _, err := Load("crm", []byte("name,number\nA,1\n\"B"+strings.Repeat(",", MaxColumns)+"\",2\n")); err != nil {
		t.Errorf("commas in a quoted value are no columns: %v", err)
	}
	if _, err := Load("crm", []byte("id,name\n"+strings.Repeat("x", 257)+",A\n")); lineOf(err) != 2 || !strings.Contains(err.Error(), "the id is longer") {
		t.Errorf("long id: %v", err)
	}
	if _, err := Load("crm", []byte("name,number\nA,1\n\nB\xe9,2\n")); lineOf(err) != 4 || !strings.Contains(err.Error(), "not valid UTF-8") {
		t.Errorf("Latin-1: %v", err)
	}

	big := bytes.Repeat([]byte("n,1\n"), MaxSize/4+1)
	if _, err := Load("crm", big); lineOf(err) != MaxSize/4+1 || !strings.Contains(err.Error(), "at most 10 MiB") {
		t.Errorf("over 10 MiB: %v", err)
	}
	if _, err := Parse("crm", bytes.NewReader(big)); lineOf(err) != MaxSize/4+1 {
		t.Errorf("Parse over 10 MiB: %v", err)
	}
	if _, err := Parse("crm", strings.NewReader("name\nAda\n")); err != nil {
		t.Errorf("Parse: %v", err)
	}
}

func TestLookupName(t *testing.T) {
	var b strings.Builder
	b.WriteString("name,company,number\n")
	b.WriteString("Ada Lovelace,Analytical Engines,1\n")
	b.WriteString("Charles Babbage,Difference Engines,2\n")
	b.WriteString("Jürgen Müller,ÄRZTEHAUS Nord,3\n")
	b.WriteString("Grace Hopper,,4\n")
	for i := range 150 {
		fmt.Fprintf(&b, "Agent %d,Call Centre,%d\n", i, 1000+i)
	}
	d := mustLoad(t, b.String())
	for _, tc := range []struct {
		query string
		limit int
		want  []string
	}{
		{"lovelace", 0, []string{"Ada Lovelace"}},
		{"ENGINES", 0, []string{"Ada Lovelace", "Charles Babbage"}},
		{" engines ", 1, []string{"Ada Lovelace"}},
		{"müller", 0, []string{"Jürgen Müller"}},
		{"ärztehaus", 0, []string{"Jürgen Müller"}},
		{"Ärzte", 0, []string{"Jürgen Müller"}},
		{"nobody", 0, nil},
		{"", 0, nil},
		{"  ", 0, nil},
	} {
		if got := names(d.LookupName(tc.query, tc.limit)); !slices.Equal(got, tc.want) {
			t.Errorf("LookupName(%q, %d) = %q, want %q", tc.query, tc.limit, got, tc.want)
		}
	}
	for _, tc := range []struct{ limit, want int }{{0, 10}, {-1, 10}, {5, 5}, {100, 100}, {1000, 100}} {
		if got := d.LookupName("agent", tc.limit); len(got) != tc.want || got[0].GetName() != "Agent 0" {
			t.Errorf("limit %d: %d contacts", tc.limit, len(got))
		}
	}
}

func TestConcurrentLookups(t *testing.T) {
	var b strings.Builder
	b.WriteString("name,number,email\n")
	for i := range 1000 {
		fmt.Fprintf(&b, "Person %d,+4420%07d,p%d@example.com\n", i, i%500, i)
	}
	d := mustLoad(t, b.String())
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				c := d.LookupNumber(fmt.Sprintf("+4420%07d", (i+g)%500), 0)
				if len(c) != 2 {
					t.Errorf("%d contacts", len(c))
					return
				}
				c[0].Name = "changed" // a caller's copy
				c[0].Fields["email"] = "x"
				if got := d.LookupName(fmt.Sprintf("person %d", i), 1); len(got) != 1 {
					t.Errorf("LookupName: %d", len(got))
					return
				}
			}
		})
	}
	wg.Wait()
	if c := d.LookupNumber("+44200000000", 0); c[0].GetName() != "Person 0" || c[0].GetFields()["email"] != "p0@example.com" {
		t.Errorf("after concurrent lookups: %v", c[0])
	}
}

// testDirectory is a directory of n rows, each with two numbers.
func testDirectory(tb testing.TB, n int) *Directory {
	var b bytes.Buffer
	b.WriteString("id,name,company,number,number2,email\n")
	for i := range n {
		fmt.Fprintf(&b, "c%d,Person %d,Company %d,+49 89 %07d,089 %07d,p%d@example.com\n", i, i, i%100, i, i, i)
	}
	d, err := Load("bench", b.Bytes())
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func BenchmarkLookupNumber(b *testing.B) {
	d := testDirectory(b, 100_000)
	queries := make([]string, 1024)
	for i := range queries {
		queries[i] = fmt.Sprintf("+4989%07d", (i*97)%100_000)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if len(d.LookupNumber(queries[i%len(queries)], 0)) != 1 {
			b.Fatal("not found")
		}
	}
}

func BenchmarkLookupNumberMiss(b *testing.B) {
	d := testDirectory(b, 100_000)
	b.ReportAllocs()
	for b.Loop() {
		if d.LookupNumber("+49 30 1234567", 0) != nil {
			b.Fatal("found")
		}
	}
}

func BenchmarkLookupName(b *testing.B) {
	d := testDirectory(b, 100_000)
	b.ReportAllocs()
	for b.Loop() {
		if len(d.LookupName("person 99999", 0)) != 1 {
			b.Fatal("not found")
		}
	}
}

func BenchmarkLoad(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("id,name,company,number,number2,email\n")
	for i := range 100_000 {
		fmt.Fprintf(&buf, "c%d,Person %d,Company %d,+49 89 %07d,089 %07d,p%d@example.com\n", i, i, i%100, i, i, i)
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load("bench", buf.Bytes()); err != nil {
			b.Fatal(err)
		}
	}
}
