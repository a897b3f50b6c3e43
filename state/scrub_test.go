package state

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestScrubAttributes(t *testing.T) {
	for _, tc := range []struct {
		name      string
		attrs     string
		sensitive []string
		want      string
		err       bool
	}{
		{"no names: unchanged", `{"b":1, "a":"x"}`, nil, `{"b":1, "a":"x"}`, false},
		{"one name", `{"host":"h","password":"p"}`, []string{"password"}, `{"host":"h","password":null}`, false},
		{"nested values go whole", `{"auth":{"key":"k","user":"u"},"n":1}`, []string{"auth"}, `{"auth":null,"n":1}`, false},
		{"absent names are ignored", `{"host":"h"}`, []string{"password"}, `{"host":"h"}`, false},
		{"already null", `{"password":null}`, []string{"password"}, `{"password":null}`, false},
		{"several, keys sorted", `{"z":1,"token":"t","key":"k"}`, []string{"token", "key"}, `{"key":null,"token":null,"z":1}`, false},
		{"not an object", `["a"]`, []string{"a"}, ``, true},
		{"null", `null`, []string{"a"}, ``, true},
		{"not JSON", `{`, []string{"a"}, ``, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ScrubAttributes(json.RawMessage(tc.attrs), tc.sensitive)
			if (err != nil) != tc.err {
				t.Fatalf("ScrubAttributes error = %v, want error %v", err, tc.err)
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("wrong attributes (-want +got):\n%s", diff)
			}
		})
	}
}
