package ddbtest

import (
	"context"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if err := Shutdown(); err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		code = 1
	}
	os.Exit(code)
}

func TestNewTableIsFreshAndDeleted(t *testing.T) {
	var c *dynamodb.Client
	var name string
	t.Run("sub test/with spaces", func(t *testing.T) {
		c, name = NewTable(t)
		_, other := NewTable(t)
		if name == other {
			t.Fatalf("two tables named %s", name)
		}
		out, err := c.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		if out.Table.TableStatus != types.TableStatusActive {
			t.Fatalf("table status %s, want ACTIVE", out.Table.TableStatus)
		}
	})
	if !strings.HasPrefix(name, "t_TestNewTableIsFreshAndDeleted_sub_test_with_spaces_") {
		t.Errorf("table name %q does not carry the test's name", name)
	}
	_, err := c.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	var gone *types.ResourceNotFoundException
	if !errors.As(err, &gone) {
		t.Fatalf("after the test, DescribeTable = %v, want ResourceNotFoundException", err)
	}
}

func TestEndpointIsShared(t *testing.T) {
	if a, b := Endpoint(t), Endpoint(t); a != b {
		t.Fatalf("Endpoint returned %s then %s", a, b)
	}
}

func TestTableName(t *testing.T) {
	valid := regexp.MustCompile(`^[a-zA-Z0-9_.-]{3,255}$`)
	for _, test := range []string{"T", "TestX/ünïcode #1", strings.Repeat("long/", 100)} {
		if name := tableName(test); !valid.MatchString(name) {
			t.Errorf("tableName(%q) = %q, not a valid table name", test, name)
		}
	}
}
