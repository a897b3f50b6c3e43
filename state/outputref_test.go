package state

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestOutputRefs(t *testing.T) {
	for _, tc := range []struct {
		name       string
		ref        OutputRef
		want       OutputRef
		wantInline string // "" with wantOK false: not inline
		wantOK     bool
	}{
		{
			name:       "text",
			ref:        InlineOutput([]byte("42\n")),
			want:       OutputRef{Kind: OutputText, Text: "42\n", Size: 3, Digest: Digest([]byte("42\n"))},
			wantInline: "42\n", wantOK: true,
		},
		{
			name:       "empty text is an output",
			ref:        InlineOutput(nil),
			want:       OutputRef{Kind: OutputText, Size: 0, Digest: Digest(nil)},
			wantInline: "", wantOK: true,
		},
		{
			name:       "bytes that are not UTF-8",
			ref:        InlineOutput([]byte{0xc3, 0x28}),
			want:       OutputRef{Kind: OutputBytes, Bytes: []byte{0xc3, 0x28}, Size: 2, Digest: Digest([]byte{0xc3, 0x28})},
			wantInline: "\xc3\x28", wantOK: true,
		},
		{
			name: "json is compacted, digest of what was written",
			ref: func() OutputRef {
				o, err := InlineJSONOutput([]byte("[1, 2]\n"))
				if err != nil {
					t.Fatal(err)
				}
				return o
			}(),
			want:       OutputRef{Kind: OutputJSON, JSON: json.RawMessage("[1,2]"), Size: 7, Digest: Digest([]byte("[1, 2]\n"))},
			wantInline: "[1,2]", wantOK: true,
		},
		{
			name: "object",
			ref:  ObjectOutput("storage.data", "out/1", 1<<30, "sha256:abc"),
			want: OutputRef{Kind: OutputObject, Storage: "storage.data", Key: "out/1", Size: 1 << 30, Digest: "sha256:abc"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.ref); diff != "" {
				t.Errorf("wrong ref (-want +got):\n%s", diff)
			}
			got, ok := tc.ref.Inline()
			if ok != tc.wantOK || string(got) != tc.wantInline {
				t.Errorf("Inline() = %q, %v; want %q, %v", got, ok, tc.wantInline, tc.wantOK)
			}
			if tc.ref.IsZero() {
				t.Errorf("IsZero() = true for a recorded output")
			}
		})
	}
	if !(OutputRef{}).IsZero() {
		t.Errorf("the zero OutputRef is not IsZero")
	}
	if _, err := InlineJSONOutput([]byte("{not json")); err == nil {
		t.Errorf("InlineJSONOutput accepted invalid JSON")
	}
}
