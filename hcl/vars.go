package hcl

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	hcl2 "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// EnvVarPrefix prefixes environment variables that set variables:
// LITHOPS_VAR_workers=16 sets var.workers.
const EnvVarPrefix = "LITHOPS_VAR_"

// rawValue is a variable value before conversion, with where it came from.
type rawValue struct {
	val cty.Value
	// expr is the expression it came from, for diagnostics; nil for values
	// from the command line or the environment.
	rng    *hcl2.Range
	source string
}

// resolveVariables applies the precedence defaults < LITHOPS_VAR_name <
// *.auto.vars.hcl (in name order) < -var-file and -var (in the order given),
// converts every value to its variable's type, and checks validations.
func resolveVariables(p *hclparse.Parser, cfg *Config, autoVars []string, opts LoadOptions) (map[string]cty.Value, hcl2.Diagnostics) {
	var diags hcl2.Diagnostics
	raw := map[string]rawValue{}
	// failed names variables whose given value was rejected: they are not
	// also reported as missing.
	failed := map[string]bool{}

	// Environment: ignore values for undeclared variables, as Terraform does.
	env := append([]string(nil), opts.Env...)
	sort.Strings(env)
	for _, kv := range env {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, EnvVarPrefix) {
			continue
		}
		name = strings.TrimPrefix(name, EnvVarPrefix)
		v := cfg.Variables[name]
		if v == nil {
			continue
		}
		val, more := parseRawValue(v, value, "environment variable "+EnvVarPrefix+name)
		diags = append(diags, more...)
		failed[name] = more.HasErrors()
		if !more.HasErrors() {
			raw[name] = rawValue{val: val, source: "environment variable " + EnvVarPrefix + name}
		}
	}
	for _, name := range autoVars {
		diags = append(diags, loadVarFile(p, cfg, filepath.Join(cfg.Dir, name), raw, false)...)
	}
	for _, f := range opts.Vars {
		if f.File {
			path := f.Value
			if !filepath.IsAbs(path) {
				path = filepath.Join(cfg.Cwd, path)
			}
			diags = append(diags, loadVarFile(p, cfg, path, raw, true)...)
			continue
		}
		name, value, ok := strings.Cut(f.Value, "=")
		if !ok || name == "" {
			diags = append(diags, &hcl2.Diagnostic{
				Severity: hcl2.DiagError,
				Summary:  "Invalid -var option",
				Detail:   fmt.Sprintf("The option -var %q is not of the form NAME=VALUE, such as -var 'workers=8'.", f.Value),
			})
			continue
		}
		v := cfg.Variables[name]
		if v == nil {
			diags = append(diags, &hcl2.Diagnostic{
				Severity: hcl2.DiagError,
				Summary:  "Value for undeclared variable",
				Detail:   fmt.Sprintf("The option -var sets %q, but no variable of that name is declared. Declare it with a variable block, or remove the option.", name),
			})
			continue
		}
		val, more := parseRawValue(v, value, "-var option")
		diags = append(diags, more...)
		if more.HasErrors() {
			failed[name] = true
			continue
		}
		raw[name] = rawValue{val: val, source: "-var option"}
	}

	for name, v := range opts.Fixed {
		if cfg.Variables[name] != nil {
			raw[name] = rawValue{val: v, source: "saved plan"}
			failed[name] = false
		}
	}
	values := map[string]cty.Value{}
	for _, name := range sortedNames(cfg.Variables) {
		v := cfg.Variables[name]
		rv, set := raw[name]
		var val cty.Value
		switch {
		case set:
			conv, err := convert.Convert(rv.val, v.Type)
			if err != nil {
				diags = append(diags, &hcl2.Diagnostic{
					Severity: hcl2.DiagError,
					Summary:  "Invalid value for variable",
					Detail:   fmt.Sprintf("The value for var.%s from the %s does not match its type: %s.", name, rv.source, err),
					Subject:  rangeOr(rv.rng, v.DeclRange),
				})
				continue
			}
			val = conv
			if val.IsNull() && !v.Nullable {
				diags = append(diags, &hcl2.Diagnostic{
					Severity: hcl2.DiagError,
					Summary:  "Null value for non-nullable variable",
					Detail:   fmt.Sprintf("var.%s is declared with nullable = false, but the %s sets it to null.", name, rv.source),
					Subject:  rangeOr(rv.rng, v.DeclRange),
				})
				continue
			}
		case failed[name]:
			continue
		case v.Required():
			diags = append(diags, &hcl2.Diagnostic{
				Severity: hcl2.DiagError,
				Summary:  "No value for required variable",
				Detail: fmt.Sprintf("The variable %q has no default, so it needs a value: -var '%s=VALUE', a -var-file, a *.auto.vars.hcl file, or the environment variable %s%s.",
					name, name, EnvVarPrefix, name),
				Subject: v.DeclRange.Ptr(),
			})
			continue
		default:
			val = v.Default
		}
		values[name] = val
	}
	if diags.HasErrors() {
		return markSensitive(cfg, values), diags
	}
	values = markSensitive(cfg, values)
	diags = append(diags, cfg.validateVariables(values)...)
	return values, diags
}

func rangeOr(r *hcl2.Range, def hcl2.Range) *hcl2.Range {
	if r != nil {
		return r
	}
	return def.Ptr()
}

func markSensitive(cfg *Config, values map[string]cty.Value) map[string]cty.Value {
	for name, v := range values {
		if cfg.Variables[name].Sensitive {
			values[name] = v.Mark(sensitiveMark)
		}
	}
	return values
}

// parseRawValue reads a value from the command line or the environment: taken
// literally for a string variable, parsed as an HCL expression otherwise.
func parseRawValue(v *Variable, s, source string) (cty.Value, hcl2.Diagnostics) {
	if v.Type == cty.String || !v.HasType && !looksLikeExpr(s) {
		return cty.StringVal(s), nil
	}
	expr, diags := hclsyntax.ParseExpression([]byte(s), source, hcl2.Pos{Line: 1, Column: 1})
	if diags.HasErrors() {
		return cty.NilVal, hcl2.Diagnostics{{
			Severity: hcl2.DiagError,
			Summary:  "Invalid value for variable",
			Detail:   fmt.Sprintf("The value of var.%s from the %s is not a valid expression for its type %s: %s.", v.Name, source, typeString(v.Type), diags[0].Summary),
			Subject:  v.DeclRange.Ptr(),
		}}
	}
	val, diags := expr.Value(nil)
	if diags.HasErrors() {
		return cty.NilVal, hcl2.Diagnostics{{
			Severity: hcl2.DiagError,
			Summary:  "Invalid value for variable",
			Detail:   fmt.Sprintf("The value of var.%s from the %s must be a literal value, without references or functions: %s.", v.Name, source, diags[0].Summary),
			Subject:  v.DeclRange.Ptr(),
		}}
	}
	return val, nil
}

// looksLikeExpr guesses, for an untyped variable, whether a command-line
// value is meant as a list, map or number rather than a string.
func looksLikeExpr(s string) bool {
	s = strings.TrimSpace(s)
	return strings.HasPrefix(s, "[") || strings.HasPrefix(s, "{")
}

func loadVarFile(p *hclparse.Parser, cfg *Config, path string, raw map[string]rawValue, explicit bool) hcl2.Diagnostics {
	var (
		f     *hcl2.File
		diags hcl2.Diagnostics
	)
	if strings.HasSuffix(path, ".json") {
		f, diags = p.ParseJSONFile(path)
	} else {
		f, diags = p.ParseHCLFile(path)
	}
	if f == nil {
		if len(diags) == 0 || diags[0].Subject == nil {
			return hcl2.Diagnostics{{
				Severity: hcl2.DiagError,
				Summary:  "Cannot read variables file",
				Detail:   fmt.Sprintf("The variables file %s could not be read.", path),
			}}
		}
		return diags
	}
	attrs, more := f.Body.JustAttributes()
	diags = append(diags, more...)
	for _, a := range sortedAttrs(attrs) {
		v := cfg.Variables[a.Name]
		if v == nil {
			sev := hcl2.DiagWarning
			if explicit {
				sev = hcl2.DiagError
			}
			diags = append(diags, &hcl2.Diagnostic{
				Severity: sev,
				Summary:  "Value for undeclared variable",
				Detail:   fmt.Sprintf("This file sets %q, but no variable of that name is declared.", a.Name),
				Subject:  a.NameRange.Ptr(),
			})
			continue
		}
		val, more := a.Expr.Value(nil)
		if more.HasErrors() {
			diags = append(diags, &hcl2.Diagnostic{
				Severity: hcl2.DiagError,
				Summary:  "Invalid value for variable",
				Detail:   "A variables file holds literal values only, without references or functions.",
				Subject:  a.Expr.Range().Ptr(),
			})
			continue
		}
		rng := a.Expr.Range()
		raw[a.Name] = rawValue{val: val, rng: &rng, source: "file " + filepath.Base(path)}
	}
	return diags
}

// validateVariables evaluates every validation block.
func (cfg *Config) validateVariables(values map[string]cty.Value) hcl2.Diagnostics {
	var diags hcl2.Diagnostics
	ctx := &hcl2.EvalContext{
		Variables: map[string]cty.Value{"var": cty.ObjectVal(values)},
		Functions: Functions(cfg.Dir),
	}
	for _, name := range sortedNames(cfg.Variables) {
		v := cfg.Variables[name]
		if _, ok := values[name]; !ok {
			continue
		}
		for _, val := range v.Validation {
			result, more := val.Condition.Value(ctx)
			if more.HasErrors() {
				diags = append(diags, more...)
				continue
			}
			result, _ = result.Unmark()
			if !result.IsKnown() {
				continue
			}
			if result.IsNull() || result.Type() != cty.Bool {
				diags = append(diags, &hcl2.Diagnostic{
					Severity: hcl2.DiagError,
					Summary:  "Invalid validation condition",
					Detail:   "A validation condition must be true or false.",
					Subject:  val.Condition.Range().Ptr(),
				})
				continue
			}
			if result.True() {
				continue
			}
			msg, more := val.ErrorMessage.Value(ctx)
			detail := "The value does not pass this validation."
			if !more.HasErrors() {
				if m, marks := msg.Unmark(); len(marks) == 0 && m.Type() == cty.String && m.IsKnown() && !m.IsNull() {
					detail = m.AsString()
				} else if len(marks) > 0 {
					detail = "The error message refers to a sensitive value, so it is not shown."
				}
			}
			diags = append(diags, &hcl2.Diagnostic{
				Severity: hcl2.DiagError,
				Summary:  "Invalid value for variable",
				Detail:   fmt.Sprintf("var.%s: %s", name, detail),
				Subject:  val.Condition.Range().Ptr(),
			})
		}
	}
	return diags
}

func typeString(t cty.Type) string { return t.FriendlyName() }
