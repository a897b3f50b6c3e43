package fakelambda

import (
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseFunctionName(t *testing.T) {
	cases := []struct {
		raw  string
		want functionRef
		code string
	}{
		{"echo", functionRef{name: "echo"}, ""},
		{"echo:$LATEST", functionRef{name: "echo", qualifier: "$LATEST"}, ""},
		{"123456789012:function:echo", functionRef{name: "echo", account: "123456789012"}, ""},
		{"arn:aws:lambda:us-east-1:123456789012:function:echo:prod", functionRef{name: "echo", qualifier: "prod", region: "us-east-1", account: "123456789012"}, ""},
		{"arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:my_fn-2", functionRef{name: "my_fn-2", region: "us-gov-west-1", account: "123456789012"}, ""},
		{"", functionRef{}, "ValidationException"},
		{"my function", functionRef{}, "ValidationException"},
		{"a/b", functionRef{}, "ValidationException"},
		{"x:y:z", functionRef{}, "ValidationException"},
	}
	for _, tc := range cases {
		got, aerr := parseFunctionName(tc.raw)
		code := ""
		if aerr != nil {
			code = aerr.code
		}
		if code != tc.code {
			t.Errorf("parseFunctionName(%q): error %q, want %q", tc.raw, code, tc.code)
			continue
		}
		if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(functionRef{})); diff != "" {
			t.Errorf("parseFunctionName(%q): wrong reference (-want +got):\n%s", tc.raw, diff)
		}
	}
}

// FuzzParseFunctionName: any string either is refused or names a function
// whose name is valid and whose ARN names it again.
func FuzzParseFunctionName(f *testing.F) {
	for _, seed := range []string{"echo", "echo:1", "arn:aws:lambda:us-east-1:123456789012:function:echo:$LATEST", "123456789012:function:x", "::", "function:"} {
		f.Add(seed)
	}
	valid := regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
	s := &Server{opts: Options{Region: DefaultRegion, AccountID: DefaultAccountID}}
	f.Fuzz(func(t *testing.T, raw string) {
		ref, aerr := parseFunctionName(raw)
		if aerr != nil {
			if aerr.code != "ValidationException" {
				t.Fatalf("parseFunctionName(%q) refused with %s", raw, aerr.code)
			}
			return
		}
		if !valid.MatchString(ref.name) {
			t.Fatalf("parseFunctionName(%q) accepted name %q", raw, ref.name)
		}
		again, aerr := parseFunctionName(s.arn(ref.name))
		if aerr != nil || again.name != ref.name {
			t.Fatalf("ARN of %q does not parse back: %+v, %v", ref.name, again, aerr)
		}
	})
}
