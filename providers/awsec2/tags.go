package awsec2

import (
	"crypto/rand"
	"encoding/hex"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Tags lithops puts on what it creates, so that people (and lithops, for
// instances a killed apply launched) can tell what belongs to which fleet.
const (
	// TagExecutor holds the executor block's name.
	TagExecutor = "lithops:executor"
	// TagFleet holds the fleet's key pair name, unique per fleet.
	TagFleet = "lithops:fleet"
	// TagIndex holds an instance's index in the fleet.
	TagIndex = "lithops:index"
)

// tags is a tag specification with a Name tag, the executor's name and
// any extra key-value pairs.
func tags(rt types.ResourceType, name, executor string, kv ...string) []types.TagSpecification {
	ts := []types.Tag{
		{Key: aws.String("Name"), Value: aws.String(name)},
		{Key: aws.String(TagExecutor), Value: aws.String(executor)},
	}
	for i := 0; i+1 < len(kv); i += 2 {
		ts = append(ts, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return []types.TagSpecification{{ResourceType: rt, Tags: ts}}
}

// randomSuffix makes names unique: 8 hex digits.
func randomSuffix() string {
	var b [4]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
