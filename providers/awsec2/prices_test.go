package awsec2

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"lithops/internal/fakeec2"
	"lithops/providers"
)

// The embedded table parses, is dated, and prices every instance type the
// EC2 fake offers in us-east-1 (the tests' fleets get estimates).
func TestPriceTable(t *testing.T) {
	p, err := parsePrices(pricesCSV)
	if err != nil {
		t.Fatal(err)
	}
	if p.Date != "2025-06-01" {
		t.Errorf("table dated %q", p.Date)
	}
	for _, typ := range fakeec2.DefaultInstanceTypes() {
		if _, ok := p.OnDemand("us-east-1", typ.Name); !ok {
			t.Errorf("no us-east-1 price for %s", typ.Name)
		}
	}
	// Within a family, a size up costs twice as much: a cheap check on
	// transcription slips.
	for k, price := range p.prices {
		region, typ := k[0], k[1]
		family, size, _ := strings.Cut(typ, ".")
		next := map[string]string{"large": "xlarge", "xlarge": "2xlarge", "2xlarge": "4xlarge", "micro": "small", "small": "medium", "medium": "large", "nano": "micro"}[size]
		if bigger, ok := p.OnDemand(region, family+"."+next); ok && next != "" {
			if r := bigger / price; r < 1.99 || r > 2.01 {
				t.Errorf("%s: %s costs %g, %s.%s %g: not twice", region, typ, price, family, next, bigger)
			}
		}
	}
}

func TestBadPriceTables(t *testing.T) {
	for _, tt := range []struct{ text, want string }{
		{"region,instance_type,usd_per_hour\nus-east-1,t3.micro,0.01\n", "no date"},
		{"# date: 2025-06-01\nregion,type,price\n", "header"},
		{"# date: 2025-06-01\nregion,instance_type,usd_per_hour\nus-east-1,t3.micro\n", "want 3 fields"},
		{"# date: 2025-06-01\nregion,instance_type,usd_per_hour\nus-east-1,t3.micro,free\n", "bad price"},
		{"# date: 2025-06-01\nregion,instance_type,usd_per_hour\nus-east-1,t3.micro,0.01\nus-east-1,t3.micro,0.02\n", "twice"},
	} {
		if _, err := parsePrices(tt.text); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v, want an error about %s", tt.text, err, tt.want)
		}
	}
}

func TestEstimate(t *testing.T) {
	p := Prices()
	tests := []struct {
		region, typ string
		spot        bool
		want        providers.EstimateResponse
	}{
		{"us-east-1", "c7i.large", false, providers.EstimateResponse{Hourly: 0.08925, Basis: "c7i.large on-demand Linux in us-east-1, list price of 2025-06-01"}},
		{"eu-west-1", "m6i.large", true, providers.EstimateResponse{Hourly: 0.107, Basis: "m6i.large spot in eu-west-1: at most the on-demand list price of 2025-06-01; spot prices vary"}},
		{"ap-south-2", "t3.micro", false, providers.EstimateResponse{Basis: "no price for t3.micro in ap-south-2 in lithops' price table of 2025-06-01"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, estimate(p, tt.region, tt.typ, tt.spot)); diff != "" {
			t.Errorf("wrong estimate for %s %s (-want +got):\n%s", tt.region, tt.typ, diff)
		}
	}
}
