package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestDirectoryBlocks(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("contacts.csv", "name,company,number\nAda,Engines,+44 20 7946 0000\n")
	write("branch.csv", "Name,Numbers\nBob,100;200\n")
	write("bad.csv", "name,number\nAda,100\nBob,\"200\n")
	write("nonames.csv", "company,number\nEngines,100\n")
	write("warn.csv", "name,number\nAda,100\nBob,ext. 12\n")
	if err := os.Mkdir(filepath.Join(dir, "folder"), 0o700); err != nil {
		t.Fatal(err)
	}
	const sites = "site \"hq\" {}\nsite \"branch\" {}\nsite \"cc\" {}\n"
	for _, tc := range []struct {
		name, blocks, wantErr, wantWarn string
	}{
		{"every site", `directory "crm" { file = "contacts.csv" }`, "", ""},
		{"some sites", `directory "crm" {
  file  = "contacts.csv"
  sites = ["hq", "cc"]
}
directory "branch" {
  file  = "branch.csv"
  sites = ["branch"]
}`, "", ""},
		{"absolute path", `directory "crm" { file = "` + filepath.Join(dir, "contacts.csv") + `" }`, "", ""},
		{"no file", `directory "crm" { sites = ["hq"] }`, `directory "crm": missing required attribute "file"`, ""},
		{"empty file", `directory "crm" { file = "" }`, `attribute "file" must not be empty`, ""},
		{"missing file", `directory "crm" { file = "missing.csv" }`, `directory "crm": cannot read file "missing.csv": no such file or directory`, ""},
		{"a folder", `directory "crm" { file = "folder" }`, `cannot read file "folder": not a regular file`, ""},
		{"a system file", `directory "crm" { file = "/proc/self/environ" }`, "in /proc, /sys or /dev", ""},
		{"bad csv", `directory "crm" { file = "bad.csv" }`, `directory "crm": file "bad.csv", line 3: column 10: extraneous or missing " in quoted-field`, ""},
		{"no name column", `directory "crm" { file = "nonames.csv" }`, `file "nonames.csv", line 1: the header has no name column`, ""},
		{"warnings", `directory "crm" { file = "warn.csv" }`, "", `directory "crm": file "warn.csv": 1 number is ignored`},
		{"unknown site", `directory "crm" {
  file  = "contacts.csv"
  sites = ["nowhere"]
}`, `"nowhere" is not a known site`, ""},
		{"unknown attribute", `directory "crm" {
  file = "contacts.csv"
  url  = "https://crm.example.com/"
}`, `directory "crm": unknown attribute "url"`, ""},
		{"twice", `directory "crm" { file = "contacts.csv" }
directory "crm" { file = "branch.csv" }`, `directory "crm" is defined twice`, ""},
		{"no label", `directory { file = "contacts.csv" }`, "directory block needs exactly one label", ""},
		{"a site twice", `directory "crm" {
  file  = "contacts.csv"
  sites = ["hq", "cc"]
}
directory "branch" {
  file  = "branch.csv"
  sites = ["branch", "cc"]
}`, `directory "branch" and directory "crm" (` + filepath.Join(dir, "config.hcl") + `:4) both serve site "cc"`, ""},
		{"every site and one", `directory "crm" { file = "contacts.csv" }
directory "branch" {
  file  = "branch.csv"
  sites = ["branch"]
}`, `directory "branch" and directory "crm"`, ""},
		{"one and every site", `directory "branch" {
  file  = "branch.csv"
  sites = ["branch"]
}
directory "crm" { file = "contacts.csv" }`, `directory "crm" and directory "branch" (` + filepath.Join(dir, "config.hcl") + `:4) both serve site "branch"`, ""},
		{"every site twice", `directory "crm" { file = "contacts.csv" }
directory "all" { file = "branch.csv" }`, `directory "all" and directory "crm" (` + filepath.Join(dir, "config.hcl") + `:4) both serve every site`, ""},
	} {
		cfg, diags := Parse([]byte(sites+tc.blocks+"\n"), filepath.Join(dir, "config.hcl"))
		if tc.wantErr != "" {
			if !strings.Contains(diags.Error(), tc.wantErr) || !diags.HasErrors() {
				t.Errorf("%s: diagnostics %q, want %q", tc.name, diags.Error(), tc.wantErr)
			}
			continue
		}
		if diags.HasErrors() {
			t.Errorf("%s: %v", tc.name, diags)
			continue
		}
		if tc.wantWarn != "" && !strings.Contains(diags.Error(), tc.wantWarn) {
			t.Errorf("%s: diagnostics %q, want the warning %q", tc.name, diags.Error(), tc.wantWarn)
		}
		if tc.wantWarn == "" && len(diags) > 0 {
			t.Errorf("%s: diagnostics %v", tc.name, diags)
		}
		if len(cfg.Directories) == 0 {
			t.Errorf("%s: no directories", tc.name)
			continue
		}
		for _, d := range cfg.Directories {
			if !filepath.IsAbs(d.File) || d.Contacts() == nil || d.Contacts().Name() != d.Name || d.Range.Start.Line < 4 {
				t.Errorf("%s: %+v", tc.name, d)
			}
		}
	}
}

func TestDirectoryDecoded(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data", "contacts.csv"), []byte("name,number\nAda,+44 20 7946 0000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	src := `site "hq" {}
site "cc" {}
directory "crm" {
  file  = "data/contacts.csv"
  sites = ["cc", "hq", "cc"]
}
`
	cfg, diags := Parse([]byte(src), filepath.Join(dir, "config.hcl"))
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	d := cfg.Directories[0]
	if d.Name != "crm" || d.File != filepath.Join(dir, "data", "contacts.csv") || !slices.Equal(d.Sites, []string{"cc", "hq"}) || d.Range.Start.Line != 3 {
		t.Errorf("%+v", d)
	}
	if !d.Serves("hq") || d.Serves("branch") {
		t.Error("Serves")
	}
	c := d.Contacts().LookupNumber("+442079460000", 0)
	if len(c) != 1 || c[0].GetName() != "Ada" || c[0].GetSource() != "csv:crm" {
		t.Errorf("lookup: %v", c)
	}
	all := &Directory{Sites: []string{"*"}}
	if !all.Serves("anything") {
		t.Error(`"*" serves no site`)
	}
	if b, err := ReadDirectoryFile(d.File); err != nil || !strings.HasPrefix(string(b), "name,number") {
		t.Errorf("ReadDirectoryFile: %q, %v", b, err)
	}
	if _, err := ReadDirectoryFile(dir); err == nil {
		t.Error("ReadDirectoryFile reads a folder")
	}
}
