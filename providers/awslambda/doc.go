// Package awslambda is the aws_lambda executor backend: tasks run in AWS
// Lambda functions whose bootstrap is the lithops binary itself (worker
// mode, see worker.Lambda), or a container image that runs it. The
// executor's resource is one aws_lambda_function per executor
// (function.go), named from its runtime's digest and memory, created,
// updated and deleted through the Lambda API, read back for drift, and
// priced per GB-second from an embedded, dated price table (price.go).
// Its dispatcher (dispatcher.go) writes each invocation's payload to the
// executor's storage under objstore.Layout keys, invokes the function
// synchronously with at most max_workers invocations in flight, backs off
// and retries throttled invokes without failing a task (invoke.go), and
// reads the statuses back from the response or from the status objects
// whose keys it knows. Neighbours: providers (the contract), worker (the
// function side and the payload types), objstore and sched. Entry point:
// Executor (main registers it) and Executor.FunctionResource.
package awslambda
