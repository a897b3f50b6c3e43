package fakelambda

import (
	"regexp"
)

// functionNamePattern is the constraint on FunctionName members: a name, a
// partial ARN (ACCOUNT:function:NAME) or a full ARN, each with an optional
// :QUALIFIER.
const functionNamePattern = `(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?`

var functionNameRE = regexp.MustCompile(`^` + functionNamePattern + `$`)

// functionRef is a FunctionName resolved against the server's region and
// account.
type functionRef struct {
	name      string
	qualifier string // "" when none was given
	region    string // "" when the reference did not say
	account   string // "" when the reference did not say
}

// parseFunctionName checks raw against the member's constraints (as the
// framework does, so violations are a ValidationException) and splits it.
func parseFunctionName(raw string) (functionRef, *apiError) {
	var v violations
	if len(raw) > 140 {
		v.maxLen("functionName", raw, 140)
		return functionRef{}, v.err()
	}
	m := functionNameRE.FindStringSubmatch(raw)
	if m == nil {
		v.pattern("functionName", raw, functionNamePattern, functionNameRE)
		return functionRef{}, v.err()
	}
	ref := functionRef{name: m[7], qualifier: m[9]}
	if m[3] != "" {
		ref.region = m[3][:len(m[3])-1]
	}
	if m[5] != "" {
		ref.account = m[5][:len(m[5])-1]
	}
	if len(ref.name) > 64 {
		v.maxLen("functionName", ref.name, 64)
		return functionRef{}, v.err()
	}
	return ref, nil
}

// arn is the function's ARN in this server's region and account.
func (s *Server) arn(name string) string {
	return "arn:aws:lambda:" + s.opts.Region + ":" + s.opts.AccountID + ":function:" + name
}

// resolve turns a path's FunctionName and the Qualifier query parameter
// into the function's name and qualifier. A reference to another region or
// account names a function this server cannot hold.
func (s *Server) resolve(raw, qualifierParam string) (functionRef, *apiError) {
	ref, aerr := parseFunctionName(raw)
	if aerr != nil {
		return ref, aerr
	}
	if qualifierParam != "" {
		if ref.qualifier != "" && ref.qualifier != qualifierParam {
			return ref, errInvalidParameter("The derived qualifier from the function name does not match the specified qualifier.")
		}
		ref.qualifier = qualifierParam
	}
	if (ref.region != "" && ref.region != s.opts.Region) || (ref.account != "" && ref.account != s.opts.AccountID) {
		return ref, errFunctionNotFound(raw)
	}
	return ref, nil
}
