package stack_test

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/partnerportal/portal/internal/app"
)

const (
	tableType  = "AWS::DynamoDB::Table"
	bucketType = "AWS::S3::Bucket"
)

func TestTheTableHasTheDeclaredKeysIndexesStreamAndTTL(t *testing.T) {
	table := app.Declaration().Table
	keys := func(hash, rng string) []any {
		return []any{map[string]any{"AttributeName": hash, "KeyType": "HASH"}, map[string]any{"AttributeName": rng, "KeyType": "RANGE"}}
	}
	var attrs, indexes []any
	defined := map[string]bool{}
	define := func(names ...string) {
		for _, name := range names {
			if !defined[name] {
				defined[name] = true
				attrs = append(attrs, map[string]any{"AttributeName": name, "AttributeType": "S"})
			}
		}
	}
	define(table.PartitionKey, table.SortKey)
	for _, ix := range table.Indexes {
		define(ix.PartitionKey, ix.SortKey)
		indexes = append(indexes, map[string]any{"IndexName": ix.Name, "KeySchema": keys(ix.PartitionKey, ix.SortKey), "Projection": map[string]any{"ProjectionType": "ALL"}})
	}
	check(t, func() {
		dev.template.ResourceCountIs(jsii.String(tableType), jsii.Number(1))
		dev.template.HasResourceProperties(jsii.String(tableType), map[string]any{
			"KeySchema":               keys(table.PartitionKey, table.SortKey),
			"AttributeDefinitions":    assertions.Match_ArrayEquals(&attrs),
			"GlobalSecondaryIndexes":  assertions.Match_ArrayEquals(&indexes),
			"StreamSpecification":     map[string]any{"StreamViewType": table.StreamView},
			"TimeToLiveSpecification": map[string]any{"AttributeName": table.TTLAttribute, "Enabled": true},
		})
	})
	dev.resource(t, table.LogicalID, tableType)
}

func TestTheTableIsOnDemandEncryptedAndRecoverableToAPointInTime(t *testing.T) {
	check(t, func() {
		dev.template.HasResourceProperties(jsii.String(tableType), map[string]any{
			"BillingMode":                      "PAY_PER_REQUEST",
			"SSESpecification":                 map[string]any{"SSEEnabled": true},
			"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
		})
	})
}

func TestDevTableGoesWithTheStack(t *testing.T) {
	check(t, func() {
		dev.template.HasResource(jsii.String(tableType), map[string]any{
			"Properties":     map[string]any{"DeletionProtectionEnabled": false},
			"DeletionPolicy": "Delete",
		})
	})
}

func TestProdTableIsProtectedFromDeletion(t *testing.T) {
	check(t, func() {
		prod.template.HasResource(jsii.String(tableType), map[string]any{
			"Properties":          map[string]any{"DeletionProtectionEnabled": true},
			"DeletionPolicy":      "Retain",
			"UpdateReplacePolicy": "Retain",
		})
	})
}

func TestTheReportsBucketIsPrivateEncryptedOwnedByTheAccountAndSurvivesTheStack(t *testing.T) {
	check(t, func() {
		dev.template.ResourceCountIs(jsii.String(bucketType), jsii.Number(1))
		dev.template.HasResource(jsii.String(bucketType), map[string]any{
			"Properties": map[string]any{
				"BucketEncryption": map[string]any{"ServerSideEncryptionConfiguration": []any{
					map[string]any{"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"}},
				}},
				"PublicAccessBlockConfiguration": map[string]any{
					"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
				},
				"OwnershipControls": map[string]any{"Rules": []any{map[string]any{"ObjectOwnership": "BucketOwnerEnforced"}}},
			},
			"DeletionPolicy":      "Retain",
			"UpdateReplacePolicy": "Retain",
		})
	})
	dev.resource(t, app.ReportsBucketLogicalID, bucketType)
}

func TestTheReportsBucketRefusesRequestsWithoutTLS(t *testing.T) {
	bucket := getAtt(app.ReportsBucketLogicalID, "Arn")
	got := dev.props(t, app.ReportsBucketPolicyLogicalID, "AWS::S3::BucketPolicy")
	want := map[string]any{
		"Bucket": ref(app.ReportsBucketLogicalID),
		"PolicyDocument": map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
			"Effect":    "Deny",
			"Principal": map[string]any{"AWS": "*"},
			"Action":    "s3:*",
			"Resource":  []any{bucket, join(bucket, "/*")},
			"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
		}}},
	}
	if !same(got, want) {
		t.Errorf("bucket policy\n got %s\nwant %s", show(got), show(want))
	}
}

func TestReportsAgeIntoInfrequentAccessAndAbandonedUploadsAreAborted(t *testing.T) {
	check(t, func() {
		dev.template.HasResourceProperties(jsii.String(bucketType), map[string]any{
			"LifecycleConfiguration": assertions.Match_ObjectEquals(&map[string]any{"Rules": []any{map[string]any{
				"Id":                             "ReportsAgeIntoInfrequentAccess",
				"Status":                         "Enabled",
				"Transitions":                    []any{map[string]any{"StorageClass": "STANDARD_IA", "TransitionInDays": app.ReportsInfrequentAccessAfterDays}},
				"AbortIncompleteMultipartUpload": map[string]any{"DaysAfterInitiation": 1},
			}}}),
		})
	})
}
