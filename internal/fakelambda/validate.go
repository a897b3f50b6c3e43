package fakelambda

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// The service checks a request in two passes, and so does the fake. First
// the framework checks each member against its constraints (required,
// pattern, length, range, enum) and reports every violation at once as a
// ValidationException. Then the operation checks meaning (runtime support,
// role account, reserved environment variables, the package) and reports
// the first problem as an InvalidParameterValueException.

var (
	rolePattern    = `arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+`
	roleRE         = regexp.MustCompile(`^` + rolePattern + `$`)
	handlerPattern = `[^\s]+`
	handlerRE      = regexp.MustCompile(`^` + handlerPattern + `$`)
	envKeyPattern  = `[a-zA-Z]([a-zA-Z0-9_])+`
	envKeyRE       = regexp.MustCompile(`^` + envKeyPattern + `$`)
	imageURIRE     = regexp.MustCompile(`^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com/[a-z0-9._/-]+(:[\w.-]+|@sha256:[0-9a-f]{64})$`)
)

// reservedEnv are the environment variables Lambda sets itself and refuses
// in a function's configuration.
var reservedEnv = []string{
	"_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
	"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
	"AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
	"AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
}

// maxEnvSize is the limit on a function's environment variables, measured
// as their JSON object.
const maxEnvSize = 4096

// Defaults the service fills in.
const (
	defaultTimeout   = 3
	defaultMemory    = 128
	defaultEphemeral = 512
)

// violations collects constraint violations in the framework's words.
type violations []string

func (v *violations) add(format string, args ...any) { *v = append(*v, fmt.Sprintf(format, args...)) }

func (v *violations) required(member string, present bool) {
	if !present {
		v.add("Value null at '%s' failed to satisfy constraint: Member must not be null", member)
	}
}

func (v *violations) pattern(member, value, pattern string, re *regexp.Regexp) {
	if !re.MatchString(value) {
		v.add("Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", value, member, pattern)
	}
}

func (v *violations) maxLen(member, value string, max int) {
	if len(value) > max {
		v.add("Value '%s' at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", value, member, max)
	}
}

func (v *violations) between(member string, value *int, min, max int) {
	switch {
	case value == nil:
	case *value < min:
		v.add("Value '%d' at '%s' failed to satisfy constraint: Member must have value greater than or equal to %d", *value, member, min)
	case *value > max:
		v.add("Value '%d' at '%s' failed to satisfy constraint: Member must have value less than or equal to %d", *value, member, max)
	}
}

func (v *violations) enum(member, value string, set ...string) {
	if !slices.Contains(set, value) {
		v.add("Value '%s' at '%s' failed to satisfy constraint: Member must satisfy enum value set: [%s]", value, member, strings.Join(set, ", "))
	}
}

func (v violations) err() *apiError {
	switch len(v) {
	case 0:
		return nil
	case 1:
		return errValidation("1 validation error detected: %s", v[0])
	default:
		return errValidation("%d validation errors detected: %s", len(v), strings.Join(v, "; "))
	}
}

// checkConfigConstraints checks the members CreateFunction and
// UpdateFunctionConfiguration share.
func (v *violations) config(role, handler, description *string, timeout, memory *int, eph *ephemeralStorage, env *environment, tracing *tracingConfig) {
	if role != nil {
		v.pattern("role", *role, rolePattern, roleRE)
	}
	if handler != nil {
		v.maxLen("handler", *handler, 128)
		v.pattern("handler", *handler, handlerPattern, handlerRE)
	}
	if description != nil {
		v.maxLen("description", *description, 256)
	}
	v.between("timeout", timeout, 1, 900)
	v.between("memorySize", memory, 128, 10240)
	if eph != nil {
		v.between("ephemeralStorage.size", &eph.Size, 512, 10240)
	}
	if env != nil {
		for _, k := range slices.Sorted(maps.Keys(env.Variables)) {
			if !envKeyRE.MatchString(k) {
				v.add("Value at 'environment.variables' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: %s]", envKeyPattern)
				break
			}
		}
	}
	if tracing != nil {
		v.enum("tracingConfig.mode", tracing.Mode, "Active", "PassThrough")
	}
}

func (v *violations) architectures(archs []string) {
	if archs == nil {
		return
	}
	if len(archs) != 1 {
		v.add("Value '[%s]' at 'architectures' failed to satisfy constraint: Member must have length less than or equal to 1 and greater than or equal to 1", strings.Join(archs, ", "))
		return
	}
	if a := archs[0]; a != "x86_64" && a != "arm64" {
		v.add("Value '[%s]' at 'architectures' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64]]", a)
	}
}

// checkRole is the operation's check of an execution role that passed the
// pattern (arn:PARTITION:iam::ACCOUNT:role/NAME): Lambda can only assume a
// role of the function's own account.
func (s *Server) checkRole(role string) *apiError {
	parts := strings.SplitN(role, ":", 6)
	if len(parts) < 6 || parts[4] != s.opts.AccountID {
		return errInvalidParameter("The role defined for the function cannot be assumed by Lambda.")
	}
	return nil
}

// checkEnvironment is the operation's check of environment variables.
func checkEnvironment(env *environment) *apiError {
	if env == nil {
		return nil
	}
	var reserved []string
	for _, k := range slices.Sorted(maps.Keys(env.Variables)) {
		if slices.Contains(reservedEnv, k) {
			reserved = append(reserved, k)
		}
	}
	if len(reserved) > 0 {
		return errInvalidParameter("Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: %s", strings.Join(reserved, ","))
	}
	b, err := json.Marshal(env.Variables)
	if err != nil {
		return errInvalidParameter("environment variables: %v", err)
	}
	if len(b) > maxEnvSize {
		return errInvalidParameter("Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: %s", b)
	}
	return nil
}

// checkLayers refuses layers: the fake holds none, so every layer version a
// request names does not exist here.
func checkLayers(layers []string) *apiError {
	if len(layers) > 0 {
		return errInvalidParameter("Layer version %s does not exist.", layers[0])
	}
	return nil
}

// checkImageURI is the operation's check of a container image reference.
func (s *Server) checkImageURI(uri string) *apiError {
	m := imageURIRE.FindStringSubmatch(uri)
	if m == nil || m[2] != s.opts.Region {
		return errInvalidParameter("Source image %s is not valid. Provide a valid source image.", uri)
	}
	return nil
}
