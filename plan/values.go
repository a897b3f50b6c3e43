package plan

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"lithops/providers"
)

// DecodeAttrs reads recorded attributes with a schema. Attributes the record
// lacks (added to the schema since, or scrubbed because sensitive) are null;
// attributes the schema no longer has are dropped.
func DecodeAttrs(raw json.RawMessage, schema providers.Schema) (cty.Value, error) {
	var m map[string]json.RawMessage
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			return cty.NilVal, fmt.Errorf("recorded attributes are not a JSON object: %w", err)
		}
	}
	attrs := make(map[string]cty.Value, len(schema.Attributes))
	for name, a := range schema.Attributes {
		b, ok := m[name]
		if !ok || string(b) == "null" {
			attrs[name] = cty.NullVal(a.Type)
			continue
		}
		v, err := ctyjson.Unmarshal(b, a.Type)
		if err != nil {
			return cty.NilVal, fmt.Errorf("recorded attribute %s: %w", name, err)
		}
		attrs[name] = v
	}
	return cty.ObjectVal(attrs), nil
}

// EncodeAttrs writes attributes for the state, leaving out sensitive ones.
func EncodeAttrs(v cty.Value, schema providers.Schema) (json.RawMessage, error) {
	v, _ = v.UnmarkDeep()
	if v.IsNull() {
		return json.RawMessage("{}"), nil
	}
	out := map[string]json.RawMessage{}
	for name, a := range schema.Attributes {
		if a.Sensitive || !v.Type().HasAttribute(name) {
			continue
		}
		av := v.GetAttr(name)
		if av.IsNull() {
			continue
		}
		if !av.IsWhollyKnown() {
			return nil, fmt.Errorf("attribute %s is not known", name)
		}
		b, err := ctyjson.Marshal(av, a.Type)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", name, err)
		}
		out[name] = b
	}
	return json.Marshal(out)
}

// conform returns an object with exactly the schema's attributes: those of v
// converted, the others null.
func conform(v cty.Value, schema providers.Schema) cty.Value {
	attrs := make(map[string]cty.Value, len(schema.Attributes))
	for name, a := range schema.Attributes {
		av := cty.NullVal(a.Type)
		if !v.IsNull() && v.Type().IsObjectType() && v.Type().HasAttribute(name) {
			av = v.GetAttr(name)
		}
		attrs[name] = av
	}
	return cty.ObjectVal(attrs)
}

// attrNames returns the schema's attribute names, sorted.
func attrNames(schema providers.Schema) []string {
	names := make([]string, 0, len(schema.Attributes))
	for n := range schema.Attributes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// equalValues compares two values ignoring marks; unknowns are unequal.
func equalValues(a, b cty.Value) bool {
	a, _ = a.UnmarkDeep()
	b, _ = b.UnmarkDeep()
	if !a.IsWhollyKnown() || !b.IsWhollyKnown() {
		return false
	}
	if a.IsNull() || b.IsNull() {
		return a.IsNull() && b.IsNull()
	}
	eq := a.Equals(b)
	return eq.IsKnown() && eq.True()
}
