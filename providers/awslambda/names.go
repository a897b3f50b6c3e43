package awslambda

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// maxNameLen is Lambda's limit on a function name.
const maxNameLen = 64

// functionName names an executor's function after its runtime's digest
// and memory: a change to either is a new function, while a new lithops
// binary or new settings update the same one. Names are kept readable
// (executor and runtime names, shortened to fit) and stay within Lambda's
// [A-Za-z0-9_-]{1,64}.
//
//	lithops-fn-default-3f9a2c1b-1024mb
func functionName(executor, runtime, runtimeDigest, arch, imageURI string, memoryMB int64) string {
	h := sha256.Sum256([]byte(runtimeDigest + "\x00" + arch + "\x00" + imageURI))
	tail := fmt.Sprintf("-%s-%dmb", hex.EncodeToString(h[:4]), memoryMB)
	room := maxNameLen - len("lithops-") - len(tail) - 1
	e, r := clean(executor), clean(runtime)
	for len(e)+len(r) > room {
		if len(e) >= len(r) {
			e = e[:len(e)-1]
		} else {
			r = r[:len(r)-1]
		}
	}
	return "lithops-" + e + "-" + r + tail
}

// clean keeps the characters a function name allows.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '_'
	}, s)
}
