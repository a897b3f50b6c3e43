package vm

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"time"

	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"

	"lithops/providers"
)

// Backend is the `vm` executor backend: existing machines reached over SSH.
//
//	executor "lab" {
//	  backend          = "vm"
//	  hosts            = ["10.0.0.5", "ops@10.0.0.6:2222"]
//	  worker_processes = 8                 # per host; default: each host's CPU count
//	  env              = { LANG = "C" }    # added to every task's environment
//	  worker_binaries  = { "linux/arm64" = "/opt/lithops/lithops-linux-arm64" }
//
//	  ssh {
//	    user             = "ops"           # default: the local user
//	    port             = 22
//	    private_key_file = "~/.ssh/id_ed25519"  # default: ~/.ssh/id_* and the agent
//	    known_hosts_file = "~/.ssh/known_hosts" # the default
//	  }
//	}
//
// main fills the fields from the process's environment; the package reads
// none of it itself.
type Backend struct {
	// Binary is this lithops executable, installed on hosts whose platform
	// is Platform.
	Binary string
	// Platform is Binary's "os/arch"; empty means this build's.
	Platform string
	// User is the local login name, the default SSH user.
	User string
	// Home is the local home directory: "~/" in paths, the default
	// known_hosts file and identities.
	Home string
	// AgentSocket is the SSH agent's socket (SSH_AUTH_SOCK); empty means
	// no agent.
	AgentSocket string
	// Version names this build in the worker handshake.
	Version string
	// Timing overrides the default timeouts (tests shorten them).
	Timing Timing
}

// Timing holds the backend's timeouts and intervals; zero fields take the
// defaults.
type Timing struct {
	// Connect, KeepaliveInterval and KeepaliveTimeout are remote.Config's
	// (15s, 2s, 6s): a host whose link is cut is lost within about 8s.
	Connect, KeepaliveInterval, KeepaliveTimeout time.Duration
	// Heartbeat is how often the client pings each worker (5s);
	// ClientTimeout how long a worker waits for word from its client
	// before it kills its tasks and exits (30s).
	Heartbeat, ClientTimeout time.Duration
	// Handshake bounds a worker's start (30s).
	Handshake time.Duration
	// ReconnectMin and ReconnectMax bound the backoff between attempts to
	// reach a lost or unreachable host again (1s, 30s).
	ReconnectMin, ReconnectMax time.Duration
}

func (t Timing) withDefaults() Timing {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&t.Heartbeat, 5*time.Second)
	def(&t.ClientTimeout, 30*time.Second)
	def(&t.Handshake, 30*time.Second)
	def(&t.ReconnectMin, time.Second)
	def(&t.ReconnectMax, 30*time.Second)
	return t
}

var _ providers.ExecutorBackend = (*Backend)(nil)

// Name implements providers.ExecutorBackend.
func (*Backend) Name() string { return "vm" }

// Spec implements providers.ExecutorBackend.
func (*Backend) Spec() hcldec.Spec { return spec() }

// Validate implements providers.ExecutorBackend.
func (b *Backend) Validate(body cty.Value) []providers.Problem {
	_, ps := b.decode(body)
	return ps
}

func (b *Backend) platform() string {
	if b.Platform != "" {
		return b.Platform
	}
	return runtime.GOOS + "/" + runtime.GOARCH
}

// BootstrapResource is the vm_bootstrap resource type for the registry: it
// reads and deletes recorded bootstraps whose block left the
// configuration, from their recorded attributes.
func (b *Backend) BootstrapResource() providers.Resource { return &bootstrap{b: b} }

// resourceName is a host's bootstrap within the executor block.
func resourceName(entry string) string {
	return "bootstrap[" + strconv.Quote(entry) + "]"
}

// Resources implements providers.ExecutorBackend: one bootstrap per host.
func (b *Backend) Resources(ctx context.Context, req providers.ExecutorResourcesRequest) (providers.ExecutorResourcesResponse, error) {
	s, ps := b.decode(req.Body)
	if len(ps) > 0 {
		return providers.ExecutorResourcesResponse{}, fmt.Errorf("%s: %s", ps[0].Summary, ps[0].Detail)
	}
	if req.WorkerDigest == "" {
		return providers.ExecutorResourcesResponse{}, errors.New("the digest of the worker binary is not known")
	}
	var digests map[string]string
	if len(s.binaries) > 0 {
		digests = map[string]string{}
		for p, file := range s.binaries {
			d, err := fileDigest(file)
			if err != nil {
				return providers.ExecutorResourcesResponse{}, fmt.Errorf("worker_binaries[%q]: %w", p, err)
			}
			digests[p] = d
		}
	}
	res := &bootstrap{b: b, binaries: s.binaries}
	var out []providers.DesiredResource
	for _, m := range s.members {
		out = append(out, providers.DesiredResource{
			Name:     resourceName(m.entry),
			Resource: res,
			Config:   s.desired(m, req.WorkerDigest, digests),
		})
	}
	return providers.ExecutorResourcesResponse{Resources: out}, nil
}
