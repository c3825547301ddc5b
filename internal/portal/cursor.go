package portal

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/partnerportal/portal/internal/tenancy"
)

// Cursors makes and checks list cursors. A cursor is opaque to callers and
// bound to the caller and to the query it came from: an edited cursor, a
// cursor used by another caller, or one used with other filters is EINVALID.
type Cursors struct {
	Secret []byte
}

type cursorBody struct {
	Query    string   `json:"q"`
	Position Position `json:"p"`
}

// Encode returns the cursor for continuing query after pos; "" when pos is nil.
func (c Cursors) Encode(id tenancy.Identity, query string, pos Position) string {
	if pos == nil {
		return ""
	}
	body, _ := json.Marshal(cursorBody{Query: query, Position: pos})
	return base64.RawURLEncoding.EncodeToString(body) + "." + base64.RawURLEncoding.EncodeToString(c.mac(id, body))
}

// Decode returns the position in cursor; nil for "". EINVALID (field
// "cursor") when the cursor was altered, belongs to another caller, or was
// made for another query.
func (c Cursors) Decode(id tenancy.Identity, query, cursor string) (Position, error) {
	if cursor == "" {
		return nil, nil
	}
	bad := func(reason string) error {
		var p Problems
		p.Add("cursor", "%s", reason)
		return p.Err()
	}
	b64body, b64mac, ok := strings.Cut(cursor, ".")
	body, err1 := base64.RawURLEncoding.Strict().DecodeString(b64body)
	mac, err2 := base64.RawURLEncoding.Strict().DecodeString(b64mac)
	if !ok || err1 != nil || err2 != nil || !hmac.Equal(mac, c.mac(id, body)) {
		return nil, bad("is not a cursor this API issued to you; start again without a cursor")
	}
	var cb cursorBody
	if err := json.Unmarshal(body, &cb); err != nil || cb.Position == nil {
		return nil, bad("is not a cursor this API issued to you; start again without a cursor")
	}
	if cb.Query != query {
		return nil, bad("was issued for other filters or another sort; repeat the original query or start again without a cursor")
	}
	return cb.Position, nil
}

func (c Cursors) mac(id tenancy.Identity, body []byte) []byte {
	h := hmac.New(sha256.New, c.Secret)
	h.Write([]byte(id.PartnerID + "\x00" + id.UserID + "\x00"))
	h.Write(body)
	return h.Sum(nil)[:16]
}
