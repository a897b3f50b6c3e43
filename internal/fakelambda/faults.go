package fakelambda

// fault counts the injected failures still to answer for one operation.
type fault struct {
	throttle int
	fail     int
}

// ThrottleNext makes the next n requests for op (AnyOp: any operation)
// answer 429 TooManyRequestsException with Reason CallerRateLimitExceeded
// and Retry-After: 1, before the request is looked at. The SDK's standard
// retryer retries these, so a client with retries on may never see them.
func (s *Server) ThrottleNext(op Op, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faultFor(op).throttle += n
}

// FailNext makes the next n requests for op (AnyOp: any operation) answer
// 500 ServiceException, before the request is looked at. Throttles queued
// by ThrottleNext are answered first.
func (s *Server) FailNext(op Op, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faultFor(op).fail += n
}

func (s *Server) faultFor(op Op) *fault {
	f := s.faults[op]
	if f == nil {
		f = &fault{}
		s.faults[op] = f
	}
	return f
}

// takeFault consumes the injected fault due for a request to op, if any.
func (s *Server) takeFault(op Op) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, key := range []Op{op, AnyOp} {
		f := s.faults[key]
		switch {
		case f == nil:
		case f.throttle > 0:
			f.throttle--
			return errTooManyRequests("CallerRateLimitExceeded")
		case f.fail > 0:
			f.fail--
			return errService("fakelambda: injected failure (FailNext)")
		}
	}
	return nil
}
