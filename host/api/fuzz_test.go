package api

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/ctihost/ctihost/host/auth"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// FuzzRequestValidation feeds the host's request checks what any caller
// can send: a device reference, a site and an authorization header. Each
// must answer a gRPC status with a short, valid UTF-8 message that never
// repeats the token, admit only the right token, and never panic.
func FuzzRequestValidation(f *testing.F) {
	const token = "fuzz-Token-0123456789"
	for _, seed := range []struct{ ref, site, header string }{
		{"hq/reception", "hq", "Bearer " + token},
		{"hq/", "", "bearer " + token},
		{"/desk", "branch", "Basic dXNlcjpwYXNz"},
		{"hq/desk/extra", "hq\x00", "Bearer"},
		{strings.Repeat("x", 600) + "/d", "*", "Bearer  " + token + " "},
		{"\xff\xfe/\xff", "\xff", "Bearer \xff" + token},
		{"hq/reception", "hq", ""},
	} {
		f.Add(seed.ref, seed.site, seed.header)
	}
	r := NewRouter(nil)
	hq := &auth.Client{Name: "hq", Sites: []string{"hq"}, Scopes: []auth.Scope{auth.ScopeEvents}}
	g := NewGuard(auth.NewClients([]*auth.Client{{Name: "fuzz", TokenSHA256: auth.HashToken(token), HasToken: true, Sites: []string{auth.AllSites}, Scopes: auth.Scopes}}), hclog.NewNullLogger())
	f.Fuzz(func(t *testing.T, ref, site, header string) {
		check := func(what string, err error) {
			if err == nil {
				return
			}
			st, ok := status.FromError(err)
			if !ok {
				t.Fatalf("%s: not a status: %v", what, err)
			}
			if len(st.Message()) > 1024 || !utf8.ValidString(st.Message()) {
				t.Fatalf("%s: message of %d bytes, valid UTF-8 %v", what, len(st.Message()), utf8.ValidString(st.Message()))
			}
			if strings.Contains(st.Message(), token) {
				t.Fatalf("%s: the message repeats the token", what)
			}
		}
		ctx := auth.NewContext(context.Background(), hq)
		_, err := r.Resolve(ctx, ref)
		if err == nil {
			t.Fatalf("Resolve(%q) found a route in an empty router", ref)
		}
		check("Resolve", err)
		check("CheckSites", r.CheckSites(ctx, []string{site}))

		md := metadata.Pairs("authorization", header)
		c, err := g.admit(metadata.NewIncomingContext(context.Background(), md), "/cti.v1.Host/Dial")
		check("admit", err)
		fields := strings.Fields(header)
		wellFormed := len(fields) == 2 && strings.EqualFold(fields[0], "bearer") && strings.HasPrefix(header, fields[0]+" ")
		if admitted := err == nil; admitted != (wellFormed && fields[1] == token) {
			t.Fatalf("header %q: admitted %v (%v)", header, admitted, err)
		}
		if err == nil && c.Name != "fuzz" {
			t.Fatalf("admitted as %q", c.Name)
		}
		if err != nil && status.Code(err) != codes.Unauthenticated {
			t.Fatalf("header %q: %v, want Unauthenticated", header, err)
		}
		_ = target(&ctiv1.SwapPluginRequest{Driver: ref, Binary: header, Sites: []string{site}})
	})
}
