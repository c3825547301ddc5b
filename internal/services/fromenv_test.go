package services_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/partnerportal/portal/internal/services"
	"github.com/partnerportal/portal/internal/tenantcreds"
)

// fromEnv sets the environment of a function whose DynamoDB is endpoint,
// signing as accessKey, and assembles its services.
func fromEnv(t *testing.T, endpoint, accessKey string) (*services.Services, error) {
	t.Helper()
	home := t.TempDir() // no ~/.aws of the developer
	for k, v := range map[string]string{
		services.EnvTable: "partner-portal", services.EnvCursorSecret: strings.Repeat("s", 32), services.EnvEndpoint: endpoint,
		"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": accessKey, "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "",
		"AWS_PROFILE": "", "AWS_EC2_METADATA_DISABLED": "true", "HOME": home,
		"AWS_CONFIG_FILE": filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(home, "credentials"),
		tenantcreds.EnvRoleARN: "",
	} {
		t.Setenv(k, v)
	}
	return services.FromEnv(context.Background())
}

func TestFromEnvWithADynamoDBEndpoint(t *testing.T) {
	t.Run("SignsWithTheFunctionsOwnAccessKey", func(t *testing.T) {
		var mu sync.Mutex
		var auth, target string
		ddb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			auth, target = r.Header.Get("Authorization"), r.Header.Get("X-Amz-Target")
			mu.Unlock()
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			w.Write([]byte(`{}`))
		}))
		defer ddb.Close()
		s, err := fromEnv(t, ddb.URL, "LocalAuditFunction")
		if err != nil {
			t.Fatal(err)
		}
		// Any read will do: the endpoint answers that there is no such key.
		s.Store.GetAPIKey(context.Background(), "key_1")
		mu.Lock()
		defer mu.Unlock()
		if got, want := target, "DynamoDB_20120810.GetItem"; got != want {
			t.Fatalf("X-Amz-Target = %q, want %q (the request did not reach the endpoint)", got, want)
		}
		if want := "Credential=LocalAuditFunction/"; !strings.Contains(auth, want) {
			t.Fatalf("Authorization = %q, want it to contain %q", auth, want)
		}
	})
	t.Run("NotAnHTTPURL", func(t *testing.T) {
		_, err := fromEnv(t, "127.0.0.1:8000", "LocalAuditFunction")
		if err == nil || !strings.Contains(err.Error(), services.EnvEndpoint) {
			t.Fatalf("err = %v, want one naming %s", err, services.EnvEndpoint)
		}
	})
}
