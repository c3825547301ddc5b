package tenantcreds

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// signedRequest is what a stand-in DynamoDB saw of one request's signature.
type signedRequest struct {
	credential    string // the Credential=… part of Authorization, up to the first /
	securityToken string
}

// fakeDynamo stands in for DynamoDB: it records how each request was signed
// and answers every operation with an empty JSON object.
func fakeDynamo(t *testing.T) (*httptest.Server, func() []signedRequest) {
	var mu sync.Mutex
	var seen []signedRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		_, cred, _ := strings.Cut(auth, "Credential=")
		cred, _, _ = strings.Cut(cred, "/")
		mu.Lock()
		seen = append(seen, signedRequest{credential: cred, securityToken: r.Header.Get("X-Amz-Security-Token")})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = w.Write([]byte(`{}`))
	}))
	t.Cleanup(srv.Close)
	return srv, func() []signedRequest {
		mu.Lock()
		defer mu.Unlock()
		return append([]signedRequest(nil), seen...)
	}
}

func TestDynamoDBClientSignsWithTenantCredentials(t *testing.T) {
	p, f, _ := newTestProvider(t)
	ddb, seen := fakeDynamo(t)
	base := dynamodb.New(dynamodb.Options{
		Region:           "eu-west-1",
		BaseEndpoint:     aws.String(ddb.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIABASEEXAMPLE", "base-secret", ""),
		RetryMaxAttempts: 1,
	})
	forTenant := func(tenant string) *dynamodb.Client {
		return dynamodb.New(base.Options(), func(o *dynamodb.Options) { o.Credentials = p.CredentialsFor(tenant) })
	}
	get := func(c *dynamodb.Client, tenant string) {
		t.Helper()
		_, err := c.GetItem(context.Background(), &dynamodb.GetItemInput{
			TableName: aws.String("portal"),
			Key: map[string]types.AttributeValue{
				"PK": &types.AttributeValueMemberS{Value: "TENANT#" + tenant},
				"SK": &types.AttributeValueMemberS{Value: "CUSTOMER"},
			},
		})
		if err != nil {
			t.Fatalf("GetItem for %s: %v", tenant, err)
		}
	}

	get(base, tenantA)
	a := forTenant(tenantA)
	get(a, tenantA)
	get(a, tenantA)
	get(forTenant(tenantB), tenantB)

	want := []signedRequest{
		{credential: "AKIABASEEXAMPLE"},
		{credential: accessKey(1), securityToken: "token-1"},
		{credential: accessKey(1), securityToken: "token-1"},
		{credential: accessKey(2), securityToken: "token-2"},
	}
	got := seen()
	if len(got) != len(want) {
		t.Fatalf("DynamoDB saw %d requests, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("request %d signed with %+v, want %+v", i, got[i], want[i])
		}
	}
	if n := len(f.Requests()); n != 2 {
		t.Errorf("STS got %d AssumeRole calls for two tenants, want 2", n)
	}
}
