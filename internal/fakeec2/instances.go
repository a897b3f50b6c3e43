package fakeec2

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// State is an instance state, as EC2 names it.
type State string

// The instance states. EC2's lifecycle: pending → running → shutting-down
// → terminated, or running → stopping → stopped (→ shutting-down →
// terminated).
const (
	Pending      State = "pending"
	Running      State = "running"
	ShuttingDown State = "shutting-down"
	Terminated   State = "terminated"
	Stopping     State = "stopping"
	Stopped      State = "stopped"
)

// Code is the state's numeric code in the EC2 API.
func (st State) Code() int {
	switch st {
	case Running:
		return 16
	case ShuttingDown:
		return 32
	case Terminated:
		return 48
	case Stopping:
		return 64
	case Stopped:
		return 80
	}
	return 0
}

// Instance is a snapshot of an instance as a test (and a Host) sees it.
type Instance struct {
	ID            string
	ReservationID string
	ImageID       string
	InstanceType  string
	Market        Market
	KeyName       string
	// PublicKey is the key pair's public key in authorized_keys form as it
	// was at launch: what cloud-init installs for the image's default user.
	// Empty when the launch named no key pair.
	PublicKey        string
	SecurityGroupIDs []string
	SubnetID         string
	// PrivateIP and PublicIP are the addresses the instance got from the
	// pool. DescribeInstances shows PublicIP only while the instance is
	// running (or on its way down from running), as EC2 assigns it late; it
	// is empty when the launch asked for no public address.
	PrivateIP string
	PublicIP  string
	// UserData is the decoded user data: a test reads the SSH host key and
	// scripts the client injected here.
	UserData []byte
	// ShutdownBehavior is what an OS-initiated shutdown does: "stop" (EC2's
	// default) or "terminate".
	ShutdownBehavior string
	Tags             map[string]string
	State            State
	// StateReason is the code of the last state change's reason, e.g.
	// "Client.UserInitiatedShutdown"; empty while nothing changed it.
	StateReason string
	LaunchTime  time.Time
}

// desire is what the API last asked of an instance; the lifecycle
// goroutine moves the instance towards it.
type desire int

const (
	wantRun desire = iota
	wantStop
	wantTerminate
)

// instance is the server's record of an instance; guarded by Server.mu.
type instance struct {
	Instance
	seq           int
	launchIndex   int
	addr          Address // from the pool, returned on termination
	publicIP      bool    // the launch asked for a public address
	clientToken   string
	spotRequestID string
	nicID         string
	attachmentID  string
	reason        string // stateTransitionReason
	reasonMessage string
	want          desire
	wake          chan struct{}
	hostUp        bool
	terminatedAt  time.Time
	stale         int
}

func (in *instance) snapshot() Instance {
	out := in.Instance
	out.SecurityGroupIDs = slices.Clone(in.SecurityGroupIDs)
	out.UserData = slices.Clone(in.UserData)
	out.Tags = maps.Clone(in.Tags)
	return out
}

// visiblePublicIP is the public address DescribeInstances shows.
func (in *instance) visiblePublicIP() string {
	switch in.State {
	case Running, Stopping, ShuttingDown:
		if in.publicIP && in.hostUp {
			return in.PublicIP
		}
	}
	return ""
}

// prune forgets terminated instances older than TerminatedRetention; s.mu
// must be held.
func (s *Server) prune() {
	cutoff := s.now().Add(-s.opts.TerminatedRetention)
	s.instances = slices.DeleteFunc(s.instances, func(in *instance) bool {
		return in.State == Terminated && !in.terminatedAt.After(cutoff)
	})
}

// lookupInstance finds an instance by ID without the eventual-consistency
// delay; s.mu must be held.
func (s *Server) lookupInstance(id string) *instance {
	for _, in := range s.instances {
		if in.ID == id {
			return in
		}
	}
	return nil
}

// findInstance finds an instance a request names. A new instance stays
// invisible to the first Options.StaleDescribes requests that name it.
func (s *Server) findInstance(id string) (*instance, error) {
	if !wellFormed(id, "i") {
		return nil, errMalformed("InvalidInstanceID.Malformed", id, "i")
	}
	in := s.lookupInstance(id)
	if in == nil || in.stale > 0 {
		if in != nil {
			in.stale--
		}
		return nil, errf("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", id)
	}
	return in, nil
}

// findInstances finds every instance of a request, failing with one
// InvalidInstanceID.NotFound that names all missing ones, as EC2 does.
func (s *Server) findInstances(ids []string) ([]*instance, error) {
	var found []*instance
	var missing []string
	for _, id := range ids {
		in, err := s.findInstance(id)
		if err != nil {
			if e, ok := err.(*apiError); ok && e.Code == "InvalidInstanceID.NotFound" {
				missing = append(missing, id)
				continue
			}
			return nil, err
		}
		found = append(found, in)
	}
	switch len(missing) {
	case 0:
		return found, nil
	case 1:
		return nil, errf("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", missing[0])
	}
	return nil, errf("InvalidInstanceID.NotFound", "The instance IDs '%s' do not exist", strings.Join(missing, ", "))
}

func (in *instance) fields() fields {
	lifecycle := []string{}
	if in.Market == Spot {
		lifecycle = []string{"spot"}
	}
	f := fields{
		"instance-id":         {in.ID},
		"instance-state-name": {string(in.State)},
		"instance-state-code": {strconv.Itoa(in.State.Code())},
		"instance-type":       {in.InstanceType},
		"instance-lifecycle":  lifecycle,
		"image-id":            {in.ImageID},
		"key-name":            {in.KeyName},
		"reservation-id":      {in.ReservationID},
		"subnet-id":           {in.SubnetID},
		"vpc-id":              {},
		"availability-zone":   {},
		"private-ip-address":  {in.PrivateIP},
		"ip-address":          {in.visiblePublicIP()},
		"client-token":        {in.clientToken},
		"instance.group-id":   in.SecurityGroupIDs,
		"instance.group-name": {},
	}
	return f.withTags(in.Tags)
}

type describeInstancesResponse struct {
	meta
	Reservations []xmlReservation `xml:"reservationSet>item"`
	NextToken    string           `xml:"nextToken,omitempty"`
}

func (s *Server) describeInstances(p params) (response, error) {
	filters, err := p.filters()
	if err != nil {
		return nil, err
	}
	if err := checkFilters(filters, (&instance{}).fields()); err != nil {
		return nil, err
	}
	ids := p.list("InstanceId")
	if len(ids) > 0 && p.has("MaxResults") {
		return nil, errf("InvalidParameterCombination", "The parameter instancesSet cannot be used with the parameter maxResults")
	}
	named, err := s.findInstances(ids)
	if err != nil {
		return nil, err
	}
	if err := dryRun(p); err != nil {
		return nil, err
	}
	candidates := named
	if len(ids) == 0 {
		for _, in := range s.instances {
			if in.stale > 0 {
				in.stale--
				continue
			}
			candidates = append(candidates, in)
		}
	}
	var found []*instance
	for _, in := range candidates {
		f := in.fields()
		f["vpc-id"] = []string{s.vpc.ID}
		f["availability-zone"] = []string{s.subnet.AvailabilityZone}
		for _, id := range in.SecurityGroupIDs {
			if g, err := s.findGroupID(id); err == nil {
				f["instance.group-name"] = append(f["instance.group-name"], g.name)
			}
		}
		if matches(filters, f, in.Tags) && !slices.Contains(found, in) {
			found = append(found, in)
		}
	}
	slices.SortFunc(found, func(a, b *instance) int { return a.seq - b.seq })
	page, next, err := paginate(p, "i", found, func(in *instance) int { return in.seq })
	if err != nil {
		return nil, err
	}
	out := &describeInstancesResponse{NextToken: next}
	for _, in := range page {
		if n := len(out.Reservations); n > 0 && out.Reservations[n-1].ReservationID == in.ReservationID {
			out.Reservations[n-1].Instances = append(out.Reservations[n-1].Instances, s.renderInstance(in))
			continue
		}
		out.Reservations = append(out.Reservations, s.reservation(in.ReservationID, []*instance{in}))
	}
	return out, nil
}

type xmlStateChange struct {
	InstanceID    string           `xml:"instanceId"`
	CurrentState  xmlInstanceState `xml:"currentState"`
	PreviousState xmlInstanceState `xml:"previousState"`
}

type terminateInstancesResponse struct {
	meta
	Instances []xmlStateChange `xml:"instancesSet>item"`
}

// terminateInstances is idempotent: terminating an instance that is
// shutting down or terminated reports its state and changes nothing.
func (s *Server) terminateInstances(p params) (response, error) {
	ids := p.list("InstanceId")
	if len(ids) == 0 {
		return nil, errMissing("InstanceId")
	}
	ins, err := s.findInstances(ids)
	if err != nil {
		return nil, err
	}
	if err := dryRun(p); err != nil {
		return nil, err
	}
	out := &terminateInstancesResponse{}
	for _, in := range ins {
		prev := in.State
		if prev != ShuttingDown && prev != Terminated {
			s.setWant(in, wantTerminate, ShuttingDown, "Client.UserInitiatedShutdown", "Client.UserInitiatedShutdown: User initiated shutdown",
				"User initiated ("+s.now().UTC().Format("2006-01-02 15:04:05 MST")+")")
		}
		out.Instances = append(out.Instances, xmlStateChange{
			InstanceID:    in.ID,
			CurrentState:  xmlInstanceState{Code: in.State.Code(), Name: string(in.State)},
			PreviousState: xmlInstanceState{Code: prev.Code(), Name: string(prev)},
		})
	}
	return out, nil
}
