package localeventbridge

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
)

// Client returns an EventBridge client of this endpoint (static local
// credentials, us-east-1), with optFns applied last.
func (s *Server) Client(optFns ...func(*eventbridge.Options)) *eventbridge.Client {
	return eventbridge.New(eventbridge.Options{
		Region: DefaultRegion, BaseEndpoint: aws.String(s.URL()),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	}, optFns...)
}
