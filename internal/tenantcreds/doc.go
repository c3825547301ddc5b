// Package tenantcreds obtains tenant-scoped AWS credentials, so that a
// request acting inside one tenant reaches DynamoDB with credentials that IAM
// itself confines to that tenant's partition (issue 4, tenant isolation at the
// database level). It is defence in depth below the application's own scoping
// (package tenancy): even a bug that builds the wrong key cannot read or write
// another tenant's items with these credentials.
//
// # How
//
// A [Provider] calls sts:AssumeRole on one role (TENANT_ROLE_ARN) with the
// session tag tenant=<customer ID>, and the role's permission policy allows
// DynamoDB item access only where the partition key is
// TENANT#prt_*#${aws:PrincipalTag/tenant}. Each tenant's credentials are cached
// until a margin (default 1 minute) before they expire; concurrent callers for
// the same tenant share one AssumeRole call. Only customer IDs ("cus_" and a
// 26-character ULID, see portal.ValidID) are accepted, so a role is never
// assumed for an arbitrary string, and the fixed-width ID means that the
// leading key TENANT#<partner>#<id> cannot match another tenant's.
//
// A DynamoDB client for one tenant:
//
//	client := dynamodb.New(base.Options(), func(o *dynamodb.Options) {
//		o.Credentials = provider.CredentialsFor(tenantID)
//	})
//
// The provider returned by CredentialsFor does its own caching; it need not,
// and should not, be wrapped in aws.NewCredentialsCache (dynamodb.New does not
// wrap it). If it is wrapped anyway, give the cache an ExpiryWindow of at
// least the provider's refresh margin.
//
// # Configuration
//
// [FromEnv] reads:
//
//	TENANT_ROLE_ARN          the role to assume; empty switches tenant-scoped
//	                         credentials off (FromEnv returns nil, nil)
//	TENANT_CREDENTIALS_TTL   optional session duration as a Go duration
//	                         ("15m", "1h"); default 15m, between 15m and 12h
//
// Note that a Lambda function's own credentials are already a role session,
// so assuming the tenant role from Lambda is role chaining, which STS limits
// to one hour: a TTL above 1h is refused by STS at the first Retrieve. The
// role's MaxSessionDuration also caps the TTL.
//
// # The role
//
// The role is declared once, as app.TenantRoleLogicalID in internal/app
// (App.Roles), and rendered into template.yaml and the CDK stack (infra/).
// In short:
//
// Trust policy: the execution roles of the API functions that read the
// table (app.Function.UsesTenantRole) may assume the role only when
// it tags the session with exactly one tag, tenant, whose value is a
// customer ID. sts:TagSession is required for any session tag.
//
//	{
//	  "Version": "2012-10-17",
//	  "Statement": [{
//	    "Effect": "Allow",
//	    "Principal": {"AWS": ["arn:aws:iam::<account>:role/<function execution role>", …]},
//	    "Action": ["sts:AssumeRole", "sts:TagSession"],
//	    "Condition": {
//	      "StringLike": {"aws:RequestTag/tenant": "cus_*"},
//	      "ForAllValues:StringEquals": {"aws:TagKeys": ["tenant"]}
//	    }
//	  }]
//	}
//
// The execution role needs sts:AssumeRole and sts:TagSession on the tenant
// role in its own policy as well.
//
// Permission policy: item operations on the table (not its indexes, whose
// partitions are partner-wide) whose leading key is the tenant's partition.
//
//	{
//	  "Version": "2012-10-17",
//	  "Statement": [{
//	    "Effect": "Allow",
//	    "Action": [
//	      "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query",
//	      "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"
//	    ],
//	    "Resource": "arn:aws:dynamodb:<region>:<account>:table/<table>",
//	    "Condition": {
//	      "ForAllValues:StringLike": {
//	        "dynamodb:LeadingKeys": ["TENANT#prt_*#${aws:PrincipalTag/tenant}"]
//	      },
//	      "Null": {"dynamodb:LeadingKeys": "false"}
//	    }
//	  }]
//	}
//
// A tenant's partition is TENANT#<partnerId>#<customerId>
// (internal/dynamo/customer_keys.go); customer IDs are unique and of fixed
// length and partner IDs contain no "#", so the pattern matches exactly one
// tenant's partition. ForAllValues is true when a request has no leading keys at all (a Scan),
// hence the Null condition and no dynamodb:Scan in the action list.
// Transactions are authorised per item under the same actions. Items outside
// TENANT#<partner>#<id> (the e-mail uniqueness item, GSI lists, partner items) are out
// of reach of these credentials by design; code that needs them keeps using
// the function's own credentials.
//
// # Session details
//
// The session name is "tenant-" + the customer ID (37 characters; STS allows
// [\w+=,.@-]{2,64}); it appears in CloudTrail and in the assumed-role ARN.
// The tenant tag is marked transitive: if a tenant session ever assumes
// another role, the tag travels with it and STS refuses to replace it, so a
// chained session cannot switch tenants.
package tenantcreds
