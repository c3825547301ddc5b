// Package s3store implements the domain's report store with the bodies in
// Amazon S3 (github.com/aws/aws-sdk-go-v2/service/s3) and the metadata in
// a portal.ReportIndex (the DynamoDB table). Object keys are built from
// the tenancy scope, one prefix per partner and customer:
//
//	reports/<partnerId>/<customerId>/<reportId>.json
//	reports/<partnerId>/<customerId>/<reportId>.html
package s3store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

// Reports is a portal.ReportStore: bodies in Bucket, metadata in Index.
type Reports struct {
	Index  portal.ReportIndex
	Client *s3.Client
	Bucket string
}

// ReportKey is the object key of a report's body in format f.
func ReportKey(partnerID, customerID, reportID string, f portal.ReportFormat) string {
	return "reports/" + partnerID + "/" + customerID + "/" + reportID + "." + string(f)
}

// inScope reports whether the report m belongs to the scope's partner and,
// when the scope names one, tenant.
func inScope(scope tenancy.Scope, m portal.ReportMeta) bool {
	return scope.PartnerID != "" && scope.PartnerID == m.PartnerID && (scope.TenantID == "" || scope.TenantID == m.TenantID)
}

// PutReport implements portal.ReportStore: every body, then the metadata,
// so a listed report has its bodies. A report of another scope is
// ENOTFOUND and nothing is written.
func (r *Reports) PutReport(ctx context.Context, scope tenancy.Scope, m portal.ReportMeta, bodies map[portal.ReportFormat][]byte) error {
	if !inScope(scope, m) {
		return portal.Errorf(portal.ENOTFOUND, "customer %s not found", m.TenantID)
	}
	for _, f := range portal.ReportFormats {
		body, ok := bodies[f]
		if !ok {
			continue
		}
		key := ReportKey(scope.PartnerID, m.TenantID, m.ID, f)
		_, err := r.Client.PutObject(ctx, &s3.PutObjectInput{
			Bucket:        aws.String(r.Bucket),
			Key:           aws.String(key),
			Body:          bytes.NewReader(body),
			ContentLength: aws.Int64(int64(len(body))),
			ContentType:   aws.String(f.ContentType()),
		})
		if err != nil {
			return fmt.Errorf("put s3://%s/%s: %w", r.Bucket, key, err)
		}
	}
	return r.Index.PutReportMeta(ctx, scope, m)
}

// GetReport implements portal.ReportStore from the index.
func (r *Reports) GetReport(ctx context.Context, scope tenancy.Scope, customerID, reportID string) (portal.ReportMeta, error) {
	return r.Index.GetReportMeta(ctx, scope, customerID, reportID)
}

// ListReports implements portal.ReportStore from the index.
func (r *Reports) ListReports(ctx context.Context, scope tenancy.Scope, customerID string, limit int, start portal.Position) ([]portal.ReportMeta, portal.Position, error) {
	return r.Index.ListReportMeta(ctx, scope, customerID, limit, start)
}

// ReportBody implements portal.ReportStore: one GetObject. ENOTFOUND when
// m is not in scope or the object does not exist.
func (r *Reports) ReportBody(ctx context.Context, scope tenancy.Scope, m portal.ReportMeta, f portal.ReportFormat) ([]byte, error) {
	if !inScope(scope, m) {
		return nil, portal.Errorf(portal.ENOTFOUND, "report %s not found", m.ID)
	}
	key := ReportKey(scope.PartnerID, m.TenantID, m.ID, f)
	out, err := r.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(r.Bucket), Key: aws.String(key)})
	var nsk *types.NoSuchKey
	if errors.As(err, &nsk) {
		return nil, portal.Errorf(portal.ENOTFOUND, "report %s has no %s body stored", m.ID, f)
	}
	if err != nil {
		return nil, fmt.Errorf("get s3://%s/%s: %w", r.Bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, fmt.Errorf("read s3://%s/%s: %w", r.Bucket, key, err)
	}
	return b, nil
}
