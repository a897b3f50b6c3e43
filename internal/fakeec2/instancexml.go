package fakeec2

import "strings"

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
