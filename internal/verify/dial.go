package verify

import (
	"errors"
	"fmt"
	"time"

	"github.com/partnerportal/portal/internal/netguard"
)

// The checker dials through netguard.Dialer: names are resolved once, the
// resolved address is dialled, and the policy is applied to every address
// before dialling and again in net.Dialer.Control.

// redirectError says that a redirect to another host was not followed.
type redirectError struct{ to string }

func (e *redirectError) Error() string {
	return "redirected to another host (" + clip(e.to, 100) + "); only redirects on the same host are followed"
}

var errTooManyRedirects = fmt.Errorf("more than %d redirects", MaxRedirects)

// describe turns an error from a lookup, dial or HTTP exchange into a
// short phrase for the user, without internal detail.
func describe(err error, timeout time.Duration) string {
	var redirect *redirectError
	switch {
	case errors.As(err, &redirect):
		return redirect.Error()
	case errors.Is(err, errTooManyRedirects):
		return errTooManyRedirects.Error()
	}
	return netguard.Describe(err, timeout)
}
