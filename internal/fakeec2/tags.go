package fakeec2

import (
	"strings"
)

// tagKV is one tag of a request. hasValue tells DeleteTags' "delete whatever
// the value" (no Value) from "delete only if the value is empty".
type tagKV struct {
	Key      string
	Value    string
	hasValue bool
}

// maxTags is EC2's limit of tags per resource.
const maxTags = 50

// checkTags applies EC2's tag rules: keys 1-128 characters, values up to
// 256, no key starting with the reserved "aws:".
func checkTags(tags []tagKV) error {
	for _, t := range tags {
		switch {
		case t.Key == "":
			return errf("InvalidParameterValue", "Tag key must not be empty")
		case len(t.Key) > 128:
			return errf("InvalidParameterValue", "Tag key exceeds the maximum length of 128 characters")
		case len(t.Value) > 256:
			return errf("InvalidParameterValue", "Tag value exceeds the maximum length of 256 characters")
		case strings.HasPrefix(strings.ToLower(t.Key), "aws:"):
			return errf("InvalidParameterValue", "Tag keys starting with 'aws:' are reserved for internal use")
		}
	}
	return nil
}

// specTags returns the tags of a request's TagSpecifications for resource
// type want. Every specification must name a type in allowed (the types the
// operation creates), as EC2 refuses the others.
func specTags(p params, want string, allowed ...string) (map[string]string, error) {
	tags := map[string]string{}
	for _, spec := range p.tagSpecs() {
		ok := false
		for _, a := range allowed {
			ok = ok || spec.ResourceType == a
		}
		if !ok {
			return nil, errf("InvalidParameterValue", "'%s' is not a valid taggable resource type for this operation.", spec.ResourceType)
		}
		if err := checkTags(spec.Tags); err != nil {
			return nil, err
		}
		if spec.ResourceType != want {
			continue
		}
		for _, t := range spec.Tags {
			tags[t.Key] = t.Value
		}
	}
	if len(tags) > maxTags {
		return nil, errf("TagLimitExceeded", "The maximum number of Tags for a resource has been reached.")
	}
	return tags, nil
}

// taggable finds the tags of a resource by ID; s.mu must be held.
func (s *Server) taggable(id string) (map[string]string, error) {
	prefix, _, _ := strings.Cut(id, "-")
	switch prefix {
	case "i":
		in, err := s.findInstance(id)
		if err != nil {
			return nil, err
		}
		return in.Tags, nil
	case "sg":
		g, err := s.findGroupID(id)
		if err != nil {
			return nil, err
		}
		return g.tags, nil
	case "key":
		for _, k := range s.keyPairs {
			if k.id == id {
				return k.tags, nil
			}
		}
		return nil, errf("InvalidKeyPair.NotFound", "The key pair ID '%s' does not exist", id)
	case "vpc":
		if id != s.vpc.ID {
			return nil, errf("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", id)
		}
		return s.vpc.tags, nil
	case "subnet":
		if id != s.subnet.ID {
			return nil, errf("InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist", id)
		}
		return s.subnet.tags, nil
	}
	return nil, errf("InvalidID", "The ID '%s' is not valid", id)
}

type boolResponse struct {
	meta
	Return bool `xml:"return"`
}

// createTags adds or overwrites tags on resources. Like EC2 it checks every
// resource before changing any.
func (s *Server) createTags(p params) (response, error) {
	ids := p.list("ResourceId")
	if len(ids) == 0 {
		return nil, errMissing("ResourceId")
	}
	tags := p.tagList("Tag")
	if len(tags) == 0 {
		return nil, errMissing("Tag")
	}
	if err := checkTags(tags); err != nil {
		return nil, err
	}
	var targets []map[string]string
	for _, id := range ids {
		m, err := s.taggable(id)
		if err != nil {
			return nil, err
		}
		n := len(m)
		for _, t := range tags {
			if _, ok := m[t.Key]; !ok {
				n++
			}
		}
		if n > maxTags {
			return nil, errf("TagLimitExceeded", "The maximum number of Tags for a resource has been reached.")
		}
		targets = append(targets, m)
	}
	if err := dryRun(p); err != nil {
		return nil, err
	}
	for _, m := range targets {
		for _, t := range tags {
			m[t.Key] = t.Value
		}
	}
	return &boolResponse{Return: true}, nil
}

// deleteTags removes tags: a Tag with only a Key goes whatever its value, a
// Tag with a Value only when the value matches; no Tag removes every tag.
func (s *Server) deleteTags(p params) (response, error) {
	ids := p.list("ResourceId")
	if len(ids) == 0 {
		return nil, errMissing("ResourceId")
	}
	tags := p.tagList("Tag")
	var targets []map[string]string
	for _, id := range ids {
		m, err := s.taggable(id)
		if err != nil {
			return nil, err
		}
		targets = append(targets, m)
	}
	if err := dryRun(p); err != nil {
		return nil, err
	}
	for _, m := range targets {
		if len(tags) == 0 {
			clear(m)
		}
		for _, t := range tags {
			if v, ok := m[t.Key]; ok && (!t.hasValue || v == t.Value) {
				delete(m, t.Key)
			}
		}
	}
	return &boolResponse{Return: true}, nil
}

// dryRun returns DryRunOperation when the request set DryRun: the request
// was valid and would have succeeded.
func dryRun(p params) error {
	on, err := p.bool("DryRun")
	if err != nil {
		return err
	}
	if on {
		return errDryRun()
	}
	return nil
}
