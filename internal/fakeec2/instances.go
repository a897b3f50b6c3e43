package fakeec2

import (
	"encoding/base64"
	"maps"
	"slices"
	"sort"
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

// clientToken remembers a successful RunInstances for idempotent retries.
type clientToken struct {
	digest      string
	reservation string
	instances   []string
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

// launchRequest is a validated RunInstances request.
type launchRequest struct {
	image            Image
	instanceType     string
	market           Market
	minCount         int
	maxCount         int
	key              *keyPair
	keyName          string
	groups           []string
	publicIP         bool
	userData         []byte
	shutdownBehavior string
	tags             map[string]string
}

// maxUserData is EC2's limit on user data before base64 encoding.
const maxUserData = 16384

func (s *Server) parseLaunch(p params) (*launchRequest, error) {
	req := &launchRequest{}
	var err error
	imageID := p.str("ImageId")
	if imageID == "" {
		return nil, errMissing("ImageId")
	}
	if req.image, err = s.findImage(imageID); err != nil {
		return nil, err
	}
	if req.minCount, err = p.int("MinCount", 0); err != nil {
		return nil, err
	}
	if req.maxCount, err = p.int("MaxCount", 0); err != nil {
		return nil, err
	}
	switch {
	case !p.has("MinCount"):
		return nil, errMissing("MinCount")
	case !p.has("MaxCount"):
		return nil, errMissing("MaxCount")
	case req.minCount < 1:
		return nil, errf("InvalidParameterValue", "Value (%d) for parameter minCount is invalid. Expected a positive integer.", req.minCount)
	case req.maxCount < req.minCount:
		return nil, errf("InvalidParameterValue", "Value (%d) for parameter maxCount is invalid. Expected a value greater than or equal to minCount.", req.maxCount)
	}

	req.instanceType = p.str("InstanceType")
	if req.instanceType == "" {
		req.instanceType = "m1.small"
	}
	typ, ok := s.types[req.instanceType]
	if !ok {
		return nil, errInvalidValue(req.instanceType, "InstanceType")
	}
	if !slices.Contains(typ.Architectures, req.image.Architecture) {
		return nil, errf("InvalidParameterValue",
			"The architecture '%s' of the specified instance type does not match the architecture '%s' of the specified AMI. Specify an instance type and an AMI that have matching architectures, and try again. You can use 'describe-instance-types' or 'describe-images' to discover the architecture of the instance type or AMI.",
			strings.Join(typ.Architectures, ","), req.image.Architecture)
	}

	switch mt := p.str("InstanceMarketOptions.MarketType"); mt {
	case "":
		req.market = OnDemand
	case "spot":
		req.market = Spot
		switch v := p.str("InstanceMarketOptions.SpotOptions.SpotInstanceType"); v {
		case "", "one-time", "persistent":
		default:
			return nil, errInvalidValue(v, "SpotInstanceType")
		}
		switch v := p.str("InstanceMarketOptions.SpotOptions.InstanceInterruptionBehavior"); v {
		case "", "terminate", "stop", "hibernate":
		default:
			return nil, errInvalidValue(v, "InstanceInterruptionBehavior")
		}
	default:
		return nil, errInvalidValue(mt, "MarketType")
	}

	if req.keyName = p.str("KeyName"); req.keyName != "" {
		if req.key = s.findKeyName(req.keyName); req.key == nil {
			return nil, errf("InvalidKeyPair.NotFound", "The key pair '%s' does not exist", req.keyName)
		}
	}

	nic := p.under("NetworkInterface.1")
	subnetID := p.str("SubnetId")
	if len(p.indexes("NetworkInterface")) > 0 {
		if subnetID != "" {
			return nil, errf("InvalidParameterCombination", "Network interfaces and an instance-level subnet ID may not be specified on the same request")
		}
		if len(p.list("SecurityGroupId")) > 0 || len(p.list("SecurityGroup")) > 0 {
			return nil, errf("InvalidParameterCombination", "Network interfaces and an instance-level security groups may not be specified on the same request")
		}
		subnetID = nic.str("SubnetId")
	}
	if subnetID != "" && subnetID != s.subnet.ID {
		return nil, errf("InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist", subnetID)
	}
	req.publicIP = true // the default subnet maps public addresses on launch
	if v, set, err := nic.optBool("AssociatePublicIpAddress"); err != nil {
		return nil, err
	} else if set {
		req.publicIP = v
	}

	groupIDs := slices.Concat(p.list("SecurityGroupId"), nic.list("SecurityGroupId"))
	for _, id := range groupIDs {
		if _, err := s.findGroupID(id); err != nil {
			return nil, err
		}
		req.groups = append(req.groups, id)
	}
	for _, name := range p.list("SecurityGroup") {
		g, err := s.findGroupName(name)
		if err != nil {
			return nil, err
		}
		req.groups = append(req.groups, g.id)
	}
	if len(req.groups) == 0 {
		req.groups = []string{s.defaultGroup().id}
	}

	if ud := p.str("UserData"); ud != "" {
		if req.userData, err = base64.StdEncoding.DecodeString(ud); err != nil {
			return nil, errf("InvalidParameterValue", "Invalid BASE64 encoding of user data.")
		}
		if len(req.userData) > maxUserData {
			return nil, errf("InvalidParameterValue", "User data is limited to %d bytes", maxUserData)
		}
	}

	switch req.shutdownBehavior = p.str("InstanceInitiatedShutdownBehavior"); req.shutdownBehavior {
	case "":
		req.shutdownBehavior = "stop"
	case "stop", "terminate":
	default:
		return nil, errInvalidValue(req.shutdownBehavior, "InstanceInitiatedShutdownBehavior")
	}

	allowed := []string{"instance", "volume", "network-interface"}
	if req.market == Spot {
		allowed = append(allowed, "spot-instances-request")
	}
	if req.tags, err = specTags(p, "instance", allowed...); err != nil {
		return nil, err
	}
	return req, nil
}

// requestDigest identifies a request's parameters apart from its client
// token, to tell a retry from a different request reusing a token.
func requestDigest(p params) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		if k != "ClientToken" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + strings.Join(p[k], ",") + "\n")
	}
	return b.String()
}

type runInstancesResponse struct {
	meta
	xmlReservation
}

// runInstances launches between MinCount and MaxCount instances, or none.
// A ClientToken seen before with the same parameters returns the first
// call's reservation; with other parameters, IdempotentParameterMismatch.
func (s *Server) runInstances(p params) (response, error) {
	token := p.str("ClientToken")
	if prev, ok := s.tokens[token]; ok && token != "" {
		if prev.digest != requestDigest(p) {
			return nil, errf("IdempotentParameterMismatch", "Arguments on this idempotent request are inconsistent with arguments used in previous request(s).")
		}
		var ins []*instance
		for _, id := range prev.instances {
			if in := s.lookupInstance(id); in != nil {
				ins = append(ins, in)
			}
		}
		return &runInstancesResponse{xmlReservation: s.reservation(prev.reservation, ins)}, nil
	}
	req, err := s.parseLaunch(p)
	if err != nil {
		return nil, err
	}
	if err := dryRun(p); err != nil {
		return nil, err
	}
	n, err := s.placeable(req.instanceType, req.market, req.minCount, req.maxCount)
	if err != nil {
		return nil, err
	}
	reservation := s.newID("r")
	now := s.now()
	var launched []*instance
	for i := range n {
		addr := s.pool[0]
		s.pool = s.pool[1:]
		id, seq := s.newSeqID("i")
		in := &instance{
			Instance: Instance{
				ID: id, ReservationID: reservation, ImageID: imageID(req.image), InstanceType: req.instanceType,
				Market: req.market, KeyName: req.keyName, SecurityGroupIDs: slices.Clone(req.groups),
				SubnetID: s.subnet.ID, PrivateIP: addr.Private, PublicIP: addr.Public,
				UserData: slices.Clone(req.userData), ShutdownBehavior: req.shutdownBehavior,
				Tags: maps.Clone(req.tags), State: Pending, LaunchTime: now,
			},
			seq: seq, launchIndex: i, addr: addr, publicIP: req.publicIP && addr.Public != "", clientToken: token,
			nicID: s.newID("eni"), attachmentID: s.newID("eni-attach"),
			wake: make(chan struct{}, 1), stale: s.opts.StaleDescribes,
		}
		if !in.publicIP {
			in.PublicIP = ""
		}
		if req.key != nil {
			in.PublicKey = req.key.publicKey
		}
		if req.market == Spot {
			in.spotRequestID = "sir-" + id[3:11]
		}
		launched = append(launched, in)
	}
	s.instances = append(s.instances, launched...)
	if token != "" {
		ids := make([]string, len(launched))
		for i, in := range launched {
			ids[i] = in.ID
		}
		s.tokens[token] = &clientToken{digest: requestDigest(p), reservation: reservation, instances: ids}
	}
	out := &runInstancesResponse{xmlReservation: s.reservation(reservation, launched)}
	for _, in := range launched {
		s.wg.Add(1)
		go s.lifecycle(in, in.snapshot())
	}
	s.notify()
	return out, nil
}

type xmlInstanceState struct {
	Code int    `xml:"code"`
	Name string `xml:"name"`
}

type xmlGroupIdentifier struct {
	GroupID   string `xml:"groupId"`
	GroupName string `xml:"groupName"`
}

type xmlStateReason struct {
	Code    string `xml:"code"`
	Message string `xml:"message"`
}

type xmlNetworkInterface struct {
	NetworkInterfaceID string               `xml:"networkInterfaceId"`
	SubnetID           string               `xml:"subnetId"`
	VpcID              string               `xml:"vpcId"`
	OwnerID            string               `xml:"ownerId"`
	Status             string               `xml:"status"`
	PrivateIPAddress   string               `xml:"privateIpAddress"`
	SourceDestCheck    bool                 `xml:"sourceDestCheck"`
	InterfaceType      string               `xml:"interfaceType"`
	Groups             []xmlGroupIdentifier `xml:"groupSet>item"`
	Attachment         struct {
		AttachmentID        string `xml:"attachmentId"`
		DeviceIndex         int    `xml:"deviceIndex"`
		Status              string `xml:"status"`
		DeleteOnTermination bool   `xml:"deleteOnTermination"`
	} `xml:"attachment"`
	Association *struct {
		PublicIP      string `xml:"publicIp"`
		PublicDNSName string `xml:"publicDnsName"`
		IPOwnerID     string `xml:"ipOwnerId"`
	} `xml:"association,omitempty"`
}

type xmlInstance struct {
	InstanceID     string           `xml:"instanceId"`
	ImageID        string           `xml:"imageId"`
	InstanceState  xmlInstanceState `xml:"instanceState"`
	PrivateDNSName string           `xml:"privateDnsName"`
	DNSName        string           `xml:"dnsName"`
	Reason         string           `xml:"reason"`
	KeyName        string           `xml:"keyName,omitempty"`
	AmiLaunchIndex int              `xml:"amiLaunchIndex"`
	InstanceType   string           `xml:"instanceType"`
	LaunchTime     string           `xml:"launchTime"`
	Placement      struct {
		AvailabilityZone string `xml:"availabilityZone"`
		Tenancy          string `xml:"tenancy"`
	} `xml:"placement"`
	Monitoring struct {
		State string `xml:"state"`
	} `xml:"monitoring"`
	SubnetID              string                `xml:"subnetId"`
	VpcID                 string                `xml:"vpcId"`
	PrivateIPAddress      string                `xml:"privateIpAddress,omitempty"`
	IPAddress             string                `xml:"ipAddress,omitempty"`
	SourceDestCheck       bool                  `xml:"sourceDestCheck"`
	Groups                []xmlGroupIdentifier  `xml:"groupSet>item"`
	StateReason           *xmlStateReason       `xml:"stateReason,omitempty"`
	Architecture          string                `xml:"architecture"`
	RootDeviceType        string                `xml:"rootDeviceType"`
	RootDeviceName        string                `xml:"rootDeviceName"`
	InstanceLifecycle     string                `xml:"instanceLifecycle,omitempty"`
	SpotInstanceRequestID string                `xml:"spotInstanceRequestId,omitempty"`
	VirtualizationType    string                `xml:"virtualizationType"`
	ClientToken           string                `xml:"clientToken"`
	Tags                  []xmlTag              `xml:"tagSet>item"`
	Hypervisor            string                `xml:"hypervisor"`
	NetworkInterfaces     []xmlNetworkInterface `xml:"networkInterfaceSet>item"`
	EbsOptimized          bool                  `xml:"ebsOptimized"`
	EnaSupport            bool                  `xml:"enaSupport"`
	PlatformDetails       string                `xml:"platformDetails"`
	UsageOperation        string                `xml:"usageOperation"`
}

type xmlReservation struct {
	ReservationID string        `xml:"reservationId"`
	OwnerID       string        `xml:"ownerId"`
	Instances     []xmlInstance `xml:"instancesSet>item"`
}

func (s *Server) reservation(id string, ins []*instance) xmlReservation {
	r := xmlReservation{ReservationID: id, OwnerID: s.opts.AccountID}
	for _, in := range ins {
		r.Instances = append(r.Instances, s.renderInstance(in))
	}
	return r
}

func (s *Server) privateDNS(ip string) string {
	if ip == "" {
		return ""
	}
	host := "ip-" + strings.ReplaceAll(ip, ".", "-")
	if s.opts.Region == "us-east-1" {
		return host + ".ec2.internal"
	}
	return host + "." + s.opts.Region + ".compute.internal"
}

func (s *Server) publicDNS(ip string) string {
	if ip == "" {
		return ""
	}
	host := "ec2-" + strings.ReplaceAll(ip, ".", "-")
	if s.opts.Region == "us-east-1" {
		return host + ".compute-1.amazonaws.com"
	}
	return host + "." + s.opts.Region + ".compute.amazonaws.com"
}

func (s *Server) renderInstance(in *instance) xmlInstance {
	img, _ := s.findImage(in.ImageID)
	public := in.visiblePublicIP()
	var groups []xmlGroupIdentifier
	for _, id := range in.SecurityGroupIDs {
		name := ""
		for _, g := range s.groups {
			if g.id == id {
				name = g.name
			}
		}
		groups = append(groups, xmlGroupIdentifier{GroupID: id, GroupName: name})
	}
	x := xmlInstance{
		InstanceID: in.ID, ImageID: in.ImageID,
		InstanceState:  xmlInstanceState{Code: in.State.Code(), Name: string(in.State)},
		PrivateDNSName: s.privateDNS(in.PrivateIP), DNSName: s.publicDNS(public), Reason: in.reason,
		KeyName: in.KeyName, AmiLaunchIndex: in.launchIndex, InstanceType: in.InstanceType,
		LaunchTime: timestamp(in.LaunchTime), SubnetID: in.SubnetID, VpcID: s.vpc.ID,
		PrivateIPAddress: in.PrivateIP, IPAddress: public, SourceDestCheck: true, Groups: groups,
		Architecture: img.Architecture, RootDeviceType: "ebs", RootDeviceName: "/dev/sda1",
		VirtualizationType: "hvm", ClientToken: in.clientToken, Tags: sortedTags(in.Tags),
		Hypervisor: "xen", EnaSupport: true, PlatformDetails: "Linux/UNIX", UsageOperation: "RunInstances",
	}
	x.Placement.AvailabilityZone = s.subnet.AvailabilityZone
	x.Placement.Tenancy = "default"
	x.Monitoring.State = "disabled"
	if in.StateReason != "" {
		x.StateReason = &xmlStateReason{Code: in.StateReason, Message: in.reasonMessage}
	}
	if in.Market == Spot {
		x.InstanceLifecycle = "spot"
		x.SpotInstanceRequestID = in.spotRequestID
	}
	if in.State != Terminated {
		nic := xmlNetworkInterface{
			NetworkInterfaceID: in.nicID, SubnetID: in.SubnetID, VpcID: s.vpc.ID, OwnerID: s.opts.AccountID,
			Status: "in-use", PrivateIPAddress: in.PrivateIP, SourceDestCheck: true, InterfaceType: "interface",
			Groups: groups,
		}
		nic.Attachment.AttachmentID = in.attachmentID
		nic.Attachment.Status = "attached"
		nic.Attachment.DeleteOnTermination = true
		if public != "" {
			nic.Association = &struct {
				PublicIP      string `xml:"publicIp"`
				PublicDNSName string `xml:"publicDnsName"`
				IPOwnerID     string `xml:"ipOwnerId"`
			}{PublicIP: public, PublicDNSName: s.publicDNS(public), IPOwnerID: "amazon"}
		}
		x.NetworkInterfaces = []xmlNetworkInterface{nic}
	}
	return x
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
