package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/rogpeppe/go-internal/testscript"

	"lithops/internal/fakelambda"
)

// TestLambdaScripts runs the scripts under testdata/lambda: `lithops plan`,
// `apply` and `destroy` (this test binary acting as lithops) against a fake
// AWS: internal/fakelambda for the Lambda API, reached by the real
// aws-sdk-go-v2 client through the executor's endpoint, whose Invoke runs
// the function's bootstrap under the AWS Lambda Runtime Interface
// Emulator (one emulator process per concurrent invocation), and gofakes3
// in this process for S3. The bootstrap is a real lithops binary, built
// here with `CGO_ENABLED=0 go build` and deployed through
// LITHOPS_LAMBDA_BOOTSTRAP (this test binary cannot serve as one: as a
// bootstrap it would run the tests).
//
// The scripts drive the fakes with the `lambda` command:
//
//	lambda throttle N    the next N Invoke calls answer 429 TooManyRequestsException
//	lambda calls OP      prints "OP STATUS: COUNT" lines for the calls answered so far
//	lambda functions     prints "N functions", then their names, one a line
//	lambda delete-all    deletes every function behind lithops' back
//
// Without the emulator the test skips saying how to install it, unless
// LITHOPS_REQUIRE_RIE=1 (CI), when it fails.
func TestLambdaScripts(t *testing.T) {
	rie := fakelambda.RequireRIE(t)
	bootstrap := buildLithops(t)
	examples, err := filepath.Abs("examples")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/lambda",
		Setup: func(env *testscript.Env) error {
			s3srv := httptest.NewUnstartedServer(gofakes3.New(s3mem.New()).Server())
			s3srv.Config.ErrorLog = log.New(io.Discard, "", 0)
			s3srv.Start()
			env.Defer(s3srv.Close)
			flaky := filepath.Join(env.WorkDir, "flaky")
			if err := os.Mkdir(flaky, 0o755); err != nil {
				return err
			}
			if err := os.Mkdir(filepath.Join(env.WorkDir, ".fakelambda"), 0o755); err != nil {
				return err
			}
			srv, err := fakelambda.Start(fakelambda.Options{
				RIE:         rie,
				StateDelay:  -1,
				Dir:         filepath.Join(env.WorkDir, ".fakelambda"),
				Credentials: fakelambda.Credentials{AccessKeyID: "AKIDLITHOPSE2E", SecretAccessKey: "e2e-secret"},
				// What only this test needs: the functions' S3 endpoint
				// (the storage block names it too) and a directory the
				// flaky task keeps its marker in. The fake runs functions
				// on this machine; on AWS each attempt may run elsewhere.
				Env: map[string]string{"AWS_ENDPOINT_URL_S3": s3srv.URL, "FLAKY_DIR": flaky},
			})
			if err != nil {
				return err
			}
			env.Defer(srv.Close)
			env.Values["lambda"] = srv
			for k, v := range map[string]string{
				"AWS_ACCESS_KEY_ID":           "AKIDLITHOPSE2E",
				"AWS_SECRET_ACCESS_KEY":       "e2e-secret",
				"AWS_REGION":                  fakelambda.DefaultRegion,
				"AWS_CONFIG_FILE":             filepath.Join(env.WorkDir, ".aws-none"),
				"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(env.WorkDir, ".aws-none"),
				"LITHOPS_LAMBDA_BOOTSTRAP":    bootstrap,
				"LITHOPS_VAR_lambda_endpoint": srv.URL(),
				"LITHOPS_VAR_s3_endpoint":     s3srv.URL,
				"EXAMPLES":                    examples,
				"NO_COLOR":                    "1",
			} {
				env.Setenv(k, v)
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"lambda": lambdaCmd,
		},
	})
}

func lambdaCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("lambda: no negation")
	}
	srv := ts.Value("lambda").(*fakelambda.Server)
	if len(args) == 0 {
		ts.Fatalf("usage: lambda throttle N | calls OP | functions | delete-all")
	}
	client := lambda.New(lambda.Options{
		Region: fakelambda.DefaultRegion, BaseEndpoint: aws.String(srv.URL()),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDLITHOPSE2E", SecretAccessKey: "e2e-secret"}, nil
		}),
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	switch args[0] {
	case "throttle":
		n, err := strconv.Atoi(args[1])
		ts.Check(err)
		srv.ThrottleNext(fakelambda.OpInvoke, n)
	case "calls":
		counts := map[string]int{}
		for _, c := range srv.Calls() {
			if string(c.Op) == args[1] && !c.Execution {
				counts[fmt.Sprintf("%s %d", c.Op, c.Status)]++
			}
		}
		var lines []string
		for k, n := range counts {
			lines = append(lines, fmt.Sprintf("%s: %d\n", k, n))
		}
		sort.Strings(lines)
		fmt.Fprint(ts.Stdout(), strings.Join(lines, ""))
	case "functions":
		out, err := client.ListFunctions(ctx, &lambda.ListFunctionsInput{})
		ts.Check(err)
		fmt.Fprintf(ts.Stdout(), "%d functions\n", len(out.Functions))
		for _, f := range out.Functions {
			fmt.Fprintln(ts.Stdout(), aws.ToString(f.FunctionName))
		}
	case "delete-all":
		out, err := client.ListFunctions(ctx, &lambda.ListFunctionsInput{})
		ts.Check(err)
		for _, f := range out.Functions {
			_, err := client.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: f.FunctionName})
			ts.Check(err)
		}
	default:
		ts.Fatalf("lambda: unknown subcommand %q", args[0])
	}
}

// buildLithops builds this module's lithops command as a static Linux
// binary for this machine, to be deployed as the functions' bootstrap.
func buildLithops(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "lithops")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build lithops: %v\n%s", err, b)
	}
	return out
}
