package state

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// OutputKind says where an OutputRef's content is.
type OutputKind string

const (
	// OutputNone: no output recorded (the zero OutputRef).
	OutputNone OutputKind = ""
	// OutputJSON: a small output decoded as JSON, held in JSON.
	OutputJSON OutputKind = "json"
	// OutputText: a small UTF-8 output, held in Text.
	OutputText OutputKind = "text"
	// OutputBytes: a small output that is not UTF-8, held in Bytes (base64
	// in the file).
	OutputBytes OutputKind = "bytes"
	// OutputObject: an output stored as an object of a storage.
	OutputObject OutputKind = "object"
)

// OutputRef is a task's output or log: small ones inline, large ones by
// reference to a storage object. Size and Digest describe the content
// whichever way it is held, so a reduce's input digest can be computed from
// state without fetching anything.
type OutputRef struct {
	Kind OutputKind `json:"kind"`
	// JSON is set for OutputJSON: the value, compacted.
	JSON json.RawMessage `json:"json,omitempty"`
	// Text is set for OutputText.
	Text string `json:"text,omitempty"`
	// Bytes is set for OutputBytes.
	Bytes []byte `json:"bytes,omitempty"`
	// Storage (a storage block's address, "storage.data") and Key name the
	// object, for OutputObject.
	Storage string `json:"storage,omitempty"`
	Key     string `json:"key,omitempty"`
	// Size is the content's length in bytes.
	Size int64 `json:"size"`
	// Digest is "sha256:<hex>" of the content: for OutputJSON, of the bytes
	// the task wrote, before compaction.
	Digest string `json:"digest"`
}

// IsZero reports whether no output is recorded.
func (o OutputRef) IsZero() bool { return o.Kind == OutputNone }

// Inline returns the content of an inline output (for OutputJSON, the
// compacted value) and true; for OutputObject or OutputNone, nil and false.
func (o OutputRef) Inline() ([]byte, bool) {
	switch o.Kind {
	case OutputJSON:
		return o.JSON, true
	case OutputText:
		return []byte(o.Text), true
	case OutputBytes:
		return o.Bytes, true
	}
	return nil, false
}

// InlineOutput holds data inline: as text when it is valid UTF-8, as bytes
// otherwise.
func InlineOutput(data []byte) OutputRef {
	o := OutputRef{Size: int64(len(data)), Digest: Digest(data)}
	if utf8.Valid(data) {
		o.Kind, o.Text = OutputText, string(data)
	} else {
		o.Kind, o.Bytes = OutputBytes, bytes.Clone(data)
	}
	return o
}

// InlineJSONOutput holds data, which must be one JSON value, inline as JSON.
func InlineJSONOutput(data []byte) (OutputRef, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, data); err != nil {
		return OutputRef{}, fmt.Errorf("output is not JSON: %w", err)
	}
	return OutputRef{Kind: OutputJSON, JSON: buf.Bytes(), Size: int64(len(data)), Digest: Digest(data)}, nil
}

// ObjectOutput refers to an output stored as object key of storage, size
// bytes long, with content digest "sha256:<hex>".
func ObjectOutput(storage, key string, size int64, digest string) OutputRef {
	return OutputRef{Kind: OutputObject, Storage: storage, Key: key, Size: size, Digest: digest}
}

// Digest returns "sha256:<hex>" of data, the form of every digest in state.
func Digest(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}
