package fakelambda

import (
	"encoding/base64"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
)

// lookup finds the function a request names (path FunctionName and
// Qualifier query). Only the unpublished version exists here: a qualifier
// other than $LATEST names a version or alias that is not found. Called
// with s.mu held.
func (s *Server) lookup(r *http.Request, c *Call) (*function, *apiError) {
	ref, aerr := s.resolve(r.PathValue("name"), r.URL.Query().Get("Qualifier"))
	if aerr != nil {
		return nil, aerr
	}
	c.Function = ref.name
	f := s.funcs[ref.name]
	switch {
	case f == nil:
		return nil, errFunctionNotFound(s.arn(ref.name))
	case ref.qualifier != "" && ref.qualifier != latest:
		return nil, errFunctionNotFound(s.arn(ref.name) + ":" + ref.qualifier)
	}
	return f, nil
}

// getFunction is GetFunction: GET /2015-03-31/functions/{name}.
func (s *Server) getFunction(w http.ResponseWriter, r *http.Request, c *Call) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, aerr := s.lookup(r, c)
	if aerr != nil {
		return aerr
	}
	out := getFunctionResponse{Configuration: f.configuration(s.opts.Region), Tags: maps.Clone(f.tags)}
	if f.cfg.packageType == packageImage {
		out.Code = functionCodeLocation{RepositoryType: "ECR", ImageURI: f.cfg.code.imageURI, ResolvedImageURI: f.cfg.code.imageURI}
	} else {
		out.Code = functionCodeLocation{
			RepositoryType: "S3",
			Location:       s.URL() + "/_fakelambda/code/" + url.PathEscape(f.name) + "?CodeSha256=" + url.QueryEscape(f.cfg.code.sha256),
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// getFunctionConfiguration is GetFunctionConfiguration:
// GET /2015-03-31/functions/{name}/configuration.
func (s *Server) getFunctionConfiguration(w http.ResponseWriter, r *http.Request, c *Call) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, aerr := s.lookup(r, c)
	if aerr != nil {
		return aerr
	}
	writeJSON(w, http.StatusOK, f.configuration(s.opts.Region))
	return nil
}

// listFunctions is ListFunctions: GET /2015-03-31/functions, in name order,
// MaxItems (default 50) per page, Marker an opaque continuation.
func (s *Server) listFunctions(w http.ResponseWriter, r *http.Request, c *Call) *apiError {
	q := r.URL.Query()
	maxItems := 50
	if v := q.Get("MaxItems"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			var vs violations
			vs.add("Value '%s' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000", v)
			return vs.err()
		}
		maxItems = n
	}
	after := ""
	if m := q.Get("Marker"); m != "" {
		b, err := base64.RawURLEncoding.DecodeString(m)
		if err != nil {
			return errInvalidParameter("Invalid marker: %s", m)
		}
		after = string(b)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := listFunctionsResponse{Functions: []functionConfiguration{}}
	names := slices.Sorted(maps.Keys(s.funcs))
	for _, name := range names {
		if name <= after {
			continue
		}
		if len(out.Functions) == maxItems {
			out.NextMarker = base64.RawURLEncoding.EncodeToString([]byte(out.Functions[len(out.Functions)-1].FunctionName))
			break
		}
		out.Functions = append(out.Functions, s.funcs[name].configuration(s.opts.Region))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// downloadCode serves the deployment package at GetFunction's
// Code.Location (a presigned S3 URL on the real service).
func (s *Server) downloadCode(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	f := s.funcs[r.PathValue("name")]
	var zip []byte
	if f != nil && f.cfg.code.sha256 == r.URL.Query().Get("CodeSha256") {
		zip = f.cfg.code.zip
	}
	s.mu.Unlock()
	if zip == nil {
		http.Error(w, "NoSuchKey", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Write(zip)
}
