package awslambda

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	smithy "github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
)

// fakeAPI is a Lambda client whose methods are fields.
type fakeAPI struct {
	create    func(context.Context, *lambda.CreateFunctionInput) (*lambda.CreateFunctionOutput, error)
	get       func(context.Context, *lambda.GetFunctionInput) (*lambda.GetFunctionOutput, error)
	code      func(context.Context, *lambda.UpdateFunctionCodeInput) (*lambda.UpdateFunctionCodeOutput, error)
	configure func(context.Context, *lambda.UpdateFunctionConfigurationInput) (*lambda.UpdateFunctionConfigurationOutput, error)
	del       func(context.Context, *lambda.DeleteFunctionInput) (*lambda.DeleteFunctionOutput, error)
	invoke    func(context.Context, *lambda.InvokeInput, *lambda.Options) (*lambda.InvokeOutput, error)
}

var _ lambdaAPI = (*fakeAPI)(nil)

func (f *fakeAPI) CreateFunction(ctx context.Context, in *lambda.CreateFunctionInput, _ ...func(*lambda.Options)) (*lambda.CreateFunctionOutput, error) {
	return f.create(ctx, in)
}
func (f *fakeAPI) GetFunction(ctx context.Context, in *lambda.GetFunctionInput, _ ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error) {
	return f.get(ctx, in)
}
func (f *fakeAPI) UpdateFunctionCode(ctx context.Context, in *lambda.UpdateFunctionCodeInput, _ ...func(*lambda.Options)) (*lambda.UpdateFunctionCodeOutput, error) {
	return f.code(ctx, in)
}
func (f *fakeAPI) UpdateFunctionConfiguration(ctx context.Context, in *lambda.UpdateFunctionConfigurationInput, _ ...func(*lambda.Options)) (*lambda.UpdateFunctionConfigurationOutput, error) {
	return f.configure(ctx, in)
}
func (f *fakeAPI) DeleteFunction(ctx context.Context, in *lambda.DeleteFunctionInput, _ ...func(*lambda.Options)) (*lambda.DeleteFunctionOutput, error) {
	return f.del(ctx, in)
}
func (f *fakeAPI) Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	var o lambda.Options
	for _, fn := range opts {
		fn(&o)
	}
	return f.invoke(ctx, in, &o)
}

var (
	errThrottled = &types.TooManyRequestsException{Message: aws.String("Rate exceeded"), Reason: types.ThrottleReasonConcurrentInvocationLimitExceeded}
	errBusy      = &types.ResourceConflictException{Message: aws.String("The function is currently in the following state: Pending")}
	errService   = &types.ServiceException{Message: aws.String("internal error")}
	errMissing   = &types.ResourceNotFoundException{Message: aws.String("Function not found")}
	errReset     = &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}
	errSigned    = &smithy.GenericAPIError{Code: "TooManyRequestsException", Message: "Rate exceeded"}
)

// TestInvokeRetryPolicy: throttling is waited out however long it lasts
// (never a failure), a function that is not ready is waited for, service
// errors and broken connections are tried a few times, and anything else
// fails at once. The SDK's own retries are off for Invoke, so every
// throttle reaches the policy.
func TestInvokeRetryPolicy(t *testing.T) {
	tests := []struct {
		name      string
		errs      []error // answers before success; nil entries succeed
		wantCalls int
		wantErr   string
		throttled int64
	}{
		{"success", nil, 1, "", 0},
		{"throttled 25 times", repeat(errThrottled, 25), 26, "", 25},
		{"throttled by code only", repeat(errSigned, 3), 4, "", 3},
		{"function pending", repeat(errBusy, 5), 6, "", 0},
		{"service error then success", []error{errService, errReset}, 3, "", 0},
		{"service errors persist", repeat(errService, 10), transientAttempts, "4 tries failed", 0},
		{"not found", []error{errMissing}, 1, "ResourceNotFoundException", 0},
		{"pending for ever", repeat(errBusy, 100), busyAttempts, "still not ready", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			api := &fakeAPI{invoke: func(_ context.Context, in *lambda.InvokeInput, o *lambda.Options) (*lambda.InvokeOutput, error) {
				if _, ok := o.Retryer.(aws.NopRetryer); !ok {
					t.Errorf("Invoke called with the SDK's retryer %T, want none", o.Retryer)
				}
				if in.InvocationType != types.InvocationTypeRequestResponse {
					t.Errorf("invocation type %q", in.InvocationType)
				}
				calls++
				if calls <= len(tt.errs) && tt.errs[calls-1] != nil {
					return nil, tt.errs[calls-1]
				}
				return &lambda.InvokeOutput{StatusCode: 200, Payload: []byte(`{}`)}, nil
			}}
			var slept []time.Duration
			d := newDispatcher(dispatcherConfig{API: api, Function: "f", Sleep: func(_ context.Context, d time.Duration) error {
				slept = append(slept, d)
				return nil
			}})
			_, err := d.invoke(context.Background(), []byte(`{}`))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("invoke: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("invoke error %v, want one saying %q", err, tt.wantErr)
			}
			if calls != tt.wantCalls {
				t.Errorf("%d calls, want %d", calls, tt.wantCalls)
			}
			if got := d.throttled.Load(); got != tt.throttled {
				t.Errorf("%d throttles counted, want %d", got, tt.throttled)
			}
			for _, s := range slept {
				if s <= 0 || s > throttleMax {
					t.Errorf("backoff delay %v outside (0, %v]", s, throttleMax)
				}
			}
		})
	}
}

// TestInvokeStopsWhenCancelled: a throttled invoke does not outlive a stop.
func TestInvokeStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	api := &fakeAPI{invoke: func(context.Context, *lambda.InvokeInput, *lambda.Options) (*lambda.InvokeOutput, error) {
		return nil, errThrottled
	}}
	n := 0
	d := newDispatcher(dispatcherConfig{API: api, Function: "f", Sleep: func(ctx context.Context, _ time.Duration) error {
		if n++; n == 3 {
			cancel()
		}
		return ctx.Err()
	}})
	if _, err := d.invoke(ctx, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("invoke after cancel: %v, want context.Canceled", err)
	}
}

func TestBackoffGrowsWithinBounds(t *testing.T) {
	var maxSeen []time.Duration
	for n := 1; n <= 8; n++ {
		var m time.Duration
		for range 200 {
			m = max(m, backoff(n, throttleBase, throttleMax))
		}
		maxSeen = append(maxSeen, m)
	}
	for i, m := range maxSeen {
		limit := min(throttleBase<<i, throttleMax)
		if m > limit || m <= 0 {
			t.Errorf("retry %d waited up to %v, want within (0, %v]", i+1, m, limit)
		}
	}
	if diff := cmp.Diff(true, maxSeen[7] > maxSeen[0]); diff != "" {
		t.Errorf("backoff does not grow (-want +got):\n%s", diff)
	}
}

func repeat(err error, n int) []error {
	out := make([]error, n)
	for i := range out {
		out[i] = err
	}
	return out
}
