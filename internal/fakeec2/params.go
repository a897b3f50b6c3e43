package fakeec2

import (
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// params reads an EC2 Query request's form values. Lists travel as
// Name.1, Name.2, ... and structures as Name.Field, the way the SDK's
// awsEc2query serializers write them.
type params url.Values

func (p params) str(key string) string { return url.Values(p).Get(key) }

func (p params) has(key string) bool { _, ok := p[key]; return ok }

// bool reads a boolean; EC2 accepts only "true" and "false".
func (p params) bool(key string) (bool, error) {
	switch v := p.str(key); v {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	default:
		return false, errInvalidValue(v, key)
	}
}

// optBool reads a boolean that may be absent.
func (p params) optBool(key string) (value, set bool, err error) {
	if !p.has(key) {
		return false, false, nil
	}
	v, err := p.bool(key)
	return v, true, err
}

// int reads an integer, def when absent.
func (p params) int(key string, def int) (int, error) {
	v := p.str(key)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, errInvalidValue(v, key)
	}
	return n, nil
}

// indexes returns the list indexes N present as prefix.N or prefix.N.*,
// in ascending order.
func (p params) indexes(prefix string) []int {
	seen := map[int]bool{}
	for k := range p {
		rest, ok := strings.CutPrefix(k, prefix+".")
		if !ok {
			continue
		}
		head, _, _ := strings.Cut(rest, ".")
		n, err := strconv.Atoi(head)
		if err != nil || n < 1 {
			continue
		}
		seen[n] = true
	}
	out := make([]int, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

// list reads the scalar list prefix.1, prefix.2, ...
func (p params) list(prefix string) []string {
	var out []string
	for _, n := range p.indexes(prefix) {
		k := prefix + "." + strconv.Itoa(n)
		if p.has(k) {
			out = append(out, p.str(k))
		}
	}
	return out
}

// sub returns the keys under prefix.N. as their own params.
func (p params) sub(prefix string, n int) params {
	head := prefix + "." + strconv.Itoa(n) + "."
	out := params{}
	for k, v := range p {
		if rest, ok := strings.CutPrefix(k, head); ok {
			out[rest] = v
		}
	}
	return out
}

// under returns the keys under prefix. as their own params.
func (p params) under(prefix string) params {
	out := params{}
	for k, v := range p {
		if rest, ok := strings.CutPrefix(k, prefix+"."); ok {
			out[rest] = v
		}
	}
	return out
}

// filter is one Filter.N of a Describe request.
type filter struct {
	Name   string
	Values []string
}

func (p params) filters() ([]filter, error) {
	var out []filter
	for _, n := range p.indexes("Filter") {
		f := p.sub("Filter", n)
		name := f.str("Name")
		if name == "" {
			return nil, errMissing("Filter." + strconv.Itoa(n) + ".Name")
		}
		out = append(out, filter{Name: name, Values: f.list("Value")})
	}
	return out, nil
}

// tagList reads prefix.N.Key / prefix.N.Value pairs in order.
func (p params) tagList(prefix string) []tagKV {
	var out []tagKV
	for _, n := range p.indexes(prefix) {
		t := p.sub(prefix, n)
		out = append(out, tagKV{Key: t.str("Key"), Value: t.str("Value"), hasValue: t.has("Value")})
	}
	return out
}

// tagSpec is one TagSpecification.N.
type tagSpec struct {
	ResourceType string
	Tags         []tagKV
}

func (p params) tagSpecs() []tagSpec {
	var out []tagSpec
	for _, n := range p.indexes("TagSpecification") {
		s := p.sub("TagSpecification", n)
		out = append(out, tagSpec{ResourceType: s.str("ResourceType"), Tags: s.tagList("Tag")})
	}
	return out
}
