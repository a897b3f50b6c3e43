package localhost

import (
	"context"
	"fmt"
	"runtime"

	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"

	"lithops/objstore"
	"lithops/providers"
)

// Executor is the localhost executor backend: a warm pool of worker
// processes of this binary on this machine. It needs no resources.
type Executor struct {
	// OpenPool makes the pool; main passes the worker package's
	// constructor so this package needs no process handling of its own.
	OpenPool func(ctx context.Context, req PoolRequest) (providers.OpenExecutorResponse, error)
}

// PoolRequest says what pool to open.
type PoolRequest struct {
	Processes int
	// Env is added to the workers' environment.
	Env []string
	// OpenStore opens the storages that object inputs name.
	OpenStore func(ctx context.Context, name string) (objstore.Store, error)
}

var _ providers.ExecutorBackend = (*Executor)(nil)

// Name implements providers.ExecutorBackend.
func (*Executor) Name() string { return "localhost" }

// Spec implements providers.ExecutorBackend.
func (*Executor) Spec() hcldec.Spec {
	return hcldec.ObjectSpec{
		"worker_processes": &hcldec.AttrSpec{Name: "worker_processes", Type: cty.Number},
		"env":              &hcldec.AttrSpec{Name: "env", Type: cty.Map(cty.String)},
	}
}

// Validate implements providers.ExecutorBackend.
func (*Executor) Validate(body cty.Value) []providers.Problem {
	var ps []providers.Problem
	if v := body.GetAttr("worker_processes"); v.IsKnown() && !v.IsNull() {
		n, acc := v.AsBigFloat().Int64()
		if !v.AsBigFloat().IsInt() || acc != 0 || n < 1 || n > 4096 {
			ps = append(ps, providers.Problem{
				Attr:    "worker_processes",
				Summary: "Invalid worker_processes",
				Detail:  "worker_processes is the number of worker processes: a whole number from 1 to 4096. Leave it out to use one per CPU.",
			})
		}
	}
	return ps
}

// Processes returns the configured number of worker processes, or the number
// of CPUs.
func Processes(body cty.Value) int {
	if body.IsNull() || !body.Type().IsObjectType() || !body.Type().HasAttribute("worker_processes") {
		return runtime.NumCPU()
	}
	if v := body.GetAttr("worker_processes"); v.IsKnown() && !v.IsNull() {
		if n, _ := v.AsBigFloat().Int64(); n > 0 {
			return int(n)
		}
	}
	return runtime.NumCPU()
}

// Resources implements providers.ExecutorBackend: localhost needs none.
func (*Executor) Resources(context.Context, providers.ExecutorResourcesRequest) (providers.ExecutorResourcesResponse, error) {
	return providers.ExecutorResourcesResponse{}, nil
}

// Open implements providers.ExecutorBackend.
func (e *Executor) Open(ctx context.Context, req providers.OpenExecutorRequest) (providers.OpenExecutorResponse, error) {
	var env []string
	if !req.Body.IsNull() && req.Body.Type().HasAttribute("env") {
		if m := req.Body.GetAttr("env"); m.IsKnown() && !m.IsNull() {
			for k, v := range m.AsValueMap() {
				env = append(env, k+"="+v.AsString())
			}
		}
	}
	if e.OpenPool == nil {
		return providers.OpenExecutorResponse{}, fmt.Errorf("executor.%s: this build has no localhost worker pool", req.Name)
	}
	return e.OpenPool(ctx, PoolRequest{Processes: Processes(req.Body), Env: env, OpenStore: req.OpenStore})
}
