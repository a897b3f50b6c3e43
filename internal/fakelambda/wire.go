package fakelambda

// Request and response bodies of the Lambda REST API as they travel on the
// wire. Member names are the JSON names of aws-sdk-go-v2/service/lambda's
// schemas (which equal the Smithy member names); blobs travel as base64,
// which encoding/json does for []byte. Members the fake does not model
// (VpcConfig, DeadLetterConfig, KMSKeyArn, FileSystemConfigs, ...) are accepted
// and ignored.

type createFunctionRequest struct {
	FunctionName     *string           `json:"FunctionName"`
	Runtime          *string           `json:"Runtime"`
	Role             *string           `json:"Role"`
	Handler          *string           `json:"Handler"`
	Code             *functionCode     `json:"Code"`
	Description      *string           `json:"Description"`
	Timeout          *int              `json:"Timeout"`
	MemorySize       *int              `json:"MemorySize"`
	Publish          bool              `json:"Publish"`
	PackageType      *string           `json:"PackageType"`
	Environment      *environment      `json:"Environment"`
	Tags             map[string]string `json:"Tags"`
	Layers           []string          `json:"Layers"`
	Architectures    []string          `json:"Architectures"`
	EphemeralStorage *ephemeralStorage `json:"EphemeralStorage"`
	TracingConfig    *tracingConfig    `json:"TracingConfig"`
	ImageConfig      *imageConfig      `json:"ImageConfig"`
	LoggingConfig    *loggingConfig    `json:"LoggingConfig"`
}

type functionCode struct {
	ZipFile         []byte  `json:"ZipFile"`
	S3Bucket        *string `json:"S3Bucket"`
	S3Key           *string `json:"S3Key"`
	S3ObjectVersion *string `json:"S3ObjectVersion"`
	ImageURI        *string `json:"ImageUri"`
}

type environment struct {
	Variables map[string]string `json:"Variables"`
}

type environmentResponse struct {
	Variables map[string]string `json:"Variables,omitempty"`
}

type ephemeralStorage struct {
	Size int `json:"Size"`
}

type tracingConfig struct {
	Mode string `json:"Mode,omitempty"`
}

type imageConfig struct {
	Command          []string `json:"Command,omitempty"`
	EntryPoint       []string `json:"EntryPoint,omitempty"`
	WorkingDirectory string   `json:"WorkingDirectory,omitempty"`
}

type imageConfigResponse struct {
	ImageConfig *imageConfig `json:"ImageConfig,omitempty"`
}

type loggingConfig struct {
	ApplicationLogLevel string `json:"ApplicationLogLevel,omitempty"`
	LogFormat           string `json:"LogFormat,omitempty"`
	LogGroup            string `json:"LogGroup,omitempty"`
	SystemLogLevel      string `json:"SystemLogLevel,omitempty"`
}

type snapStartResponse struct {
	ApplyOn            string `json:"ApplyOn"`
	OptimizationStatus string `json:"OptimizationStatus"`
}

type runtimeVersionConfig struct {
	RuntimeVersionArn string `json:"RuntimeVersionArn,omitempty"`
}

type updateFunctionCodeRequest struct {
	ZipFile         []byte   `json:"ZipFile"`
	S3Bucket        *string  `json:"S3Bucket"`
	S3Key           *string  `json:"S3Key"`
	S3ObjectVersion *string  `json:"S3ObjectVersion"`
	ImageURI        *string  `json:"ImageUri"`
	Publish         bool     `json:"Publish"`
	DryRun          bool     `json:"DryRun"`
	RevisionID      *string  `json:"RevisionId"`
	Architectures   []string `json:"Architectures"`
}

type updateFunctionConfigurationRequest struct {
	Role             *string           `json:"Role"`
	Handler          *string           `json:"Handler"`
	Description      *string           `json:"Description"`
	Timeout          *int              `json:"Timeout"`
	MemorySize       *int              `json:"MemorySize"`
	Environment      *environment      `json:"Environment"`
	Runtime          *string           `json:"Runtime"`
	Layers           []string          `json:"Layers"`
	RevisionID       *string           `json:"RevisionId"`
	EphemeralStorage *ephemeralStorage `json:"EphemeralStorage"`
	TracingConfig    *tracingConfig    `json:"TracingConfig"`
	ImageConfig      *imageConfig      `json:"ImageConfig"`
	LoggingConfig    *loggingConfig    `json:"LoggingConfig"`
}

// functionConfiguration is the FunctionConfiguration shape returned by
// CreateFunction, GetFunctionConfiguration, UpdateFunctionCode,
// UpdateFunctionConfiguration and inside GetFunction and ListFunctions.
type functionConfiguration struct {
	FunctionName               string                `json:"FunctionName"`
	FunctionArn                string                `json:"FunctionArn"`
	Runtime                    string                `json:"Runtime,omitempty"`
	Role                       string                `json:"Role"`
	Handler                    string                `json:"Handler,omitempty"`
	CodeSize                   int64                 `json:"CodeSize"`
	Description                string                `json:"Description"`
	Timeout                    int                   `json:"Timeout"`
	MemorySize                 int                   `json:"MemorySize"`
	LastModified               string                `json:"LastModified"`
	CodeSha256                 string                `json:"CodeSha256"`
	Version                    string                `json:"Version"`
	Environment                *environmentResponse  `json:"Environment,omitempty"`
	TracingConfig              tracingConfig         `json:"TracingConfig"`
	RevisionID                 string                `json:"RevisionId"`
	State                      string                `json:"State,omitempty"`
	StateReason                string                `json:"StateReason,omitempty"`
	StateReasonCode            string                `json:"StateReasonCode,omitempty"`
	LastUpdateStatus           string                `json:"LastUpdateStatus,omitempty"`
	LastUpdateStatusReason     string                `json:"LastUpdateStatusReason,omitempty"`
	LastUpdateStatusReasonCode string                `json:"LastUpdateStatusReasonCode,omitempty"`
	PackageType                string                `json:"PackageType"`
	ImageConfigResponse        *imageConfigResponse  `json:"ImageConfigResponse,omitempty"`
	Architectures              []string              `json:"Architectures"`
	EphemeralStorage           ephemeralStorage      `json:"EphemeralStorage"`
	SnapStart                  snapStartResponse     `json:"SnapStart"`
	RuntimeVersionConfig       *runtimeVersionConfig `json:"RuntimeVersionConfig,omitempty"`
	LoggingConfig              loggingConfig         `json:"LoggingConfig"`
}

type getFunctionResponse struct {
	Configuration functionConfiguration `json:"Configuration"`
	Code          functionCodeLocation  `json:"Code"`
	Tags          map[string]string     `json:"Tags,omitempty"`
}

type functionCodeLocation struct {
	RepositoryType   string `json:"RepositoryType"`
	Location         string `json:"Location,omitempty"`
	ImageURI         string `json:"ImageUri,omitempty"`
	ResolvedImageURI string `json:"ResolvedImageUri,omitempty"`
}

type listFunctionsResponse struct {
	Functions  []functionConfiguration `json:"Functions"`
	NextMarker string                  `json:"NextMarker,omitempty"`
}
