package awslambda

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
)

//go:embed prices.json
var pricesJSON []byte

// priceTable is Lambda's price list, per region and architecture.
type priceTable struct {
	Date          string                  `json:"date"`
	Source        string                  `json:"source"`
	DefaultRegion string                  `json:"default_region"`
	Regions       map[string]regionPrices `json:"regions"`
}

// regionPrices are USD per GB-second of each architecture and per request.
type regionPrices struct {
	X86     float64 `json:"x86_64"`
	ARM     float64 `json:"arm64"`
	Request float64 `json:"request"`
}

func loadPrices() (priceTable, error) {
	var t priceTable
	if err := json.Unmarshal(pricesJSON, &t); err != nil {
		return t, fmt.Errorf("embedded price table: %w", err)
	}
	if _, ok := t.Regions[t.DefaultRegion]; !ok {
		return t, fmt.Errorf("embedded price table: no prices for its default region %s", t.DefaultRegion)
	}
	return t, nil
}

// estimate is a function's cost, as the plan shows it.
type estimate struct {
	PerSecond  float64 // one second of one invocation
	PerRequest float64
	MaxPerTask float64 // an invocation that runs the whole timeout
	Basis      string
}

// estimateCost prices a function of memory MB and architecture in region
// whose invocations may run up to timeout seconds. Lambda costs nothing
// while idle: the figures are per second of work and per invocation.
func (t priceTable) estimateCost(region, arch string, memoryMB, timeoutS int64) estimate {
	p, ok := t.Regions[region]
	where := region
	if !ok {
		p = t.Regions[t.DefaultRegion]
		where = fmt.Sprintf("%s prices, none listed for %s", t.DefaultRegion, region)
	}
	gbs := p.X86
	if arch == "arm64" {
		gbs = p.ARM
	}
	gb := float64(memoryMB) / 1024
	e := estimate{PerSecond: gb * gbs, PerRequest: p.Request}
	e.MaxPerTask = e.PerSecond*float64(timeoutS) + e.PerRequest
	e.Basis = fmt.Sprintf("nothing while idle; per second a task runs $%s (%.3g GB × $%.10g per GB-second, %s), plus $%s per invocation; at most $%s for an invocation that runs the whole %ds timeout; %s list prices of %s, an estimate, not a bill",
		money(e.PerSecond), gb, gbs, arch, money(e.PerRequest), money(e.MaxPerTask), timeoutS, where, t.Date)
	return e
}

// money prints a small amount with three significant digits.
func money(v float64) string {
	if v == 0 {
		return "0"
	}
	digits := max(2, 3-int(math.Floor(math.Log10(v)))-1)
	return fmt.Sprintf("%.*f", digits, v)
}
