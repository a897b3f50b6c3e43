package fakelambda

import (
	"context"
	"crypto/sha256"
	"maps"
	"net/http"
	"slices"
	"time"
)

// createFunction is CreateFunction: POST /2015-03-31/functions, 201 and the
// FunctionConfiguration with State Pending.
func (s *Server) createFunction(w http.ResponseWriter, r *http.Request, c *Call) *apiError {
	var req createFunctionRequest
	if aerr := decodeBody(r, maxCodeRequestSize, string(OpCreateFunction), &req); aerr != nil {
		return aerr
	}
	if req.FunctionName != nil {
		c.Function = *req.FunctionName
	}

	var v violations
	v.required("functionName", req.FunctionName != nil)
	v.required("role", req.Role != nil)
	v.required("code", req.Code != nil)
	if req.PackageType != nil {
		v.enum("packageType", *req.PackageType, packageZip, packageImage)
	}
	v.config(req.Role, req.Handler, req.Description, req.Timeout, req.MemorySize, req.EphemeralStorage, req.Environment, req.TracingConfig)
	v.architectures(req.Architectures)
	if aerr := v.err(); aerr != nil {
		return aerr
	}
	ref, aerr := parseFunctionName(*req.FunctionName)
	if aerr != nil {
		return aerr
	}
	if ref.qualifier != "" {
		return errValidation("1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: Member must not include a qualifier", *req.FunctionName)
	}
	if (ref.region != "" && ref.region != s.opts.Region) || (ref.account != "" && ref.account != s.opts.AccountID) {
		return errInvalidParameter("The function ARN %s is not in this region and account (%s, %s).", *req.FunctionName, s.opts.Region, s.opts.AccountID)
	}
	c.Function = ref.name

	if req.Publish {
		return errInvalidParameter("fakelambda does not implement function versions: Publish must be false.")
	}
	if aerr := s.checkRole(*req.Role); aerr != nil {
		return aerr
	}
	if aerr := checkEnvironment(req.Environment); aerr != nil {
		return aerr
	}
	if aerr := checkLayers(req.Layers); aerr != nil {
		return aerr
	}
	cfg := config{
		role:          *req.Role,
		timeout:       defaultTimeout,
		memory:        defaultMemory,
		packageType:   packageZip,
		architectures: []string{"x86_64"},
		ephemeral:     defaultEphemeral,
		tracing:       "PassThrough",
		imageConfig:   req.ImageConfig,
		logging:       loggingConfig{LogFormat: "Text", LogGroup: "/aws/lambda/" + ref.name},
	}
	if req.PackageType != nil {
		cfg.packageType = *req.PackageType
	}
	if cfg.packageType == packageZip {
		if req.Runtime == nil || req.Handler == nil {
			return errInvalidParameter("Runtime and Handler are mandatory parameters for functions created with deployment packages.")
		}
		if aerr := checkRuntime(*req.Runtime); aerr != nil {
			return aerr
		}
		cfg.runtime, cfg.handler = *req.Runtime, *req.Handler
	}
	var err *apiError
	if cfg.code, err = s.newCode(r.Context(), cfg.packageType, "creating", req.Code); err != nil {
		return err
	}
	applyCommon(&cfg, req.Description, req.Timeout, req.MemorySize, req.Environment, req.EphemeralStorage, req.TracingConfig, req.LoggingConfig)
	if req.Architectures != nil {
		cfg.architectures = slices.Clone(req.Architectures)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.funcs[ref.name]; ok {
		return errResourceConflict("Function already exist: %s", ref.name)
	}
	f := &function{name: ref.name, arn: s.arn(ref.name), cfg: cfg, tags: maps.Clone(req.Tags)}
	f.beginCreate(time.Now())
	s.funcs[f.name] = f
	out := f.configuration(s.opts.Region)
	s.scheduleComplete(f)
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// newCode checks a request's Code (or UpdateFunctionCode's members) for a
// function of the given package type and returns the deployment package.
// verb is "creating" or "updating", for the messages.
func (s *Server) newCode(ctx context.Context, packageType, verb string, fc *functionCode) (*code, *apiError) {
	hasZip := fc.ZipFile != nil
	hasS3 := fc.S3Bucket != nil || fc.S3Key != nil || fc.S3ObjectVersion != nil
	hasImage := fc.ImageURI != nil
	if packageType == packageImage {
		if hasZip || hasS3 {
			return nil, errInvalidParameter("Please don't provide ZipFile or S3 location when %s a function with packageType Image.", verb)
		}
		if !hasImage {
			return nil, errInvalidParameter("Please provide ImageUri when %s a function with packageType Image.", verb)
		}
		if aerr := s.checkImageURI(*fc.ImageURI); aerr != nil {
			return nil, aerr
		}
		return newImageCode(*fc.ImageURI), nil
	}
	switch {
	case hasImage:
		return nil, errInvalidParameter("Please don't provide ImageUri when %s a function with packageType Zip.", verb)
	case hasZip && hasS3:
		return nil, errInvalidParameter("Please do not provide other FunctionCode properties when providing a ZipFile.")
	case hasZip:
		return s.zipCode(fc.ZipFile)
	case hasS3:
		if fc.S3Bucket == nil || fc.S3Key == nil {
			return nil, errInvalidParameter("Please provide both S3Bucket and S3Key.")
		}
		if s.opts.FetchS3 == nil {
			return nil, errInvalidParameter("fakelambda cannot read code from S3 unless the test sets Options.FetchS3.")
		}
		version := ""
		if fc.S3ObjectVersion != nil {
			version = *fc.S3ObjectVersion
		}
		b, err := s.opts.FetchS3(ctx, *fc.S3Bucket, *fc.S3Key, version)
		if err != nil {
			return nil, errInvalidParameter("Error occurred while GetObject. S3 Error Message: %v", err)
		}
		return s.zipCode(b)
	default:
		return nil, errInvalidParameter("Please provide a source for function code.")
	}
}

// zipCode is newZipCode with the packages already seen remembered by
// digest, so that functions sharing a package share its check and its
// unpacked directory.
func (s *Server) zipCode(b []byte) (*code, *apiError) {
	sum := sha256.Sum256(b)
	key := string(sum[:])
	s.mu.Lock()
	cd := s.codes[key]
	s.mu.Unlock()
	if cd != nil {
		return cd, nil
	}
	cd, aerr := newZipCode(b)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev := s.codes[key]; prev != nil {
		return prev, nil
	}
	s.codes[key] = cd
	return cd, nil
}

// applyCommon sets the members CreateFunction and
// UpdateFunctionConfiguration share, where the request gives them.
func applyCommon(cfg *config, description *string, timeout, memory *int, env *environment, eph *ephemeralStorage, tracing *tracingConfig, logging *loggingConfig) {
	if description != nil {
		cfg.description = *description
	}
	if timeout != nil {
		cfg.timeout = *timeout
	}
	if memory != nil {
		cfg.memory = *memory
	}
	if env != nil {
		cfg.env = maps.Clone(env.Variables)
	}
	if eph != nil {
		cfg.ephemeral = eph.Size
	}
	if tracing != nil {
		cfg.tracing = tracing.Mode
	}
	if logging != nil {
		if logging.LogFormat != "" {
			cfg.logging.LogFormat = logging.LogFormat
		}
		if logging.LogGroup != "" {
			cfg.logging.LogGroup = logging.LogGroup
		}
		cfg.logging.ApplicationLogLevel = logging.ApplicationLogLevel
		cfg.logging.SystemLogLevel = logging.SystemLogLevel
	}
}
