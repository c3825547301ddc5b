package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

// idempotent runs a POST at most once per Idempotency-Key: a repeat with the
// same body answers the first response (with Idempotent-Replayed: true), a
// repeat with another body is EIDEMPOTENCY, and a repeat while the first is
// still running is ECONFLICT. Failed requests (5xx) release the key.
func (h *Handler) idempotent(ctx context.Context, req *Request, run func() Response) Response {
	key := req.Header("Idempotency-Key")
	if len(key) > 255 || !printableASCII(key) {
		var p portal.Problems
		p.Add("Idempotency-Key", "must be 1 to 255 printable ASCII characters, such as a UUID")
		return problemFor(p.Err(), req.Path, req.RequestID)
	}
	id, _ := tenancy.FromContext(ctx)
	scope := id.PartnerID + "#" + id.UserID
	prior, err := h.idempotency.ReserveIdempotencyKey(ctx, scope, key, fingerprint(req), h.clock())
	if err != nil {
		h.log.ErrorContext(ctx, "reserve idempotency key", "requestId", req.RequestID, "error", err.Error())
		return problemFor(err, req.Path, req.RequestID)
	}
	switch {
	case prior == nil:
	case prior.Fingerprint != fingerprint(req):
		return problemFor(portal.Errorf(portal.EIDEMPOTENCY, "Idempotency-Key %q was already used with a different request; use a new key for a new request", key), req.Path, req.RequestID)
	case !prior.Done:
		return problemFor(portal.Errorf(portal.ECONFLICT, "a request with Idempotency-Key %q is still being processed; retry shortly", key), req.Path, req.RequestID)
	default:
		headers := map[string]string{"Idempotent-Replayed": "true"}
		for k, v := range prior.Response.Headers {
			headers[k] = v
		}
		return Response{Status: prior.Response.Status, Headers: headers, raw: []byte(prior.Response.Body)}
	}
	res := run()
	if res.Status >= 500 {
		if err := h.idempotency.ReleaseIdempotencyKey(ctx, scope, key); err != nil {
			h.log.ErrorContext(ctx, "release idempotency key", "requestId", req.RequestID, "error", err.Error())
		}
		return res
	}
	body := res.raw
	if body == nil && res.Body != nil {
		body, _ = json.Marshal(res.Body)
	}
	res.raw = body
	stored := portal.StoredResponse{Status: res.Status, Headers: res.Headers, Body: string(body)}
	if res.Secret {
		// A secret is shown once and never stored: a replay says it was issued.
		what := "this request already succeeded"
		if loc := res.Headers["Location"]; loc != "" {
			what += " (" + loc + ")"
		}
		gone := problemFor(portal.Errorf(portal.ECONFLICT, "%s; its secret was shown only once", what), req.Path, req.RequestID)
		stored = portal.StoredResponse{Status: gone.Status, Headers: gone.Headers, Body: string(gone.raw)}
	}
	if err := h.idempotency.CompleteIdempotencyKey(ctx, scope, key, stored); err != nil {
		h.log.ErrorContext(ctx, "complete idempotency key", "requestId", req.RequestID, "error", err.Error())
	}
	return res
}

// fingerprint identifies a request by route, path and body; bodies that are
// the same JSON with other spacing or key order are the same request.
func fingerprint(req *Request) string {
	body := req.Body
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if dec.Decode(&v) == nil {
		body, _ = json.Marshal(v)
	}
	sum := sha256.Sum256(bytes.Join([][]byte{[]byte(req.Method), []byte(req.Path), body}, []byte{0}))
	return hex.EncodeToString(sum[:])
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return s != ""
}
