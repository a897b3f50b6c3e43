// Package fakeec2 is a test server that speaks the EC2 Query API on
// 127.0.0.1 for the operations lithops' aws_ec2 fleet backend calls: key
// pairs, security groups, RunInstances and its lifecycle, tags, and the
// read-only lookups (images, VPCs, subnets, instance types) a backend makes
// before launching. Tests point the real aws-sdk-go-v2 EC2 client at it
// through BaseEndpoint (see New, Server.URL and Server.HTTPClient). It keeps
// EC2's semantics where a backend can trip over them (error codes and HTTP
// statuses, MinCount/MaxCount, eventual consistency, terminated instances
// that stay visible, DependencyViolation) and lets a test inject capacity
// shortages, throttling and arbitrary errors. What an instance "is" is
// pluggable through Host: the default MemoryHost runs nothing, while an
// end-to-end test can boot a real SSH host (for example in a network
// namespace) with the host key found in the instance's user data. Resources
// and Calls let a test assert what a backend left behind and what it asked
// for.
package fakeec2
