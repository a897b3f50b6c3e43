// Package fakelambda is a local stand-in for the AWS Lambda service, for tests:
// an HTTP server on 127.0.0.1 that speaks the Lambda REST API (restJson1, the
// shapes aws-sdk-go-v2's lambda client serializes and deserializes) for the
// operations a backend uses — CreateFunction, GetFunction,
// GetFunctionConfiguration, UpdateFunctionCode, UpdateFunctionConfiguration,
// DeleteFunction, ListFunctions and Invoke — and runs invoked functions for
// real: each execution environment is one AWS Lambda Runtime Interface
// Emulator process (aws-lambda-rie) running the function's own bootstrap from
// its zip. Its neighbours are the aws_lambda backend's tests (they point the
// real SDK client at URL() through BaseEndpoint) and the RIE binary (found by
// FindRIE, or RequireRIE in tests). Entry points: New (tests) and Start.
//
// Behaviour follows the real service where it is documented or observable:
// functions go Pending then Active, updates InProgress then Successful, so
// clients must use the SDK waiters; validation errors carry the service's
// error codes (ValidationException for constraint violations,
// InvalidParameterValueException for semantic ones); invocations beyond the
// concurrency limit are throttled with TooManyRequestsException; function
// errors, crashes and timeouts come back as 200 with X-Amz-Function-Error.
// Where the fake deliberately differs (no versions or layers, container-image
// and managed-runtime functions accepted but not runnable) the error says so.
// README.md in this directory lists every such choice.
package fakelambda
