package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/partnerportal/portal/internal/ddbtest"
	"github.com/partnerportal/portal/internal/dynamo"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/services"
	"github.com/partnerportal/portal/internal/tenancy"
)

func TestMain(m *testing.M) { ddbtest.Main(m) }

// deployment is a fresh table as after a deployment, the command pointed
// at it through DYNAMODB_ENDPOINT, and the services a test checks with.
type deployment struct {
	client *dynamodb.Client
	table  string
	svc    *services.Services
}

func newDeployment(t *testing.T) deployment {
	t.Helper()
	t.Setenv(services.EnvEndpoint, ddbtest.Endpoint(t))
	client, table := ddbtest.NewTable(t)
	return deployment{client, table, services.New(dynamo.New(client, table), ddbtest.Secret, portal.SystemClock, &portal.ULIDs{})}
}

// superadmin runs the command and returns its exit status, stdout and stderr.
func superadmin(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// mustCreate runs the command for email and decodes what it printed.
func (d deployment) mustCreate(t *testing.T, email string, extra ...string) Result {
	t.Helper()
	code, stdout, stderr := superadmin(t, append([]string{"-table", d.table, "-email", email}, extra...)...)
	if code != 0 {
		t.Fatalf("exit status = %d, want 0; stderr: %s", code, stderr)
	}
	var res Result
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("stdout %q is not the result JSON: %v", stdout, err)
	}
	return res
}

// items counts the items in the table, to show that nothing was written.
func (d deployment) items(t *testing.T) int32 {
	t.Helper()
	out, err := d.client.Scan(context.Background(), &dynamodb.ScanInput{TableName: &d.table, Select: "COUNT"})
	if err != nil {
		t.Fatalf("scan %s: %v", d.table, err)
	}
	return out.Count
}

// authenticatesAs checks that key authenticates as the super admin userID.
func (d deployment) authenticatesAs(t *testing.T, key, userID string) {
	t.Helper()
	id, err := d.svc.APIKeys.Authenticate(context.Background(), key)
	if err != nil {
		t.Fatalf("Authenticate(%q): %v", key, err)
	}
	if got, want := id.UserID, userID; got != want {
		t.Errorf("key's user = %s, want %s", got, want)
	}
	if got, want := id.Role, tenancy.RoleSuperAdmin; got != want {
		t.Errorf("key's role = %s, want %s", got, want)
	}
}

func TestFirstRunCreatesSuperAdmin(t *testing.T) {
	d := newDeployment(t)
	res := d.mustCreate(t, "ops@Example.com", "-name", "Platform operator")

	if !portal.ValidID(portal.PrefixUser, res.UserID) {
		t.Errorf("userId = %q, want a user ID", res.UserID)
	}
	if got, want := res.Email, "ops@example.com"; got != want {
		t.Errorf("email = %q, want %q (domain lower-cased as by POST /v1/users)", got, want)
	}
	if !strings.HasPrefix(res.APIKey, portal.APIKeyPrefix) {
		t.Errorf("apiKey = %q, want the prefix %q", res.APIKey, portal.APIKeyPrefix)
	}
	d.authenticatesAs(t, res.APIKey, res.UserID)

	u, err := d.svc.Users.Users.GetUser(context.Background(), tenancy.Scope{}, res.UserID)
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	if u.Role != tenancy.RoleSuperAdmin || u.Name != "Platform operator" || u.PartnerID != "" || u.Status != "active" {
		t.Errorf("user = %+v, want an active super_admin named Platform operator without a partner", u)
	}

	t.Run("AuditedAsCreatedByItself", func(t *testing.T) {
		asAdmin := tenancy.WithIdentity(context.Background(), u.Identity(""))
		page, err := d.svc.Audit.List(asAdmin, portal.AuditParams{})
		if err != nil {
			t.Fatalf("audit: %v", err)
		}
		actions := map[string]string{}
		for _, e := range page.Items {
			if e.ActorID != res.UserID || e.ActorRole != tenancy.RoleSuperAdmin {
				t.Errorf("entry %s by %s (%s), want by %s (super_admin)", e.Action, e.ActorID, e.ActorRole, res.UserID)
			}
			actions[e.Action] = e.TargetID
		}
		if got, want := actions["user.create"], res.UserID; got != want {
			t.Errorf("user.create target = %q, want %q (entries: %v)", got, want, actions)
		}
		if _, ok := actions["apikey.create"]; !ok {
			t.Errorf("no apikey.create entry (entries: %v)", actions)
		}
	})
}

func TestSecondRunRecoversKey(t *testing.T) {
	d := newDeployment(t)
	first := d.mustCreate(t, "ops@example.com")

	code, stdout, stderr := superadmin(t, "-table", d.table, "-email", "ops@example.com")
	if code != 0 {
		t.Fatalf("exit status = %d, want 0; stderr: %s", code, stderr)
	}
	var second Result
	if err := json.Unmarshal([]byte(stdout), &second); err != nil {
		t.Fatalf("stdout %q: %v", stdout, err)
	}
	if got, want := second.UserID, first.UserID; got != want {
		t.Errorf("userId = %s, want the same user %s", got, want)
	}
	if second.APIKey == first.APIKey {
		t.Errorf("second run printed the first key again, want a new one")
	}
	if !strings.Contains(stderr, "already super admin") || !strings.Contains(stderr, "recovery") {
		t.Errorf("stderr = %q, want it to say the super admin existed and a key was recovered", stderr)
	}
	d.authenticatesAs(t, second.APIKey, first.UserID)
	d.authenticatesAs(t, first.APIKey, first.UserID) // recovery adds a key, revokes none

	t.Run("EmailIgnoringCase", func(t *testing.T) {
		third := d.mustCreate(t, "OPS@EXAMPLE.COM")
		if got, want := third.UserID, first.UserID; got != want {
			t.Errorf("userId = %s, want the same user %s", got, want)
		}
		d.authenticatesAs(t, third.APIKey, first.UserID)
	})

	operators, _, err := d.svc.Users.Users.ListUsers(context.Background(), tenancy.Scope{}, 10, nil)
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	if got, want := len(operators), 1; got != want {
		t.Errorf("super admins = %d, want %d", got, want)
	}
}

func TestOtherUsersEmailIsRefused(t *testing.T) {
	d := newDeployment(t)
	now := portal.SystemClock()
	member := portal.User{ID: (&portal.ULIDs{}).New(portal.PrefixUser), Email: "staff@mssp.example", Role: tenancy.RolePartnerAdmin,
		PartnerID: ddbtest.PartnerA, Status: "active", CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := d.svc.Users.Users.CreateUser(context.Background(), member); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	before := d.items(t)

	code, stdout, stderr := superadmin(t, "-table", d.table, "-email", "staff@mssp.example")
	if got, want := code, 1; got != want {
		t.Errorf("exit status = %d, want %d", got, want)
	}
	if stdout != "" {
		t.Errorf("stdout = %q, want nothing", stdout)
	}
	if !strings.Contains(stderr, "not a super admin") {
		t.Errorf("stderr = %q, want it to say the user is not a super admin", stderr)
	}
	if got, want := d.items(t), before; got != want {
		t.Errorf("table has %d items, want %d: nothing written", got, want)
	}
	u, err := d.svc.Users.Users.GetUser(context.Background(), tenancy.Scope{}, member.ID)
	if err != nil || u.Role != tenancy.RolePartnerAdmin {
		t.Errorf("user = %+v, %v; want it unchanged", u, err)
	}
}

func TestBadFlags(t *testing.T) {
	d := newDeployment(t)
	for _, tc := range []struct {
		name string
		args []string
		flag string // the flag the message names
	}{
		{"MissingTable", []string{"-email", "ops@example.com"}, "-table"},
		{"MissingEmail", []string{"-table", d.table}, "-email"},
		{"BlankEmail", []string{"-table", d.table, "-email", "  "}, "-email"},
		{"InvalidEmail", []string{"-table", d.table, "-email", "ops@localhost"}, "-email"},
		{"BlankName", []string{"-table", d.table, "-email", "ops@example.com", "-name", " "}, "-name"},
		{"UnknownFlag", []string{"-table", d.table, "-email", "ops@example.com", "-role", "partner_admin"}, "-role"},
		{"StrayArgument", []string{"-table", d.table, "-email", "ops@example.com", "extra"}, "extra"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := superadmin(t, tc.args...)
			if got, want := code, 2; got != want {
				t.Errorf("exit status = %d, want %d", got, want)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
			if !strings.Contains(stderr, tc.flag) {
				t.Errorf("stderr = %q, want it to name %s", stderr, tc.flag)
			}
		})
	}
	if got := d.items(t); got != 0 {
		t.Errorf("table has %d items after bad flags, want 0", got)
	}
}

func TestNoRegionWithoutEndpoint(t *testing.T) {
	t.Setenv(services.EnvEndpoint, "")
	for _, v := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"} {
		t.Setenv(v, "")
	}
	empty := t.TempDir() + "/none"
	t.Setenv("AWS_CONFIG_FILE", empty)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", empty)

	code, stdout, stderr := superadmin(t, "-table", "PartnerPortal", "-email", "ops@example.com")
	if got, want := code, 1; got != want {
		t.Errorf("exit status = %d, want %d", got, want)
	}
	if stdout != "" || !strings.Contains(stderr, "AWS_REGION") {
		t.Errorf("stdout = %q, stderr = %q; want nothing and a message naming AWS_REGION", stdout, stderr)
	}
}
