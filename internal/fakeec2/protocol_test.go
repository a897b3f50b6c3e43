package fakeec2

import (
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"lithops/internal/golden"
)

// TestErrorsReachTheSDK checks that every error the server sends surfaces
// in the real SDK client as a smithy.APIError with EC2's code and the HTTP
// status EC2 uses, which is what a backend branches on.
func TestErrorsReachTheSDK(t *testing.T) {
	srv := start(t, Options{})
	c := client(srv)
	ctx := ctxFor(t)
	filter := func(name string, values ...string) []types.Filter {
		return []types.Filter{{Name: aws.String(name), Values: values}}
	}
	tests := []struct {
		name       string
		call       func() error
		wantCode   string
		wantStatus int
	}{
		{"unknown instance", func() error {
			_, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{"i-0123456789abcdef0"}})
			return err
		}, "InvalidInstanceID.NotFound", 400},
		{"malformed instance id", func() error {
			_, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{"web-1"}})
			return err
		}, "InvalidInstanceID.Malformed", 400},
		{"unknown security group", func() error {
			_, err := c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String("sg-0123456789abcdef0")})
			return err
		}, "InvalidGroup.NotFound", 400},
		{"malformed security group id", func() error {
			_, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{"lithops"}})
			return err
		}, "InvalidGroupId.Malformed", 400},
		{"unknown key pair", func() error {
			_, err := c.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{KeyNames: []string{"nope"}})
			return err
		}, "InvalidKeyPair.NotFound", 400},
		{"unknown image", func() error {
			_, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{"ami-0123456789abcdef0"}})
			return err
		}, "InvalidAMIID.NotFound", 400},
		{"unknown vpc", func() error {
			_, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{"vpc-0123456789abcdef0"}})
			return err
		}, "InvalidVpcID.NotFound", 400},
		{"unknown subnet", func() error {
			_, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{"subnet-0123456789abcdef0"}})
			return err
		}, "InvalidSubnetID.NotFound", 400},
		{"unknown instance type", func() error {
			_, err := c.DescribeInstanceTypes(ctx, &ec2.DescribeInstanceTypesInput{InstanceTypes: []types.InstanceType{"x9.huge"}})
			return err
		}, "InvalidInstanceType", 400},
		{"unknown filter", func() error {
			_, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: filter("colour", "blue")})
			return err
		}, "InvalidParameterValue", 400},
		{"instance ids with max results", func() error {
			_, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{"i-0123456789abcdef0"}, MaxResults: aws.Int32(5)})
			return err
		}, "InvalidParameterCombination", 400},
		{"max results too small", func() error {
			_, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(4)})
			return err
		}, "InvalidParameterValue", 400},
		{"foreign next token", func() error {
			_, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{NextToken: aws.String("not-a-token")})
			return err
		}, "InvalidParameterValue", 400},
		{"dry run", func() error {
			_, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("g"), Description: aws.String("d"), DryRun: aws.Bool(true)})
			return err
		}, "DryRunOperation", 412},
		{"delete default group", func() error {
			_, err := c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupName: aws.String("default")})
			return err
		}, "CannotDelete", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, status := codeOf(t, tt.call())
			if diff := cmp.Diff([2]any{tt.wantCode, tt.wantStatus}, [2]any{code, status}); diff != "" {
				t.Errorf("wrong code and status (-want +got):\n%s", diff)
			}
		})
	}
	if diff := cmp.Diff([]Resource(nil), srv.Resources()); diff != "" {
		t.Errorf("failed and dry-run calls left resources (-want +got):\n%s", diff)
	}
}

// post sends a raw EC2 Query request, signed or not, and returns the
// status and body.
func post(t *testing.T, srv *Server, form url.Values, signed bool) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL(), strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if signed {
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=00")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// TestErrorDocument checks the error body against the shape the SDK's
// ec2query error parser reads: Response/Errors/Error/{Code,Message} and
// Response/RequestID.
func TestErrorDocument(t *testing.T) {
	srv := start(t, Options{})
	type errorDoc struct {
		XMLName   xml.Name
		Code      string `xml:"Errors>Error>Code"`
		Message   string `xml:"Errors>Error>Message"`
		RequestID string `xml:"RequestID"`
	}
	tests := []struct {
		name       string
		form       url.Values
		signed     bool
		wantStatus int
		wantCode   string
	}{
		{"unsigned", url.Values{"Action": {"DescribeVpcs"}, "Version": {"2016-11-15"}}, false, 401, "AuthFailure"},
		{"unknown action", url.Values{"Action": {"LaunchRocket"}, "Version": {"2016-11-15"}}, true, 400, "InvalidAction"},
		{"no action", url.Values{"Version": {"2016-11-15"}}, true, 400, "MissingAction"},
		{"no version", url.Values{"Action": {"DescribeVpcs"}}, true, 400, "MissingParameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := post(t, srv, tt.form, tt.signed)
			var doc errorDoc
			if err := xml.Unmarshal([]byte(body), &doc); err != nil {
				t.Fatalf("parse %q: %v", body, err)
			}
			got := []any{status, doc.XMLName.Local, doc.Code, doc.Message != "", doc.RequestID != ""}
			want := []any{tt.wantStatus, "Response", tt.wantCode, true, true}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("wrong error document (-want +got):\n%s\n%s", diff, body)
			}
		})
	}
}

// TestGoldenResponses pins the XML of a few responses, rendered with a
// fixed clock: a change to the wire format shows up as a reviewed diff.
// Run with -update to rewrite them.
func TestGoldenResponses(t *testing.T) {
	clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	srv := start(t, Options{Now: func() time.Time { return clock }})
	c := client(srv)
	ctx := ctxFor(t)
	sg, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("lithops-fleet"), Description: aws.String("lithops fleet ssh")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: sg.GroupId,
		IpPermissions: []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22),
			IpRanges: []types.IpRange{{CidrIp: aws.String("192.0.2.0/24"), Description: aws.String("office")}}}},
	}); err != nil {
		t.Fatal(err)
	}
	ids := launch(t, c, 2, func(in *ec2.RunInstancesInput) {
		in.SecurityGroupIds = []string{aws.ToString(sg.GroupId)}
		in.ClientToken = aws.String("golden") // the SDK's default token is random
		in.TagSpecifications = []types.TagSpecification{{ResourceType: types.ResourceTypeInstance, Tags: []types.Tag{{Key: aws.String("lithops:fleet"), Value: aws.String("lab")}}}}
	})
	waitAll(t, srv, ids, Running)

	tests := []struct {
		golden string
		form   url.Values
	}{
		{"describe-instances.xml", url.Values{"Action": {"DescribeInstances"}, "Filter.1.Name": {"tag:lithops:fleet"}, "Filter.1.Value.1": {"lab"}}},
		{"describe-security-groups.xml", url.Values{"Action": {"DescribeSecurityGroups"}, "GroupId.1": {aws.ToString(sg.GroupId)}}},
		{"terminate-instances.xml", url.Values{"Action": {"TerminateInstances"}, "InstanceId.1": {ids[0]}}},
		{"describe-instances-not-found.xml", url.Values{"Action": {"DescribeInstances"}, "InstanceId.1": {"i-0123456789abcdef0"}}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			tt.form.Set("Version", "2016-11-15")
			_, raw := post(t, srv, tt.form, true)
			body := indentXML(t, raw)
			golden.Check(t, tt.golden, body)
		})
	}
}

// TestRequestIDReachesTheSDK checks the SDK reads the request ID of a
// successful response.
func TestRequestIDReachesTheSDK(t *testing.T) {
	srv := start(t, Options{})
	out, err := client(srv).DescribeVpcs(context.Background(), &ec2.DescribeVpcsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if id, ok := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata); !ok || id == "" {
		t.Errorf("no request ID in the result metadata")
	}
}

// indentXML re-encodes a document one element per line, so golden diffs
// read line by line.
func indentXML(t *testing.T, doc string) string {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(doc))
	var b strings.Builder
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("parse response: %v", err)
		}
		switch tt := tok.(type) {
		case xml.CharData:
			if strings.TrimSpace(string(tt)) == "" {
				continue
			}
		case xml.ProcInst:
			continue
		case xml.StartElement:
			// The decoder resolves the default namespace onto every
			// element; the root keeps it as its xmlns attribute.
			tt.Name.Space = ""
			tok = tt
		case xml.EndElement:
			tt.Name.Space = ""
			tok = tt
		}
		if err := enc.EncodeToken(xml.CopyToken(tok)); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.Flush(); err != nil {
		t.Fatal(err)
	}
	return b.String() + "\n"
}
