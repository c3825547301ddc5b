// Package verify checks that the owner of an asset published the asset's
// verification token (issue 5). Checker implements portal.OwnershipChecker
// with two methods, tried in this order until one succeeds.
//
// # DNS TXT record
//
// For an asset whose host is a domain name (domain and subdomain assets,
// and web_app and api URLs with a name host), the TXT records of that
// exact host name are looked up. The asset is verified when one of them,
// with its strings joined (a long TXT record is split into chunks of 255
// bytes) and surrounding spaces trimmed, equals
//
//	partnerportal-verification=<token>
//
// The record must be on the host itself: a record on the registrable
// domain does not verify a subdomain, nor one on a subdomain its parent.
// IP assets and URLs with an IP host have no TXT check.
//
// # HTTP file
//
// The file is fetched with GET from
//
//	<base>/.well-known/partnerportal-verification.txt
//
// where base is scheme://host[:port] of a web_app or api URL (its path is
// ignored), and for domain, subdomain and IP assets https://host, then
// http://host. The asset is verified when the response status is 200 and
// its body (of which at most MaxBodyBytes are read) trimmed equals the
// token, or has a line that, trimmed, equals the token; a leading UTF-8
// byte order mark is ignored. Redirects are followed only to the same host
// name (scheme and port may change, so http:// to https:// upgrades work),
// at most MaxRedirects times; a redirect to another host is not followed.
// TLS certificates are verified as usual. Every attempt (one TXT lookup,
// or one GET with its redirects) has its own timeout, DefaultTimeout
// unless Checker.Timeout says otherwise.
//
// # Addresses
//
// The checker honours the asset address rules (see package asset): it
// never connects to an address the policy rejects. A host name that the
// policy rejects (such as "metadata.google.internal") is not looked up at
// all, and every address is checked when it is dialled, after the name is
// resolved, so neither a public name that resolves to a private address
// (DNS rebinding) nor a redirect can reach one. No proxy from the
// environment is used. With Policy.AllowPrivate (the local stack and
// tests) every address is allowed.
//
// Names are resolved by the system resolver, or by the DNS server in
// Checker.DNSServer when it is set (the local stack runs its own).
//
// # Outcome
//
// Not finding the token is a normal outcome: CheckOwnership returns
// Verified false and a nil error, and Detail says, for the user, what was
// checked and what was found, for example
//
//	no TXT record on example.com holds "partnerportal-verification=abc";
//	GET https://example.com/.well-known/partnerportal-verification.txt: connection refused;
//	GET http://example.com/.well-known/partnerportal-verification.txt: HTTP 404 Not Found
//
// Instructions gives the exact TXT record and file URL to publish.
package verify
