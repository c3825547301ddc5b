package localscheduler

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
)

// Client returns a Scheduler client of this endpoint (static local
// credentials, us-east-1), with optFns applied last (for instance to
// turn the SDK's retries off in a test that injects failures).
func (s *Server) Client(optFns ...func(*scheduler.Options)) *scheduler.Client {
	return scheduler.New(scheduler.Options{
		Region: DefaultRegion, BaseEndpoint: aws.String(s.URL()),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	}, optFns...)
}
