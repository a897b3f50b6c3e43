package fakelambda

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Function states and update statuses (types.State, types.LastUpdateStatus).
const (
	statePending = "Pending"
	stateActive  = "Active"

	updateInProgress = "InProgress"
	updateSuccessful = "Successful"
)

const (
	packageZip   = "Zip"
	packageImage = "Image"

	latest = "$LATEST"
)

// config is what a function runs with: everything UpdateFunctionCode and
// UpdateFunctionConfiguration change.
type config struct {
	runtime       string
	role          string
	handler       string
	description   string
	timeout       int // seconds
	memory        int // MB
	env           map[string]string
	packageType   string
	architectures []string
	ephemeral     int // MB of /tmp
	tracing       string
	imageConfig   *imageConfig
	logging       loggingConfig
	code          *code
}

func (c config) clone() config {
	c.env = maps.Clone(c.env)
	c.architectures = slices.Clone(c.architectures)
	return c
}

// function is one function's record. Every field is guarded by Server.mu.
type function struct {
	name string
	arn  string

	// cfg is the latest configuration, the one Get* return. During an
	// update it is already the new one while invocations still run live.
	cfg config
	// live is what invocations run: nil until the function first becomes
	// Active, replaced when an update completes.
	live *deployment
	gen  int // generation of live; execution environments of older ones are retired

	tags map[string]string

	state, stateReason, stateReasonCode                string
	lastUpdate, lastUpdateReason, lastUpdateReasonCode string
	revision                                           string
	lastModified                                       time.Time
	idle                                               []*sandbox // warm execution environments of generation gen
	logs                                               []string   // the function's log stream, oldest first, bounded
}

// deployment is an immutable snapshot of a function an invocation runs.
type deployment struct {
	name string
	arn  string
	gen  int
	cfg  config
}

// maxLogLines bounds a function's kept log stream.
const maxLogLines = 10000

func (f *function) appendLog(line string) {
	if len(f.logs) >= maxLogLines {
		f.logs = slices.Delete(f.logs, 0, len(f.logs)-maxLogLines+1)
	}
	f.logs = append(f.logs, line)
}

// beginCreate puts a new function in the state CreateFunction leaves it in.
func (f *function) beginCreate(now time.Time) {
	f.state, f.stateReason, f.stateReasonCode = statePending, "The function is being created.", "Creating"
	f.lastUpdate, f.lastUpdateReason, f.lastUpdateReasonCode = "", "", ""
	f.touch(now)
}

// beginUpdate marks an accepted UpdateFunctionCode/Configuration.
func (f *function) beginUpdate(now time.Time) {
	f.lastUpdate, f.lastUpdateReason, f.lastUpdateReasonCode = updateInProgress, "The function is being created.", "Creating"
	f.touch(now)
}

// complete ends the creation or update in progress: what cfg says is now what
// runs.
func (f *function) complete() {
	f.state, f.stateReason, f.stateReasonCode = stateActive, "", ""
	f.lastUpdate, f.lastUpdateReason, f.lastUpdateReasonCode = updateSuccessful, "", ""
	f.gen++
	f.live = &deployment{name: f.name, arn: f.arn, gen: f.gen, cfg: f.cfg.clone()}
	f.revision = newID()
}

func (f *function) touch(now time.Time) {
	f.lastModified = now
	f.revision = newID()
}

// busy returns the ResourceConflictException the service gives for a
// modification while the function is being created or updated, or nil.
func (f *function) busy() *apiError {
	if f.state == statePending {
		return errResourceConflict("The operation cannot be performed at this time. The function is currently in the following state: %s", f.state)
	}
	if f.lastUpdate == updateInProgress {
		return errResourceConflict("The operation cannot be performed at this time. An update is in progress for resource: %s", f.arn)
	}
	return nil
}

// configuration renders the FunctionConfiguration shape.
func (f *function) configuration(region string) functionConfiguration {
	c := f.cfg
	out := functionConfiguration{
		FunctionName:               f.name,
		FunctionArn:                f.arn,
		Role:                       c.role,
		CodeSize:                   c.code.size,
		Description:                c.description,
		Timeout:                    c.timeout,
		MemorySize:                 c.memory,
		LastModified:               f.lastModified.UTC().Format("2006-01-02T15:04:05.000-0700"),
		CodeSha256:                 c.code.sha256,
		Version:                    latest,
		TracingConfig:              tracingConfig{Mode: c.tracing},
		RevisionID:                 f.revision,
		State:                      f.state,
		StateReason:                f.stateReason,
		StateReasonCode:            f.stateReasonCode,
		LastUpdateStatus:           f.lastUpdate,
		LastUpdateStatusReason:     f.lastUpdateReason,
		LastUpdateStatusReasonCode: f.lastUpdateReasonCode,
		PackageType:                c.packageType,
		Architectures:              slices.Clone(c.architectures),
		EphemeralStorage:           ephemeralStorage{Size: c.ephemeral},
		SnapStart:                  snapStartResponse{ApplyOn: "None", OptimizationStatus: "Off"},
		LoggingConfig:              c.logging,
	}
	if len(c.env) > 0 {
		out.Environment = &environmentResponse{Variables: maps.Clone(c.env)}
	}
	if c.packageType == packageZip {
		out.Runtime = c.runtime
		out.Handler = c.handler
		sum := sha256.Sum256([]byte(c.runtime))
		out.RuntimeVersionConfig = &runtimeVersionConfig{
			RuntimeVersionArn: fmt.Sprintf("arn:aws:lambda:%s::runtime:%s", region, hex.EncodeToString(sum[:])),
		}
	}
	if c.imageConfig != nil {
		out.ImageConfigResponse = &imageConfigResponse{ImageConfig: c.imageConfig}
	}
	return out
}

// newID returns a random UUID (version 4), the shape of RevisionId and
// request ids.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
