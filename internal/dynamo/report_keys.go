package dynamo

// Report keys, in the tenant's partition. A report's ID is its scan's ULID
// with the rpt_ prefix, so a Query of REPORT# backwards lists the reports
// of the newest scans first. The bodies are in S3 (internal/s3store).
//
//	PK TENANT#<partnerId>#<customerId>   SK REPORT#<reportId>
const reportPrefix = "REPORT#"

func reportSK(reportID string) string { return reportPrefix + reportID }
