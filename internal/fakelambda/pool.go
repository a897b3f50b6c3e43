package fakelambda

import (
	"context"
	"slices"
)

// Execution environments are kept warm per function and reused by later
// invocations of the same generation, as the real service does; new code or
// configuration retires them (completeLocked), and so do DeleteFunction and
// Close. Their number is bounded by the concurrency limit: an environment
// serves one invocation at a time, and executions in progress hold a slot.

// trySlot takes an execution slot if one is free.
func (s *Server) trySlot() bool {
	select {
	case s.slots <- struct{}{}:
		s.mu.Lock()
		s.inflight++
		s.mu.Unlock()
		return true
	default:
		return false
	}
}

// waitSlot takes an execution slot, waiting for one; false if the server
// closed first.
func (s *Server) waitSlot() bool {
	select {
	case s.slots <- struct{}{}:
		s.mu.Lock()
		s.inflight++
		s.mu.Unlock()
		return true
	case <-s.ctx.Done():
		return false
	}
}

func (s *Server) releaseSlot() {
	s.mu.Lock()
	s.inflight--
	s.mu.Unlock()
	<-s.slots
}

// InFlight is the number of executions in progress (synchronous and
// asynchronous), the figure the concurrency limit applies to.
func (s *Server) InFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inflight
}

// Running is the number of execution environments (emulator processes)
// alive, busy or warm.
func (s *Server) Running() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sandboxes)
}

// takeSandbox returns a warm environment of d's generation, or starts one.
func (s *Server) takeSandbox(ctx context.Context, d *deployment, owner *function, codeDir string) (*sandbox, error) {
	s.mu.Lock()
	if s.funcs[d.name] == owner && owner.gen == d.gen && len(owner.idle) > 0 {
		sb := owner.idle[len(owner.idle)-1]
		owner.idle = owner.idle[:len(owner.idle)-1]
		s.mu.Unlock()
		return sb, nil
	}
	s.mu.Unlock()
	return s.startSandbox(ctx, d, owner, codeDir)
}

// returnSandbox puts an environment back in its function's warm pool, or
// retires it if it is unhealthy or out of date.
func (s *Server) returnSandbox(sb *sandbox, healthy bool) {
	s.mu.Lock()
	keep := healthy && !s.closed && s.funcs[sb.owner.name] == sb.owner && sb.owner.gen == sb.gen
	if keep {
		sb.owner.idle = append(sb.owner.idle, sb)
	}
	s.mu.Unlock()
	if !keep {
		s.retire(sb)
	}
}

// retire stops an environment and forgets it.
func (s *Server) retire(sb *sandbox) {
	s.mu.Lock()
	delete(s.sandboxes, sb)
	s.mu.Unlock()
	sb.stop()
}

// retireLater retires an environment in the background. Called with s.mu
// held, from a handler or a transition (so before Close's wg.Wait).
func (s *Server) retireLater(sb *sandbox) {
	delete(s.sandboxes, sb)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		sb.stop()
	}()
}

// functionLog appends a line of output to the function's log stream.
func (s *Server) functionLog(f *function, line string) {
	s.mu.Lock()
	f.appendLog(line)
	s.mu.Unlock()
	if s.opts.Logf != nil {
		s.opts.Logf("lambda %s: %s", f.name, line)
	}
}

// Logs returns the function's log stream so far (what the real service
// sends to CloudWatch Logs): every line its execution environments wrote,
// with the START, END and REPORT lines, oldest first, up to the last 10000.
func (s *Server) Logs(function string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.funcs[function]
	if f == nil {
		return nil
	}
	return slices.Clone(f.logs)
}
