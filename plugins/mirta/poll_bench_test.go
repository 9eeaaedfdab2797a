package mirta

import (
	"context"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/ctihost/ctihost/plugins/mirta/mirtasim"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// BenchmarkPoll measures one poll of a 1,000-extension tenant with 100
// calls up, client parsing and diff included (the simulator's share is
// in the same process).
func BenchmarkPoll(b *testing.B) {
	spec := mirtasim.TenantSpec{Code: "BENCH", Key: "bench-key"}
	for k := range 1000 {
		spec.Extensions = append(spec.Extensions, mirtasim.ExtensionSpec{Number: strconv.Itoa(1000 + k)})
	}
	pbx, err := mirtasim.New(mirtasim.Options{FarAnswerAfter: -1, Tenants: []mirtasim.TenantSpec{spec}})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(pbx)
	defer srv.Close()
	for k := range 100 {
		if _, err := pbx.RingIn("BENCH", "0163296"+strconv.Itoa(1000+k), strconv.Itoa(1000+k*3)); err != nil {
			b.Fatal(err)
		}
	}
	cc, err := parseConnection(&ctiv1.ConnectionConfig{Name: "pbx", Settings: map[string]string{"url": srv.URL, "tenant": "BENCH", "key": "bench-key"}})
	if err != nil {
		b.Fatal(err)
	}
	api, err := newAPIClient(cc)
	if err != nil {
		b.Fatal(err)
	}
	tn := newTenant(cc, api, map[string]string{}, hclog.NewNullLogger(), func(*ctiv1.Event) {})
	ctx := context.Background()
	if err := tn.discover(ctx); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := tn.pollOnce(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
