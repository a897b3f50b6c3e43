package fakelambda

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// apiError is an error response of the Lambda API. The SDK picks the error
// type from the X-Amzn-ErrorType header and decodes the body into the modelled
// exception (types.ResourceNotFoundException, ...); codes the model does not
// list (ValidationException, the authentication errors) surface as
// smithy.GenericAPIError with that code.
type apiError struct {
	status int
	code   string // X-Amzn-ErrorType and __type
	// messageKey is the JSON name of the message member in the SDK's schema
	// for this exception: some are "Message", others "message".
	messageKey string
	message    string
	kind       string // the body's "Type": "User" or "Service"
	reason     string // TooManyRequestsException's Reason
	retryAfter int    // seconds, for the Retry-After header; 0 omits it
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func (e *apiError) write(w http.ResponseWriter, requestID string) {
	body := map[string]string{"Type": e.kind, e.messageKey: e.message}
	if e.reason != "" {
		body["Reason"] = e.reason
	}
	b, err := json.Marshal(body)
	if err != nil {
		panic(err) // a map of strings always marshals
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-ErrorType", e.code)
	h.Set("X-Amzn-RequestId", requestID)
	if e.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	w.WriteHeader(e.status)
	w.Write(b)
}

func errResourceNotFound(format string, args ...any) *apiError {
	return &apiError{status: http.StatusNotFound, code: "ResourceNotFoundException", messageKey: "Message", kind: "User", message: fmt.Sprintf(format, args...)}
}

func errFunctionNotFound(arn string) *apiError {
	return errResourceNotFound("Function not found: %s", arn)
}

func errResourceConflict(format string, args ...any) *apiError {
	return &apiError{status: http.StatusConflict, code: "ResourceConflictException", messageKey: "message", kind: "User", message: fmt.Sprintf(format, args...)}
}

func errInvalidParameter(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "InvalidParameterValueException", messageKey: "message", kind: "User", message: fmt.Sprintf(format, args...)}
}

// errValidation is the service framework's constraint check (patterns,
// ranges, lengths, required members), which runs before the operation and
// is not in Lambda's error model.
func errValidation(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "ValidationException", messageKey: "message", kind: "User", message: fmt.Sprintf(format, args...)}
}

func errPreconditionFailed() *apiError {
	return &apiError{status: http.StatusPreconditionFailed, code: "PreconditionFailedException", messageKey: "message", kind: "User",
		message: "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id"}
}

func errRequestTooLarge(limit int, op string) *apiError {
	return &apiError{status: http.StatusRequestEntityTooLarge, code: "RequestTooLargeException", messageKey: "message", kind: "User",
		message: fmt.Sprintf("Request must be smaller than %d bytes for the %s operation", limit, op)}
}

func errInvalidRequestContent(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "InvalidRequestContentException", messageKey: "message", kind: "User", message: fmt.Sprintf(format, args...)}
}

func errTooManyRequests(reason string) *apiError {
	return &apiError{status: http.StatusTooManyRequests, code: "TooManyRequestsException", messageKey: "message", kind: "User",
		message: "Rate Exceeded.", reason: reason, retryAfter: 1}
}

func errService(format string, args ...any) *apiError {
	return &apiError{status: http.StatusInternalServerError, code: "ServiceException", messageKey: "Message", kind: "Service", message: fmt.Sprintf(format, args...)}
}

func errUnknownOperation(method, path string) *apiError {
	return &apiError{status: http.StatusNotFound, code: "UnknownOperationException", messageKey: "message", kind: "User",
		message: fmt.Sprintf("fakelambda does not implement %s %s", method, path)}
}

func errMissingAuthentication() *apiError {
	return &apiError{status: http.StatusForbidden, code: "MissingAuthenticationTokenException", messageKey: "message", kind: "User", message: "Missing Authentication Token"}
}

func errInvalidSignature(format string, args ...any) *apiError {
	return &apiError{status: http.StatusForbidden, code: "InvalidSignatureException", messageKey: "message", kind: "User", message: fmt.Sprintf(format, args...)}
}

func errSerialization(err error) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "SerializationException", messageKey: "message", kind: "User", message: fmt.Sprintf("could not read request body: %v", err)}
}
