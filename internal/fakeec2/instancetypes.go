package fakeec2

import (
	"slices"
	"strconv"
	"strings"
)

// InstanceType is an instance type RunInstances accepts and
// DescribeInstanceTypes reports.
type InstanceType struct {
	Name      string
	VCPUs     int
	MemoryMiB int
	// Architectures the type runs: "x86_64", "arm64" (and "i386" for old
	// types). RunInstances refuses an image of another architecture.
	Architectures []string
}

// DefaultInstanceTypes returns common x86_64 and arm64 types, including
// m1.small, which EC2 launches when RunInstances names no type.
func DefaultInstanceTypes() []InstanceType {
	x86, arm := []string{"x86_64"}, []string{"arm64"}
	return []InstanceType{
		{Name: "m1.small", VCPUs: 1, MemoryMiB: 1740, Architectures: []string{"i386", "x86_64"}},
		{Name: "t3.micro", VCPUs: 2, MemoryMiB: 1024, Architectures: x86},
		{Name: "t3.small", VCPUs: 2, MemoryMiB: 2048, Architectures: x86},
		{Name: "t3.medium", VCPUs: 2, MemoryMiB: 4096, Architectures: x86},
		{Name: "t3.large", VCPUs: 2, MemoryMiB: 8192, Architectures: x86},
		{Name: "t4g.micro", VCPUs: 2, MemoryMiB: 1024, Architectures: arm},
		{Name: "m6i.large", VCPUs: 2, MemoryMiB: 8192, Architectures: x86},
		{Name: "m6i.xlarge", VCPUs: 4, MemoryMiB: 16384, Architectures: x86},
		{Name: "m7i.2xlarge", VCPUs: 8, MemoryMiB: 32768, Architectures: x86},
		{Name: "c6i.large", VCPUs: 2, MemoryMiB: 4096, Architectures: x86},
		{Name: "c7g.large", VCPUs: 2, MemoryMiB: 4096, Architectures: arm},
		{Name: "c7g.xlarge", VCPUs: 4, MemoryMiB: 8192, Architectures: arm},
	}
}

type xmlInstanceType struct {
	InstanceType      string `xml:"instanceType"`
	CurrentGeneration bool   `xml:"currentGeneration"`
	VCPUInfo          struct {
		DefaultVCpus int `xml:"defaultVCpus"`
	} `xml:"vCpuInfo"`
	MemoryInfo struct {
		SizeInMiB int `xml:"sizeInMiB"`
	} `xml:"memoryInfo"`
	ProcessorInfo struct {
		SupportedArchitectures []string `xml:"supportedArchitectures>item"`
	} `xml:"processorInfo"`
	SupportedUsageClasses []string `xml:"supportedUsageClasses>item"`
}

type describeInstanceTypesResponse struct {
	meta
	InstanceTypes []xmlInstanceType `xml:"instanceTypeSet>item"`
	NextToken     string            `xml:"nextToken,omitempty"`
}

func (t InstanceType) fields() fields {
	return fields{
		"instance-type":                         {t.Name},
		"processor-info.supported-architecture": t.Architectures,
		"vcpu-info.default-vcpus":               {strconv.Itoa(t.VCPUs)},
		"memory-info.size-in-mib":               {strconv.Itoa(t.MemoryMiB)},
		"current-generation":                    {strconv.FormatBool(!strings.HasPrefix(t.Name, "m1."))},
	}
}

func (s *Server) describeInstanceTypes(p params) (response, error) {
	filters, err := p.filters()
	if err != nil {
		return nil, err
	}
	if err := checkFilters(filters, InstanceType{}.fields()); err != nil {
		return nil, err
	}
	names := p.list("InstanceType")
	var missing []string
	for _, n := range names {
		if _, ok := s.types[n]; !ok {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return nil, errf("InvalidInstanceType", "The following supplied instance types do not exist: [%s]", strings.Join(missing, ", "))
	}
	if err := dryRun(p); err != nil {
		return nil, err
	}
	type numbered struct {
		t   InstanceType
		seq int
	}
	var found []numbered
	for i, n := range s.typeOrder {
		t := s.types[n]
		if len(names) > 0 && !slices.Contains(names, n) {
			continue
		}
		if matches(filters, t.fields(), nil) {
			found = append(found, numbered{t, i})
		}
	}
	page, next, err := paginate(p, "type", found, func(n numbered) int { return n.seq })
	if err != nil {
		return nil, err
	}
	out := &describeInstanceTypesResponse{NextToken: next}
	for _, n := range page {
		x := xmlInstanceType{InstanceType: n.t.Name, CurrentGeneration: !strings.HasPrefix(n.t.Name, "m1.")}
		x.VCPUInfo.DefaultVCpus = n.t.VCPUs
		x.MemoryInfo.SizeInMiB = n.t.MemoryMiB
		x.ProcessorInfo.SupportedArchitectures = n.t.Architectures
		x.SupportedUsageClasses = []string{"on-demand", "spot"}
		out.InstanceTypes = append(out.InstanceTypes, x)
	}
	return out, nil
}
