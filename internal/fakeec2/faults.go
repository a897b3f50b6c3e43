package fakeec2

// Fault makes requests fail with an EC2 error before the server looks at
// them. The HTTP status is the one EC2 sends with Code (503 for
// RequestLimitExceeded, 500 for server errors, 400 for client errors).
type Fault struct {
	// Action limits the fault to one operation ("RunInstances"); empty
	// matches every request.
	Action string
	// Code is the EC2 error code, e.g. "RequestLimitExceeded".
	Code string
	// Message is the error message; empty gives a generic one.
	Message string
	// Times is how many matching requests fail; less than 1 means 1.
	Times int
}

// InjectFault makes the next f.Times requests matching f fail. Faults are
// consumed in the order they were injected; a request consumes at most one.
func (s *Server) InjectFault(f Fault) {
	if f.Times < 1 {
		f.Times = 1
	}
	if f.Message == "" {
		f.Message = "Injected " + f.Code + "."
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// Throttle makes the next n requests, whatever their action, fail with
// RequestLimitExceeded (HTTP 503), as EC2's request rate limiting does.
func (s *Server) Throttle(n int) {
	s.InjectFault(Fault{Code: "RequestLimitExceeded", Message: "Request limit exceeded.", Times: n})
}

// takeFault consumes the first fault matching action; s.mu must be held.
func (s *Server) takeFault(action string) error {
	for i, f := range s.faults {
		if f.Action != "" && f.Action != action {
			continue
		}
		f.Times--
		if f.Times == 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		return &apiError{Code: f.Code, Message: f.Message}
	}
	return nil
}
