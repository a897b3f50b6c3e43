package bucketres

import (
	"github.com/zclconf/go-cty/cty"
)

// String returns attribute name of an object value, "" when absent, null or
// unknown.
func String(v cty.Value, name string) string {
	a, ok := attr(v, name)
	if !ok || !a.Type().Equals(cty.String) {
		return ""
	}
	return a.AsString()
}

// Bool returns attribute name of an object value, false when absent, null
// or unknown.
func Bool(v cty.Value, name string) bool {
	a, ok := attr(v, name)
	if !ok || !a.Type().Equals(cty.Bool) {
		return false
	}
	return a.True()
}

// Known reports whether attribute name is set to a known value.
func Known(v cty.Value, name string) bool {
	_, ok := attr(v, name)
	return ok
}

// Unknown reports whether attribute name is set but not yet known (it
// depends on something computed at apply time): checks skip it.
func Unknown(v cty.Value, name string) bool {
	if v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() || !v.Type().HasAttribute(name) {
		return false
	}
	return !v.GetAttr(name).IsKnown()
}

func attr(v cty.Value, name string) (cty.Value, bool) {
	if v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() || !v.Type().HasAttribute(name) {
		return cty.NilVal, false
	}
	a := v.GetAttr(name)
	if a.IsNull() || !a.IsKnown() {
		return cty.NilVal, false
	}
	return a, true
}
