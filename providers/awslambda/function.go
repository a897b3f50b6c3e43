package awslambda

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	smithy "github.com/aws/smithy-go"
	"github.com/zclconf/go-cty/cty"

	"lithops/providers"
)

// FunctionType is the resource type of a deployed function.
const FunctionType = "aws_lambda_function"

// changedOutside is the code_digest Read reports when the function's code
// is not what lithops deployed: the plan then deploys it again.
const changedOutside = "changed outside lithops"

// waitTimeout bounds the wait for a function to become Active or finish an
// update.
const waitTimeout = 10 * time.Minute

var functionSchema = providers.Schema{Attributes: map[string]providers.Attribute{
	"function_name":  {Type: cty.String, ForceNew: true, Description: "The function's name, from its runtime's digest and memory."},
	"region":         {Type: cty.String, ForceNew: true, Description: "The AWS region."},
	"endpoint":       {Type: cty.String, ForceNew: true, Description: "The Lambda API endpoint, when not AWS's own."},
	"execution_role": {Type: cty.String, Description: "The IAM role the function runs as."},
	"memory":         {Type: cty.Number, ForceNew: true, Description: "Memory in MB (CPU is proportional)."},
	"timeout":        {Type: cty.Number, Description: "Seconds an invocation may run."},
	"architecture":   {Type: cty.String, ForceNew: true, Description: "x86_64 or arm64."},
	"image_uri":      {Type: cty.String, ForceNew: true, Description: "The container image of an image function."},
	"code_digest":    {Type: cty.String, Description: "Digest of the deployment package's content (bootstrap and runtime files)."},
	"env":            {Type: cty.Map(cty.String), Description: "The function's environment variables."},
	"arn":            {Type: cty.String, Computed: true, Description: "The function's ARN."},
	"code_sha256":    {Type: cty.String, Computed: true, Description: "The deployed package's SHA-256, as Lambda reports it."},
}}

// functionResource is the aws_lambda_function resource type. A value made
// by the executor (pkg set) can create and update functions; the one in the
// registry, for functions whose executor block was removed, can read and
// delete them from their recorded attributes.
type functionResource struct {
	newAPI    func(ctx context.Context, c clientConfig) (lambdaAPI, error)
	pkg       *packageSpec
	prices    priceTable
	waitDelay time.Duration
}

// packageSpec says how to build the deployment package of a Zip function.
type packageSpec struct {
	bootstrap, bootstrapDigest string
	files                      []packageFile
}

var (
	_ providers.Resource  = (*functionResource)(nil)
	_ providers.Updater   = (*functionResource)(nil)
	_ providers.Estimator = (*functionResource)(nil)
)

// Type implements providers.Resource.
func (*functionResource) Type() string { return FunctionType }

// Schema implements providers.Resource.
func (*functionResource) Schema() providers.Schema { return functionSchema }

// fn is a function value's attributes in Go.
type fn struct {
	name, region, endpoint, role, arch, image, codeDigest string
	memory, timeout                                       int64
	env                                                   map[string]string
}

func decodeFn(v cty.Value) fn {
	v, _ = v.UnmarkDeep()
	f := fn{
		name: str(v, "function_name"), region: str(v, "region"), endpoint: str(v, "endpoint"),
		role: str(v, "execution_role"), arch: str(v, "architecture"), image: str(v, "image_uri"),
		codeDigest: str(v, "code_digest"), memory: num(v, "memory"), timeout: num(v, "timeout"),
	}
	if e := attr(v, "env"); e.IsKnown() && !e.IsNull() && e.LengthInt() > 0 {
		f.env = map[string]string{}
		for k, val := range e.AsValueMap() {
			if val.IsKnown() && !val.IsNull() {
				f.env[k] = val.AsString()
			}
		}
	}
	return f
}

func (r *functionResource) api(ctx context.Context, f fn) (lambdaAPI, error) {
	return r.newAPI(ctx, clientConfig{Region: f.region, Endpoint: f.endpoint})
}

// Read implements providers.Resource: the function as Lambda has it, or
// Gone when it was deleted.
func (r *functionResource) Read(ctx context.Context, req providers.ReadRequest) (providers.ReadResponse, error) {
	f := decodeFn(req.State)
	api, err := r.api(ctx, f)
	if err != nil {
		return providers.ReadResponse{}, err
	}
	out, err := api.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(f.name)})
	if err != nil {
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) {
			return providers.ReadResponse{Gone: true}, nil
		}
		return providers.ReadResponse{}, explain("read", f.name, err)
	}
	prior, _ := req.State.UnmarkDeep()
	st := stateOf(prior, out.Configuration)
	if out.Code != nil && aws.ToString(out.Code.ImageUri) != "" {
		st["image_uri"] = cty.StringVal(aws.ToString(out.Code.ImageUri))
	}
	if f.image == "" && str(prior, "code_sha256") != aws.ToString(out.Configuration.CodeSha256) {
		st["code_digest"] = cty.StringVal(changedOutside)
	}
	return providers.ReadResponse{State: cty.ObjectVal(st)}, nil
}

// stateOf is a function's state: base's attributes, with what Lambda
// reports in place of them.
func stateOf(base cty.Value, c *types.FunctionConfiguration) map[string]cty.Value {
	st := map[string]cty.Value{}
	for name, a := range functionSchema.Attributes {
		st[name] = cty.NullVal(a.Type)
		if !base.IsNull() && base.Type().HasAttribute(name) {
			st[name] = base.GetAttr(name)
		}
	}
	if c == nil {
		return st
	}
	st["arn"] = cty.StringVal(aws.ToString(c.FunctionArn))
	st["code_sha256"] = cty.StringVal(aws.ToString(c.CodeSha256))
	st["execution_role"] = cty.StringVal(aws.ToString(c.Role))
	if c.MemorySize != nil {
		st["memory"] = cty.NumberIntVal(int64(*c.MemorySize))
	}
	if c.Timeout != nil {
		st["timeout"] = cty.NumberIntVal(int64(*c.Timeout))
	}
	if len(c.Architectures) == 1 {
		st["architecture"] = cty.StringVal(string(c.Architectures[0]))
	}
	env := map[string]cty.Value{}
	if c.Environment != nil {
		for k, v := range c.Environment.Variables {
			env[k] = cty.StringVal(v)
		}
	}
	if len(env) == 0 {
		// An empty map and none are the same to Lambda.
		if e := st["env"]; e.IsNull() || !e.IsKnown() || e.LengthInt() == 0 {
			return st
		}
		st["env"] = cty.MapValEmpty(cty.String)
		return st
	}
	st["env"] = cty.MapVal(env)
	return st
}

// Create implements providers.Resource. A function that was created but
// did not become Active is returned with the error, so that the state
// records it (and the next plan replaces it).
func (r *functionResource) Create(ctx context.Context, req providers.CreateRequest) (providers.CreateResponse, error) {
	f := decodeFn(req.Planned)
	if r.pkg == nil && f.image == "" {
		return providers.CreateResponse{}, fmt.Errorf("create Lambda function %q: its executor block is gone, so its package cannot be built", f.name)
	}
	api, err := r.api(ctx, f)
	if err != nil {
		return providers.CreateResponse{}, fmt.Errorf("create Lambda function %q: %w", f.name, err)
	}
	in := &lambda.CreateFunctionInput{
		FunctionName: aws.String(f.name),
		MemorySize:   aws.Int32(int32(f.memory)),
		Timeout:      aws.Int32(int32(f.timeout)),
		Description:  aws.String("lithops worker (managed by lithops: lithops destroy deletes it)"),
		Tags:         map[string]string{"lithops": "worker"},
		Environment:  &types.Environment{Variables: f.env},
	}
	if f.role != "" {
		// Without it the SDK refuses the request itself, saying so.
		in.Role = aws.String(f.role)
	}
	if f.arch != "" {
		in.Architectures = []types.Architecture{types.Architecture(f.arch)}
	}
	if f.image != "" {
		in.PackageType = types.PackageTypeImage
		in.Code = &types.FunctionCode{ImageUri: aws.String(f.image)}
	} else {
		zip, err := buildPackage(r.pkg.bootstrap, r.pkg.bootstrapDigest, r.pkg.files)
		if err != nil {
			return providers.CreateResponse{}, fmt.Errorf("create Lambda function %q: %w", f.name, err)
		}
		in.PackageType = types.PackageTypeZip
		in.Runtime = types.RuntimeProvidedal2023
		in.Handler = aws.String("bootstrap")
		in.Code = &types.FunctionCode{ZipFile: zip}
	}
	out, err := api.CreateFunction(ctx, in)
	if err != nil {
		return providers.CreateResponse{}, explain("create", f.name, err)
	}
	created := cty.ObjectVal(stateOf(known(req.Planned), configOf(out)))
	c, err := r.waitActive(ctx, api, f.name)
	if err != nil {
		return providers.CreateResponse{State: created}, err
	}
	return providers.CreateResponse{State: cty.ObjectVal(stateOf(known(req.Planned), c))}, nil
}

// known replaces the unknown (computed) attributes of a planned value with
// nulls, to be filled in from what Lambda answers.
func known(v cty.Value) cty.Value {
	v, _ = v.UnmarkDeep()
	attrs := map[string]cty.Value{}
	for name, a := range functionSchema.Attributes {
		av := attr(v, name)
		if !av.IsKnown() {
			av = cty.NullVal(a.Type)
		}
		attrs[name] = av
	}
	return cty.ObjectVal(attrs)
}

func configOf(out *lambda.CreateFunctionOutput) *types.FunctionConfiguration {
	return &types.FunctionConfiguration{
		FunctionArn: out.FunctionArn, CodeSha256: out.CodeSha256, Role: out.Role, MemorySize: out.MemorySize,
		Timeout: out.Timeout, Architectures: out.Architectures, Environment: out.Environment,
	}
}

// Update implements providers.Updater: new code (a new lithops binary or
// runtime files) and new settings (role, timeout, environment) are changed
// in place, one after the other, each waited for.
func (r *functionResource) Update(ctx context.Context, req providers.UpdateRequest) (providers.UpdateResponse, error) {
	prior, planned := decodeFn(req.Prior), decodeFn(req.Planned)
	api, err := r.api(ctx, planned)
	if err != nil {
		return providers.UpdateResponse{}, fmt.Errorf("update Lambda function %q: %w", planned.name, err)
	}
	state := known(req.Planned)
	if priorV, _ := req.Prior.UnmarkDeep(); !priorV.IsNull() {
		attrs := state.AsValueMap()
		attrs["arn"], attrs["code_sha256"] = attr(priorV, "arn"), attr(priorV, "code_sha256")
		state = cty.ObjectVal(attrs)
	}
	var last *types.FunctionConfiguration
	if planned.image == "" && planned.codeDigest != prior.codeDigest {
		if r.pkg == nil {
			return providers.UpdateResponse{}, fmt.Errorf("update Lambda function %q: its executor block is gone, so its package cannot be built", planned.name)
		}
		zip, err := buildPackage(r.pkg.bootstrap, r.pkg.bootstrapDigest, r.pkg.files)
		if err != nil {
			return providers.UpdateResponse{}, fmt.Errorf("update Lambda function %q: %w", planned.name, err)
		}
		if _, err := api.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(planned.name), ZipFile: zip}); err != nil {
			return providers.UpdateResponse{}, explain("update the code of", planned.name, err)
		}
		if last, err = r.waitUpdated(ctx, api, planned.name); err != nil {
			return providers.UpdateResponse{}, err
		}
	}
	if planned.role != prior.role || planned.timeout != prior.timeout || !sameEnv(planned.env, prior.env) {
		in := &lambda.UpdateFunctionConfigurationInput{
			FunctionName: aws.String(planned.name),
			Timeout:      aws.Int32(int32(planned.timeout)),
			Environment:  &types.Environment{Variables: planned.env},
		}
		if planned.role != "" {
			in.Role = aws.String(planned.role)
		}
		if in.Environment.Variables == nil {
			in.Environment.Variables = map[string]string{}
		}
		if _, err := api.UpdateFunctionConfiguration(ctx, in); err != nil {
			return providers.UpdateResponse{State: cty.ObjectVal(stateOf(req.Prior, last))}, explain("update the settings of", planned.name, err)
		}
		if last, err = r.waitUpdated(ctx, api, planned.name); err != nil {
			return providers.UpdateResponse{State: cty.ObjectVal(stateOf(req.Prior, last))}, err
		}
	}
	return providers.UpdateResponse{State: cty.ObjectVal(stateOf(state, last))}, nil
}

func sameEnv(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// Delete implements providers.Resource; a function already gone is fine.
func (r *functionResource) Delete(ctx context.Context, req providers.DeleteRequest) (providers.DeleteResponse, error) {
	f := decodeFn(req.State)
	api, err := r.api(ctx, f)
	if err != nil {
		return providers.DeleteResponse{}, fmt.Errorf("delete Lambda function %q: %w", f.name, err)
	}
	if _, err := api.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(f.name)}); err != nil {
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) {
			return providers.DeleteResponse{}, nil
		}
		return providers.DeleteResponse{}, explain("delete", f.name, err)
	}
	return providers.DeleteResponse{}, nil
}

// Estimate implements providers.Estimator. A function costs nothing while
// idle, so Hourly is zero and Basis gives the price of a second of work
// and of an invocation.
func (r *functionResource) Estimate(_ context.Context, req providers.EstimateRequest) (providers.EstimateResponse, error) {
	f := decodeFn(req.Planned)
	if f.memory == 0 {
		return providers.EstimateResponse{}, nil
	}
	e := r.prices.estimateCost(f.region, f.arch, f.memory, f.timeout)
	return providers.EstimateResponse{Basis: e.Basis}, nil
}

func (r *functionResource) waitActive(ctx context.Context, api lambdaAPI, name string) (*types.FunctionConfiguration, error) {
	w := lambda.NewFunctionActiveV2Waiter(api, func(o *lambda.FunctionActiveV2WaiterOptions) {
		if r.waitDelay > 0 {
			o.MinDelay, o.MaxDelay = r.waitDelay, 10*r.waitDelay
		}
	})
	out, err := w.WaitForOutput(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}, waitTimeout)
	if err != nil {
		return nil, fmt.Errorf("Lambda function %q did not become Active: %w%s", name, err, r.stateReason(ctx, api, name))
	}
	return out.Configuration, nil
}

func (r *functionResource) waitUpdated(ctx context.Context, api lambdaAPI, name string) (*types.FunctionConfiguration, error) {
	w := lambda.NewFunctionUpdatedV2Waiter(api, func(o *lambda.FunctionUpdatedV2WaiterOptions) {
		if r.waitDelay > 0 {
			o.MinDelay, o.MaxDelay = r.waitDelay, 10*r.waitDelay
		}
	})
	out, err := w.WaitForOutput(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}, waitTimeout)
	if err != nil {
		return nil, fmt.Errorf("update of Lambda function %q did not succeed: %w%s", name, err, r.stateReason(ctx, api, name))
	}
	return out.Configuration, nil
}

// stateReason says why a function is not usable, as Lambda reports it.
func (r *functionResource) stateReason(ctx context.Context, api lambdaAPI, name string) string {
	out, err := api.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
	if err != nil || out.Configuration == nil {
		return ""
	}
	c := out.Configuration
	var parts []string
	if reason := aws.ToString(c.StateReason); reason != "" {
		parts = append(parts, fmt.Sprintf("state %s: %s", c.State, reason))
	}
	if reason := aws.ToString(c.LastUpdateStatusReason); reason != "" {
		parts = append(parts, fmt.Sprintf("last update %s: %s", c.LastUpdateStatus, reason))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, "; ") + ")"
}

// explain turns an error of the Lambda API into one that says what was
// refused and what to check.
func explain(op, name string, err error) error {
	var params smithy.InvalidParamsError
	if errors.As(err, &params) {
		return fmt.Errorf("%s Lambda function %q: the request lacks required settings: %v", op, name, err)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return fmt.Errorf("%s Lambda function %q: %w", op, name, err)
	}
	msg := strings.TrimRight(ae.ErrorMessage(), ". ")
	switch ae.ErrorCode() {
	case "ValidationException", "InvalidParameterValueException":
		hint := ""
		if strings.Contains(strings.ToLower(msg), "role") {
			hint = ": check execution_role: it must be the ARN of an IAM role in this account that lambda.amazonaws.com may assume (a role created moments ago may need a few seconds before Lambda accepts it)"
		}
		return fmt.Errorf("%s Lambda function %q: the Lambda service refused it (%s): %s%s", op, name, ae.ErrorCode(), msg, hint)
	case "ResourceConflictException":
		if op == "create" {
			return fmt.Errorf("%s Lambda function %q: a function of that name already exists and lithops does not own it (another configuration with an executor of the same name and runtime, or something else): rename the executor, or delete that function: %s", op, name, msg)
		}
	case "AccessDeniedException", "AccessDenied", "UnrecognizedClientException", "InvalidSignatureException":
		return fmt.Errorf("%s Lambda function %q: the AWS credentials in use are not allowed to (%s): %s", op, name, ae.ErrorCode(), msg)
	case "CodeStorageExceededException":
		return fmt.Errorf("%s Lambda function %q: the account's Lambda code storage is full: delete unused functions or versions: %s", op, name, msg)
	}
	return fmt.Errorf("%s Lambda function %q: %w", op, name, err)
}

// Helpers to read attributes of possibly null objects.

func attr(v cty.Value, name string) cty.Value {
	if v == cty.NilVal || v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() || !v.Type().HasAttribute(name) {
		return cty.NullVal(cty.DynamicPseudoType)
	}
	return v.GetAttr(name)
}

func str(v cty.Value, name string) string {
	a := attr(v, name)
	if a.IsNull() || !a.IsKnown() || !a.Type().Equals(cty.String) {
		return ""
	}
	return a.AsString()
}

func num(v cty.Value, name string) int64 {
	a := attr(v, name)
	if a.IsNull() || !a.IsKnown() || !a.Type().Equals(cty.Number) {
		return 0
	}
	n, _ := a.AsBigFloat().Int64()
	return n
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
