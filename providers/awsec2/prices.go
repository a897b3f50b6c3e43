package awsec2

import (
	"context"
	_ "embed"
	"fmt"
	"strconv"
	"strings"

	"lithops/providers"
)

// pricesCSV is the embedded price table: a dated list of on-demand prices.
//
//go:embed prices.csv
var pricesCSV string

// PriceTable is a dated table of hourly on-demand prices by region and
// instance type.
type PriceTable struct {
	// Date is when the prices were taken ("2025-06-01").
	Date   string
	prices map[[2]string]float64
}

// Prices returns the embedded price table.
func Prices() PriceTable {
	t, err := parsePrices(pricesCSV)
	if err != nil {
		// The table is part of the source and tested; a broken one is a
		// build defect.
		panic(err)
	}
	return t
}

func parsePrices(text string) (PriceTable, error) {
	t := PriceTable{prices: map[[2]string]float64{}}
	header := false
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if d, ok := strings.CutPrefix(line, "# date:"); ok {
			t.Date = strings.TrimSpace(d)
			continue
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !header {
			if line != "region,instance_type,usd_per_hour" {
				return t, fmt.Errorf("prices.csv:%d: header is %q", n+1, line)
			}
			header = true
			continue
		}
		f := strings.Split(line, ",")
		if len(f) != 3 {
			return t, fmt.Errorf("prices.csv:%d: want 3 fields, got %d", n+1, len(f))
		}
		usd, err := strconv.ParseFloat(f[2], 64)
		if err != nil || usd <= 0 {
			return t, fmt.Errorf("prices.csv:%d: bad price %q", n+1, f[2])
		}
		k := [2]string{f[0], f[1]}
		if _, dup := t.prices[k]; dup {
			return t, fmt.Errorf("prices.csv:%d: %s %s listed twice", n+1, f[0], f[1])
		}
		t.prices[k] = usd
	}
	if t.Date == "" {
		return t, fmt.Errorf("prices.csv: no date")
	}
	return t, nil
}

// OnDemand is the hourly on-demand price of a type in a region.
func (t PriceTable) OnDemand(region, instanceType string) (float64, bool) {
	p, ok := t.prices[[2]string{region, instanceType}]
	return p, ok
}

// Estimate implements providers.Estimator: the instance's on-demand list
// price, an upper bound for a spot instance.
func (r *instance) Estimate(_ context.Context, req providers.EstimateRequest) (providers.EstimateResponse, error) {
	a := attrsOf(req.Planned)
	return estimate(Prices(), a.str("region"), a.str("instance_type"), a.boolean("spot")), nil
}

func estimate(t PriceTable, region, typ string, spot bool) providers.EstimateResponse {
	p, ok := t.OnDemand(region, typ)
	switch {
	case !ok:
		return providers.EstimateResponse{Basis: fmt.Sprintf("no price for %s in %s in lithops' price table of %s", typ, region, t.Date)}
	case spot:
		return providers.EstimateResponse{Hourly: p, Basis: fmt.Sprintf("%s spot in %s: at most the on-demand list price of %s; spot prices vary", typ, region, t.Date)}
	}
	return providers.EstimateResponse{Hourly: p, Basis: fmt.Sprintf("%s on-demand Linux in %s, list price of %s", typ, region, t.Date)}
}
