package worker

import (
	"time"
)

// Payloads of the control messages. Data messages (put-data, stdin-data,
// stdout-data) carry raw bytes; put-end and stdin-eof carry nothing; the
// acks carry one uvarint. Receivers ignore bytes after the fields they
// know, so a field may be appended without a version bump.

// helloMsg opens the client's side.
type helloMsg struct {
	MinVersion, MaxVersion uint64
	Version                string // the client's build
	Window                 uint64 // stdout bytes the client accepts unacknowledged per task
}

func (m *helloMsg) encode(e *enc) {
	e.uint(m.MinVersion)
	e.uint(m.MaxVersion)
	e.str(m.Version)
	e.uint(m.Window)
}

func (m *helloMsg) decode(d *dec) {
	m.MinVersion, m.MaxVersion, m.Version, m.Window = d.uint(), d.uint(), d.str(), d.uint()
}

// Info describes a worker, as its welcome message tells the client.
type Info struct {
	Protocol int    // the protocol version in use
	Version  string // the worker's build
	GOOS     string
	GOARCH   string
	CPUs     int
	Slots    int // tasks the worker runs at once
	PID      int
	Hostname string
	// Window is the number of stdin bytes the worker accepts unacknowledged
	// per task.
	Window int
}

func (m *Info) encode(e *enc) {
	e.uint(uint64(m.Protocol))
	e.str(m.Version)
	e.str(m.GOOS)
	e.str(m.GOARCH)
	e.uint(uint64(m.CPUs))
	e.uint(uint64(m.Slots))
	e.uint(uint64(m.PID))
	e.str(m.Hostname)
	e.uint(uint64(m.Window))
}

func (m *Info) decode(d *dec) {
	m.Protocol = int(d.uint())
	m.Version, m.GOOS, m.GOARCH = d.str(), d.str(), d.str()
	m.CPUs, m.Slots, m.PID = int(d.uint()), int(d.uint()), int(d.uint())
	m.Hostname = d.str()
	m.Window = int(d.uint())
}

// queryMsg asks which digests the worker's cache holds; haveMsg answers in
// the same order.
type queryMsg struct{ Digests []string }

func (m *queryMsg) encode(e *enc) { e.strs(m.Digests) }
func (m *queryMsg) decode(d *dec) { m.Digests = d.strs() }

type haveMsg struct{ Have []bool }

func (m *haveMsg) encode(e *enc) {
	e.uint(uint64(len(m.Have)))
	for _, h := range m.Have {
		e.bool(h)
	}
}

func (m *haveMsg) decode(d *dec) {
	n := d.count()
	m.Have = make([]bool, n)
	for i := range m.Have {
		m.Have[i] = d.bool()
	}
}

// putFileMsg puts a file in the cache. With Path set, the worker reads it
// from its own file system (the client shares it); otherwise the content
// follows in put-data frames and a put-end.
type putFileMsg struct {
	Digest string
	Size   int64
	Path   string
}

func (m *putFileMsg) encode(e *enc) { e.str(m.Digest); e.int(m.Size); e.str(m.Path) }
func (m *putFileMsg) decode(d *dec) { m.Digest, m.Size, m.Path = d.str(), d.int(), d.str() }

// storedMsg answers a put-file: Err is empty when the file is cached.
type storedMsg struct{ Err string }

func (m *storedMsg) encode(e *enc) { e.str(m.Err) }
func (m *storedMsg) decode(d *dec) { m.Err = d.str() }

// Stdin kinds of a run message.
const (
	stdinNone   = 0 // /dev/null
	stdinInline = 1 // all of it is in the run message
	stdinStream = 2 // stdin-data frames follow, then stdin-eof
	stdinRange  = 3 // the worker reads a chunk of a local file itself
)

// fileRef is a job file placed in the task's working directory.
type fileRef struct {
	Name   string
	Digest string
	Mode   uint32
}

// runMsg starts a task in a free slot.
type runMsg struct {
	Argv  []string
	Env   []string
	Files []fileRef
	Stdin byte
	Data  []byte // stdinInline
	// stdinRange
	Path                 string
	Offset, Length, Size int64
	Newline              bool
	// Timeout bounds the task (0: none); on expiry the process group gets
	// SIGTERM, then SIGKILL after Grace.
	Timeout, Grace time.Duration
}

func (m *runMsg) encode(e *enc) {
	e.strs(m.Argv)
	e.strs(m.Env)
	e.uint(uint64(len(m.Files)))
	for _, f := range m.Files {
		e.str(f.Name)
		e.str(f.Digest)
		e.uint(uint64(f.Mode))
	}
	e.b = append(e.b, m.Stdin)
	e.bytes(m.Data)
	e.str(m.Path)
	e.int(m.Offset)
	e.int(m.Length)
	e.int(m.Size)
	e.bool(m.Newline)
	e.int(int64(m.Timeout))
	e.int(int64(m.Grace))
}

func (m *runMsg) decode(d *dec) {
	m.Argv = d.strs()
	m.Env = d.strs()
	n := d.count()
	if n > 0 {
		m.Files = make([]fileRef, n)
		for i := range m.Files {
			m.Files[i] = fileRef{Name: d.str(), Digest: d.str(), Mode: uint32(d.uint())}
		}
	}
	if len(d.b) == 0 {
		d.fail("run")
		return
	}
	m.Stdin = d.b[0]
	d.b = d.b[1:]
	if data := d.bytes(); len(data) > 0 {
		m.Data = append([]byte(nil), data...)
	}
	m.Path = d.str()
	m.Offset, m.Length, m.Size = d.int(), d.int(), d.int()
	m.Newline = d.bool()
	m.Timeout, m.Grace = time.Duration(d.int()), time.Duration(d.int())
}

// startedMsg tells that the task's process runs.
type startedMsg struct{ PID int }

func (m *startedMsg) encode(e *enc) { e.uint(uint64(m.PID)) }
func (m *startedMsg) decode(d *dec) { m.PID = int(d.uint()) }

// cancelMsg asks for SIGTERM now and SIGKILL after Grace.
type cancelMsg struct{ Grace time.Duration }

func (m *cancelMsg) encode(e *enc) { e.int(int64(m.Grace)) }
func (m *cancelMsg) decode(d *dec) { m.Grace = time.Duration(d.int()) }

// doneMsg ends a task.
type doneMsg struct {
	ExitCode  int    // -1 when killed by a signal or not started
	Signal    string // "SIGKILL", when a signal ended it
	TimedOut  bool
	Cancelled bool
	Err       string // the command could not be started
	// Stdout is the output's last piece, not yet sent in stdout-data frames.
	Stdout []byte
	// Stderr is the tail of standard error; StderrSize the total written.
	Stderr     []byte
	StderrSize int64
	// Wall is the time from start to exit; User and Sys the CPU time of the
	// task and its waited-for children; MaxRSS in KiB.
	Wall, User, Sys time.Duration
	MaxRSS          int64
}

func (m *doneMsg) encode(e *enc) {
	e.int(int64(m.ExitCode))
	e.str(m.Signal)
	e.bool(m.TimedOut)
	e.bool(m.Cancelled)
	e.str(m.Err)
	e.bytes(m.Stdout)
	e.bytes(m.Stderr)
	e.int(m.StderrSize)
	e.int(int64(m.Wall))
	e.int(int64(m.User))
	e.int(int64(m.Sys))
	e.int(m.MaxRSS)
}

func (m *doneMsg) decode(d *dec) {
	m.ExitCode = int(d.int())
	m.Signal = d.str()
	m.TimedOut, m.Cancelled = d.bool(), d.bool()
	m.Err = d.str()
	m.Stdout = d.bytes()
	m.Stderr = d.bytes()
	m.StderrSize = d.int()
	m.Wall, m.User, m.Sys = time.Duration(d.int()), time.Duration(d.int()), time.Duration(d.int())
	m.MaxRSS = d.int()
}

// fatalMsg explains why the sender closes the connection.
type fatalMsg struct{ Err string }

func (m *fatalMsg) encode(e *enc) { e.str(m.Err) }
func (m *fatalMsg) decode(d *dec) { m.Err = d.str() }
