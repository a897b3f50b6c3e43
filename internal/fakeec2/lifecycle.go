package fakeec2

import (
	"context"
	"fmt"
	"time"
)

// hostStopTimeout bounds Host.Stop when the server closes.
const hostStopTimeout = time.Minute

// setWant records what the API asks of an instance, moves it to the
// transitional state at once (as EC2's responses show it) and wakes its
// lifecycle goroutine; s.mu must be held.
func (s *Server) setWant(in *instance, want desire, state State, reason, message, transition string) {
	in.want = want
	in.State = state
	in.StateReason = reason
	in.reasonMessage = message
	in.reason = transition
	select {
	case in.wake <- struct{}{}:
	default:
	}
	s.notify()
}

// lifecycle drives one instance from launch to termination: it starts the
// backing host, makes the instance running after BootDelay, and on a stop
// or terminate request stops the host and finishes the transition after
// ShutdownDelay. snap is the instance at launch, what the host is given.
func (s *Server) lifecycle(in *instance, snap Instance) {
	defer s.wg.Done()
	if err := s.host.Start(s.ctx, snap); err != nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.ctx.Err() == nil {
			s.hostErrs = append(s.hostErrs, fmt.Errorf("start host of %s: %w", in.ID, err))
		}
		s.finish(in, "Server.InternalError", "Server.InternalError: Internal error on launch")
		return
	}
	s.mu.Lock()
	in.hostUp = true
	s.mu.Unlock()
	if !s.pause(s.opts.BootDelay, in.wake) {
		s.stopHost(in, snap)
		return
	}
	s.mu.Lock()
	if in.want == wantRun && in.State == Pending {
		in.State = Running
		s.notify()
	}
	s.mu.Unlock()

	for {
		s.mu.Lock()
		want, up := in.want, in.hostUp
		s.mu.Unlock()
		if want == wantRun {
			select {
			case <-in.wake:
				continue
			case <-s.ctx.Done():
				s.stopHost(in, snap)
				return
			}
		}
		if up {
			s.stopHost(in, snap)
		}
		if !s.pause(s.opts.ShutdownDelay, nil) {
			return
		}
		s.mu.Lock()
		if in.want == wantTerminate {
			s.finish(in, in.StateReason, in.reasonMessage)
			s.mu.Unlock()
			return
		}
		in.State = Stopped
		s.notify()
		s.mu.Unlock()
		select {
		case <-in.wake:
		case <-s.ctx.Done():
			return
		}
	}
}

// pause waits d, or until wake fires (nil: never); false when the server
// closed meanwhile.
func (s *Server) pause(d time.Duration, wake chan struct{}) bool {
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-wake:
			// Put the signal back for the caller's next look at want.
			select {
			case wake <- struct{}{}:
			default:
			}
		case <-s.ctx.Done():
		}
	}
	return s.ctx.Err() == nil
}

// stopHost calls Host.Stop once for an instance whose host is up.
func (s *Server) stopHost(in *instance, snap Instance) {
	ctx := s.ctx
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.Background(), hostStopTimeout)
		defer cancel()
	}
	err := s.host.Stop(ctx, snap)
	s.mu.Lock()
	defer s.mu.Unlock()
	in.hostUp = false
	if err != nil {
		s.hostErrs = append(s.hostErrs, fmt.Errorf("stop host of %s: %w", in.ID, err))
	}
	s.notify()
}

// finish makes an instance terminated and returns its address to the
// pool; s.mu must be held.
func (s *Server) finish(in *instance, reason, message string) {
	in.State = Terminated
	in.want = wantTerminate
	in.StateReason, in.reasonMessage = reason, message
	in.terminatedAt = s.now()
	s.pool = append(s.pool, in.addr)
	s.notify()
}

// PowerOff simulates the instance's OS shutting itself down (the idle
// watchdog's `shutdown -h now`): with shutdown behavior "terminate" the
// instance goes shutting-down → terminated, with "stop" (EC2's default)
// stopping → stopped, where it keeps costing its volumes. The state reason
// is Client.InstanceInitiatedShutdown.
func (s *Server) PowerOff(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.lookupInstance(id)
	if in == nil {
		return fmt.Errorf("power off %s: no such instance", id)
	}
	if in.State != Running {
		return fmt.Errorf("power off %s: instance is %s, not running", id, in.State)
	}
	const reason, message = "Client.InstanceInitiatedShutdown", "Client.InstanceInitiatedShutdown: Instance initiated shutdown"
	if in.ShutdownBehavior == "terminate" {
		s.setWant(in, wantTerminate, ShuttingDown, reason, message, "")
	} else {
		s.setWant(in, wantStop, Stopping, reason, message, "")
	}
	return nil
}

// InterruptSpot reclaims a pending or running spot instance as EC2 does
// when it needs the capacity back: the instance terminates with state
// reason Server.SpotInstanceTermination.
func (s *Server) InterruptSpot(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.lookupInstance(id)
	if in == nil {
		return fmt.Errorf("interrupt %s: no such instance", id)
	}
	if in.Market != Spot {
		return fmt.Errorf("interrupt %s: not a spot instance", id)
	}
	if in.State != Pending && in.State != Running {
		return fmt.Errorf("interrupt %s: instance is %s", id, in.State)
	}
	s.setWant(in, wantTerminate, ShuttingDown, "Server.SpotInstanceTermination",
		"Server.SpotInstanceTermination: Spot instance termination", "")
	return nil
}

// Instance returns a snapshot of an instance, terminated ones included
// until they are forgotten after Options.TerminatedRetention.
func (s *Server) Instance(id string) (Instance, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prune()
	in := s.lookupInstance(id)
	if in == nil {
		return Instance{}, false
	}
	return in.snapshot(), true
}

// Instances returns snapshots of every instance the server still knows,
// in launch order.
func (s *Server) Instances() []Instance {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prune()
	out := make([]Instance, len(s.instances))
	for i, in := range s.instances {
		out[i] = in.snapshot()
	}
	return out
}

// WaitState waits until an instance is in state and returns it then. It
// fails when ctx ends first or the instance reaches terminated while
// another state was awaited.
func (s *Server) WaitState(ctx context.Context, id string, state State) (Instance, error) {
	for {
		s.mu.Lock()
		in := s.lookupInstance(id)
		if in == nil {
			s.mu.Unlock()
			return Instance{}, fmt.Errorf("wait for %s to be %s: no such instance", id, state)
		}
		snap, changed := in.snapshot(), s.changed
		s.mu.Unlock()
		if snap.State == state {
			return snap, nil
		}
		if snap.State == Terminated {
			return snap, fmt.Errorf("wait for %s to be %s: instance terminated (%s)", id, state, snap.StateReason)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return snap, fmt.Errorf("wait for %s to be %s (is %s): %w", id, state, snap.State, ctx.Err())
		}
	}
}
