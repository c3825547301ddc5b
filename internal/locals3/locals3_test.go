package locals3_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/partnerportal/portal/internal/locals3"
)

func put(t *testing.T, c *s3.Client, bucket, key, body string) {
	t.Helper()
	_, err := c.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body), ContentType: aws.String("text/plain"),
	})
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

func get(t *testing.T, c *s3.Client, bucket, key string) (string, error) {
	t.Helper()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return "", err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	return string(b), err
}

func TestTheRealClientTalksToIt(t *testing.T) {
	srv, err := locals3.Start(locals3.Config{Bucket: "reports"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c := srv.Client()

	t.Run("PutAndGet", func(t *testing.T) {
		put(t, c, "reports", "reports/prt_1/cus_1/rpt_1.html", "<h1>report</h1>")
		got, err := get(t, c, "reports", "reports/prt_1/cus_1/rpt_1.html")
		if err != nil || got != "<h1>report</h1>" {
			t.Fatalf("get = %q, %v", got, err)
		}
	})
	t.Run("AMissingKeyIsNoSuchKey", func(t *testing.T) {
		_, err := get(t, c, "reports", "reports/nothing")
		var nsk *types.NoSuchKey
		if !errors.As(err, &nsk) {
			t.Fatalf("err = %v, want NoSuchKey", err)
		}
	})
	t.Run("AnUnknownBucketIsNoSuchBucket", func(t *testing.T) {
		_, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("other"), Key: aws.String("k"), Body: strings.NewReader("x")})
		if err == nil || !strings.Contains(err.Error(), "NoSuchBucket") {
			t.Fatalf("err = %v, want NoSuchBucket", err)
		}
	})
}

func TestObjectsUnderDirOutliveARestart(t *testing.T) {
	dir := t.TempDir()
	srv, err := locals3.Start(locals3.Config{Bucket: "reports", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	put(t, srv.Client(), "reports", "reports/a/b/c.json", `{"ok":true}`)
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := locals3.Start(locals3.Config{Bucket: "reports", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if got, err := get(t, again.Client(), "reports", "reports/a/b/c.json"); err != nil || got != `{"ok":true}` {
		t.Fatalf("after a restart: %q, %v", got, err)
	}
}

func TestNewClientWantsAnHTTPURL(t *testing.T) {
	for _, bad := range []string{"", "127.0.0.1:9000", "ftp://x"} {
		if _, err := locals3.NewClient(bad); err == nil {
			t.Errorf("NewClient(%q) = nil error", bad)
		}
	}
}
