package hcl

import (
	"fmt"

	"github.com/zclconf/go-cty/cty"

	hcl2 "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"

	"lithops/providers"
)

// Validate evaluates everything that can be evaluated without running a job
// or touching the network: locals, backend bodies (checked by their
// backends), runtimes, job attributes and map commands, and outputs. Values
// that depend on job results are unknown and pass.
func (cfg *Config) Validate(reg *providers.Registry) hcl2.Diagnostics {
	e := cfg.Evaluator()
	_, diags := e.Context()
	for _, name := range sortedNames(cfg.Executors) {
		ex := cfg.Executors[name]
		b, ok := reg.Executors[ex.Backend]
		if !ok {
			continue
		}
		v, more := e.Body(ex.Body, b.Spec())
		diags = append(diags, more...)
		if !more.HasErrors() {
			diags = append(diags, Problems(b.Validate(v), ex.Body, b.Spec(), ex.DeclRange)...)
			diags = append(diags, credentials(b, v, ex.Body, b.Spec(), ex.DeclRange)...)
		}
	}
	for _, name := range sortedNames(cfg.Storages) {
		s := cfg.Storages[name]
		b, ok := reg.Storages[s.Backend]
		if !ok {
			continue
		}
		v, more := e.Body(s.Body, b.Spec())
		diags = append(diags, more...)
		if !more.HasErrors() {
			diags = append(diags, Problems(b.Validate(v), s.Body, b.Spec(), s.DeclRange)...)
			diags = append(diags, credentials(b, v, s.Body, b.Spec(), s.DeclRange)...)
		}
	}
	for _, name := range sortedNames(cfg.Runtimes) {
		_, more := e.Runtime(name)
		diags = append(diags, more...)
	}
	for _, name := range sortedNames(cfg.Jobs) {
		_, more := e.Job(name)
		diags = append(diags, more...)
		diags = append(diags, e.CheckMap(cfg.Jobs[name])...)
	}
	for _, name := range sortedNames(cfg.Outputs) {
		_, more := e.OutputValue(name)
		diags = append(diags, more...)
	}
	return dedupe(diags)
}

// Problems turns a backend's complaints into diagnostics at the attributes
// they name.
func Problems(ps []providers.Problem, body hcl2.Body, spec hcldec.Spec, block hcl2.Range) hcl2.Diagnostics {
	var diags hcl2.Diagnostics
	for _, p := range ps {
		rng := AttrRange(body, spec, p.Attr, block)
		diags = append(diags, &hcl2.Diagnostic{Severity: hcl2.DiagError, Summary: p.Summary, Detail: p.Detail, Subject: rng.Ptr()})
	}
	return diags
}

// credentials requires that the body attributes a backend marks sensitive
// (access keys, connection strings) get their values from sensitive
// variables, so that they never reach plans, state or logs.
func credentials(b any, v cty.Value, body hcl2.Body, spec hcldec.Spec, block hcl2.Range) hcl2.Diagnostics {
	d, ok := b.(providers.BodyDescriber)
	if !ok || v.IsNull() || !v.Type().IsObjectType() {
		return nil
	}
	var diags hcl2.Diagnostics
	schema := d.BodySchema()
	for _, name := range sortedNames(schema.Attributes) {
		if !schema.Attributes[name].Sensitive || !v.Type().HasAttribute(name) {
			continue
		}
		av := v.GetAttr(name)
		if av.IsNull() || !av.IsKnown() {
			continue
		}
		if _, marks := av.UnmarkDeep(); len(marks) > 0 {
			continue
		}
		rng := AttrRange(body, spec, name, block)
		diags = append(diags, &hcl2.Diagnostic{
			Severity: hcl2.DiagError,
			Summary:  "Credential not from a sensitive variable",
			Detail:   fmt.Sprintf("%s is a credential. Give it through a variable declared with sensitive = true (set from LITHOPS_VAR_NAME or a -var-file kept out of git), so it never reaches plans, state or logs — or leave it out and let the SDK's own credential chain find it.", name),
			Subject:  rng.Ptr(),
		})
	}
	return diags
}

// dedupe drops diagnostics repeated at the same place with the same words,
// which evaluating shared locals or variables from several places produces.
func dedupe(diags hcl2.Diagnostics) hcl2.Diagnostics {
	seen := map[string]bool{}
	var out hcl2.Diagnostics
	for _, d := range diags {
		key := fmt.Sprintf("%d|%s|%s|%v", d.Severity, d.Summary, d.Detail, d.Subject)
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, d)
	}
	return out
}
