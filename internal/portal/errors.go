// Package portal is the domain of Partner Portal: partners, users, API keys
// and customers, their validation rules and the services that operate on them.
// It has no AWS imports; internal/dynamo implements its stores and
// internal/httpapi translates HTTP events to its services.
package portal

import (
	"errors"
	"fmt"
)

// Error codes. internal/httpapi maps each to one HTTP status.
const (
	EINVALID      = "invalid"              // 400: the request is malformed or a field is wrong
	EUNAUTHORIZED = "unauthorized"         // 401: no valid credentials
	EFORBIDDEN    = "forbidden"            // 403: authenticated, not allowed
	ENOTFOUND     = "not_found"            // 404: no such thing in the caller's scope
	EMETHOD       = "method_not_allowed"   // 405: the path exists with other methods
	ECONFLICT     = "conflict"             // 409: the state forbids it (duplicate, wrong status)
	EPRECONDITION = "precondition_failed"  // 412: If-Match names a stale version
	ETOOLARGE     = "payload_too_large"    // 413: the body is over the limit
	EIDEMPOTENCY  = "idempotency_mismatch" // 422: Idempotency-Key reused with another body
	ETOOMANY      = "too_many_requests"    // 429: too many attempts (failed sign-ins); wait and try again
	EUNAVAILABLE  = "unavailable"          // 503: a service we depend on failed; nothing was changed, try again
	EINTERNAL     = "internal"             // 500: a fault of ours; details are logged, not answered
)

// FieldError names one bad field of a request, as a JSON pointer-like path
// ("contactEmail", "tags[2]") with a human-readable reason.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Error is a domain error with a code, a message safe to show to the caller
// and, for EINVALID, the fields at fault.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
	// Allow lists the methods a path accepts, for EMETHOD.
	Allow []string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain (safe
// to show to users), "internal error" for any other non-nil error, and ""
// for nil.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// Problems collects field errors while validating a request.
type Problems []FieldError

// Add records that field is wrong for reason.
func (p *Problems) Add(field, format string, args ...any) {
	*p = append(*p, FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
}

// Err returns nil when nothing was recorded, otherwise an EINVALID *Error
// listing every field.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: "the request has invalid fields", Fields: p}
}
