package inventory

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the size of a generated fingerprint key in bytes.
const KeySize = 32

// MinKeySize is the size in bytes below which a fingerprint key is
// refused, wherever it comes from (the key file, the environment, a
// caller of Ingest): a shorter key makes fingerprints guessable.
const MinKeySize = 16

// ErrKeyFile marks a fingerprint key file that cannot be used.
var ErrKeyFile = errors.New("fingerprint key file")

// DefaultKeyPath is where the fingerprint key is kept unless configured:
// $XDG_CONFIG_HOME/sprawl/fingerprint.key, else
// ~/.config/sprawl/fingerprint.key. It is deliberately not beside the
// database: a copy of the data directory should not carry the key that
// turns guesses into fingerprint matches.
func DefaultKeyPath() (string, error) {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" || !filepath.IsAbs(dir) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("default fingerprint key path: %w", err)
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "sprawl", "fingerprint.key"), nil
}

// LoadOrCreateKey returns the fingerprint key stored at path (hex, one
// line), generating KeySize random bytes into a new file of mode 0600 (in a
// directory created 0700) the first time. A key file that others can read
// is refused, as ssh refuses such a private key.
func LoadOrCreateKey(path string) ([]byte, error) {
	if key, err := readKey(path); !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrKeyFile, path, err)
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrKeyFile, path, err)
	}
	// O_EXCL: if another process created the key meanwhile, use its key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return readKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrKeyFile, path, err)
	}
	_, werr := f.WriteString(hex.EncodeToString(key) + "\n")
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(path)
		return nil, fmt.Errorf("%w %s: %v", ErrKeyFile, path, werr)
	}
	return key, nil
}

func readKey(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w %s: mode %04o lets others read it (chmod 600 %s)", ErrKeyFile, path, fi.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrKeyFile, path, err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) < MinKeySize {
		return nil, fmt.Errorf("%w %s: want at least %d hex digits", ErrKeyFile, path, 2*MinKeySize)
	}
	return key, nil
}

// KeyCheck is a public check value of key: the inventory stores it so that
// ingesting with a different key fails instead of duplicating every entry.
// It reveals nothing usable about the key.
func KeyCheck(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("sprawl inventory key check v1"))
	return hex.EncodeToString(m.Sum(nil)[:8])
}
