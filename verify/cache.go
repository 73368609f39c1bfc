package verify

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sprawlsec/sprawl/scanner"
)

// Cache holds results by rule, keyed fingerprint and a hash of the
// captures; it never holds a secret. It is safe for concurrent use.
type Cache struct {
	mu      sync.Mutex
	entries map[string]scanner.Verification
	dirty   bool
}

// NewCache returns an empty cache.
func NewCache() *Cache { return &Cache{entries: map[string]scanner.Verification{}} }

// cacheFile is the on-disk shape.
type cacheFile struct {
	Version int                             `json:"version"`
	Entries map[string]scanner.Verification `json:"entries"`
}

// LoadCache reads a cache file; a missing file is an empty cache.
func LoadCache(path string) (*Cache, error) {
	c := NewCache()
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("verification cache: %w", err)
	}
	var f cacheFile
	if err := json.Unmarshal(data, &f); err != nil || f.Version != 1 {
		// A damaged cache costs requests, not correctness: start afresh.
		return c, nil
	}
	for k, v := range f.Entries {
		c.entries[k] = v
	}
	return c, nil
}

// Save writes the cache to path (mode 0600) if it changed, dropping
// entries older than ttl.
func (c *Cache) Save(path string, now time.Time, ttl time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dirty {
		return nil
	}
	f := cacheFile{Version: 1, Entries: map[string]scanner.Verification{}}
	for k, v := range c.entries {
		if now.Sub(v.CheckedAt) < ttl {
			f.Entries[k] = v
		}
	}
	data, err := json.Marshal(f)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("verification cache: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".verify-cache-*")
	if err != nil {
		return fmt.Errorf("verification cache: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("verification cache: %w", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("verification cache: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("verification cache: %w", err)
	}
	c.dirty = false
	return nil
}

func (c *Cache) get(key string, now time.Time, ttl time.Duration) (scanner.Verification, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.entries[key]
	if !ok || now.Sub(v.CheckedAt) >= ttl || now.Before(v.CheckedAt.Add(-time.Minute)) {
		return scanner.Verification{}, false
	}
	return v, true
}

func (c *Cache) put(key string, v scanner.Verification) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[key] = v
	c.dirty = true
}
