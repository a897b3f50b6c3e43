package fakelambda_test

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"lithops/internal/fakelambda"
)

// A backend's test points the real SDK client at the fake, and shortens the
// waiters' delays (their defaults start at 5 s). Tests use fakelambda.New(t,
// ...) instead of Start, and fakelambda.RequireRIE(t) to find the emulator.
func Example() {
	srv, err := fakelambda.Start(fakelambda.Options{
		// What the function needs to reach a local S3 (gofakes3, say).
		Credentials: fakelambda.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"},
		Env:         map[string]string{"AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000"},
	})
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	client := lambda.New(lambda.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL()),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}, nil
		}),
	})
	ctx := context.Background()
	zip, err := fakelambda.Zip(fakelambda.ZipFile{Name: "bootstrap", Mode: 0o755, Data: []byte("#!/bin/sh\n")})
	if err != nil {
		panic(err)
	}
	out, err := client.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("worker"),
		Role:         aws.String("arn:aws:iam::123456789012:role/worker"),
		Runtime:      types.RuntimeProvidedal2023,
		Handler:      aws.String("bootstrap"),
		Code:         &types.FunctionCode{ZipFile: zip},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(out.State)

	waiter := lambda.NewFunctionActiveV2Waiter(client, func(o *lambda.FunctionActiveV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 100*time.Millisecond
	})
	got, err := waiter.WaitForOutput(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("worker")}, time.Minute)
	if err != nil {
		panic(err)
	}
	fmt.Println(got.Configuration.State)
	// Output:
	// Pending
	// Active
}
