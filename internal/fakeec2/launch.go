package fakeec2

import (
	"encoding/base64"
	"maps"
	"slices"
	"sort"
	"strings"
)

// clientToken remembers a successful RunInstances for idempotent retries.
type clientToken struct {
	digest      string
	reservation string
	instances   []string
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
