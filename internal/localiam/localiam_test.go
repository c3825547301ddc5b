package localiam_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/ddbtest"
	"github.com/partnerportal/portal/internal/localiam"
)

func TestMain(m *testing.M) { ddbtest.Main(m) }

// world is a table in DynamoDB Local, a Gate in front of it holding the
// declared functions (and any extra ones) to their roles, and a client
// going straight to DynamoDB Local to look at what happened.
type world struct {
	t      *testing.T
	direct *dynamodb.Client
	table  string
	gate   *localiam.Server
	log    *syncBuffer
}

func newWorld(t *testing.T, extra ...extraFunction) *world {
	t.Helper()
	a := app.Declaration()
	functions, roles := a.Functions, a.Roles()
	for _, e := range extra {
		functions = append(functions, app.Function{Name: e.name})
		roles = append(roles, app.Role{LogicalID: app.RoleLogicalID(e.name), Statements: e.statements})
	}
	direct, table := ddbtest.NewTable(t)
	log := &syncBuffer{}
	gate, err := localiam.Start("", ddbtest.Endpoint(t), functions, roles, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := gate.Close(); err != nil {
			t.Error(err)
		}
	})
	return &world{t: t, direct: direct, table: table, gate: gate, log: log}
}

// extraFunction is a function of the test only, with its role's statements.
type extraFunction struct {
	name       string
	statements []app.Statement
}

// as returns a client signing with the access key of the named function,
// through the gate.
func (w *world) as(function string) *dynamodb.Client {
	return w.withKey(localiam.AccessKeyID(function))
}

func (w *world) withKey(key string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(w.gate.URL()),
		Credentials:                     credentials.NewStaticCredentialsProvider(key, "local", ""),
		DisableValidateResponseChecksum: true,
	})
}

func item(pk, sk string, attrs ...string) map[string]types.AttributeValue {
	m := map[string]types.AttributeValue{
		app.AttrPK: &types.AttributeValueMemberS{Value: pk},
		app.AttrSK: &types.AttributeValueMemberS{Value: sk},
	}
	for i := 0; i+1 < len(attrs); i += 2 {
		m[attrs[i]] = &types.AttributeValueMemberS{Value: attrs[i+1]}
	}
	return m
}

func key(pk, sk string) map[string]types.AttributeValue { return item(pk, sk) }

// seed writes an item straight to DynamoDB Local.
func (w *world) seed(it map[string]types.AttributeValue) {
	w.t.Helper()
	if _, err := w.direct.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: &w.table, Item: it}); err != nil {
		w.t.Fatal(err)
	}
}

// stored returns the item with the key as DynamoDB Local has it (nil: none).
func (w *world) stored(pk, sk string) map[string]types.AttributeValue {
	w.t.Helper()
	res, err := w.direct.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: &w.table, Key: key(pk, sk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		w.t.Fatal(err)
	}
	return res.Item
}

func attr(it map[string]types.AttributeValue, name string) string {
	s, _ := it[name].(*types.AttributeValueMemberS)
	if s == nil {
		return ""
	}
	return s.Value
}

// wantDenied fails unless err is DynamoDB's AccessDeniedException saying
// that function (by its role) may not perform action on resource (the ARN
// after the table's name).
func (w *world) wantDenied(err error, function, action, resource string) {
	w.t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		w.t.Fatalf("err = %v, want AccessDeniedException", err)
	}
	if got, want := apiErr.ErrorCode(), "AccessDeniedException"; got != want {
		w.t.Fatalf("error code = %s, want %s (%v)", got, want, err)
	}
	want := "User: arn:aws:sts::000000000000:assumed-role/" + app.RoleLogicalID(function) + "/" + function +
		" is not authorized to perform: " + action + " on resource: arn:aws:dynamodb:us-east-1:000000000000:table/" + w.table + resource +
		" because no identity-based policy allows the " + action + " action"
	if got := apiErr.ErrorMessage(); got != want {
		w.t.Fatalf("message = %q\nwant      %q", got, want)
	}
	if line := "localiam: denied " + function + " " + action + " on table/" + w.table + resource; !strings.Contains(w.log.String(), line) {
		w.t.Fatalf("log = %q, want a line with %q", w.log.String(), line)
	}
}

func TestAGrantedActionPasses(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	customers := w.as("customers")
	if _, err := customers.PutItem(ctx, &dynamodb.PutItemInput{TableName: &w.table, Item: item("P#1", "C#1", "name", "Acme GmbH")}); err != nil {
		t.Fatalf("customers PutItem: %v", err)
	}
	res, err := customers.GetItem(ctx, &dynamodb.GetItemInput{TableName: &w.table, Key: key("P#1", "C#1")})
	if err != nil {
		t.Fatalf("customers GetItem: %v", err)
	}
	if got, want := attr(res.Item, "name"), "Acme GmbH"; got != want {
		t.Fatalf("name = %q, want %q (the body reached DynamoDB intact)", got, want)
	}
	if got := w.log.String(); got != "" {
		t.Fatalf("log = %q, want nothing", got)
	}
}

func TestAnActionNotGrantedIsRefusedAndWritesNothing(t *testing.T) {
	t.Run("TheAuditFunctionCannotPutItem", func(t *testing.T) {
		w := newWorld(t)
		_, err := w.as("audit").PutItem(context.Background(), &dynamodb.PutItemInput{TableName: &w.table, Item: item("P#1", "AUDIT#1")})
		w.wantDenied(err, "audit", "dynamodb:PutItem", "")
		if got := w.stored("P#1", "AUDIT#1"); got != nil {
			t.Fatalf("item = %v, want none", got)
		}
	})
	t.Run("TheAuditFunctionCanRead", func(t *testing.T) {
		w := newWorld(t)
		w.seed(item("P#1", "AUDIT#1"))
		audit := w.as("audit")
		if _, err := audit.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: &w.table, Key: key("P#1", "AUDIT#1")}); err != nil {
			t.Fatalf("GetItem: %v", err)
		}
		if _, err := audit.Query(context.Background(), &dynamodb.QueryInput{TableName: &w.table,
			KeyConditionExpression: aws.String("PK = :pk"), ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "P#1"}}}); err != nil {
			t.Fatalf("Query: %v", err)
		}
	})
	t.Run("TheAuthorizerCannotQuery", func(t *testing.T) {
		w := newWorld(t)
		_, err := w.as("authorizer").Query(context.Background(), &dynamodb.QueryInput{TableName: &w.table,
			KeyConditionExpression: aws.String("PK = :pk"), ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "KEY#1"}}})
		w.wantDenied(err, "authorizer", "dynamodb:Query", "")
	})
	t.Run("TheAuthorizerCanGetAndUpdateItem", func(t *testing.T) {
		w := newWorld(t)
		w.seed(item("KEY#1", "KEY"))
		authorizer := w.as("authorizer")
		if _, err := authorizer.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: &w.table, Key: key("KEY#1", "KEY")}); err != nil {
			t.Fatalf("GetItem: %v", err)
		}
		if _, err := authorizer.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{TableName: &w.table, Key: key("KEY#1", "KEY"),
			UpdateExpression: aws.String("SET lastUsedAt = :t"), ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberS{Value: "now"}}}); err != nil {
			t.Fatalf("UpdateItem: %v", err)
		}
		if got, want := attr(w.stored("KEY#1", "KEY"), "lastUsedAt"), "now"; got != want {
			t.Fatalf("lastUsedAt = %q, want %q", got, want)
		}
	})
	t.Run("TheFallbackFunctionTouchesNoTable", func(t *testing.T) {
		w := newWorld(t)
		_, err := w.as("fallback").GetItem(context.Background(), &dynamodb.GetItemInput{TableName: &w.table, Key: key("P#1", "C#1")})
		w.wantDenied(err, "fallback", "dynamodb:GetItem", "")
	})
	t.Run("BatchWriteItemIsAnActionOfItsOwn", func(t *testing.T) {
		w := newWorld(t)
		_, err := w.as("customers").BatchWriteItem(context.Background(), &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{
			w.table: {{PutRequest: &types.PutRequest{Item: item("P#1", "C#1")}}},
		}})
		w.wantDenied(err, "customers", "dynamodb:BatchWriteItem", "")
		if got := w.stored("P#1", "C#1"); got != nil {
			t.Fatalf("item = %v, want none", got)
		}
	})
}

func TestAQueryOnAnIndexNeedsTheIndexPermission(t *testing.T) {
	// A role allowing Query on the table only; the declared roles always
	// allow it on the indexes too (app.App.Roles).
	w := newWorld(t, extraFunction{name: "table-reader", statements: []app.Statement{
		{Actions: []string{app.ActionQuery}, Resources: []app.Resource{{Kind: app.ResourceTable}}},
	}})
	ctx := context.Background()
	onTable := &dynamodb.QueryInput{TableName: &w.table, KeyConditionExpression: aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "P#1"}}}
	onIndex := &dynamodb.QueryInput{TableName: &w.table, IndexName: aws.String(app.IndexGSI1), KeyConditionExpression: aws.String("GSIPK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "P#1"}}}

	if _, err := w.as("table-reader").Query(ctx, onTable); err != nil {
		t.Fatalf("Query on the table: %v", err)
	}
	_, err := w.as("table-reader").Query(ctx, onIndex)
	w.wantDenied(err, "table-reader", "dynamodb:Query", "/index/"+app.IndexGSI1)
	if _, err := w.as("customers").Query(ctx, onIndex); err != nil {
		t.Fatalf("customers Query on %s: %v", app.IndexGSI1, err)
	}
}

func TestATransactionIsAuthorisedItemByItem(t *testing.T) {
	touch := func(w *world, pk, sk string) types.TransactWriteItem {
		return types.TransactWriteItem{Update: &types.Update{TableName: &w.table, Key: key(pk, sk),
			UpdateExpression: aws.String("SET touched = :t"), ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberS{Value: "yes"}}}}
	}
	t.Run("OneUngrantedItemKindRefusesTheWhole", func(t *testing.T) {
		w := newWorld(t)
		w.seed(item("KEY#1", "KEY"))
		_, err := w.as("authorizer").TransactWriteItems(context.Background(), &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			touch(w, "KEY#1", "KEY"),
			{Put: &types.Put{TableName: &w.table, Item: item("AUDIT#1", "ENTRY")}},
		}})
		w.wantDenied(err, "authorizer", "dynamodb:PutItem", "")
		if got := attr(w.stored("KEY#1", "KEY"), "touched"); got != "" {
			t.Fatalf("the granted Update was applied (touched = %q)", got)
		}
		if got := w.stored("AUDIT#1", "ENTRY"); got != nil {
			t.Fatalf("the Put was applied: %v", got)
		}
	})
	t.Run("ConditionCheckIsConditionCheckItem", func(t *testing.T) {
		w := newWorld(t)
		w.seed(item("KEY#1", "KEY"))
		_, err := w.as("authorizer").TransactWriteItems(context.Background(), &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			touch(w, "KEY#1", "KEY"),
			{ConditionCheck: &types.ConditionCheck{TableName: &w.table, Key: key("USER#1", "USER"), ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		}})
		w.wantDenied(err, "authorizer", "dynamodb:ConditionCheckItem", "")
	})
	t.Run("GrantedItemKindsPass", func(t *testing.T) {
		w := newWorld(t)
		w.seed(item("KEY#1", "KEY"))
		w.seed(item("KEY#2", "KEY"))
		_, err := w.as("authorizer").TransactWriteItems(context.Background(), &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			touch(w, "KEY#1", "KEY"), touch(w, "KEY#2", "KEY"),
		}})
		if err != nil {
			t.Fatalf("TransactWriteItems of Updates: %v", err)
		}
		if got := attr(w.stored("KEY#2", "KEY"), "touched"); got != "yes" {
			t.Fatalf("touched = %q, want yes", got)
		}
	})
	t.Run("TransactGetItemsNeedsGetItem", func(t *testing.T) {
		w := newWorld(t)
		in := &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{{Get: &types.Get{TableName: &w.table, Key: key("P#1", "C#1")}}}}
		if _, err := w.as("audit").TransactGetItems(context.Background(), in); err != nil {
			t.Fatalf("audit TransactGetItems: %v", err)
		}
		_, err := w.as("fallback").TransactGetItems(context.Background(), in)
		w.wantDenied(err, "fallback", "dynamodb:GetItem", "")
	})
}

func TestRequestsOfNoFunctionPassUnchecked(t *testing.T) {
	w := newWorld(t)
	for _, key := range []string{"local", "AKIAIOSFODNN7EXAMPLE"} {
		if _, err := w.withKey(key).PutItem(context.Background(), &dynamodb.PutItemInput{TableName: &w.table, Item: item("P#1", key)}); err != nil {
			t.Fatalf("PutItem signed with %s: %v", key, err)
		}
		if w.stored("P#1", key) == nil {
			t.Fatalf("PutItem signed with %s wrote nothing", key)
		}
	}
	if got := w.log.String(); got != "" {
		t.Fatalf("log = %q, want nothing", got)
	}
}

func TestAccessKeyIDs(t *testing.T) {
	for _, f := range app.Declaration().Functions {
		k := localiam.AccessKeyID(f.Name)
		if strings.Trim(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" {
			t.Errorf("AccessKeyID(%s) = %q, want letters and digits only (DynamoDB Local refuses others)", f.Name, k)
		}
	}
	if got, want := localiam.AccessKeyID("usage-stream"), "LocalUsageStreamFunction"; got != want {
		t.Errorf("AccessKeyID(usage-stream) = %q, want %q", got, want)
	}
}

func TestNewRefusesAFunctionWithoutARole(t *testing.T) {
	a := app.Declaration()
	_, err := localiam.New("http://127.0.0.1:1", a.Functions, a.Roles()[1:], nil)
	if err == nil || !strings.Contains(err.Error(), a.Functions[0].Name) {
		t.Fatalf("err = %v, want one naming %s", err, a.Functions[0].Name)
	}
	if _, err := localiam.New("127.0.0.1:1", nil, nil, nil); err == nil {
		t.Fatal("an upstream without a scheme was accepted")
	}
}

// syncBuffer is a bytes.Buffer safe for the gate's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
