package state

import (
	"crypto/rand"
	"fmt"
)

// FormatVersion is the version of the state file format this package reads
// and writes. A file with a larger format_version is refused.
const FormatVersion = 1

// State is everything lithops knows about one configuration's real world.
//
// The zero value is not usable; New returns an empty state and Read or
// Recover a recorded one. A State is not safe for concurrent use.
type State struct {
	// LithopsVersion is the version of lithops that last wrote the state. The
	// caller sets it before Write or OpenJournal.
	LithopsVersion string
	// Lineage identifies this state's history: set once, by the first write,
	// and never changed afterwards. A saved plan and a journal record it, so
	// that neither is applied to a different state. Empty until first written.
	Lineage string
	// Serial counts writes: every Write stores Serial+1 and sets the field to
	// it. Zero for a state never written.
	Serial uint64
	// Resources maps a resource address to the resource. The key must equal
	// the value's Addr.
	Resources map[string]Resource
	// Jobs maps a job address ("job.wordcount") to its last run. The key must
	// equal the run's Name.
	Jobs map[string]*JobRun
	// Outputs maps a root output's name to its value.
	Outputs map[string]Output
}

// New returns an empty state: no lineage, serial zero, nothing recorded.
func New() *State {
	return &State{
		Resources: map[string]Resource{},
		Jobs:      map[string]*JobRun{},
		Outputs:   map[string]Output{},
	}
}

// Cached returns the recorded successful task of job whose input digest is
// inputDigest, when the job's recorded run was made from the definition
// definitionDigest: the task's stored output can be reused instead of running
// it again. The lookup is O(1).
func (s *State) Cached(job, definitionDigest, inputDigest string) (TaskRecord, bool) {
	run := s.Jobs[job]
	if run == nil || run.DefinitionDigest != definitionDigest {
		return TaskRecord{}, false
	}
	return run.Lookup(inputDigest)
}

// newLineage returns a random version-4 UUID.
func newLineage() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand since Go 1.24)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
