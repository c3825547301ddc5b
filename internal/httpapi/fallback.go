package httpapi

import (
	"context"

	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/portal"
)

// NewFallback returns the handler of the $default route: 405 with Allow when
// the path is declared with other methods, 404 otherwise. It serves anyone,
// as the declaration says (ForFunction marks it so too).
func NewFallback(a app.App, clock portal.Clock) *Handler {
	return NewHandler(map[string]Route{
		app.DefaultRoute: func(ctx context.Context, r *Request) (Response, error) {
			if _, ok, allowed := a.Resolve(r.Method, r.Path); !ok && len(allowed) > 0 {
				return Response{}, &portal.Error{Code: portal.EMETHOD, Allow: allowed,
					Message: r.Method + " is not allowed on " + r.Path}
			}
			return Response{}, portal.Errorf(portal.ENOTFOUND, "no route %s %s", r.Method, r.Path)
		},
	}, nil, clock).Public(app.DefaultRoute)
}
