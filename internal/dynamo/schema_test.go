package dynamo_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/ddbtest"
	"github.com/partnerportal/portal/internal/dynamo"
)

func TestCreateTableSchema(t *testing.T) {
	ctx := context.Background()
	c, name := ddbtest.NewStreamTable(t)
	decl := app.Declaration().Table

	out, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	tbl := out.Table
	if tbl.TableStatus != types.TableStatusActive {
		t.Errorf("status %s, want ACTIVE", tbl.TableStatus)
	}
	if tbl.BillingModeSummary == nil || tbl.BillingModeSummary.BillingMode != types.BillingModePayPerRequest {
		t.Errorf("billing %+v, want PAY_PER_REQUEST", tbl.BillingModeSummary)
	}
	if got := keys(tbl.KeySchema); got != [2]string{app.AttrPK, app.AttrSK} {
		t.Errorf("table keys %v, want PK, SK", got)
	}
	for _, d := range tbl.AttributeDefinitions {
		if d.AttributeType != types.ScalarAttributeTypeS {
			t.Errorf("attribute %s has type %s, want S", aws.ToString(d.AttributeName), d.AttributeType)
		}
	}

	gsis := map[string]types.GlobalSecondaryIndexDescription{}
	for _, g := range tbl.GlobalSecondaryIndexes {
		gsis[aws.ToString(g.IndexName)] = g
	}
	if len(gsis) != 5 || len(decl.Indexes) != 5 {
		t.Errorf("%d indexes on the table, %d declared, want 5", len(gsis), len(decl.Indexes))
	}
	for _, name := range []string{app.IndexGSI1, app.IndexGSI2, app.IndexGSI3, app.IndexGSI4, app.IndexGSI5} {
		g, ok := gsis[name]
		if !ok {
			t.Errorf("index %s missing", name)
			continue
		}
		if got, want := keys(g.KeySchema), [2]string{app.AttrGSIPK, app.IndexSortKey(name)}; got != want {
			t.Errorf("index %s keys %v, want %v", name, got, want)
		}
		if g.Projection == nil || g.Projection.ProjectionType != types.ProjectionTypeAll {
			t.Errorf("index %s projection %+v, want ALL", name, g.Projection)
		}
	}

	if s := tbl.StreamSpecification; s == nil || !aws.ToBool(s.StreamEnabled) || s.StreamViewType != types.StreamViewTypeNewAndOldImages {
		t.Errorf("stream %+v, want enabled with NEW_AND_OLD_IMAGES", s)
	}
	if aws.ToString(tbl.LatestStreamArn) == "" {
		t.Error("no LatestStreamArn")
	}

	ttl, err := c.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if d := ttl.TimeToLiveDescription; d == nil || d.TimeToLiveStatus != types.TimeToLiveStatusEnabled || aws.ToString(d.AttributeName) != app.AttrTTL {
		t.Errorf("TTL %+v, want ENABLED on %s", d, app.AttrTTL)
	}
}

func TestCreateTableTwice(t *testing.T) {
	c, name := ddbtest.NewTable(t)
	if err := dynamo.CreateTable(context.Background(), c, name, app.Declaration().Table); err != nil {
		t.Fatalf("second CreateTable: %v", err)
	}
}

func TestCreateTableReportsOtherErrors(t *testing.T) {
	c, _ := ddbtest.NewTable(t)
	if err := dynamo.CreateTable(context.Background(), c, "ab", app.Declaration().Table); err == nil {
		t.Fatal("CreateTable with a 2-character name succeeded")
	}
}

// keys returns the hash and range attribute names of a key schema.
func keys(ks []types.KeySchemaElement) (k [2]string) {
	for _, e := range ks {
		switch e.KeyType {
		case types.KeyTypeHash:
			k[0] = aws.ToString(e.AttributeName)
		case types.KeyTypeRange:
			k[1] = aws.ToString(e.AttributeName)
		}
	}
	return k
}
