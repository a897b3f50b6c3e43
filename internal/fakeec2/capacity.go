package fakeec2

import "fmt"

// Market is how an instance is bought.
type Market string

// The markets RunInstances accepts through InstanceMarketOptions.MarketType
// (absent means on-demand).
const (
	OnDemand Market = "on-demand"
	Spot     Market = "spot"
)

// CapacityLimit caps how many more instances EC2 "has" for an instance type
// and market. Each launched instance matching the limit uses one unit;
// terminating an instance does not give it back.
type CapacityLimit struct {
	// InstanceType matches one type ("c7g.large"); empty matches all.
	InstanceType string
	// Market matches one market; empty matches both.
	Market Market
	// Available is how many more matching instances can launch.
	Available int
}

// LimitCapacity adds a capacity limit. When several limits match a launch,
// the tightest decides.
func (s *Server) LimitCapacity(l CapacityLimit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits = append(s.limits, &l)
}

// RefuseInstances makes EC2 lack capacity for the next n instances asked
// for, whatever their type or market. A RunInstances call with MaxCount m
// uses min(n, m) refusals whether it succeeds or not: the instances EC2
// could not place are gone from that request.
func (s *Server) RefuseInstances(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse += n
}

// RestoreCapacity removes every capacity limit and pending refusal.
func (s *Server) RestoreCapacity() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits = nil
	s.refuse = 0
}

// placeable decides how many of max instances EC2 can place now and uses
// the refusals and limits that takes; s.mu must be held. It follows
// RunInstances' documented rule: EC2 launches the largest possible number
// of instances between MinCount and MaxCount, or none and
// InsufficientInstanceCapacity when fewer than MinCount fit. Running out
// of addresses is a different error (InsufficientFreeAddressesInSubnet),
// checked after capacity, as EC2 places instances before addressing them.
func (s *Server) placeable(typ string, market Market, minCount, maxCount int) (int, error) {
	refused := min(s.refuse, maxCount)
	s.refuse -= refused
	n := maxCount - refused
	var matching []*CapacityLimit
	for _, l := range s.limits {
		if (l.InstanceType == "" || l.InstanceType == typ) && (l.Market == "" || l.Market == market) {
			matching = append(matching, l)
			n = min(n, l.Available)
		}
	}
	if n < minCount {
		if market == Spot {
			return 0, errf("InsufficientInstanceCapacity", "There is no Spot capacity available that matches your request.")
		}
		return 0, errf("InsufficientInstanceCapacity",
			"We currently do not have sufficient %s capacity in the Availability Zone you requested (%s). Our system will be working on provisioning additional capacity. You can currently get %s capacity by not specifying an Availability Zone in your request or choosing %s.",
			typ, s.subnet.AvailabilityZone, typ, s.otherZones())
	}
	if n > len(s.pool) {
		n = len(s.pool)
	}
	if n < minCount {
		return 0, errf("InsufficientFreeAddressesInSubnet",
			"There are not enough free addresses in subnet '%s' to satisfy the requested number of instances.", s.subnet.ID)
	}
	for _, l := range matching {
		l.Available -= n
	}
	return n, nil
}

func (s *Server) otherZones() string {
	return fmt.Sprintf("%sb, %sc", s.opts.Region, s.opts.Region)
}
