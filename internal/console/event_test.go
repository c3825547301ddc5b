package console

import (
	"context"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func TestEventRequest(t *testing.T) {
	t.Run("ThePathIsParsedAsSentNotEscapedAgain", func(t *testing.T) {
		ev := events.APIGatewayV2HTTPRequest{RawPath: "/console/customers/a%20b", RawQueryString: "q=a%26b&sort=-name",
			Cookies: []string{"a=1", "b=2"}, Headers: map[string]string{"host": "console.test"},
			RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET"}}}
		r, err := request(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := r.URL.Path, "/console/customers/a b"; got != want {
			t.Errorf("path = %q, want %q", got, want)
		}
		if got, want := r.URL.Query().Get("q"), "a&b"; got != want {
			t.Errorf("q = %q, want %q", got, want)
		}
		if c, err := r.Cookie("b"); err != nil || c.Value != "2" || r.Host != "console.test" {
			t.Errorf("cookie b = %v (%v), host %q", c, err, r.Host)
		}
	})
}
