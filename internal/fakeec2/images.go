package fakeec2

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"time"
)

// Image is an AMI DescribeImages knows and RunInstances can launch.
type Image struct {
	// ID is the AMI ID; empty gives one derived from Name.
	ID   string
	Name string
	// OwnerID is the owning account; OwnerAlias is "amazon" for images
	// Amazon owns, empty otherwise.
	OwnerID    string
	OwnerAlias string
	// Architecture is "x86_64" or "arm64".
	Architecture string
	Description  string
	Created      time.Time
	// Deprecated, when set and in the past, hides the image from
	// DescribeImages unless IncludeDeprecated is true, as on EC2.
	Deprecated time.Time
}

// CanonicalOwner is the account Canonical publishes Ubuntu images from.
const CanonicalOwner = "099720109477"

// AmazonOwner is the account Amazon Linux images come from.
const AmazonOwner = "137112412989"

// DefaultImages returns a small catalogue shaped like the real one, so that
// a "latest Ubuntu LTS" lookup has to filter and sort: two releases of
// Ubuntu 24.04 for amd64 and one for arm64, 22.04 for both, a deprecated
// 20.04, an Ubuntu Pro image that is newer than all of them and matches a
// too-loose name pattern, and an Amazon Linux image from another owner.
func DefaultImages() []Image {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 10, 0, 0, 0, time.UTC) }
	ubuntu := func(path, codename, version, arch, date string, created time.Time) Image {
		return Image{
			Name:         "ubuntu/images/" + path + "/ubuntu-" + codename + "-" + version + "-" + archName(arch) + "-server-" + date,
			OwnerID:      CanonicalOwner,
			Architecture: arch,
			Description:  "Canonical, Ubuntu, " + version + " LTS, " + archName(arch) + " " + codename + " image",
			Created:      created,
		}
	}
	imgs := []Image{
		ubuntu("hvm-ssd-gp3", "noble", "24.04", "x86_64", "20250610", day(2025, 6, 10)),
		ubuntu("hvm-ssd-gp3", "noble", "24.04", "x86_64", "20251001", day(2025, 10, 1)),
		ubuntu("hvm-ssd-gp3", "noble", "24.04", "arm64", "20251001", day(2025, 10, 1)),
		ubuntu("hvm-ssd", "jammy", "22.04", "x86_64", "20250925", day(2025, 9, 25)),
		ubuntu("hvm-ssd", "jammy", "22.04", "arm64", "20250925", day(2025, 9, 25)),
		ubuntu("hvm-ssd", "focal", "20.04", "x86_64", "20230112", day(2023, 1, 12)),
		{
			Name:         "ubuntu-pro-server/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-pro-server-20251015",
			OwnerID:      CanonicalOwner,
			Architecture: "x86_64",
			Description:  "Canonical, Ubuntu Pro, 24.04 LTS, amd64 noble image",
			Created:      day(2025, 10, 15),
		},
		{
			Name:         "al2023-ami-2023.8.20251001.0-kernel-6.1-x86_64",
			OwnerID:      AmazonOwner,
			OwnerAlias:   "amazon",
			Architecture: "x86_64",
			Description:  "Amazon Linux 2023 AMI 2023.8.20251001.0 x86_64 HVM kernel-6.1",
			Created:      day(2025, 10, 1),
		},
	}
	imgs[5].Deprecated = day(2025, 6, 1)
	return imgs
}

func archName(arch string) string {
	if arch == "x86_64" {
		return "amd64"
	}
	return arch
}

// imageID is the ID of img, derived from its name when not set.
func imageID(img Image) string {
	if img.ID != "" {
		return img.ID
	}
	sum := sha256.Sum256([]byte(img.Name))
	return "ami-0" + hex.EncodeToString(sum[:])[:16]
}

// findImage finds an image by ID; deprecated images can still be launched.
func (s *Server) findImage(id string) (Image, error) {
	if !wellFormed(id, "ami") {
		return Image{}, errMalformed("InvalidAMIID.Malformed", id, "ami")
	}
	for _, img := range s.images {
		if imageID(img) == id {
			return img, nil
		}
	}
	return Image{}, errf("InvalidAMIID.NotFound", "The image id '[%s]' does not exist", id)
}

func (s *Server) imageFields(img Image) fields {
	aliases := []string{}
	if img.OwnerAlias != "" {
		aliases = append(aliases, img.OwnerAlias)
	}
	return fields{
		"image-id":            {imageID(img)},
		"name":                {img.Name},
		"description":         {img.Description},
		"owner-id":            {img.OwnerID},
		"owner-alias":         aliases,
		"architecture":        {img.Architecture},
		"state":               {"available"},
		"is-public":           {"true"},
		"image-type":          {"machine"},
		"root-device-type":    {"ebs"},
		"root-device-name":    {"/dev/sda1"},
		"virtualization-type": {"hvm"},
		"hypervisor":          {"xen"},
		"platform-details":    {"Linux/UNIX"},
	}
}

type xmlImage struct {
	ImageID            string `xml:"imageId"`
	ImageLocation      string `xml:"imageLocation"`
	ImageState         string `xml:"imageState"`
	ImageOwnerID       string `xml:"imageOwnerId"`
	ImageOwnerAlias    string `xml:"imageOwnerAlias,omitempty"`
	CreationDate       string `xml:"creationDate"`
	DeprecationTime    string `xml:"deprecationTime,omitempty"`
	IsPublic           bool   `xml:"isPublic"`
	Architecture       string `xml:"architecture"`
	ImageType          string `xml:"imageType"`
	Name               string `xml:"name"`
	Description        string `xml:"description"`
	RootDeviceType     string `xml:"rootDeviceType"`
	RootDeviceName     string `xml:"rootDeviceName"`
	VirtualizationType string `xml:"virtualizationType"`
	Hypervisor         string `xml:"hypervisor"`
	EnaSupport         bool   `xml:"enaSupport"`
	PlatformDetails    string `xml:"platformDetails"`
	UsageOperation     string `xml:"usageOperation"`
	BootMode           string `xml:"bootMode"`
}

type describeImagesResponse struct {
	meta
	Images    []xmlImage `xml:"imagesSet>item"`
	NextToken string     `xml:"nextToken,omitempty"`
}

// describeImages lists images by Owner.N (account IDs, "self", "amazon"),
// ImageId.N and filters. Images are returned in catalogue order, not by
// date: like EC2, it leaves finding the newest to the caller.
func (s *Server) describeImages(p params) (response, error) {
	filters, err := p.filters()
	if err != nil {
		return nil, err
	}
	if err := checkFilters(filters, s.imageFields(Image{})); err != nil {
		return nil, err
	}
	includeDeprecated, err := p.bool("IncludeDeprecated")
	if err != nil {
		return nil, err
	}
	ids, owners := p.list("ImageId"), p.list("Owner")
	if len(ids) > 0 && p.has("MaxResults") {
		return nil, errf("InvalidParameterCombination", "The parameter ImagesSet cannot be used with the parameter maxResults")
	}
	for _, id := range ids {
		if _, err := s.findImage(id); err != nil {
			return nil, err
		}
	}
	if err := dryRun(p); err != nil {
		return nil, err
	}
	now := s.now()
	type numbered struct {
		img Image
		seq int
	}
	var found []numbered
	for i, img := range s.images {
		if len(ids) > 0 && !slices.Contains(ids, imageID(img)) {
			continue
		}
		if len(owners) > 0 && !s.ownedBy(img, owners) {
			continue
		}
		// EC2 hides deprecated images from listings, not from lookups by ID.
		if len(ids) == 0 && !includeDeprecated && !img.Deprecated.IsZero() && !img.Deprecated.After(now) {
			continue
		}
		if matches(filters, s.imageFields(img), nil) {
			found = append(found, numbered{img, i})
		}
	}
	page, next, err := paginate(p, "ami", found, func(n numbered) int { return n.seq })
	if err != nil {
		return nil, err
	}
	out := &describeImagesResponse{NextToken: next}
	for _, n := range page {
		img := n.img
		x := xmlImage{
			ImageID: imageID(img), ImageLocation: img.OwnerID + "/" + img.Name, ImageState: "available",
			ImageOwnerID: img.OwnerID, ImageOwnerAlias: img.OwnerAlias, CreationDate: timestamp(img.Created),
			IsPublic: true, Architecture: img.Architecture, ImageType: "machine", Name: img.Name,
			Description: img.Description, RootDeviceType: "ebs", RootDeviceName: "/dev/sda1",
			VirtualizationType: "hvm", Hypervisor: "xen", EnaSupport: true, PlatformDetails: "Linux/UNIX",
			UsageOperation: "RunInstances", BootMode: "uefi-preferred",
		}
		if !img.Deprecated.IsZero() {
			x.DeprecationTime = timestamp(img.Deprecated)
		}
		out.Images = append(out.Images, x)
	}
	return out, nil
}

func (s *Server) ownedBy(img Image, owners []string) bool {
	for _, o := range owners {
		switch {
		case o == img.OwnerID, o == "self" && img.OwnerID == s.opts.AccountID,
			o != "" && o == img.OwnerAlias:
			return true
		}
	}
	return false
}
