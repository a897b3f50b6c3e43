package fakelambda

import (
	"net/http"
	"slices"
	"time"
)

// updateFunctionCode is UpdateFunctionCode: PUT
// /2015-03-31/functions/{name}/code, 200 and the FunctionConfiguration with
// LastUpdateStatus InProgress. Invocations keep running the previous code
// until the update completes.
func (s *Server) updateFunctionCode(w http.ResponseWriter, r *http.Request, c *Call) *apiError {
	var req updateFunctionCodeRequest
	if aerr := decodeBody(r, maxCodeRequestSize, string(OpUpdateFunctionCode), &req); aerr != nil {
		return aerr
	}
	var v violations
	v.architectures(req.Architectures)
	if aerr := v.err(); aerr != nil {
		return aerr
	}
	if req.Publish {
		return errInvalidParameter("fakelambda does not implement function versions: Publish must be false.")
	}

	s.mu.Lock()
	f, aerr := s.lookup(r, c)
	if aerr == nil {
		aerr = checkRevision(f, req.RevisionID)
	}
	if aerr == nil {
		aerr = f.busy()
	}
	var packageType string
	if aerr == nil {
		packageType = f.cfg.packageType
	}
	s.mu.Unlock()
	if aerr != nil {
		return aerr
	}

	// Checking the package can take a while; do it unlocked, then check
	// again that nothing moved meanwhile.
	cd, aerr := s.newCode(r.Context(), packageType, "updating", &functionCode{
		ZipFile: req.ZipFile, S3Bucket: req.S3Bucket, S3Key: req.S3Key, S3ObjectVersion: req.S3ObjectVersion, ImageURI: req.ImageURI,
	})
	if aerr != nil {
		return aerr
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	g, aerr := s.lookup(r, c)
	if aerr != nil {
		return aerr
	}
	if g != f {
		return errResourceConflict("The function %s was replaced while its code was being checked.", f.arn)
	}
	if aerr := checkRevision(f, req.RevisionID); aerr != nil {
		return aerr
	}
	if aerr := f.busy(); aerr != nil {
		return aerr
	}
	if req.DryRun {
		writeJSON(w, http.StatusOK, f.configuration(s.opts.Region))
		return nil
	}
	f.cfg.code = cd
	if req.Architectures != nil {
		f.cfg.architectures = slices.Clone(req.Architectures)
	}
	f.beginUpdate(time.Now())
	out := f.configuration(s.opts.Region)
	s.scheduleComplete(f)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// updateFunctionConfiguration is UpdateFunctionConfiguration: PUT
// /2015-03-31/functions/{name}/configuration. Environment, when given,
// replaces all variables.
func (s *Server) updateFunctionConfiguration(w http.ResponseWriter, r *http.Request, c *Call) *apiError {
	var req updateFunctionConfigurationRequest
	if aerr := decodeBody(r, 1<<20, string(OpUpdateFunctionConfiguration), &req); aerr != nil {
		return aerr
	}
	var v violations
	v.config(req.Role, req.Handler, req.Description, req.Timeout, req.MemorySize, req.EphemeralStorage, req.Environment, req.TracingConfig)
	if aerr := v.err(); aerr != nil {
		return aerr
	}
	if req.Role != nil {
		if aerr := s.checkRole(*req.Role); aerr != nil {
			return aerr
		}
	}
	if aerr := checkEnvironment(req.Environment); aerr != nil {
		return aerr
	}
	if aerr := checkLayers(req.Layers); aerr != nil {
		return aerr
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	f, aerr := s.lookup(r, c)
	if aerr != nil {
		return aerr
	}
	if aerr := checkRevision(f, req.RevisionID); aerr != nil {
		return aerr
	}
	if aerr := f.busy(); aerr != nil {
		return aerr
	}
	cfg := f.cfg.clone()
	if f.cfg.packageType == packageZip {
		if req.Runtime != nil {
			if aerr := checkRuntime(*req.Runtime); aerr != nil {
				return aerr
			}
			cfg.runtime = *req.Runtime
		}
		if req.Handler != nil {
			cfg.handler = *req.Handler
		}
	}
	if req.Role != nil {
		cfg.role = *req.Role
	}
	if req.ImageConfig != nil {
		cfg.imageConfig = req.ImageConfig
	}
	applyCommon(&cfg, req.Description, req.Timeout, req.MemorySize, req.Environment, req.EphemeralStorage, req.TracingConfig, req.LoggingConfig)
	f.cfg = cfg
	f.beginUpdate(time.Now())
	out := f.configuration(s.opts.Region)
	s.scheduleComplete(f)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// checkRevision is the optimistic-locking check of RevisionId.
func checkRevision(f *function, revision *string) *apiError {
	if revision != nil && *revision != f.revision {
		return errPreconditionFailed()
	}
	return nil
}
