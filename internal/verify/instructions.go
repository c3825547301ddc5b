package verify

import (
	"fmt"

	"github.com/partnerportal/portal/internal/asset"
	"github.com/partnerportal/portal/internal/portal"
)

// Instruction tells the owner of an asset one way to publish its token.
type Instruction struct {
	// Method is the proof this instruction sets up.
	Method portal.OwnershipMethod
	// Target is where to publish: the host name that gets the TXT record,
	// or the URL of the file.
	Target string
	// Value is exactly what to publish: the TXT record value, or the file
	// content (the token alone on a line).
	Value string
	// Text says it in one sentence for the user.
	Text string
}

// Instructions lists the ways to publish token for a, in the order
// CheckOwnership checks them: the TXT record when a's host is a name, then
// the well-known file (for domain, subdomain and IP assets its https URL;
// CheckOwnership also accepts it over http).
//
// Error contract: Instructions has no error. It returns nil when token is
// not a valid token or a is not an asset that asset.Normalize could
// return, the cases in which CheckOwnership returns an error. It performs
// no I/O.
func Instructions(a asset.Asset, token string) []Instruction {
	if checkToken(token) != nil {
		return nil
	}
	p, err := planFor(a, nil)
	if err != nil {
		return nil
	}
	var out []Instruction
	if p.txtName != "" {
		v := TXTPrefix + token
		out = append(out, Instruction{
			Method: portal.OwnershipDNSTXT,
			Target: p.txtName,
			Value:  v,
			Text:   fmt.Sprintf("Add a TXT record to %s with the value %q.", p.txtName, v),
		})
	}
	u := p.fileURLs[0]
	text := fmt.Sprintf("Serve the file %s with the token %s as its content", u, token)
	if len(p.fileURLs) > 1 {
		text += fmt.Sprintf(" (%s also works)", p.fileURLs[1])
	}
	text += "."
	out = append(out, Instruction{Method: portal.OwnershipHTTPFile, Target: u, Value: token, Text: text})
	return out
}
