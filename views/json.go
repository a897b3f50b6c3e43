package views

import (
	"bytes"
	"encoding/json"
	"io"
	"sync"
	"time"

	"lithops/apply"
)

// JSONOptions configure a JSON renderer.
type JSONOptions struct {
	// Out receives one JSON object per line.
	Out io.Writer
	// Version is the lithops version, sent in the first event.
	Version string
	// Now stamps the version event; default time.Now.
	Now func() time.Time
}

// JSON writes every event as one line of JSON (docs/JSON-EVENTS.md), first
// a "version" event carrying FormatVersion. Each call writes whole lines in
// one Write. Observe is safe for concurrent use; events are written in the
// order Observe is called.
type JSON struct {
	out     io.Writer
	version string
	now     func() time.Time

	mu      sync.Mutex
	buf     bytes.Buffer
	enc     *json.Encoder
	started bool
}

var _ apply.Observer = (*JSON)(nil)

// NewJSON returns a JSON renderer writing to o.Out. It writes nothing until
// the first event, or Start.
func NewJSON(o JSONOptions) *JSON {
	j := &JSON{out: o.Out, version: o.Version, now: o.Now}
	if j.now == nil {
		j.now = time.Now
	}
	j.enc = json.NewEncoder(&j.buf)
	j.enc.SetEscapeHTML(false)
	return j
}

// Start writes the version event now, if it was not written yet. Main calls
// it before anything else so a consumer learns the format first even when
// apply fails before its first event.
func (j *JSON) Start() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.start()
	j.flush()
}

// Observe implements apply.Observer.
func (j *JSON) Observe(e apply.Event) {
	w := wire(e)
	if w == nil {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.start()
	_ = j.enc.Encode(w) // the wire types always encode
	j.flush()
}

func (j *JSON) start() {
	if j.started {
		return
	}
	j.started = true
	_ = j.enc.Encode(jsonVersion{header("version", j.now()), FormatVersion, j.version})
}

func (j *JSON) flush() {
	_, _ = j.out.Write(j.buf.Bytes())
	j.buf.Reset()
}
