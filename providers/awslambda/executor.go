package awslambda

import (
	"context"
	"fmt"
	"math/big"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"lithops/hcl"
	"lithops/providers"
	"lithops/worker"
)

// Defaults of the executor's attributes.
const (
	DefaultMemory       = 1024 // MB
	DefaultTimeout      = 300  // seconds
	DefaultArchitecture = "x86_64"
	DefaultMaxWorkers   = 1000 // Lambda's default concurrency quota per region
)

// Executor is the aws_lambda executor backend.
//
//	executor "fn" {
//	  backend        = "aws_lambda"
//	  region         = "eu-west-1"
//	  execution_role = "arn:aws:iam::123456789012:role/lithops"
//	  storage        = storage.data   # required: payloads and results go there
//	  memory         = 1024           # MB
//	  timeout        = "5m"           # of one invocation, at most 15m
//	  architecture   = "arm64"        # or x86_64
//	  max_workers    = 1000           # invocations in flight
//	  endpoint       = "http://127.0.0.1:9001" # tests and private endpoints
//	}
//
// A job's runtime block overrides memory, timeout and architecture, adds
// env and files to the function, or names a container image (image_uri).
type Executor struct {
	// Bootstrap is the lithops binary deployed as a Zip function's
	// bootstrap: main passes the running binary, or the one named by
	// LITHOPS_LAMBDA_BOOTSTRAP (BootstrapFromEnv).
	Bootstrap        string
	BootstrapFromEnv bool
	// WaitDelay, when set, is the shortest delay between the polls that
	// wait for a function to become Active or finish an update (tests);
	// zero leaves the SDK's (1 s).
	WaitDelay time.Duration
	// SpillDir receives large outputs read back from storage; empty means
	// the system's temporary directory.
	SpillDir string

	digests digester
}

var (
	_ providers.ExecutorBackend = (*Executor)(nil)
	_ providers.BodyDescriber   = (*Executor)(nil)
)

var bodySchema = providers.Schema{Attributes: map[string]providers.Attribute{
	"region":         {Type: cty.String, Description: "The AWS region; defaults to the SDK's (AWS_REGION, the profile)."},
	"execution_role": {Type: cty.String, Description: "ARN of the IAM role the function runs as: it needs access to the storage's bucket."},
	"memory":         {Type: cty.Number, Description: "Memory in MB, 128 to 10240 (CPU is proportional); default 1024."},
	"timeout":        {Type: cty.String, Description: "How long one invocation may run (\"5m\"), at most 15 minutes; default 5m."},
	"architecture":   {Type: cty.String, Description: "x86_64 (default) or arm64."},
	"max_workers":    {Type: cty.Number, Description: "Invocations in flight at most; default 1000."},
	"endpoint":       {Type: cty.String, Description: "Base URL of the Lambda API, for tests and private endpoints."},
}}

// Name implements providers.ExecutorBackend.
func (*Executor) Name() string { return "aws_lambda" }

// BodySchema implements providers.BodyDescriber.
func (*Executor) BodySchema() providers.Schema { return bodySchema }

// Spec implements providers.ExecutorBackend.
func (*Executor) Spec() hcldec.Spec {
	spec := hcldec.ObjectSpec{}
	for name, a := range bodySchema.Attributes {
		spec[name] = &hcldec.AttrSpec{Name: name, Type: a.Type, Required: name == "execution_role"}
	}
	return spec
}

var (
	roleARN    = regexp.MustCompile(`^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$`)
	regionName = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)
)

// Validate implements providers.ExecutorBackend. It checks offline what the
// Lambda service would refuse, so that a plan says so before anything is
// created.
func (*Executor) Validate(body cty.Value) []providers.Problem {
	var ps []providers.Problem
	add := func(attr, summary, detail string) {
		ps = append(ps, providers.Problem{Attr: attr, Summary: summary, Detail: detail})
	}
	if r, ok := knownString(body, "execution_role"); ok && !roleARN.MatchString(r) {
		add("execution_role", "Invalid execution_role", fmt.Sprintf("%q is not an IAM role ARN such as arn:aws:iam::123456789012:role/lithops.", r))
	}
	if r, ok := knownString(body, "region"); ok && !regionName.MatchString(r) {
		add("region", "Invalid region", fmt.Sprintf("%q is not an AWS region such as eu-west-1.", r))
	}
	if n, ok := knownInt(body, "memory"); ok && (n < 128 || n > 10240) {
		add("memory", "Invalid memory", "memory is in MB: a whole number from 128 to 10240.")
	}
	if s, ok := knownString(body, "timeout"); ok {
		if _, err := timeoutSeconds(s); err != nil {
			add("timeout", "Invalid timeout", err.Error())
		}
	}
	if a, ok := knownString(body, "architecture"); ok && goArch[a] == "" {
		add("architecture", "Invalid architecture", fmt.Sprintf("%q is not a Lambda architecture: use x86_64 or arm64.", a))
	}
	if n, ok := knownInt(body, "max_workers"); ok && (n < 1 || n > 100000) {
		add("max_workers", "Invalid max_workers", "max_workers is the number of invocations in flight: a whole number from 1 to 100000.")
	}
	if e, ok := knownString(body, "endpoint"); ok {
		if u, err := url.Parse(e); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("endpoint", "Invalid endpoint", fmt.Sprintf("%q is not an http:// or https:// URL with a host.", e))
		}
	}
	return ps
}

// timeoutSeconds reads a function timeout: a duration of 1 s to 15 min.
func timeoutSeconds(s string) (int64, error) {
	d, err := hcl.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as \"5m\" or \"90s\"", s)
	}
	if d < time.Second || d > 15*time.Minute || d%time.Second != 0 {
		return 0, fmt.Errorf("a Lambda function's timeout is a whole number of seconds from 1s to 15m, not %s", s)
	}
	return int64(d / time.Second), nil
}

// settings are a function's effective settings: the runtime's where it
// sets them, else the executor's, else the defaults.
type settings struct {
	region, role, endpoint, arch, image string
	memory, timeout                     int64
	env                                 map[string]string
	runtime                             providers.Runtime
	runtimeName                         string
}

func (e *Executor) settings(ctx context.Context, body cty.Value, rt *providers.Runtime) (settings, error) {
	s := settings{arch: DefaultArchitecture, memory: DefaultMemory, timeout: DefaultTimeout, runtimeName: "default"}
	s.region, _ = knownString(body, "region")
	s.role, _ = knownString(body, "execution_role")
	s.endpoint, _ = knownString(body, "endpoint")
	if a, ok := knownString(body, "architecture"); ok {
		s.arch = a
	}
	if n, ok := knownInt(body, "memory"); ok {
		s.memory = n
	}
	if t, ok := knownString(body, "timeout"); ok {
		n, err := timeoutSeconds(t)
		if err != nil {
			return s, err
		}
		s.timeout = n
	}
	if rt != nil {
		s.runtime, s.runtimeName = *rt, rt.Name
		rb, _ := rt.Body.UnmarkDeep()
		if v, ok := knownString(rb, "image_uri"); ok {
			s.image = v
		}
		if v, ok := knownString(rb, "architecture"); ok {
			if goArch[v] == "" {
				return s, fmt.Errorf("runtime.%s: %q is not a Lambda architecture: use x86_64 or arm64", rt.Name, v)
			}
			s.arch = v
		}
		if n, ok := knownInt(rb, "memory"); ok {
			if n < 128 || n > 10240 {
				return s, fmt.Errorf("runtime.%s: memory is in MB, from 128 to 10240, not %d", rt.Name, n)
			}
			s.memory = n
		}
		if v, ok := knownString(rb, "timeout"); ok {
			n, err := timeoutSeconds(v)
			if err != nil {
				return s, fmt.Errorf("runtime.%s: %w", rt.Name, err)
			}
			s.timeout = n
		}
		if env := attr(rb, "env"); env.IsKnown() && !env.IsNull() && env.LengthInt() > 0 {
			s.env = map[string]string{}
			for k, v := range env.AsValueMap() {
				s.env[k] = v.AsString()
			}
		}
	}
	if s.region == "" {
		s.region = defaultRegion(ctx)
		if s.region == "" {
			return s, fmt.Errorf("no AWS region: set the executor's region, or AWS_REGION")
		}
	}
	return s, nil
}

// Resources implements providers.ExecutorBackend: the executor's one
// function.
func (e *Executor) Resources(ctx context.Context, req providers.ExecutorResourcesRequest) (providers.ExecutorResourcesResponse, error) {
	if req.Storage == "" {
		return providers.ExecutorResourcesResponse{}, fmt.Errorf("an aws_lambda executor needs storage = storage.NAME: payloads, statuses and outputs go through it, and its functions need access to it")
	}
	if len(req.Runtimes) > 1 {
		var names []string
		for _, r := range req.Runtimes {
			names = append(names, "runtime."+r.Name)
		}
		return providers.ExecutorResourcesResponse{}, fmt.Errorf("jobs on an aws_lambda executor use one runtime, and these jobs use %s: declare one executor per runtime", strings.Join(names, " and "))
	}
	var rt *providers.Runtime
	if len(req.Runtimes) == 1 {
		rt = &req.Runtimes[0]
	}
	s, err := e.settings(ctx, req.Body, rt)
	if err != nil {
		return providers.ExecutorResourcesResponse{}, err
	}
	res, codeDigest, err := e.function(s, req.Dir)
	if err != nil {
		return providers.ExecutorResourcesResponse{}, err
	}
	digest := s.runtime.Digest
	if rt == nil {
		digest = "default"
	}
	config := map[string]cty.Value{
		"function_name":  cty.StringVal(functionName(req.Name, s.runtimeName, digest, s.arch, s.image, s.memory)),
		"region":         cty.StringVal(s.region),
		"endpoint":       nullOr(s.endpoint),
		"execution_role": nullOr(s.role),
		"memory":         cty.NumberIntVal(s.memory),
		"timeout":        cty.NumberIntVal(s.timeout),
		"architecture":   cty.StringVal(s.arch),
		"image_uri":      nullOr(s.image),
		"code_digest":    nullOr(codeDigest),
		"env":            cty.NullVal(cty.Map(cty.String)),
		"arn":            cty.NullVal(cty.String),
		"code_sha256":    cty.NullVal(cty.String),
	}
	if len(s.env) > 0 {
		env := map[string]cty.Value{}
		for k, v := range s.env {
			env[k] = cty.StringVal(v)
		}
		config["env"] = cty.MapVal(env)
	}
	return providers.ExecutorResourcesResponse{Resources: []providers.DesiredResource{{
		Name: "function", Resource: res, Config: cty.ObjectVal(config),
	}}}, nil
}

// function makes the resource type for s, able to build its package, and
// the package's digest ("" for an image function).
func (e *Executor) function(s settings, dir string) (*functionResource, string, error) {
	prices, err := loadPrices()
	if err != nil {
		return nil, "", err
	}
	r := &functionResource{newAPI: e.newAPI, prices: prices, waitDelay: e.WaitDelay}
	if s.image != "" {
		return r, "", nil
	}
	where := ""
	if s.runtime.Name != "" {
		where = "runtime." + s.runtime.Name + ": "
	}
	if err := checkBootstrap(e.Bootstrap, s.arch, e.BootstrapFromEnv); err != nil {
		return nil, "", fmt.Errorf("%s%w", where, err)
	}
	bootDigest, err := e.digests.file(e.Bootstrap)
	if err != nil {
		return nil, "", fmt.Errorf("%sdigest of the bootstrap: %w", where, err)
	}
	var files []packageFile
	if fl := attr(s.runtime.Body, "files"); fl.IsKnown() && !fl.IsNull() {
		fl, _ = fl.UnmarkDeep()
		for _, v := range fl.AsValueSlice() {
			name := v.AsString()
			src := name
			if !filepath.IsAbs(src) {
				src = filepath.Join(dir, src)
			}
			member := filepath.Clean(name)
			if filepath.IsAbs(name) || !filepath.IsLocal(member) {
				member = filepath.Base(name)
			}
			if member == "bootstrap" {
				return nil, "", fmt.Errorf("runtime.%s: a runtime file cannot be named bootstrap: the lithops worker is the function's bootstrap", s.runtimeName)
			}
			d, err := e.digests.file(src)
			if err != nil {
				return nil, "", fmt.Errorf("runtime.%s: file %s: %w", s.runtimeName, name, err)
			}
			files = append(files, packageFile{Name: member, Source: src, Digest: d})
		}
	}
	r.pkg = &packageSpec{bootstrap: e.Bootstrap, bootstrapDigest: bootDigest, files: files}
	return r, codeDigest(bootDigest, files), nil
}

// FunctionResource is the aws_lambda_function resource type for functions
// whose executor block was removed: it reads and deletes them from their
// recorded attributes, with the SDK's credential chain.
func (e *Executor) FunctionResource() providers.Resource {
	prices, _ := loadPrices()
	return &functionResource{newAPI: e.newAPI, prices: prices, waitDelay: e.WaitDelay}
}

func (e *Executor) newAPI(ctx context.Context, c clientConfig) (lambdaAPI, error) {
	return newClient(ctx, c)
}

// Open implements providers.ExecutorBackend: a dispatcher that invokes the
// executor's function.
func (e *Executor) Open(ctx context.Context, req providers.OpenExecutorRequest) (providers.OpenExecutorResponse, error) {
	st, ok := req.Resources["function"]
	if !ok || st.IsNull() {
		return providers.OpenExecutorResponse{}, fmt.Errorf("executor.%s has no Lambda function yet: apply creates it", req.Name)
	}
	if req.Storage == nil || req.StorageName == "" {
		return providers.OpenExecutorResponse{}, fmt.Errorf("executor.%s: an aws_lambda executor needs storage = storage.NAME", req.Name)
	}
	if req.DescribeStorage == nil {
		return providers.OpenExecutorResponse{}, fmt.Errorf("executor.%s: this build cannot describe storages to remote workers", req.Name)
	}
	f := decodeFn(st)
	ref, err := describe(ctx, req.DescribeStorage, req.StorageName)
	if err != nil {
		return providers.OpenExecutorResponse{}, fmt.Errorf("executor.%s: %w", req.Name, err)
	}
	maxWorkers := int64(DefaultMaxWorkers)
	if n, ok := knownInt(req.Body, "max_workers"); ok {
		maxWorkers = n
	}
	client, err := newClient(ctx, clientConfig{Region: f.region, Endpoint: f.endpoint, Conns: int(maxWorkers)})
	if err != nil {
		return providers.OpenExecutorResponse{}, fmt.Errorf("executor.%s: %w", req.Name, err)
	}
	d := newDispatcher(dispatcherConfig{
		API: client, Function: f.name, Capacity: int(maxWorkers),
		Store: req.Storage, Layout: req.Layout, Storage: ref,
		Describe: func(ctx context.Context, name string) (worker.StorageRef, error) {
			return describe(ctx, req.DescribeStorage, name)
		},
		SpillDir: e.SpillDir,
	})
	return providers.OpenExecutorResponse{Dispatcher: d}, nil
}

// describe turns a storage block's description into what travels to the
// function.
func describe(ctx context.Context, fn func(context.Context, string) (providers.StorageRef, error), name string) (worker.StorageRef, error) {
	ref, err := fn(ctx, name)
	if err != nil {
		return worker.StorageRef{}, fmt.Errorf("describe storage %q: %w", name, err)
	}
	body, _ := ref.Body.UnmarkDeep()
	if body == cty.NilVal {
		body = cty.NullVal(cty.DynamicPseudoType)
	}
	b, err := ctyjson.Marshal(body, body.Type())
	if err != nil {
		return worker.StorageRef{}, fmt.Errorf("describe storage %q: %w", name, err)
	}
	return worker.StorageRef{Name: ref.Name, Backend: ref.Backend, Body: b}, nil
}

func nullOr(s string) cty.Value {
	if s == "" {
		return cty.NullVal(cty.String)
	}
	return cty.StringVal(s)
}

func knownString(v cty.Value, name string) (string, bool) {
	a := attr(v, name)
	if a.IsNull() || !a.IsKnown() {
		return "", false
	}
	a, _ = a.Unmark()
	if !a.Type().Equals(cty.String) {
		return "", false
	}
	return a.AsString(), true
}

func knownInt(v cty.Value, name string) (int64, bool) {
	a := attr(v, name)
	if a.IsNull() || !a.IsKnown() {
		return 0, false
	}
	a, _ = a.Unmark()
	if !a.Type().Equals(cty.Number) {
		return 0, false
	}
	f := a.AsBigFloat()
	n, acc := f.Int64()
	if !f.IsInt() || acc != big.Exact {
		return -1, true
	}
	return n, true
}
