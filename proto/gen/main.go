// Command gen regenerates the Go code of proto/cti/v1 without protoc.
//
// It compiles the .proto files with bufbuild/protocompile (a pure-Go protobuf
// compiler), hands the result to protoc-gen-go and protoc-gen-go-grpc exactly
// as protoc would (a CodeGeneratorRequest on stdin), and writes their output
// beside the .proto files. Both plugins are pinned as tools in go.mod and run
// with `go tool`, so `make proto` needs nothing but Go.
//
// Usage: go run ./proto/gen [-root proto] [-out proto]
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/linker"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/pluginpb"
)

// plugins are the code generators run, in order, with their parameters.
var plugins = []struct{ tool, param string }{
	{"protoc-gen-go", "paths=source_relative"},
	{"protoc-gen-go-grpc", "paths=source_relative"},
}

func main() {
	root := flag.String("root", "proto", "directory the .proto import paths are relative to")
	out := flag.String("out", "proto", "directory to write generated files to")
	flag.Parse()
	if err := Generate(context.Background(), *root, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// Generate compiles every .proto file under root and writes the generated Go
// files under out, keeping the relative paths.
func Generate(ctx context.Context, root, out string) error {
	names, err := protoFiles(root)
	if err != nil {
		return err
	}
	compiler := protocompile.Compiler{
		Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{
			ImportPaths: []string{root},
		}),
		SourceInfoMode: protocompile.SourceInfoStandard,
	}
	files, err := compiler.Compile(ctx, names...)
	if err != nil {
		return fmt.Errorf("compile: %w", err)
	}
	req := &pluginpb.CodeGeneratorRequest{FileToGenerate: names}
	for _, fd := range dependencyOrder(files) {
		req.ProtoFile = append(req.ProtoFile, protodesc.ToFileDescriptorProto(fd))
	}
	for _, p := range plugins {
		req.Parameter = proto.String(p.param)
		if err := runPlugin(ctx, p.tool, req, out); err != nil {
			return err
		}
	}
	return nil
}

// protoFiles lists the .proto files under root, relative to it, sorted.
func protoFiles(root string) ([]string, error) {
	var names []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".proto") {
			return err
		}
		rel, err := filepath.Rel(root, path)
		names = append(names, filepath.ToSlash(rel))
		return err
	})
	sort.Strings(names)
	if err == nil && len(names) == 0 {
		err = fmt.Errorf("no .proto files under %s", root)
	}
	return names, err
}

// dependencyOrder lists the compiled files and all their imports so that
// every file comes after the files it imports, as CodeGeneratorRequest needs.
func dependencyOrder(files linker.Files) []protoreflect.FileDescriptor {
	var ordered []protoreflect.FileDescriptor
	seen := map[string]bool{}
	var visit func(fd protoreflect.FileDescriptor)
	visit = func(fd protoreflect.FileDescriptor) {
		if seen[fd.Path()] {
			return
		}
		seen[fd.Path()] = true
		imports := fd.Imports()
		for i := 0; i < imports.Len(); i++ {
			visit(imports.Get(i).FileDescriptor)
		}
		ordered = append(ordered, fd)
	}
	for _, f := range files {
		visit(f)
	}
	return ordered
}

// runPlugin runs one protoc plugin through `go tool` and writes its files.
func runPlugin(ctx context.Context, tool string, req *pluginpb.CodeGeneratorRequest, out string) error {
	in, err := proto.Marshal(req)
	if err != nil {
		return err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "go", "tool", tool)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(in), &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", tool, err, stderr.String())
	}
	var resp pluginpb.CodeGeneratorResponse
	if err := proto.Unmarshal(stdout.Bytes(), &resp); err != nil {
		return fmt.Errorf("%s: bad response: %w", tool, err)
	}
	if resp.Error != nil {
		return fmt.Errorf("%s: %s", tool, resp.GetError())
	}
	for _, f := range resp.File {
		path := filepath.Join(out, filepath.FromSlash(f.GetName()))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(f.GetContent()), 0o644); err != nil {
			return err
		}
	}
	return nil
}
