package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/partnerportal/portal/internal/ddblocal"
	"github.com/partnerportal/portal/internal/dynamo"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/services"
	"github.com/partnerportal/portal/internal/tenancy"
)

// keyName names the keys this command issues in the key list.
const keyName = "cmd/superadmin"

// Result is what the command prints on stdout: the super admin and its new
// key, whose secret is never shown again.
type Result struct {
	UserID string `json:"userId"`
	Email  string `json:"email"`
	APIKey string `json:"apiKey"`
}

// options are the command's flags.
type options struct {
	table, email, name string
}

// usageError is a bad flag: exit status 2, nothing written.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// run is the command: it returns the exit status (0 done, 1 refused or
// failed, 2 bad flags) after printing the Result on stdout and what
// happened, or what went wrong, on stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fail := func(err error) int {
		fmt.Fprintln(stderr, "superadmin:", err)
		if errors.As(err, new(usageError)) {
			return 2
		}
		return 1
	}
	opts, err := parseFlags(args, stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, new(usageError)):
		return fail(err)
	case err != nil:
		return 2 // the flag package has printed the error and the usage
	}
	svc, err := connect(ctx, opts.table)
	if err != nil {
		return fail(err)
	}
	res, existed, err := ensure(ctx, svc, opts.email, opts.name)
	if err != nil {
		return fail(err)
	}
	if existed {
		fmt.Fprintf(stderr, "superadmin: %s is already super admin %s: issued it a new API key (key recovery; its other keys keep working)\n", res.Email, res.UserID)
		if opts.name != "" {
			fmt.Fprintln(stderr, "superadmin: -name applies to new super admins only: the existing user's name is unchanged")
		}
	} else {
		fmt.Fprintf(stderr, "superadmin: created super admin %s (%s) and its API key\n", res.UserID, res.Email)
	}
	fmt.Fprintln(stderr, "superadmin: the API key is shown only this once: keep it safe")
	if err := json.NewEncoder(stdout).Encode(res); err != nil {
		fmt.Fprintln(stderr, "superadmin: write result:", err)
		return 1
	}
	return 0
}

// parseFlags reads the flags. A usageError names the flag at fault; any
// other error is the flag package's, which it has printed with the usage
// (flag.ErrHelp for -h).
func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("superadmin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.table, "table", "", "DynamoDB table of the deployment (required)")
	fs.StringVar(&o.email, "email", "", "e-mail address of the super admin (required)")
	fs.StringVar(&o.name, "name", "", "display name of a new super admin (optional)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: superadmin -table <TableName> -email ops@example.com [-name "Platform operator"]`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, usageError{fmt.Sprintf("unexpected argument %q (all input is given with -table, -email and -name)", fs.Arg(0))}
	case strings.TrimSpace(o.table) == "":
		return o, usageError{"-table is required: the DynamoDB table of the deployment"}
	case strings.TrimSpace(o.email) == "":
		return o, usageError{"-email is required: the super admin's e-mail address, such as ops@example.com"}
	}
	return o, nil
}

// connect assembles the services on table, the way services.FromEnv does:
// the default AWS configuration chain, or DYNAMODB_ENDPOINT when set. The
// cursor secret is random: this command lists nothing across calls.
func connect(ctx context.Context, table string) (*services.Services, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	client := dynamodb.NewFromConfig(cfg)
	if endpoint := os.Getenv(services.EnvEndpoint); endpoint != "" {
		if client, err = ddblocal.NewClient(ctx, endpoint); err != nil {
			return nil, err
		}
	} else if cfg.Region == "" {
		return nil, errors.New("no AWS region configured: set AWS_REGION, or AWS_PROFILE to a profile with a region")
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("cursor secret: %w", err)
	}
	return services.New(dynamo.New(client, table), secret, portal.SystemClock, &portal.ULIDs{}), nil
}

// ensure makes sure email belongs to a super admin and issues that user a
// key: it creates the user (named name, unless empty) through the users
// service, audited as created by itself, or finds an existing super admin
// with that e-mail (existed). Bad input is a usageError naming the flag;
// an e-mail of a user who is not a super admin is refused. In both cases
// nothing is written.
func ensure(ctx context.Context, svc *services.Services, email, name string) (res Result, existed bool, err error) {
	u, err := createSelf(ctx, svc, email, name)
	if portal.ErrorCode(err) == portal.ECONFLICT {
		var found bool
		u, found, err = findOperator(ctx, svc.Users.Users, email)
		if err == nil && !found {
			return Result{}, false, fmt.Errorf("%s is the e-mail of a user who is not a super admin: refused, nothing was changed (use another e-mail)", strings.TrimSpace(email))
		}
		existed = true
	}
	if err != nil {
		return Result{}, false, err
	}
	key, err := svc.APIKeys.Issue(tenancy.WithIdentity(ctx, u.Identity("")), u.ID, portal.APIKeyInput{Name: ptr(keyName)})
	if err != nil {
		return Result{}, false, fmt.Errorf("issue API key for %s (run again to retry): %w", u.ID, err)
	}
	return Result{UserID: u.ID, Email: u.Email, APIKey: key.Secret}, existed, nil
}

// createSelf creates a super admin through UserService.Create, which
// validates the input as POST /v1/users does and audits the creation. With
// no user to act for, the new user is the actor: its ID is chosen first and
// handed to Create through the service's IDs. ECONFLICT when the e-mail is
// taken; EINVALID becomes a usageError naming the flags.
func createSelf(ctx context.Context, svc *services.Services, email, name string) (portal.User, error) {
	users := *svc.Users
	self := &selfIDs{IDs: users.IDs, user: users.IDs.New(portal.PrefixUser)}
	users.IDs = self
	in := portal.UserInput{Email: &email, Role: ptr(tenancy.RoleSuperAdmin)}
	if name != "" {
		in.Name = &name
	}
	actor := tenancy.Identity{UserID: self.user, Role: tenancy.RoleSuperAdmin}
	u, err := users.Create(tenancy.WithIdentity(ctx, actor), in)
	var pe *portal.Error
	if errors.As(err, &pe) && pe.Code == portal.EINVALID {
		msgs := make([]string, len(pe.Fields))
		for i, f := range pe.Fields {
			msgs[i] = "-" + f.Field + " " + f.Reason
		}
		return portal.User{}, usageError{strings.Join(msgs, "; ")}
	}
	if err != nil {
		return portal.User{}, err
	}
	if u.ID != self.user {
		return u.User, fmt.Errorf("created user %s is not its own actor %s", u.ID, self.user) // Create took no user ID from IDs
	}
	return u.User, nil
}

// selfIDs hands out user as the first user ID and otherwise delegates.
type selfIDs struct {
	portal.IDs
	user string
	used bool
}

func (s *selfIDs) New(prefix string) string {
	if prefix == portal.PrefixUser && !s.used {
		s.used = true
		return s.user
	}
	return s.IDs.New(prefix)
}

// findOperator returns the super admin with email (compared as the e-mail
// uniqueness does, ignoring case) from the platform's user list; found is
// false when none has it.
func findOperator(ctx context.Context, users portal.UserStore, email string) (u portal.User, found bool, err error) {
	email = strings.TrimSpace(email)
	var start portal.Position
	for {
		page, next, err := users.ListUsers(ctx, tenancy.Scope{}, 100, start)
		if err != nil {
			return portal.User{}, false, fmt.Errorf("list super admins: %w", err)
		}
		for _, u := range page {
			if strings.EqualFold(u.Email, email) && u.Role == tenancy.RoleSuperAdmin {
				return u, true, nil
			}
		}
		if len(next) == 0 {
			return portal.User{}, false, nil
		}
		start = next
	}
}

func ptr[T any](v T) *T { return &v }
