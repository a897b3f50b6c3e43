package fakelambda

import (
	"slices"
	"strings"
)

// Runtime identifiers, from aws-sdk-go-v2/service/lambda/types.Runtime
// (v1.114.4). The service accepts the supported ones for new functions and
// refuses deprecated ones with InvalidParameterValueException; anything else
// fails its enum constraint.
var (
	// supportedRuntimes may be used to create and update functions. Which
	// runtimes are past their "block function create" date moves over time;
	// this list is the state of the Lambda runtimes page in late 2026.
	supportedRuntimes = []string{
		"nodejs20.x", "nodejs22.x", "nodejs24.x", "nodejs26.x",
		"python3.10", "python3.11", "python3.12", "python3.13", "python3.14", "python3.15",
		"java8.al2", "java11", "java17", "java21", "java25",
		"java8.al2023", "java11.al2023", "java17.al2023",
		"dotnet8", "dotnet10",
		"ruby3.3", "ruby3.4", "ruby4.0",
		"provided.al2", "provided.al2023",
	}
	// deprecatedRuntimes are in the API's enum but refused for new functions.
	deprecatedRuntimes = []string{
		"nodejs", "nodejs4.3", "nodejs6.10", "nodejs8.10", "nodejs10.x", "nodejs12.x", "nodejs14.x", "nodejs16.x", "nodejs18.x",
		"java8",
		"python2.7", "python3.6", "python3.7", "python3.8", "python3.9",
		"dotnetcore1.0", "dotnetcore2.0", "dotnetcore2.1", "dotnetcore3.1", "dotnet6",
		"nodejs4.3-edge", "go1.x",
		"ruby2.5", "ruby2.7", "ruby3.2",
		"provided",
	}
	// runnableRuntimes are the OS-only runtimes: the zip's bootstrap is the
	// whole runtime, so the emulator can run it on this machine. Managed
	// runtimes (python, node, ...) need the language runtime and Lambda's
	// runtime interface client, which are not here.
	runnableRuntimes = []string{"provided.al2", "provided.al2023"}
)

// checkRuntime returns the service's error for a Runtime value a Zip function
// may not use, or nil.
func checkRuntime(runtime string) *apiError {
	switch {
	case slices.Contains(supportedRuntimes, runtime):
		return nil
	case slices.Contains(deprecatedRuntimes, runtime):
		return errInvalidParameter("The runtime parameter of %s is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions.", runtime)
	default:
		all := append(slices.Clone(supportedRuntimes), deprecatedRuntimes...)
		slices.Sort(all)
		return errInvalidParameter("Value %s at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [%s] or be a valid ARN", runtime, strings.Join(all, ", "))
	}
}
