package state

import "encoding/json"

// Status is the condition of a recorded resource.
type Status string

const (
	// StatusReady: the resource was created (or updated) completely.
	StatusReady Status = "ready"
	// StatusTainted: creation failed half-way; the resource exists in some
	// form and the next plan replaces it.
	StatusTainted Status = "tainted"
)

// Resource is one created resource.
type Resource struct {
	// Addr is the resource's address: "storage.data",
	// `executor.lab.bootstrap["10.0.0.5"]`.
	Addr string `json:"addr"`
	// Type is the resource type: "s3_bucket", "vm_bootstrap".
	Type string `json:"type"`
	// Block is the address of the configuration block that declared it:
	// "executor.lab".
	Block string `json:"block"`
	// Status is StatusReady or StatusTainted; empty is written as ready.
	Status Status `json:"status"`
	// Attributes is a JSON object of the resource's attributes as the
	// provider's schema types them (cty's JSON encoding). Sensitive
	// attributes are null (see ScrubAttributes).
	Attributes json.RawMessage `json:"attributes"`
	// Dependencies are the addresses of the resources this one was created
	// from; deletes run in the reverse order. Written sorted.
	Dependencies []string `json:"dependencies,omitempty"`
}
