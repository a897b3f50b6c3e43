package worker

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"lithops/sched"
)

// message is what every payload type implements.
type message interface {
	encode(*enc)
	decode(*dec)
}

func TestMessagesRoundTrip(t *testing.T) {
	tests := []struct {
		typ  msgType
		msg  message
		zero func() message
	}{
		{msgHello, &helloMsg{MinVersion: 1, MaxVersion: 3, Version: "v1.2.3", Window: 1 << 20}, func() message { return &helloMsg{} }},
		{msgWelcome, &Info{Protocol: 1, Version: "v1", GOOS: "linux", GOARCH: "arm64", CPUs: 64, Slots: 8, PID: 4242, Hostname: "vm-1", Window: 65536}, func() message { return &Info{} }},
		{msgQuery, &queryMsg{Digests: []string{"sha256:aa", "", "sha256:bb"}}, func() message { return &queryMsg{} }},
		{msgHave, &haveMsg{Have: []bool{true, false, true}}, func() message { return &haveMsg{} }},
		{msgPutFile, &putFileMsg{Digest: "sha256:cc", Size: 1 << 40, Path: "/a b/c"}, func() message { return &putFileMsg{} }},
		{msgStored, &storedMsg{Err: "disk full"}, func() message { return &storedMsg{} }},
		{msgRun, &runMsg{
			Argv: []string{"sh", "-c", "echo \"$x\"\n\xff", ""}, Env: []string{"A=1", "B=\x00"},
			Files: []fileRef{{Name: "x/y", Digest: "sha256:dd", Mode: 0o755}}, Stdin: stdinRange,
			Data: []byte{0, 1, 2}, Path: "/data/in.txt", Offset: 10, Length: 20, Size: 30, Newline: true,
			Timeout: time.Minute, Grace: -time.Second,
		}, func() message { return &runMsg{} }},
		{msgStarted, &startedMsg{PID: 99}, func() message { return &startedMsg{} }},
		{msgCancel, &cancelMsg{Grace: 5 * time.Second}, func() message { return &cancelMsg{} }},
		{msgDone, &doneMsg{
			ExitCode: -1, Signal: "SIGKILL", TimedOut: true, Cancelled: true, Err: "boom",
			Stdout: []byte("out"), Stderr: []byte("err"), StderrSize: 1 << 33,
			Wall: time.Second, User: time.Millisecond, Sys: time.Microsecond, MaxRSS: 1024,
		}, func() message { return &doneMsg{} }},
		{msgFatal, &fatalMsg{Err: "bye"}, func() message { return &fatalMsg{} }},
	}
	for _, tt := range tests {
		t.Run(tt.typ.String(), func(t *testing.T) {
			e := newFrame(nil, tt.typ, 12345)
			tt.msg.encode(&e)
			fr := newFrameReader(bytes.NewReader(e.bytesOut()))
			f, err := fr.read()
			if err != nil {
				t.Fatal(err)
			}
			if f.typ != tt.typ || f.id != 12345 {
				t.Errorf("frame %v/%d, want %v/12345", f.typ, f.id, tt.typ)
			}
			got := tt.zero()
			d := dec{b: f.payload}
			got.decode(&d)
			if d.err != nil {
				t.Fatal(d.err)
			}
			if diff := cmp.Diff(tt.msg, got); diff != "" {
				t.Errorf("wrong message after a round trip (-want +got)\n%s", diff)
			}
			// A newer peer may append fields: they are ignored.
			d = dec{b: append(append([]byte(nil), f.payload...), 1, 2, 3)}
			again := tt.zero()
			again.decode(&d)
			if diff := cmp.Diff(tt.msg, again); d.err != nil || diff != "" {
				t.Errorf("trailing bytes: err %v, diff %s", d.err, diff)
			}
		})
	}
}

func TestFrameReaderRejects(t *testing.T) {
	tests := []struct {
		name  string
		input []byte
		want  string
	}{
		{"huge length", []byte{0x7f, 0, 0, 0, 1, 0}, "bad frame length 2130706432"},
		{"short length", []byte{0, 0, 0, 1, 1}, "bad frame length 1"},
		{"truncated body", []byte{0, 0, 0, 9, 1, 0}, "unexpected EOF"},
		{"bad id", []byte{0, 0, 0, 2, 1, 0x80}, "bad id in hello frame"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newFrameReader(bytes.NewReader(tt.input)).read()
			if err == nil || err.Error() != tt.want {
				t.Errorf("got error %v, want %q", err, tt.want)
			}
		})
	}
}

// FuzzDecode feeds arbitrary bytes to the frame reader and every decoder:
// a hostile or corrupt stream gives errors, never a panic or a huge
// allocation.
func FuzzDecode(f *testing.F) {
	e := newFrame(nil, msgRun, 1)
	(&runMsg{Argv: []string{"a"}, Files: []fileRef{{Name: "n"}}}).encode(&e)
	f.Add(e.bytesOut())
	e = newFrame(nil, msgDone, 2)
	(&doneMsg{Stdout: []byte("x")}).encode(&e)
	f.Add(e.bytesOut())
	f.Add([]byte{0, 0, 0, 3, 65, 0, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		fr := newFrameReader(bytes.NewReader(b))
		for {
			fm, err := fr.read()
			if err != nil {
				return
			}
			for _, m := range []message{&helloMsg{}, &Info{}, &queryMsg{}, &haveMsg{}, &putFileMsg{}, &storedMsg{}, &runMsg{}, &startedMsg{}, &cancelMsg{}, &doneMsg{}, &fatalMsg{}} {
				d := dec{b: fm.payload}
				m.decode(&d)
			}
			fm.release()
		}
	})
}

// fakeWorker is the worker end of a stream that a test scripts by hand.
type fakeWorker struct {
	in  *os.File // what the client wrote
	out *os.File // what the client reads
}

func newFakeWorker(t *testing.T) (*fakeWorker, io.ReadWriteCloser) {
	t.Helper()
	cr, ww, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	wr, cw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeFiles(ww, wr) })
	return &fakeWorker{in: wr, out: ww}, pipeStream{r: cr, w: cw}
}

func (w *fakeWorker) send(t msgType, id uint64, m message) {
	e := newFrame(nil, t, id)
	if m != nil {
		m.encode(&e)
	}
	w.out.Write(e.bytesOut())
}

var fakeInfo = Info{Protocol: protocolVersion, Version: "fake", GOOS: "linux", GOARCH: "amd64", CPUs: 2, Slots: 2, PID: 1, Hostname: "fake", Window: chunkSize}

func TestClientHandshake(t *testing.T) {
	tests := []struct {
		name    string
		output  string // what the worker end writes, then it closes
		wantErr string
	}{
		{"clean", magic, ""},
		{"login banner first", "Welcome to Ubuntu 24.04\r\n\nLast login: today\n" + magic, ""},
		{"not a worker", "bash: lithops: command not found\n", `worker handshake: peer is not a lithops worker: its output ended without the protocol magic: "bash: lithops: command not found\n"`},
		{"nothing", "", "worker handshake: peer closed the stream before the handshake: unexpected EOF"},
		{"too much junk", strings.Repeat("x", maxJunk+1) + magic, "worker handshake: peer is not a lithops worker (no protocol magic at the start of its output): \"" + strings.Repeat("x", 200) + "\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, stream := newFakeWorker(t)
			go func() {
				io.WriteString(w.out, tt.output)
				if tt.wantErr == "" {
					w.send(msgWelcome, 0, &fakeInfo)
				} else {
					w.out.Close()
				}
			}()
			go io.Copy(io.Discard, w.in)
			c, err := NewClient(context.Background(), stream, ClientOptions{})
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("got error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if diff := cmp.Diff(fakeInfo, c.Info()); diff != "" {
				t.Errorf("wrong info (-want +got)\n%s", diff)
			}
		})
	}
}

func TestWorkerRefusesOtherProtocolVersions(t *testing.T) {
	cr, ww, _ := os.Pipe()
	wr, cw, _ := os.Pipe()
	defer closeFiles(cr, cw)
	served := make(chan error, 1)
	go func() {
		served <- Serve(context.Background(), wr, ww, ServeOptions{CacheDir: t.TempDir(), WorkDir: t.TempDir(), Version: "v1"})
		closeFiles(wr, ww)
	}()
	cw.WriteString(magic)
	e := newFrame(nil, msgHello, 0)
	(&helloMsg{MinVersion: 7, MaxVersion: 9, Version: "v9", Window: 1 << 20}).encode(&e)
	cw.Write(e.bytesOut())

	fr := newFrameReader(cr)
	if err := fr.expectMagic(false); err != nil {
		t.Fatal(err)
	}
	f, err := fr.read()
	if err != nil {
		t.Fatal(err)
	}
	var m fatalMsg
	m.decode(&dec{b: f.payload})
	want := "protocol error: client v9 speaks protocol versions 7 to 9, this worker (v1) speaks 1; install the same lithops version on both ends"
	if f.typ != msgFatal || m.Err != want {
		t.Errorf("got %v %q, want fatal %q", f.typ, m.Err, want)
	}
	if err := <-served; err == nil || !strings.Contains(err.Error(), "protocol versions 7 to 9") {
		t.Errorf("Serve returned %v", err)
	}
}

func TestBrokenStreamFailsRun(t *testing.T) {
	w, stream := newFakeWorker(t)
	io.WriteString(w.out, magic)
	w.send(msgWelcome, 0, &fakeInfo)
	c, err := NewClient(context.Background(), stream, ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	go func() {
		// Read the hello and the run, say the task started, then die.
		fr := newFrameReader(w.in)
		fr.expectMagic(false)
		for {
			f, err := fr.read()
			if err != nil {
				return
			}
			if f.typ == msgRun {
				w.send(msgStarted, f.id, &startedMsg{PID: 5})
				w.out.Close()
				return
			}
		}
	}()
	var reported []sched.Result
	err = c.Run(context.Background(), &sched.Invocation{Tasks: []sched.Task{{Argv: []string{"true"}}}}, func(r sched.Result) {
		reported = append(reported, r)
	})
	if err == nil || len(reported) != 0 {
		t.Errorf("Run: err %v, %d reported; want an error and none", err, len(reported))
	}
	select {
	case <-c.Done():
	default:
		t.Error("Done is not closed after the stream broke")
	}
	if c.Err() == nil {
		t.Error("Err is nil after the stream broke")
	}
	// Later runs fail at once.
	if err := c.Run(context.Background(), &sched.Invocation{Tasks: []sched.Task{{Argv: []string{"true"}}}}, func(sched.Result) {}); err == nil {
		t.Error("Run on a broken connection succeeded")
	}
}
