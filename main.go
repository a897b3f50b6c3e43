// Command lithops runs parallel map and map-reduce jobs declared in HCL.
//
// main is the only place that reads the process's arguments, environment,
// streams and signals; it hands them to command.Main as values, together
// with the registry of backends this build offers.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"os/user"
	"runtime/debug"
	"syscall"

	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
	"golang.org/x/term"

	"lithops/command"
	"lithops/objstore"
	"lithops/partition"
	"lithops/providers"
	"lithops/providers/awsec2"
	"lithops/providers/awslambda"
	"lithops/providers/azblob"
	"lithops/providers/gcs"
	"lithops/providers/localhost"
	"lithops/providers/s3"
	"lithops/providers/vm"
	"lithops/worker"
)

func main() {
	tuneGC()
	os.Exit(run())
}

// tuneGC makes the collector run less often than Go's default: a lithops
// command is short-lived and most of what it allocates dies with it, so
// collecting at 5x the live heap instead of 2x saves a good part of a
// validate's or plan's CPU time. A soft limit of 192 MiB makes it collect
// harder before the heap grows past that, which keeps a 100,000-task apply
// near 225 MiB resident (256 MiB let it reach 285 MiB; see
// docs/BENCHMARKS.md, "Memory"). GOGC and GOMEMLIMIT, when set, win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(192 << 20)
	}
}

func run() int {
	cwd, err := os.Getwd()
	if err != nil {
		os.Stderr.WriteString("lithops: cannot determine the working directory: " + err.Error() + "\n")
		return 1
	}
	exe, _ := os.Executable()
	bootstrap, fromEnv := exe, false
	if b := os.Getenv(awslambda.BootstrapEnv); b != "" {
		bootstrap, fromEnv = b, true
	}
	reg := registry(exe, vmBackend(exe), bootstrap, fromEnv)

	// As an AWS Lambda function's bootstrap, lithops is a worker serving
	// the Runtime API.
	if api := os.Getenv("AWS_LAMBDA_RUNTIME_API"); api != "" {
		return lambdaWorker(api, reg)
	}

	// The first interrupt asks the running operation to stop gracefully; the
	// second ends the process at once.
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	kill := func() { os.Exit(130) }
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		stop()
		<-sigs
		kill()
	}()

	env := &command.Env{
		Args:       os.Args[1:],
		Stdin:      os.Stdin,
		Stdout:     os.Stdout,
		Stderr:     os.Stderr,
		Environ:    os.Environ(),
		Cwd:        cwd,
		StdinTTY:   term.IsTerminal(int(os.Stdin.Fd())),
		StdoutTTY:  term.IsTerminal(int(os.Stdout.Fd())),
		Executable: exe,
		Registry:   reg,
		Stop:       stop,
		Kill:       kill,
		Worker: func(ctx context.Context, args []string) int {
			return worker.Main(ctx, args, os.Stdin, os.Stdout, os.Stderr, os.Environ())
		},
	}
	if env.StdoutTTY {
		env.Width, env.Height, _ = term.GetSize(int(os.Stdout.Fd()))
	}
	return command.Main(ctx, env)
}

// registry lists the backends of this build. Backends named in the design
// but not built yet are listed as planned, so naming one is a clear error.
func registry(exe string, fleet *vm.Backend, bootstrap string, bootstrapFromEnv bool) *providers.Registry {
	lambda := &awslambda.Executor{Bootstrap: bootstrap, BootstrapFromEnv: bootstrapFromEnv}
	// aws_ec2 installs workers on its instances and runs jobs there through
	// the vm backend.
	ec2 := &awsec2.Backend{Workers: fleet}
	return &providers.Registry{
		Executors: map[string]providers.ExecutorBackend{
			"localhost":  &localhost.Executor{OpenPool: localPool(exe)},
			"vm":         fleet,
			"aws_lambda": lambda,
			"aws_ec2":    ec2,
		},
		Storages: map[string]providers.StorageBackend{
			"localhost":  localhost.Storage{},
			"s3":         s3.Backend{},
			"gcs":        gcs.Backend{},
			"azure_blob": azblob.Backend{},
		},
		// Resource types for recorded resources whose block was removed:
		// they work from their recorded attributes and the SDKs' own
		// credential chains.
		Resources: map[string]providers.Resource{
			"localhost_directory":    localhost.Storage{}.DirectoryResource(),
			"s3_bucket":              s3.Backend{}.BucketResource(cty.NullVal(cty.DynamicPseudoType)),
			"gcs_bucket":             gcs.Backend{}.BucketResource(cty.NullVal(cty.DynamicPseudoType)),
			"azure_blob_container":   azblob.Backend{}.ContainerResource(cty.NullVal(cty.DynamicPseudoType)),
			vm.ResourceType:          fleet.BootstrapResource(),
			awsec2.KeyPairType:       ec2.KeyPairResource(),
			awsec2.SecurityGroupType: ec2.SecurityGroupResource(),
			awsec2.InstanceType:      ec2.InstanceResource(),
			awsec2.BootstrapType:     ec2.BootstrapResource(),
			awslambda.FunctionType:   lambda.FunctionResource(),
		},
		PlannedExecutors: []string{
			"aws_batch", "ibm_code_engine", "ibm_cf", "openwhisk", "gcp_cloudrun",
			"gcp_functions", "azure_functions", "azure_containers", "aliyun_fc", "oracle_functions",
			"k8s", "knative", "ibm_vpc", "azure_vms", "gcp_compute_engine",
		},
	}
}

// vmBackend is the vm executor backend, given what it needs from this
// process's environment: this binary (installed on the hosts), the local
// user and home (the default SSH user, known_hosts and keys) and the SSH
// agent's socket.
func vmBackend(exe string) *vm.Backend {
	b := &vm.Backend{Binary: exe, AgentSocket: os.Getenv("SSH_AUTH_SOCK"), Version: command.Version}
	if u, err := user.Current(); err == nil {
		b.User, b.Home = u.Username, u.HomeDir
	}
	if b.User == "" {
		b.User = os.Getenv("USER")
	}
	if b.Home == "" {
		b.Home, _ = os.UserHomeDir()
	}
	return b
}

// localPool opens the localhost executor's warm pool of worker processes of
// this binary.
func localPool(exe string) func(ctx context.Context, req localhost.PoolRequest) (providers.OpenExecutorResponse, error) {
	return func(ctx context.Context, req localhost.PoolRequest) (providers.OpenExecutorResponse, error) {
		pool, err := worker.NewPool(ctx, worker.PoolOptions{
			Binary:    exe,
			Args:      []string{"worker"},
			Processes: req.Processes,
			Env:       append(os.Environ(), req.Env...),
			Version:   command.Version,
			OpenObject: func(ctx context.Context, storage, key string) (partition.Source, error) {
				if req.OpenStore == nil {
					return nil, fmt.Errorf("object input %s: no storage can be opened here", key)
				}
				store, err := req.OpenStore(ctx, storage)
				if err != nil {
					return nil, err
				}
				return objstore.Source(ctx, store, key)
			},
		})
		if err != nil {
			return providers.OpenExecutorResponse{}, err
		}
		return providers.OpenExecutorResponse{Dispatcher: pool}, nil
	}
}

// lambdaWorker serves the Lambda Runtime API at api until the function's
// environment is shut down. Storages named by invocations are opened
// through this build's storage backends, with the function's credentials.
func lambdaWorker(api string, reg *providers.Registry) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	err := worker.Lambda(ctx, worker.LambdaOptions{
		RuntimeAPI: api,
		Env:        os.Environ(),
		Version:    command.Version,
		OpenStore: func(ctx context.Context, ref worker.StorageRef) (objstore.Store, objstore.Layout, error) {
			backend := reg.Storages[ref.Backend]
			if backend == nil {
				return nil, objstore.Layout{}, fmt.Errorf("this build has no %q storage backend", ref.Backend)
			}
			body, err := ctyjson.Unmarshal(ref.Body, hcldec.ImpliedType(backend.Spec()))
			if err != nil {
				return nil, objstore.Layout{}, fmt.Errorf("storage %q: %w", ref.Name, err)
			}
			resp, err := backend.Open(ctx, providers.OpenStorageRequest{Name: ref.Name, Body: body})
			if err != nil {
				return nil, objstore.Layout{}, err
			}
			return resp.Store, resp.Layout, nil
		},
		Logf: func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) },
	})
	if err != nil && ctx.Err() == nil {
		fmt.Fprintf(os.Stderr, "lithops: %v\n", err)
		return 1
	}
	return 0
}
