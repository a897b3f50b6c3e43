package providers

import (
	"context"

	"github.com/zclconf/go-cty/cty"
)

// Resource is one resource type: a bucket, a deployed function, a VM, a
// worker bootstrap on an SSH host.
//
// Values passed in and out are cty objects whose attributes are those of
// Schema. Create and Update that fail half-way return, together with the
// error, the state of whatever they did create (a non-null State), so that
// it is recorded and nothing leaks.
type Resource interface {
	// Type is the resource type's name: "localhost_directory",
	// "vm_bootstrap", "aws_lambda_function".
	Type() string
	Schema() Schema
	// Read refreshes a recorded resource. Gone reports that it no longer
	// exists (deleted outside lithops): the plan then re-creates it.
	Read(ctx context.Context, req ReadRequest) (ReadResponse, error)
	Create(ctx context.Context, req CreateRequest) (CreateResponse, error)
	// Delete removes the resource; a resource already gone is not an error.
	Delete(ctx context.Context, req DeleteRequest) (DeleteResponse, error)
}

// Updater is implemented by resource types that can change attributes in
// place. For the others, any change to a configured attribute replaces the
// resource; attributes marked ForceNew always do.
type Updater interface {
	Update(ctx context.Context, req UpdateRequest) (UpdateResponse, error)
}

// Estimator is implemented by resource types with a running cost.
type Estimator interface {
	Estimate(ctx context.Context, req EstimateRequest) (EstimateResponse, error)
}

// Schema describes a resource type's attributes.
type Schema struct {
	Attributes map[string]Attribute
}

// Attribute describes one attribute of a resource.
type Attribute struct {
	Type cty.Type
	// Computed attributes are set by the provider (ids, addresses); the plan
	// shows them as (known after apply) until created.
	Computed bool
	// ForceNew: changing it replaces the resource, and the plan says so.
	ForceNew bool
	// Sensitive values are shown as (sensitive value) and never written to
	// state.
	Sensitive   bool
	Description string
}

// ObjectType is the cty object type of the schema's attributes.
func (s Schema) ObjectType() cty.Type {
	attrs := make(map[string]cty.Type, len(s.Attributes))
	for name, a := range s.Attributes {
		attrs[name] = a.Type
	}
	return cty.Object(attrs)
}

// ReadRequest asks for the current state of a recorded resource.
type ReadRequest struct {
	Addr  string
	State cty.Value
}

// ReadResponse carries the refreshed state.
type ReadResponse struct {
	State cty.Value
	Gone  bool
}

// CreateRequest carries the planned value: configured attributes are known,
// computed ones unknown.
type CreateRequest struct {
	Addr    string
	Planned cty.Value
	// Uses holds the current state of the resources the desired resource
	// names in Uses, by Name within its block.
	Uses map[string]cty.Value
}

// CreateResponse carries the new state: every attribute known.
type CreateResponse struct {
	State cty.Value
}

// UpdateRequest carries the prior state and the planned value.
type UpdateRequest struct {
	Addr    string
	Prior   cty.Value
	Planned cty.Value
	// Uses is as in CreateRequest.
	Uses map[string]cty.Value
}

// UpdateResponse carries the new state.
type UpdateResponse struct {
	State cty.Value
}

// DeleteRequest carries the recorded state of the resource to remove.
type DeleteRequest struct {
	Addr  string
	State cty.Value
}

// DeleteResponse is empty today.
type DeleteResponse struct{}

// EstimateRequest carries the planned value.
type EstimateRequest struct {
	Addr    string
	Planned cty.Value
}

// EstimateResponse is a cost estimate, labelled as such wherever shown.
type EstimateResponse struct {
	// Hourly is the cost per hour in USD while the resource exists (VMs);
	// zero when it costs nothing idle.
	Hourly float64
	// Basis says what the figure rests on: "t3.medium on-demand us-east-1,
	// price table of 2026-11-01".
	Basis string
}
