package hcl

import (
	"strings"

	hcl2 "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// Format returns src in the canonical style: aligned equals signs, two-space
// indentation, normalised spacing. It refuses input that does not parse.
// JSON files are returned as they are.
func Format(src []byte, filename string) ([]byte, hcl2.Diagnostics) {
	if strings.HasSuffix(filename, ".json") {
		return src, nil
	}
	if _, diags := hclsyntax.ParseConfig(src, filename, hcl2.InitialPos); diags.HasErrors() {
		return nil, diags
	}
	return hclwrite.Format(src), nil
}

// IsFormattable reports whether fmt handles a file of this name.
func IsFormattable(name string) bool {
	return strings.HasSuffix(name, extConfig) && !strings.HasPrefix(name, ".")
}
