package s3store_test

import (
	"context"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/partnerportal/portal/internal/locals3"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/s3store"
	"github.com/partnerportal/portal/internal/tenancy"
)

// memIndex is an in-memory portal.ReportIndex: the table's part is tested
// with the services; here the bodies are.
type memIndex struct {
	mu    sync.Mutex
	metas map[string]portal.ReportMeta // by partner, tenant and report ID
}

func (x *memIndex) key(scope tenancy.Scope, customerID, reportID string) string {
	return scope.PartnerID + "/" + customerID + "/" + reportID
}

func (x *memIndex) PutReportMeta(_ context.Context, scope tenancy.Scope, m portal.ReportMeta) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.metas == nil {
		x.metas = map[string]portal.ReportMeta{}
	}
	x.metas[x.key(scope, m.TenantID, m.ID)] = m
	return nil
}

func (x *memIndex) GetReportMeta(_ context.Context, scope tenancy.Scope, customerID, reportID string) (portal.ReportMeta, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	m, ok := x.metas[x.key(scope, customerID, reportID)]
	if !ok {
		return m, portal.Errorf(portal.ENOTFOUND, "report %s not found", reportID)
	}
	return m, nil
}

func (x *memIndex) ListReportMeta(_ context.Context, scope tenancy.Scope, customerID string, _ int, _ portal.Position) ([]portal.ReportMeta, portal.Position, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	var out []portal.ReportMeta
	for k, m := range x.metas {
		if strings.HasPrefix(k, scope.PartnerID+"/"+customerID+"/") {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b portal.ReportMeta) int { return strings.Compare(b.ID, a.ID) })
	return out, nil, nil
}

const (
	partnerA = "prt_01JNZ5ZK5R8Q6V2X9C3W4Y7T1A"
	partnerB = "prt_01JNZ5ZK5R8Q6V2X9C3W4Y7T1B"
	customer = "cus_01JNZ5ZK5R8Q6V2X9C3W4Y7T1C"
	reportID = "rpt_01JNZ5ZK5R8Q6V2X9C3W4Y7T1D"
)

func TestReportsOnS3(t *testing.T) {
	srv, err := locals3.Start(locals3.Config{Bucket: "portal-reports"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	store := &s3store.Reports{Index: &memIndex{}, Client: srv.Client(), Bucket: srv.Bucket}
	scope := tenancy.Scope{PartnerID: partnerA, TenantID: customer}
	m := portal.ReportMeta{ID: reportID, ScanID: portal.ScanIDOfReport(reportID), PartnerID: partnerA, TenantID: customer,
		CreatedAt: time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC), Summary: portal.ReportSummary{Low: 2}}
	bodies := map[portal.ReportFormat][]byte{portal.ReportJSON: []byte(`{"id":"` + reportID + `"}`), portal.ReportHTML: []byte("<!DOCTYPE html><h1>r</h1>")}
	if err := store.PutReport(ctx, scope, m, bodies); err != nil {
		t.Fatal(err)
	}

	t.Run("BodiesComeBackByFormat", func(t *testing.T) {
		for f, want := range bodies {
			got, err := store.ReportBody(ctx, scope, m, f)
			if err != nil || string(got) != string(want) {
				t.Fatalf("%s body = %q, %v; want %q", f, got, err, want)
			}
		}
	})
	t.Run("ObjectsAreUnderThePartnerAndCustomerWithTheirContentType", func(t *testing.T) {
		for f, ct := range map[portal.ReportFormat]string{portal.ReportJSON: "application/json", portal.ReportHTML: "text/html; charset=utf-8"} {
			key := "reports/" + partnerA + "/" + customer + "/" + reportID + "." + string(f)
			if got := s3store.ReportKey(partnerA, customer, reportID, f); got != key {
				t.Fatalf("ReportKey = %q, want %q", got, key)
			}
			out, err := srv.Client().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String(key)})
			if err != nil {
				t.Fatalf("object %s: %v", key, err)
			}
			b, _ := io.ReadAll(out.Body)
			out.Body.Close()
			if string(b) != string(bodies[f]) || aws.ToString(out.ContentType) != ct {
				t.Fatalf("object %s = %q (%s), want %q (%s)", key, b, aws.ToString(out.ContentType), bodies[f], ct)
			}
		}
	})
	t.Run("MetadataIsInTheIndex", func(t *testing.T) {
		got, err := store.GetReport(ctx, scope, customer, reportID)
		if err != nil || got.ID != reportID || got.Summary.Low != 2 {
			t.Fatalf("GetReport = %+v, %v", got, err)
		}
		list, _, err := store.ListReports(ctx, scope, customer, 10, nil)
		if err != nil || len(list) != 1 || list[0].ID != reportID {
			t.Fatalf("ListReports = %+v, %v", list, err)
		}
	})
	t.Run("AnotherPartnersScopeFindsNothing", func(t *testing.T) {
		other := tenancy.Scope{PartnerID: partnerB, TenantID: customer}
		if _, err := store.ReportBody(ctx, other, m, portal.ReportHTML); portal.ErrorCode(err) != portal.ENOTFOUND {
			t.Fatalf("body in another partner's scope: %v, want ENOTFOUND", err)
		}
		forged := m
		forged.PartnerID = partnerB // the scope builds the key: B's prefix holds nothing
		if _, err := store.ReportBody(ctx, other, forged, portal.ReportHTML); portal.ErrorCode(err) != portal.ENOTFOUND {
			t.Fatalf("B's key for A's report: %v, want ENOTFOUND", err)
		}
		if err := store.PutReport(ctx, other, m, bodies); portal.ErrorCode(err) != portal.ENOTFOUND {
			t.Fatalf("put of A's report in B's scope: %v, want ENOTFOUND", err)
		}
	})
	t.Run("AMissingBodyIsNotFound", func(t *testing.T) {
		gone := m
		gone.ID = "rpt_01JNZ5ZK5R8Q6V2X9C3W4Y7T1E"
		_, err := store.ReportBody(ctx, scope, gone, portal.ReportJSON)
		if portal.ErrorCode(err) != portal.ENOTFOUND || !strings.Contains(portal.ErrorMessage(err), "no json body") {
			t.Fatalf("err = %v, want ENOTFOUND naming the format", err)
		}
	})
	t.Run("AnUnreachableBucketIsAnInternalError", func(t *testing.T) {
		bad := &s3store.Reports{Index: &memIndex{}, Client: srv.Client(), Bucket: "no-such-bucket"}
		err := bad.PutReport(ctx, scope, m, bodies)
		if err == nil || portal.ErrorCode(err) != portal.EINTERNAL {
			t.Fatalf("err = %v, want an internal error", err)
		}
		if _, err := bad.Index.GetReportMeta(ctx, scope, customer, reportID); portal.ErrorCode(err) != portal.ENOTFOUND {
			t.Fatal("the metadata was stored although the bodies were not")
		}
	})
}
