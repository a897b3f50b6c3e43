package awsec2

import (
	"sort"

	"github.com/zclconf/go-cty/cty"
)

// attrs reads and builds the cty objects resources are recorded as.
type attrs map[string]cty.Value

func attrsOf(v cty.Value) attrs {
	if v == cty.NilVal || v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() {
		return attrs{}
	}
	return attrs(v.AsValueMap())
}

// str is a string attribute, "" when null, unknown or absent.
func (a attrs) str(name string) string {
	v, ok := a[name]
	if !ok || v.IsNull() || !v.IsKnown() || v.Type() != cty.String {
		return ""
	}
	return v.AsString()
}

func (a attrs) boolean(name string) bool {
	v, ok := a[name]
	if !ok || v.IsNull() || !v.IsKnown() || v.Type() != cty.Bool {
		return false
	}
	return v.True()
}

func (a attrs) number(name string) int {
	v, ok := a[name]
	if !ok || v.IsNull() || !v.IsKnown() || v.Type() != cty.Number {
		return 0
	}
	n, _ := v.AsBigFloat().Int64()
	return int(n)
}

func (a attrs) strings(name string) []string {
	v, ok := a[name]
	if !ok || v.IsNull() || !v.IsWhollyKnown() || !(v.Type().IsListType() || v.Type().IsSetType()) {
		return nil
	}
	var out []string
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if !e.IsNull() {
			out = append(out, e.AsString())
		}
	}
	return out
}

func (a attrs) where(profile string) where {
	return where{region: a.str("region"), endpoint: a.str("endpoint"), profile: profile}
}

// object builds an object of schema's type from a; attributes not set are
// null.
func (a attrs) object(types map[string]cty.Type) cty.Value {
	out := make(map[string]cty.Value, len(types))
	for name, t := range types {
		if v, ok := a[name]; ok && v != cty.NilVal {
			out[name] = v
		} else {
			out[name] = cty.NullVal(t)
		}
	}
	return cty.ObjectVal(out)
}

// optString is s, or a null string when s is empty.
func optString(s string) cty.Value {
	if s == "" {
		return cty.NullVal(cty.String)
	}
	return cty.StringVal(s)
}

// stringList is a list of strings, sorted; an empty list when none.
func stringList(ss []string) cty.Value {
	if len(ss) == 0 {
		return cty.ListValEmpty(cty.String)
	}
	sorted := append([]string(nil), ss...)
	sort.Strings(sorted)
	vals := make([]cty.Value, len(sorted))
	for i, s := range sorted {
		vals[i] = cty.StringVal(s)
	}
	return cty.ListVal(vals)
}
