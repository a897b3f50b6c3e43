package fakelambda

import "slices"

// Op names an operation of the Lambda API.
type Op string

// The operations the fake implements. AnyOp matches all of them in fault
// injection.
const (
	OpCreateFunction              Op = "CreateFunction"
	OpGetFunction                 Op = "GetFunction"
	OpGetFunctionConfiguration    Op = "GetFunctionConfiguration"
	OpListFunctions               Op = "ListFunctions"
	OpUpdateFunctionCode          Op = "UpdateFunctionCode"
	OpUpdateFunctionConfiguration Op = "UpdateFunctionConfiguration"
	OpDeleteFunction              Op = "DeleteFunction"
	OpInvoke                      Op = "Invoke"

	AnyOp Op = "*"
)

// Call is the record of one request the server answered, or of the
// execution of an Event invocation it accepted earlier.
type Call struct {
	Op Op
	// Function is the function name the request resolved to, or the raw
	// FunctionName when it did not resolve.
	Function string
	// Status is the HTTP status answered; 0 for an Execution record.
	Status int
	// ErrorCode is the error type of an error response
	// ("ResourceNotFoundException", ...), or "" on success.
	ErrorCode string
	// InvocationType is Invoke's: RequestResponse, Event or DryRun.
	InvocationType string
	// FunctionError is Invoke's X-Amz-Function-Error ("Unhandled" when the
	// function failed), or the same for an Execution.
	FunctionError string
	// Execution marks the record of an Event invocation having run (it
	// follows the Invoke call that answered 202, with the same RequestID).
	Execution bool
	RequestID string
}

// Calls returns the calls answered so far, in the order they finished.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

func (s *Server) record(c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
}
