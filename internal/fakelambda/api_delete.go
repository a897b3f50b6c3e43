package fakelambda

import "net/http"

// deleteFunction is DeleteFunction: DELETE /2015-03-31/functions/{name},
// 204. Warm execution environments stop now; invocations in flight finish
// and their environments stop after.
func (s *Server) deleteFunction(w http.ResponseWriter, r *http.Request, c *Call) *apiError {
	ref, aerr := s.resolve(r.PathValue("name"), r.URL.Query().Get("Qualifier"))
	if aerr != nil {
		return aerr
	}
	c.Function = ref.name
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.funcs[ref.name]
	switch {
	case f == nil:
		return errFunctionNotFound(s.arn(ref.name))
	case ref.qualifier == latest:
		return errInvalidParameter("$LATEST version cannot be deleted without deleting the function.")
	case ref.qualifier != "":
		return errFunctionNotFound(s.arn(ref.name) + ":" + ref.qualifier)
	}
	delete(s.funcs, ref.name)
	for _, sb := range f.idle {
		s.retireLater(sb)
	}
	f.idle = nil
	w.WriteHeader(http.StatusNoContent)
	return nil
}
