package fakeec2

import (
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"
)

func tag(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }

func TestCreateAndDeleteTags(t *testing.T) {
	srv := start(t, Options{})
	c := client(srv)
	ctx := ctxFor(t)
	ids := launch(t, c, 1)
	g, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("g"), Description: aws.String("g")})
	if err != nil {
		t.Fatal(err)
	}
	_, line := ed25519Key(t)
	k, err := c.ImportKeyPair(ctx, &ec2.ImportKeyPairInput{KeyName: aws.String("k"), PublicKeyMaterial: line})
	if err != nil {
		t.Fatal(err)
	}
	all := []string{ids[0], aws.ToString(g.GroupId), aws.ToString(k.KeyPairId)}
	tagsOf := func() []map[string]string {
		t.Helper()
		inst := describe(t, c, &ec2.DescribeInstancesInput{InstanceIds: ids})[0].Tags
		gs, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: all[1:2]})
		if err != nil {
			t.Fatal(err)
		}
		ks, err := c.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{KeyPairIds: all[2:]})
		if err != nil {
			t.Fatal(err)
		}
		toMap := func(ts []types.Tag) map[string]string {
			m := map[string]string{}
			for _, t := range ts {
				m[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			return m
		}
		return []map[string]string{inst, toMap(gs.SecurityGroups[0].Tags), toMap(ks.KeyPairs[0].Tags)}
	}
	steps := []struct {
		name     string
		call     func() error
		wantCode string
		want     map[string]string // the same on all three resources
	}{
		{"tag all three", func() error {
			_, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: all, Tags: []types.Tag{tag("lithops:fleet", "lab"), tag("owner", "ana")}})
			return err
		}, "", map[string]string{"lithops:fleet": "lab", "owner": "ana"}},
		{"overwrite", func() error {
			_, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: all, Tags: []types.Tag{tag("owner", "bo")}})
			return err
		}, "", map[string]string{"lithops:fleet": "lab", "owner": "bo"}},
		{"one unknown resource changes nothing", func() error {
			_, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: append(all, "i-0123456789abcdef0"), Tags: []types.Tag{tag("x", "y")}})
			return err
		}, "InvalidInstanceID.NotFound", map[string]string{"lithops:fleet": "lab", "owner": "bo"}},
		{"reserved prefix", func() error {
			_, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: all, Tags: []types.Tag{tag("AWS:x", "y")}})
			return err
		}, "InvalidParameterValue", map[string]string{"lithops:fleet": "lab", "owner": "bo"}},
		{"delete only on a matching value", func() error {
			_, err := c.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: all, Tags: []types.Tag{tag("owner", "ana")}})
			return err
		}, "", map[string]string{"lithops:fleet": "lab", "owner": "bo"}},
		{"delete whatever the value", func() error {
			_, err := c.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: all, Tags: []types.Tag{{Key: aws.String("owner")}}})
			return err
		}, "", map[string]string{"lithops:fleet": "lab"}},
	}
	for _, st := range steps {
		err := st.call()
		if code, _ := codeOf(t, err); code != st.wantCode {
			t.Fatalf("%s: wrong error code: want %q, got %q (%v)", st.name, st.wantCode, code, err)
		}
		if diff := cmp.Diff([]map[string]string{st.want, st.want, st.want}, tagsOf()); diff != "" {
			t.Fatalf("%s: wrong tags (-want +got):\n%s", st.name, diff)
		}
	}

	var many []types.Tag
	for i := range 50 {
		many = append(many, tag("k"+strconv.Itoa(i), "v"))
	}
	_, err = c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: ids, Tags: many})
	wantCode(t, err, "TagLimitExceeded")
	_, err = c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{"eipalloc-0123456789abcdef0"}, Tags: many[:1]})
	wantCode(t, err, "InvalidID")
}
