// Command gen regenerates the Go code of proto/cti/v1 without protoc.
//
// It compiles the .proto files with bufbuild/protocompile (a pure-Go protobuf
// compiler), hands the result to protoc-gen-go and protoc-gen-go-grpc exactly
// as protoc would (a CodeGeneratorRequest on stdin), and writes their output
// beside the .proto files. With -gateway it also runs protoc-gen-grpc-gateway
// and protoc-gen-openapiv2 on the HTTP rules of cti/v1/http.yaml and writes
// the HTTP/JSON gateway and its OpenAPI document into that folder, as
// package gateway. Every plugin is pinned as a tool in go.mod and run with
// `go tool`, so `make proto` needs nothing but Go.
//
// Usage: go run ./proto/gen [-root proto] [-out proto] [-gateway host/gateway]
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

// gatewayPlugins make the HTTP/JSON gateway of the services that
// httpRules binds: standalone (in a package of its own, so that drivers
// and the SDK, which import cti.v1, never link the gateway), and one
// merged OpenAPI document. %s is the rules file.
var gatewayPlugins = []struct{ tool, param string }{
	{"protoc-gen-grpc-gateway", "paths=source_relative,standalone=true,grpc_api_configuration=%s"},
	{"protoc-gen-openapiv2", "grpc_api_configuration=%s,allow_merge=true,merge_file_name=ctihost,output_format=json"},
}

// httpRules is the gRPC API Configuration file of cti.v1, under -root.
const httpRules = "cti/v1/http.yaml"

// gatewayPackage is the package the gateway's files get.
const gatewayPackage = "gateway"

func main() {
	root := flag.String("root", "proto", "directory the .proto import paths are relative to")
	out := flag.String("out", "proto", "directory to write generated files to")
	gateway := flag.String("gateway", "", "directory to write the HTTP/JSON gateway and its OpenAPI document to (none if empty)")
	flag.Parse()
	if err := Generate(context.Background(), *root, *out, *gateway); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// Generate compiles every .proto file under root and writes the generated Go
// files under out, keeping the relative paths, and, if gateway is not empty,
// the HTTP/JSON gateway's files flat into gateway.
func Generate(ctx context.Context, root, out, gateway string) error {
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
		if err := runPlugin(ctx, p.tool, req, out, false); err != nil {
			return err
		}
	}
	if gateway == "" {
		return nil
	}
	rules, err := filepath.Abs(filepath.Join(root, filepath.FromSlash(httpRules)))
	if err != nil {
		return err
	}
	for _, p := range gatewayPlugins {
		req.Parameter = proto.String(fmt.Sprintf(p.param, rules))
		if err := runPlugin(ctx, p.tool, req, gateway, true); err != nil {
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

// runPlugin runs one protoc plugin through `go tool` and writes its files;
// flat writes them into out itself, Go files as package gatewayPackage.
func runPlugin(ctx context.Context, tool string, req *pluginpb.CodeGeneratorRequest, out string, flat bool) error {
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
		path, content := filepath.Join(out, filepath.FromSlash(f.GetName())), f.GetContent()
		if flat {
			path = filepath.Join(out, filepath.Base(f.GetName()))
			content = renamePackage(content)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// renamePackage gives a standalone gateway file the package gatewayPackage:
// protoc-gen-grpc-gateway names it after the services' package (ctiv1),
// which would clash with the package it imports.
func renamePackage(content string) string {
	if !strings.Contains(content, "\npackage ctiv1\n") {
		return content // not Go, or already named
	}
	content = strings.Replace(content, "\npackage ctiv1\n", "\npackage "+gatewayPackage+"\n", 1)
	return strings.Replace(content, "Package ctiv1 is a reverse proxy.", "Package "+gatewayPackage+" is a reverse proxy.", 1)
}
