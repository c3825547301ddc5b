package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/partnerportal/portal/internal/portal"
)

// statusOf is the one mapping of domain error codes to HTTP statuses.
var statusOf = map[string]int{
	portal.EINVALID:      http.StatusBadRequest,
	portal.EUNAUTHORIZED: http.StatusUnauthorized,
	portal.EFORBIDDEN:    http.StatusForbidden,
	portal.ENOTFOUND:     http.StatusNotFound,
	portal.EMETHOD:       http.StatusMethodNotAllowed,
	portal.ECONFLICT:     http.StatusConflict,
	portal.EPRECONDITION: http.StatusPreconditionFailed,
	portal.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	portal.EIDEMPOTENCY:  http.StatusUnprocessableEntity,
	portal.ETOOMANY:      http.StatusTooManyRequests,
	portal.EUNAVAILABLE:  http.StatusServiceUnavailable,
	portal.EINTERNAL:     http.StatusInternalServerError,
}

// StatusOf returns the HTTP status that answers err: the one mapping of
// domain error codes (statusOf), 500 for errors without a known code, and
// 200 for nil. The console answers its pages' errors with it.
func StatusOf(err error) int {
	if err == nil {
		return http.StatusOK
	}
	var e *portal.Error
	if !errors.As(err, &e) || statusOf[e.Code] == 0 {
		return http.StatusInternalServerError
	}
	return statusOf[e.Code]
}

// Problem is an RFC 9457 problem details document.
type Problem struct {
	Type      string              `json:"type"`
	Title     string              `json:"title"`
	Status    int                 `json:"status"`
	Detail    string              `json:"detail"`
	Instance  string              `json:"instance,omitempty"`
	Code      string              `json:"code"`
	RequestID string              `json:"requestId,omitempty"`
	Errors    []portal.FieldError `json:"errors,omitempty"`
}

// problemFor turns err into a problem response. Errors without a domain code
// are internal: their details are not shown (the caller logs them).
func problemFor(err error, path, requestID string) Response {
	var e *portal.Error
	if !errors.As(err, &e) || statusOf[e.Code] == 0 || e.Code == portal.EINTERNAL {
		e = &portal.Error{Code: portal.EINTERNAL, Message: "internal error; quote the request ID when reporting it"}
	}
	status := statusOf[e.Code]
	body, _ := json.Marshal(Problem{
		Type:      "urn:partner-portal:problem:" + e.Code,
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    e.Message,
		Instance:  path,
		Code:      e.Code,
		RequestID: requestID,
		Errors:    e.Fields,
	})
	headers := map[string]string{"Content-Type": "application/problem+json"}
	if len(e.Allow) > 0 {
		headers["Allow"] = strings.Join(e.Allow, ", ")
	}
	return Response{Status: status, Headers: headers, raw: body}
}
