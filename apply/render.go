package apply

import (
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// renderValue renders a value in HCL syntax for the final outputs.
func renderValue(v cty.Value) string {
	v, marks := v.UnmarkDeep()
	switch {
	case len(marks) > 0:
		return "(sensitive value)"
	case !v.IsWhollyKnown():
		return "(known after apply)"
	case v.IsNull():
		return "null"
	}
	return strings.TrimSpace(string(hclwrite.TokensForValue(v).Bytes()))
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
