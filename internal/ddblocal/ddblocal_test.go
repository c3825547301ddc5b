package ddblocal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/logging"
)

// recorder is a logging.Logger that keeps every line the SDK logs.
type recorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *recorder) Logf(c logging.Classification, format string, v ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, string(c)+" "+fmt.Sprintf(format, v...))
}

func TestStartPutGetConditionalStop(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	inst, err := Start(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Stop() })
	if !strings.HasPrefix(inst.Endpoint(), "http://127.0.0.1:") {
		t.Fatalf("Endpoint() = %q, want http://127.0.0.1:PORT", inst.Endpoint())
	}

	c, err := NewClient(ctx, inst.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	log := &recorder{}
	withLog := func(o *dynamodb.Options) { o.Logger = log }
	table := "ddblocal_test"
	_, err = c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("PK"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("PK"), KeyType: types.KeyTypeHash}},
	}, withLog)
	if err != nil {
		t.Fatal(err)
	}
	item := map[string]types.AttributeValue{
		"PK":   &types.AttributeValueMemberS{Value: "a"},
		"Name": &types.AttributeValueMemberS{Value: "Acme"},
	}
	if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}, withLog); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(table),
		Key:            map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "a"}},
		ConsistentRead: aws.Bool(true),
	}, withLog)
	if err != nil {
		t.Fatal(err)
	}
	if name, ok := got.Item["Name"].(*types.AttributeValueMemberS); !ok || name.Value != "Acme" {
		t.Fatalf("GetItem = %v, want Name Acme", got.Item)
	}

	_, err = c.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String(table),
		Item:                item,
		ConditionExpression: aws.String("attribute_not_exists(PK)"),
	}, withLog)
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		t.Fatalf("conditional put of an existing item: err = %v, want ConditionalCheckFailedException", err)
	}
	if len(log.lines) > 0 {
		t.Errorf("the SDK logged on a local endpoint:\n%s", strings.Join(log.lines, "\n"))
	}

	if err := inst.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := inst.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if _, err := c.ListTables(ctx, &dynamodb.ListTablesInput{}, func(o *dynamodb.Options) { o.Retryer = aws.NopRetryer{} }); err == nil {
		t.Fatal("ListTables succeeded after Stop")
	}
}

func TestDataDirPersists(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// A relative directory, as `make run` passes (.devstack/dynamodb), is
	// relative to our working directory, not the JVM's.
	t.Chdir(t.TempDir())
	dir := filepath.Join("state", "dynamodb")
	for i, want := range []int{0, 1} {
		inst, err := Start(ctx, Options{DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		c, err := NewClient(ctx, inst.Endpoint())
		if err != nil {
			t.Fatal(err)
		}
		out, err := c.ListTables(ctx, &dynamodb.ListTablesInput{})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.TableNames) != want {
			t.Fatalf("start %d: %d tables, want %d", i, len(out.TableNames), want)
		}
		if i == 0 {
			_, err = c.CreateTable(ctx, &dynamodb.CreateTableInput{
				TableName:            aws.String("kept"),
				BillingMode:          types.BillingModePayPerRequest,
				AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("PK"), AttributeType: types.ScalarAttributeTypeS}},
				KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("PK"), KeyType: types.KeyTypeHash}},
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := inst.Stop(); err != nil {
			t.Fatal(err)
		}
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) == 0 {
		t.Fatalf("no database under %s: %v", dir, err)
	}
}

// TestDamagedCacheIsFetchedAgain fills an empty cache, damages the jar and
// checks that install notices, says so and fetches a good copy.
func TestDamagedCacheIsFetchedAgain(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	t.Setenv(CacheDirEnv, t.TempDir())

	dir, err := install(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := verify(dir); err != nil {
		t.Fatalf("fresh copy fails verification: %v", err)
	}
	jar := filepath.Join(dir, jarName)
	b, err := os.ReadFile(jar)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff // same size, different content
	if err := os.WriteFile(jar, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := verify(dir); err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Fatalf("verify of a damaged jar = %v, want a sha256 mismatch", err)
	}

	var warn bytes.Buffer
	again, err := install(ctx, &warn)
	if err != nil {
		t.Fatal(err)
	}
	if again != dir {
		t.Fatalf("install returned %s, then %s", dir, again)
	}
	if !strings.Contains(warn.String(), "damaged") {
		t.Errorf("install wrote %q, want a note that the cache was damaged", warn.String())
	}
	if err := verify(dir); err != nil {
		t.Fatalf("re-fetched copy fails verification: %v", err)
	}

	if err := os.Remove(filepath.Join(dir, libDir, "sqlite4java.jar")); err != nil {
		t.Fatal(err)
	}
	if err := verify(dir); err == nil {
		t.Fatal("verify passed with a library missing")
	}
}

func TestIntegrityMismatchIsRefused(t *testing.T) {
	f := filepath.Join(t.TempDir(), tarball)
	if err := os.WriteFile(f, []byte("not the package"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := checkIntegrity(f, integrity)
	if err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Fatalf("checkIntegrity = %v, want a refusal", err)
	}
}

func TestConcurrentFirstUse(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	t.Setenv(CacheDirEnv, t.TempDir())
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() {
			dir, err := install(ctx, nil)
			if err == nil {
				err = verify(dir)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

func TestMissingJavaSaysWhatToInstall(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := Start(context.Background(), Options{})
	if err == nil || !strings.Contains(err.Error(), "Java 17+") || !strings.Contains(err.Error(), "install") {
		t.Fatalf("Start without java = %v, want an error saying to install Java 17+", err)
	}
}

func TestMissingNpmSaysWhatToInstall(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := npmPack(context.Background(), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "install Node.js") {
		t.Fatalf("npmPack without npm = %v, want an error saying to install Node.js with npm", err)
	}
}
