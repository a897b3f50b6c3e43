package fakeec2

import (
	"fmt"
	"net/http"
)

// apiError is an EC2 error response: a code from the EC2 API reference's
// error code list and a message shaped like the one EC2 sends.
type apiError struct {
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func errf(code, format string, args ...any) *apiError {
	return &apiError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// statusFor returns the HTTP status EC2 answers an error code with: client
// errors are 400 unless EC2 documents otherwise, server errors (capacity,
// internal) 500 and throttling 503. The SDK's retryer keys off these: it
// retries 500 and 503, so InsufficientInstanceCapacity is retried by the
// default retryer exactly as it is against EC2.
func statusFor(code string) int {
	switch code {
	case "AuthFailure":
		return http.StatusUnauthorized
	case "UnauthorizedOperation", "OptInRequired":
		return http.StatusForbidden
	case "DryRunOperation":
		return http.StatusPreconditionFailed
	case "RequestLimitExceeded", "Unavailable", "ServiceUnavailable":
		return http.StatusServiceUnavailable
	case "InternalError", "InsufficientInstanceCapacity", "InsufficientAddressCapacity",
		"InsufficientCapacity", "InsufficientHostCapacity", "InsufficientReservedInstanceCapacity",
		"InsufficientVolumeCapacity":
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

func errMissing(param string) *apiError {
	return errf("MissingParameter", "The request must contain the parameter %s", param)
}

func errInvalidValue(value, param string) *apiError {
	return errf("InvalidParameterValue", "Invalid value '%s' for %s", value, param)
}

func errDryRun() *apiError {
	return errf("DryRunOperation", "Request would have succeeded, but DryRun flag is set.")
}

// errMalformed is what EC2 answers an identifier without the expected
// prefix or length with.
func errMalformed(code, id, prefix string) *apiError {
	return errf(code, "Invalid id: %q (expecting %q)", id, prefix+"-...")
}
