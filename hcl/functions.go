package hcl

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"io/fs"
	"math/big"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	hcl2 "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// sensitiveMark marks values derived from sensitive variables.
const sensitiveMark = "sensitive"

// Functions returns the function table of a configuration rooted at dir:
// the cty standard library under Terraform's names, plus file functions
// that resolve relative paths against dir.
func Functions(dir string) map[string]function.Function {
	fns := map[string]function.Function{
		// Numeric
		"abs": stdlib.AbsoluteFunc, "ceil": stdlib.CeilFunc, "floor": stdlib.FloorFunc,
		"log": stdlib.LogFunc, "max": stdlib.MaxFunc, "min": stdlib.MinFunc,
		"parseint": stdlib.ParseIntFunc, "pow": stdlib.PowFunc, "signum": stdlib.SignumFunc,
		"sum": sumFunc,
		// String
		"chomp": stdlib.ChompFunc, "format": stdlib.FormatFunc, "formatlist": stdlib.FormatListFunc,
		"indent": stdlib.IndentFunc, "join": stdlib.JoinFunc, "lower": stdlib.LowerFunc,
		"regex": stdlib.RegexFunc, "regexall": stdlib.RegexAllFunc, "replace": stdlib.ReplaceFunc,
		"split": stdlib.SplitFunc, "strrev": stdlib.ReverseFunc, "substr": stdlib.SubstrFunc,
		"title": stdlib.TitleFunc, "trim": stdlib.TrimFunc, "trimprefix": stdlib.TrimPrefixFunc,
		"trimsuffix": stdlib.TrimSuffixFunc, "trimspace": stdlib.TrimSpaceFunc, "upper": stdlib.UpperFunc,
		"startswith": startsWithFunc, "endswith": endsWithFunc, "strcontains": strContainsFunc,
		// Collection
		"alltrue": allTrueFunc, "anytrue": anyTrueFunc, "chunklist": stdlib.ChunklistFunc,
		"coalesce": stdlib.CoalesceFunc, "coalescelist": stdlib.CoalesceListFunc, "compact": stdlib.CompactFunc,
		"concat": stdlib.ConcatFunc, "contains": stdlib.ContainsFunc, "distinct": stdlib.DistinctFunc,
		"element": stdlib.ElementFunc, "flatten": stdlib.FlattenFunc, "keys": stdlib.KeysFunc,
		"length": stdlib.LengthFunc, "lookup": stdlib.LookupFunc, "merge": stdlib.MergeFunc,
		"one": oneFunc, "range": rangeFunc, "reverse": stdlib.ReverseListFunc,
		"setintersection": stdlib.SetIntersectionFunc, "setproduct": stdlib.SetProductFunc,
		"setsubtract": stdlib.SetSubtractFunc, "setunion": stdlib.SetUnionFunc,
		"slice": stdlib.SliceFunc, "sort": stdlib.SortFunc, "values": stdlib.ValuesFunc,
		"zipmap": stdlib.ZipmapFunc,
		// Encoding
		"base64decode": base64DecodeFunc, "base64encode": base64EncodeFunc,
		"csvdecode": stdlib.CSVDecodeFunc, "jsondecode": stdlib.JSONDecodeFunc,
		"jsonencode": stdlib.JSONEncodeFunc, "urlencode": urlEncodeFunc,
		// Hashing
		"md5": hashFunc(md5.New), "sha1": hashFunc(sha1.New),
		"sha256": hashFunc(sha256.New), "sha512": hashFunc(sha512.New),
		// Dates
		"formatdate": stdlib.FormatDateFunc, "timeadd": stdlib.TimeAddFunc,
		// Type conversion
		"tobool": stdlib.MakeToFunc(cty.Bool), "tonumber": stdlib.MakeToFunc(cty.Number),
		"tostring": stdlib.MakeToFunc(cty.String), "tolist": stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
		"toset": stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)), "tomap": stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
		"try": tryfunc.TryFunc, "can": tryfunc.CanFunc,
		"sensitive": sensitiveFunc, "nonsensitive": nonsensitiveFunc,
		// Filesystem
		"abspath":    abspathFunc(dir),
		"basename":   pathFunc(filepath.Base),
		"dirname":    pathFunc(filepath.Dir),
		"file":       fileFunc(dir),
		"fileexists": fileExistsFunc(dir),
		"fileset":    filesetFunc(dir),
		"filesha256": fileHashFunc(dir, sha256.New),
		"filemd5":    fileHashFunc(dir, md5.New),
		"filebase64": fileBase64Func(dir),
		"pathexpand": pathFunc(func(p string) string { return p }),
	}
	fns["templatefile"] = templateFileFunc(dir, fns)
	return fns
}

func resolve(dir, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

func stringFunc(params []function.Parameter, ret cty.Type, impl func(args []cty.Value) (cty.Value, error)) function.Function {
	return function.New(&function.Spec{Params: params, Type: function.StaticReturnType(ret), Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) { return impl(args) }})
}

var strParam = function.Parameter{Name: "str", Type: cty.String}

var startsWithFunc = stringFunc([]function.Parameter{strParam, {Name: "prefix", Type: cty.String}}, cty.Bool,
	func(a []cty.Value) (cty.Value, error) {
		return cty.BoolVal(strings.HasPrefix(a[0].AsString(), a[1].AsString())), nil
	})

var endsWithFunc = stringFunc([]function.Parameter{strParam, {Name: "suffix", Type: cty.String}}, cty.Bool,
	func(a []cty.Value) (cty.Value, error) {
		return cty.BoolVal(strings.HasSuffix(a[0].AsString(), a[1].AsString())), nil
	})

var strContainsFunc = stringFunc([]function.Parameter{strParam, {Name: "substr", Type: cty.String}}, cty.Bool,
	func(a []cty.Value) (cty.Value, error) {
		return cty.BoolVal(strings.Contains(a[0].AsString(), a[1].AsString())), nil
	})

var base64EncodeFunc = stringFunc([]function.Parameter{strParam}, cty.String,
	func(a []cty.Value) (cty.Value, error) {
		return cty.StringVal(base64.StdEncoding.EncodeToString([]byte(a[0].AsString()))), nil
	})

var base64DecodeFunc = stringFunc([]function.Parameter{strParam}, cty.String,
	func(a []cty.Value) (cty.Value, error) {
		b, err := base64.StdEncoding.DecodeString(a[0].AsString())
		if err != nil {
			return cty.UnknownVal(cty.String), function.NewArgErrorf(0, "invalid base64: %s", err)
		}
		if !utf8.Valid(b) {
			return cty.UnknownVal(cty.String), function.NewArgErrorf(0, "the decoded bytes are not valid UTF-8")
		}
		return cty.StringVal(string(b)), nil
	})

var urlEncodeFunc = stringFunc([]function.Parameter{strParam}, cty.String,
	func(a []cty.Value) (cty.Value, error) { return cty.StringVal(url.QueryEscape(a[0].AsString())), nil })

func hashFunc(h func() hash.Hash) function.Function {
	return stringFunc([]function.Parameter{strParam}, cty.String, func(a []cty.Value) (cty.Value, error) {
		s := h()
		s.Write([]byte(a[0].AsString()))
		return cty.StringVal(hex.EncodeToString(s.Sum(nil))), nil
	})
}

func pathFunc(f func(string) string) function.Function {
	return stringFunc([]function.Parameter{{Name: "path", Type: cty.String}}, cty.String,
		func(a []cty.Value) (cty.Value, error) { return cty.StringVal(f(a[0].AsString())), nil })
}

func abspathFunc(dir string) function.Function {
	return pathFunc(func(p string) string { return filepath.Clean(resolve(dir, p)) })
}

func readFileArg(dir string, v cty.Value) ([]byte, error) {
	p := resolve(dir, v.AsString())
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, function.NewArgErrorf(0, "cannot read %s: %s", p, unwrapPathErr(err))
	}
	return b, nil
}

func unwrapPathErr(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

func fileFunc(dir string) function.Function {
	return stringFunc([]function.Parameter{{Name: "path", Type: cty.String}}, cty.String, func(a []cty.Value) (cty.Value, error) {
		b, err := readFileArg(dir, a[0])
		if err != nil {
			return cty.UnknownVal(cty.String), err
		}
		if !utf8.Valid(b) {
			return cty.UnknownVal(cty.String), function.NewArgErrorf(0, "%s is not valid UTF-8; use filebase64 for binary files", a[0].AsString())
		}
		return cty.StringVal(string(b)), nil
	})
}

func fileBase64Func(dir string) function.Function {
	return stringFunc([]function.Parameter{{Name: "path", Type: cty.String}}, cty.String, func(a []cty.Value) (cty.Value, error) {
		b, err := readFileArg(dir, a[0])
		if err != nil {
			return cty.UnknownVal(cty.String), err
		}
		return cty.StringVal(base64.StdEncoding.EncodeToString(b)), nil
	})
}

func fileHashFunc(dir string, h func() hash.Hash) function.Function {
	return stringFunc([]function.Parameter{{Name: "path", Type: cty.String}}, cty.String, func(a []cty.Value) (cty.Value, error) {
		b, err := readFileArg(dir, a[0])
		if err != nil {
			return cty.UnknownVal(cty.String), err
		}
		s := h()
		s.Write(b)
		return cty.StringVal(hex.EncodeToString(s.Sum(nil))), nil
	})
}

func fileExistsFunc(dir string) function.Function {
	return stringFunc([]function.Parameter{{Name: "path", Type: cty.String}}, cty.Bool, func(a []cty.Value) (cty.Value, error) {
		st, err := os.Stat(resolve(dir, a[0].AsString()))
		if err != nil {
			if os.IsNotExist(err) {
				return cty.False, nil
			}
			return cty.UnknownVal(cty.Bool), function.NewArgErrorf(0, "%s", unwrapPathErr(err))
		}
		return cty.BoolVal(st.Mode().IsRegular()), nil
	})
}

// filesetFunc lists the regular files under a directory whose paths,
// relative to it and slash-separated, match a pattern where * matches within
// a path segment and ** matches any number of segments.
func filesetFunc(dir string) function.Function {
	return stringFunc([]function.Parameter{{Name: "path", Type: cty.String}, {Name: "pattern", Type: cty.String}}, cty.Set(cty.String),
		func(a []cty.Value) (cty.Value, error) {
			root := resolve(dir, a[0].AsString())
			pattern := a[1].AsString()
			if _, err := path.Match(strings.ReplaceAll(pattern, "**", "*"), ""); err != nil {
				return cty.UnknownVal(cty.Set(cty.String)), function.NewArgErrorf(1, "invalid pattern %q: %s", pattern, err)
			}
			matches, err := Fileset(root, pattern)
			if err != nil {
				return cty.UnknownVal(cty.Set(cty.String)), function.NewArgErrorf(0, "%s", err)
			}
			if len(matches) == 0 {
				return cty.SetValEmpty(cty.String), nil
			}
			vals := make([]cty.Value, len(matches))
			for i, m := range matches {
				vals[i] = cty.StringVal(m)
			}
			return cty.SetVal(vals), nil
		})
}

// Fileset returns the sorted slash-separated paths of regular files under
// root matching pattern (see filesetFunc).
func Fileset(root, pattern string) ([]string, error) {
	segs := strings.Split(pattern, "/")
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				return err
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if matchSegs(segs, strings.Split(rel, "/")) {
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", root, unwrapPathErr(err))
	}
	sort.Strings(out)
	return out, nil
}

func matchSegs(pat, name []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := 0; i <= len(name); i++ {
				if matchSegs(pat[1:], name[i:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], name[0]); !ok {
			return false
		}
		pat, name = pat[1:], name[1:]
	}
	return len(name) == 0
}

func templateFileFunc(dir string, fns map[string]function.Function) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "path", Type: cty.String}, {Name: "vars", Type: cty.DynamicPseudoType}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(a []cty.Value, _ cty.Type) (cty.Value, error) {
			b, err := readFileArg(dir, a[0])
			if err != nil {
				return cty.UnknownVal(cty.String), err
			}
			name := a[0].AsString()
			expr, diags := hclsyntax.ParseTemplate(b, name, hcl2.Pos{Line: 1, Column: 1})
			if diags.HasErrors() {
				return cty.UnknownVal(cty.String), function.NewArgErrorf(0, "%s", diags.Error())
			}
			vars := a[1]
			if !vars.Type().IsObjectType() && !vars.Type().IsMapType() {
				return cty.UnknownVal(cty.String), function.NewArgErrorf(1, "vars must be an object or map")
			}
			inner := make(map[string]function.Function, len(fns))
			for k, f := range fns {
				if k != "templatefile" {
					inner[k] = f
				}
			}
			ctx := &hcl2.EvalContext{Variables: vars.AsValueMap(), Functions: inner}
			v, diags := expr.Value(ctx)
			if diags.HasErrors() {
				return cty.UnknownVal(cty.String), function.NewArgErrorf(1, "%s", diags.Error())
			}
			v, err = convert.Convert(v, cty.String)
			if err != nil {
				return cty.UnknownVal(cty.String), function.NewArgErrorf(0, "the template does not produce a string: %s", err)
			}
			return v, nil
		},
	})
}

var sumFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "list", Type: cty.DynamicPseudoType}},
	Type:   function.StaticReturnType(cty.Number),
	Impl: func(a []cty.Value, _ cty.Type) (cty.Value, error) {
		l := a[0]
		if !l.CanIterateElements() {
			return cty.UnknownVal(cty.Number), function.NewArgErrorf(0, "sum takes a list or set of numbers")
		}
		total := new(big.Float)
		for it := l.ElementIterator(); it.Next(); {
			_, v := it.Element()
			n, err := convert.Convert(v, cty.Number)
			if err != nil || n.IsNull() {
				return cty.UnknownVal(cty.Number), function.NewArgErrorf(0, "sum takes numbers only")
			}
			total.Add(total, n.AsBigFloat())
		}
		return cty.NumberVal(total), nil
	},
})

func boolFold(all bool) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "list", Type: cty.List(cty.Bool)}},
		Type:   function.StaticReturnType(cty.Bool),
		Impl: func(a []cty.Value, _ cty.Type) (cty.Value, error) {
			for it := a[0].ElementIterator(); it.Next(); {
				_, v := it.Element()
				if v.IsNull() {
					continue
				}
				if v.True() != all {
					return cty.BoolVal(!all), nil
				}
			}
			return cty.BoolVal(all), nil
		},
	})
}

var (
	allTrueFunc = boolFold(true)
	anyTrueFunc = boolFold(false)
)

var oneFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "list", Type: cty.DynamicPseudoType}},
	Type: func(a []cty.Value) (cty.Type, error) {
		t := a[0].Type()
		switch {
		case t.IsListType() || t.IsSetType():
			return t.ElementType(), nil
		case t.IsTupleType() && len(t.TupleElementTypes()) <= 1:
			if len(t.TupleElementTypes()) == 0 {
				return cty.DynamicPseudoType, nil
			}
			return t.TupleElementTypes()[0], nil
		}
		return cty.NilType, function.NewArgErrorf(0, "one takes a list, set or tuple of at most one element")
	},
	Impl: func(a []cty.Value, ret cty.Type) (cty.Value, error) {
		l := a[0]
		switch n := l.LengthInt(); n {
		case 0:
			return cty.NullVal(ret), nil
		case 1:
			it := l.ElementIterator()
			it.Next()
			_, v := it.Element()
			return v, nil
		default:
			return cty.NilVal, function.NewArgErrorf(0, "one takes at most one element; this has %d", n)
		}
	},
})

var sensitiveFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "value", Type: cty.DynamicPseudoType, AllowMarked: true, AllowUnknown: true, AllowNull: true}},
	Type:   func(a []cty.Value) (cty.Type, error) { return a[0].Type(), nil },
	Impl: func(a []cty.Value, _ cty.Type) (cty.Value, error) {
		return a[0].Mark(sensitiveMark), nil
	},
})

var nonsensitiveFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "value", Type: cty.DynamicPseudoType, AllowMarked: true, AllowUnknown: true, AllowNull: true}},
	Type:   func(a []cty.Value) (cty.Type, error) { return a[0].Type(), nil },
	Impl: func(a []cty.Value, _ cty.Type) (cty.Value, error) {
		v, _ := a[0].Unmark()
		return v, nil
	},
})

// MaxRange is the most elements range() makes. cty's own range stops at
// 1,024, which suits Terraform's resource counts but not a map over 100,000
// items; this one allows many more, still bounded so that a typo cannot
// exhaust memory.
const MaxRange = 10_000_000

// rangeFunc is Terraform's range(start?, end, step?) without the 1,024
// element cap, with a fast path for whole numbers.
var rangeFunc = function.New(&function.Spec{
	VarParam: &function.Parameter{Name: "params", Type: cty.Number},
	Type:     function.StaticReturnType(cty.List(cty.Number)),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		var start, end, step *big.Float
		f := func(v cty.Value) *big.Float { return v.AsBigFloat() }
		switch len(args) {
		case 1:
			start, end = new(big.Float), f(args[0])
			step = big.NewFloat(1)
			if end.Sign() < 0 {
				step = big.NewFloat(-1)
			}
		case 2:
			start, end = f(args[0]), f(args[1])
			step = big.NewFloat(1)
			if end.Cmp(start) < 0 {
				step = big.NewFloat(-1)
			}
		case 3:
			start, end, step = f(args[0]), f(args[1]), f(args[2])
		default:
			return cty.NilVal, fmt.Errorf("range takes one, two or three arguments")
		}
		if step.Sign() == 0 {
			return cty.NilVal, function.NewArgErrorf(2, "step must not be zero")
		}
		down := step.Sign() < 0
		if down && end.Cmp(start) > 0 {
			return cty.NilVal, function.NewArgErrorf(1, "end must be less than start when step is negative")
		}
		if !down && end.Cmp(start) < 0 {
			return cty.NilVal, function.NewArgErrorf(1, "end must be greater than start when step is positive")
		}
		// The number of elements, checked before anything is made.
		span := new(big.Float).Quo(new(big.Float).Sub(end, start), step)
		if n, _ := span.Float64(); n > MaxRange {
			return cty.NilVal, fmt.Errorf("range would make %.0f values, more than the %d allowed", n, MaxRange)
		}
		var vals []cty.Value
		if si, ok := exactInt(start); ok {
			if ei, ok := exactInt(end); ok {
				if st, ok := exactInt(step); ok {
					for i := si; (!down && i < ei) || (down && i > ei); i += st {
						vals = append(vals, cty.NumberIntVal(i))
					}
					if len(vals) == 0 {
						return cty.ListValEmpty(cty.Number), nil
					}
					return cty.ListVal(vals), nil
				}
			}
		}
		for num := new(big.Float).Set(start); (!down && num.Cmp(end) < 0) || (down && num.Cmp(end) > 0); num = new(big.Float).Add(num, step) {
			vals = append(vals, cty.NumberVal(new(big.Float).Set(num)))
		}
		if len(vals) == 0 {
			return cty.ListValEmpty(cty.Number), nil
		}
		return cty.ListVal(vals), nil
	},
})

func exactInt(f *big.Float) (int64, bool) {
	if !f.IsInt() {
		return 0, false
	}
	i, acc := f.Int64()
	return i, acc == big.Exact
}
