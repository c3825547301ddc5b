package stack

import (
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/partnerportal/portal/internal/app"
)

// storage declares the table and, when a function UsesReports, the
// reports bucket.
func (b *builder) storage() {
	b.table = b.newTable()
	if slices.ContainsFunc(b.app.Functions, func(f app.Function) bool { return f.UsesReports }) {
		b.bucket = b.newReportsBucket()
	}
}

// newTable is the single table: string keys, every index projecting all
// attributes, the stream, TTL, point-in-time recovery, on-demand billing and
// encryption at rest. In prod it is protected from deletion and survives
// the stack; in dev it goes with it.
func (b *builder) newTable() awsdynamodb.Table {
	t := b.app.Table
	prod := b.props.Stage == StageProd
	removal := awscdk.RemovalPolicy_DESTROY
	if prod {
		removal = awscdk.RemovalPolicy_RETAIN
	}
	props := &awsdynamodb.TableProps{
		PartitionKey: stringKey(t.PartitionKey),
		SortKey:      stringKey(t.SortKey),
		BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		Encryption:         awsdynamodb.TableEncryption_AWS_MANAGED,
		DeletionProtection: jsii.Bool(prod),
		RemovalPolicy:      removal,
	}
	if t.StreamView != "" {
		props.Stream = awsdynamodb.StreamViewType(t.StreamView)
	}
	if t.TTLAttribute != "" {
		props.TimeToLiveAttribute = jsii.String(t.TTLAttribute)
	}
	table := awsdynamodb.NewTable(b.stack, jsii.String(t.LogicalID), props)
	for _, ix := range t.Indexes {
		table.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
			IndexName:      jsii.String(ix.Name),
			PartitionKey:   stringKey(ix.PartitionKey),
			SortKey:        stringKey(ix.SortKey),
			ProjectionType: awsdynamodb.ProjectionType_ALL,
		})
	}
	logicalID(table, t.LogicalID)
	return table
}

// stringKey is a string key attribute, or nil for none.
func stringKey(name string) *awsdynamodb.Attribute {
	if name == "" {
		return nil
	}
	return &awsdynamodb.Attribute{Name: jsii.String(name), Type: awsdynamodb.AttributeType_STRING}
}

// newReportsBucket is the private, encrypted bucket of scan reports,
// refusing requests without TLS: objects owned by the bucket's account,
// reports older than app.ReportsInfrequentAccessAfterDays kept at the
// cheaper storage class. Reports are records partners keep: the bucket
// survives the stack.
func (b *builder) newReportsBucket() awss3.Bucket {
	bucket := awss3.NewBucket(b.stack, jsii.String(app.ReportsBucketLogicalID), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		EnforceSSL:        jsii.Bool(true),
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id: jsii.String("ReportsAgeIntoInfrequentAccess"),
			Transitions: &[]*awss3.Transition{{
				StorageClass:    awss3.StorageClass_INFREQUENT_ACCESS(),
				TransitionAfter: awscdk.Duration_Days(jsii.Number(app.ReportsInfrequentAccessAfterDays)),
			}},
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
		}},
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	logicalID(bucket, app.ReportsBucketLogicalID)
	logicalID(bucket.Policy(), app.ReportsBucketPolicyLogicalID)
	return bucket
}
