package state

import (
	"encoding/json"
	"fmt"
)

// ScrubAttributes returns attrs, a JSON object of resource attributes, with
// the attributes named in sensitive set to null, so that their values never
// reach the state file or the journal. The engine passes the names its
// provider schema marks Sensitive; on the next plan a null sensitive
// attribute means "not recorded", not "changed". Names absent from attrs are
// ignored. When nothing is scrubbed attrs is returned as is; otherwise the
// object is re-encoded with its keys sorted.
func ScrubAttributes(attrs json.RawMessage, sensitive []string) (json.RawMessage, error) {
	if len(sensitive) == 0 {
		return attrs, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(attrs, &obj); err != nil {
		return nil, fmt.Errorf("scrub attributes: %w", err)
	}
	if obj == nil {
		return nil, fmt.Errorf("scrub attributes: not a JSON object")
	}
	changed := false
	for _, name := range sensitive {
		if v, ok := obj[name]; ok && string(v) != "null" {
			obj[name] = json.RawMessage("null")
			changed = true
		}
	}
	if !changed {
		return attrs, nil
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("scrub attributes: %w", err)
	}
	return out, nil
}
