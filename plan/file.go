package plan

import (
	"encoding/json"
	"fmt"
	"os"

	"lithops/internal/atomicfile"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// FileFormatVersion is the format of saved plan files.
const FileFormatVersion = 1

// File is a plan saved with plan -out. It holds what apply needs to make
// the same plan again and check it: the state and configuration it was made
// from, its options, the non-sensitive variable values, and a digest of the
// plan itself. It never holds a sensitive value: those must be given again
// when the plan is applied.
type File struct {
	FormatVersion  int    `json:"format_version"`
	LithopsVersion string `json:"lithops_version"`
	Lineage        string `json:"lineage"`
	Serial         uint64 `json:"serial"`
	ConfigDigest   string `json:"config_digest"`
	Options        struct {
		Destroy bool     `json:"destroy,omitempty"`
		Refresh bool     `json:"refresh"`
		Targets []string `json:"targets,omitempty"`
		Replace []string `json:"replace,omitempty"`
	} `json:"options"`
	// Variables are the non-sensitive variable values, typed.
	Variables map[string]FileValue `json:"variables"`
	// Sensitive names the sensitive variables, whose values are not saved.
	Sensitive []string `json:"sensitive_variables,omitempty"`
	// PlanDigest identifies the plan's changes, down to each task's input.
	PlanDigest string `json:"plan_digest"`
	// Plan is the plan's JSON form (plan -json), for show -json.
	Plan json.RawMessage `json:"plan"`
	// Text is the plan as plan rendered it, without colour, for show.
	Text string `json:"text"`
}

// FileValue is a typed value.
type FileValue struct {
	Type  json.RawMessage `json:"type"`
	Value json.RawMessage `json:"value"`
}

// EncodeValue records a value with its type.
func EncodeValue(v cty.Value) (FileValue, error) {
	v, _ = v.UnmarkDeep()
	t, err := ctyjson.MarshalType(v.Type())
	if err != nil {
		return FileValue{}, err
	}
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return FileValue{}, err
	}
	return FileValue{Type: t, Value: b}, nil
}

// Decode reads a recorded value.
func (fv FileValue) Decode() (cty.Value, error) {
	t, err := ctyjson.UnmarshalType(fv.Type)
	if err != nil {
		return cty.NilVal, err
	}
	return ctyjson.Unmarshal(fv.Value, t)
}

// WriteFile saves a plan file (mode 0600: plans describe infrastructure).
func WriteFile(path string, f *File) error {
	f.FormatVersion = FileFormatVersion
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write plan %s: %w", path, err)
	}
	return nil
}

// ReadFile reads a saved plan.
func ReadFile(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	var f File
	if err := json.Unmarshal(b, &f); err != nil || f.FormatVersion == 0 {
		return nil, fmt.Errorf("%s is not a lithops plan file", path)
	}
	if f.FormatVersion > FileFormatVersion {
		return nil, fmt.Errorf("%s was written by a newer lithops (plan format %d); this one reads format %d", path, f.FormatVersion, FileFormatVersion)
	}
	return &f, nil
}

// Digest identifies what applying the plan would do: every change, every
// job's status and each task's input digest. Two plans with the same digest
// do the same thing.
func (p *Plan) Digest() string {
	d := newDigester("plan").str(p.Lineage).str(fmt.Sprint(p.Serial)).str(p.ConfigDigest).str(fmt.Sprint(p.Destroy))
	for _, r := range p.Resources {
		d.str(r.Addr).str(r.Action.String())
		if r.After != cty.NilVal {
			if b, err := ctyjson.Marshal(stripUnknown(r.After), r.After.Type()); err == nil {
				d.str(string(b))
			}
		}
	}
	for _, j := range p.Jobs {
		d.str(j.Name).str(string(j.Status)).str(j.DefinitionDigest)
		for _, t := range j.Tasks {
			cached := "run"
			if t.Cached != nil {
				cached = "cached"
			}
			d.str(t.Digest).str(cached)
		}
	}
	return d.sum()
}

// stripUnknown replaces unknown values by nulls so the value can be encoded.
func stripUnknown(v cty.Value) cty.Value {
	v, _ = v.UnmarkDeep()
	if v.IsWhollyKnown() {
		return v
	}
	out, _ := cty.Transform(v, func(_ cty.Path, v cty.Value) (cty.Value, error) {
		if !v.IsKnown() {
			return cty.NullVal(v.Type()), nil
		}
		return v, nil
	})
	return out
}
