package providers

import (
	"context"

	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"

	"lithops/objstore"
	"lithops/sched"
)

// ExecutorBackend is one value of an executor block's `backend` attribute.
type ExecutorBackend interface {
	Name() string
	// Spec decodes the block body, except what the core owns: labels,
	// `backend`, `storage`, `depends_on`, `lifecycle`.
	Spec() hcldec.Spec
	// Validate checks a decoded body offline (no network): ranges, mutually
	// exclusive attributes. Problems point at attributes by name.
	Validate(body cty.Value) []Problem
	// Resources lists what the executor needs created before jobs run.
	Resources(ctx context.Context, req ExecutorResourcesRequest) (ExecutorResourcesResponse, error)
	// Open makes the dispatcher that jobs on this executor run on, once its
	// resources exist.
	Open(ctx context.Context, req OpenExecutorRequest) (OpenExecutorResponse, error)
}

// StorageBackend is one value of a storage block's `backend` attribute.
type StorageBackend interface {
	Name() string
	Spec() hcldec.Spec
	Validate(body cty.Value) []Problem
	Resources(ctx context.Context, req StorageResourcesRequest) (StorageResourcesResponse, error)
	Open(ctx context.Context, req OpenStorageRequest) (OpenStorageResponse, error)
}

// Problem is a backend's complaint about a block body; the core turns it into
// a diagnostic pointing at Attr (or at the block when Attr is empty).
type Problem struct {
	Attr    string
	Summary string
	Detail  string
}

// DesiredResource is a resource a block needs. Its address is the block's
// address followed by Name: executor.lab + `bootstrap["10.0.0.5"]`.
type DesiredResource struct {
	Name     string
	Resource Resource
	// Config holds the configured (non-computed) attributes; computed ones
	// are null.
	Config cty.Value
	// DependsOn names other resources of the same block (by Name) that must
	// exist first.
	DependsOn []string
	// Uses names other resources of the same block (by Name) that this one
	// is made from: an instance uses its key pair, a worker bootstrap the
	// instance it runs on. They are dependencies too. Create and Update get
	// their current state (CreateRequest.Uses), and when a plan creates or
	// replaces one of them, it replaces this resource as well, since what it
	// was made from is gone.
	Uses []string
}

// Runtime is a runtime block as executors see it, already evaluated.
type Runtime struct {
	Name string
	Body cty.Value
	// Digest identifies the runtime's content (image, files).
	Digest string
}

// ExecutorResourcesRequest asks which resources an executor block needs.
type ExecutorResourcesRequest struct {
	Name     string // the block's label
	Body     cty.Value
	Runtimes []Runtime // the runtimes the executor's jobs use
	// WorkerDigest identifies the worker binary ("sha256:…").
	WorkerDigest string
	// Storage names the executor's storage block (its `storage`
	// attribute), "" when it has none: remote executors need one.
	Storage string
	// Dir is the configuration directory (absolute), against which the
	// relative paths of runtime files resolve, and beside which backends
	// keep local files (a fleet's private SSH key under .lithops/).
	Dir string
}

// ExecutorResourcesResponse lists them.
type ExecutorResourcesResponse struct {
	Resources []DesiredResource
}

// OpenExecutorRequest carries what Open needs: the body, the current state of
// the executor's resources (by Name), and the storage its jobs use, if any.
type OpenExecutorRequest struct {
	Name      string
	Body      cty.Value
	Resources map[string]cty.Value
	Storage   objstore.Store
	// Hosts receives fleet host state changes; may be nil.
	Hosts func(HostEvent)
	// OpenStore opens a storage block by name, for the object inputs of
	// jobs on this executor (whatever storage they name).
	OpenStore func(ctx context.Context, name string) (objstore.Store, error)
	// StorageName names the storage block Storage was opened from ("" when
	// Storage is nil), and Layout places lithops' objects in it.
	StorageName string
	Layout      objstore.Layout
	// DescribeStorage describes a storage block by name, for remote
	// workers that open it themselves; nil when the caller cannot.
	DescribeStorage func(ctx context.Context, name string) (StorageRef, error)
}

// StorageRef describes a storage block so that a remote worker can open it
// with its own credentials: the backend's name and the block's decoded body
// with every sensitive attribute (and every value derived from a sensitive
// variable) null, and no marks.
type StorageRef struct {
	Name    string
	Backend string
	Body    cty.Value
}

// HostEvent is a fleet host's change of state: "connecting", "ready", "lost",
// "unreachable", "closed" (apply.HostState spells the same values).
type HostEvent struct {
	Host   string
	State  string
	Slots  int
	Detail string
}

// OpenExecutorResponse carries the dispatcher.
type OpenExecutorResponse struct {
	Dispatcher sched.Dispatcher
}

// StorageResourcesRequest asks which resources a storage block needs.
type StorageResourcesRequest struct {
	Name string
	Body cty.Value
	// Dir is the configuration directory: relative local paths in the
	// body are taken from it.
	Dir string
}

// StorageResourcesResponse lists them (none for a bucket used as it is).
type StorageResourcesResponse struct {
	Resources []DesiredResource
}

// OpenStorageRequest carries the body.
type OpenStorageRequest struct {
	Name string
	Body cty.Value
	// Dir is the configuration directory (see StorageResourcesRequest).
	Dir string
}

// OpenStorageResponse carries the store.
type OpenStorageResponse struct {
	Store objstore.Store
	// Layout places lithops' own objects in Store (under the block's
	// `prefix`); the data a job reads is addressed by its own keys.
	Layout objstore.Layout
}

// BodyDescriber is an optional capability of executor and storage backends:
// it describes the attributes of the block body that Spec decodes. The core
// requires that attributes marked Sensitive (access keys, connection
// strings) get their values from sensitive variables, and keeps them out of
// plans, state and messages.
type BodyDescriber interface {
	BodySchema() Schema
}
