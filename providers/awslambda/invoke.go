package awslambda

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	smithy "github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Invoke's retry policy. The SDK's retryer is off for Invoke (it would
// retry a throttled invoke three times and then fail it); instead:
//
//   - throttling (TooManyRequestsException, HTTP 429: the account's or the
//     function's concurrency is exhausted, or requests come too fast) is
//     waited out: full-jitter backoff from throttleBase up to throttleMax,
//     retried as long as the context lives. It is never a task failure and
//     uses no attempt of the scheduler's;
//   - a function that is not ready (Pending, or being updated:
//     ResourceConflictException, ResourceNotReadyException) is waited for
//     up to busyAttempts times;
//   - a service error or a broken connection is tried transientAttempts
//     times, then returned: the scheduler then runs the invocation's tasks
//     again without using their attempts.
//
// Everything else (a function that does not exist, access denied) is
// returned at once.
const (
	throttleBase      = 200 * time.Millisecond
	throttleMax       = 10 * time.Second
	busyAttempts      = 60
	transientAttempts = 4
)

// invokeKind classifies an Invoke error.
type invokeKind int

const (
	invokeFatal invokeKind = iota
	invokeThrottled
	invokeBusy
	invokeTransient
)

func classifyInvoke(err error) invokeKind {
	var tooMany *types.TooManyRequestsException
	if errors.As(err, &tooMany) {
		return invokeThrottled
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "TooManyRequestsException", "ThrottlingException", "Throttling", "RequestLimitExceeded", "EC2ThrottledException":
			return invokeThrottled
		case "ResourceConflictException", "ResourceNotReadyException":
			return invokeBusy
		case "ServiceException", "EC2UnexpectedException", "ENILimitReachedException", "SubnetIPAddressLimitReachedException":
			return invokeTransient
		}
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		switch code := re.HTTPStatusCode(); {
		case code == 429:
			return invokeThrottled
		case code >= 500:
			return invokeTransient
		}
	}
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &ne) || errors.As(err, &oe) {
		return invokeTransient
	}
	return invokeFatal
}

// backoff is a full-jitter delay for the nth retry (n ≥ 1).
func backoff(n int, base, limit time.Duration) time.Duration {
	d := base << min(n-1, 20)
	if d <= 0 || d > limit {
		d = limit
	}
	return time.Duration(rand.Int64N(int64(d)) + 1)
}

// invoke calls the function synchronously with payload, retrying as the
// policy above says.
func (d *dispatcher) invoke(ctx context.Context, payload []byte) (*lambda.InvokeOutput, error) {
	in := &lambda.InvokeInput{
		FunctionName:   aws.String(d.cfg.Function),
		InvocationType: types.InvocationTypeRequestResponse,
		Payload:        payload,
	}
	noRetry := func(o *lambda.Options) { o.Retryer = aws.NopRetryer{} }
	throttles, busy, transient := 0, 0, 0
	for {
		out, err := d.cfg.API.Invoke(ctx, in, noRetry)
		if err == nil {
			return out, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var delay time.Duration
		switch classifyInvoke(err) {
		case invokeThrottled:
			throttles++
			d.throttled.Add(1)
			delay = backoff(throttles, throttleBase, throttleMax)
		case invokeBusy:
			busy++
			if busy >= busyAttempts {
				return nil, fmt.Errorf("invoke Lambda function %q: still not ready after %d tries: %w", d.cfg.Function, busy, err)
			}
			delay = backoff(busy, throttleBase, 2*time.Second)
		case invokeTransient:
			transient++
			if transient >= transientAttempts {
				return nil, fmt.Errorf("invoke Lambda function %q: %d tries failed: %w", d.cfg.Function, transient, err)
			}
			delay = backoff(transient, throttleBase, throttleMax)
		default:
			return nil, fmt.Errorf("invoke Lambda function %q: %w", d.cfg.Function, err)
		}
		if err := d.sleep(ctx, delay); err != nil {
			return nil, err
		}
	}
}
