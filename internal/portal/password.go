package portal

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Passwords are stored as argon2id hashes in the PHC string format,
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
//
// (salt and hash in unpadded standard base64). The parameters are OWASP's
// minimum for argon2id: 19 MiB of memory, 2 passes, 1 lane; a 16-byte
// random salt and a 32-byte key. Each hash carries its parameters, so
// they can be raised later without invalidating stored passwords.
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonSaltLen   = 16
	argonKeyLen    = 32

	// MinPasswordLength and MaxPasswordLength bound a password, in characters.
	MinPasswordLength = 12
	MaxPasswordLength = 128
)

// Bounds on the parameters VerifyPassword accepts from a stored hash, so
// that a corrupted or hostile hash cannot make a sign-in take unbounded
// memory or time.
const (
	maxArgonMemoryKiB = 1 << 20 // 1 GiB
	maxArgonTime      = 32
	maxArgonThreads   = 16
)

// HashPassword returns the argon2id PHC string of pw with a new random
// salt. It fails only when the system's random source does.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemoryKiB, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// VerifyPassword reports whether pw is the password phc (a HashPassword
// result, with whatever parameters it names) was made from. It compares
// in constant time and answers false for a malformed or unsupported phc.
func VerifyPassword(phc, pw string) bool {
	var (
		version      int
		memory, time uint32
		threads      uint8
	)
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return false
	}
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &time, &threads); err != nil || n != 3 ||
		memory < 8*uint32(threads) || memory > maxArgonMemoryKiB || time < 1 || time > maxArgonTime || threads < 1 || threads > maxArgonThreads {
		return false
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return false
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) < 16 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, time, memory, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyPasswordHash is verified against when there is no real hash to
// check (an unknown e-mail address, a user without a password yet), so
// that answering takes as long as for a real user. No password matches it
// in practice: it is the hash of 32 random bytes that were then discarded.
const dummyPasswordHash = "$argon2id$v=19$m=19456,t=2,p=1$OUyrQ6GROnWKNyrgKiQXOA$LgfCrPnYbMcHXKW0/p4kkD2LzQa9NEwpY1jqCetIRNs"

// checkPassword records on p (field "password") what is wrong with pw as
// a new password for the user with e-mail address email: it must have
// MinPasswordLength to MaxPasswordLength characters and must not be the
// e-mail address.
func checkPassword(p *Problems, pw, email string) {
	switch n := utf8.RuneCountInString(pw); {
	case n < MinPasswordLength:
		p.Add("password", "must be at least %d characters", MinPasswordLength)
	case n > MaxPasswordLength:
		p.Add("password", "must be at most %d characters", MaxPasswordLength)
	case email != "" && strings.EqualFold(strings.TrimSpace(pw), strings.TrimSpace(email)):
		p.Add("password", "must not be your e-mail address")
	}
}
