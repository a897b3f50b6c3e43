package state

import "encoding/json"

// Output is a root output's recorded value.
type Output struct {
	// Value is the output's value in cty's JSON encoding. Always empty when
	// Sensitive: state never holds a sensitive value.
	Value json.RawMessage `json:"value,omitempty"`
	// Type is the value's cty type in cty's JSON type notation ("string",
	// ["list","number"]).
	Type json.RawMessage `json:"type,omitempty"`
	// Sensitive outputs are recorded without their value.
	Sensitive bool `json:"sensitive,omitempty"`
}

// scrubbed returns o without its value when it is sensitive.
func (o Output) scrubbed() Output {
	if o.Sensitive {
		o.Value = nil
	}
	return o
}
