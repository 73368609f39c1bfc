package scanner

import (
	"context"
	"io"
)

// ReaderSource scans one stream, such as standard input, as a single file.
type ReaderSource struct {
	R io.Reader
	// Name is the file name findings carry (default "stdin").
	Name      string
	ChunkSize int
}

// Kind implements Source.
func (s *ReaderSource) Kind() string { return "stdin" }

// Root implements Source.
func (s *ReaderSource) Root() string { return "" }

// Chunks implements Source.
func (s *ReaderSource) Chunks(ctx context.Context, fn func(Chunk) error) error {
	name := s.Name
	if name == "" {
		name = "stdin"
	}
	size := chunkSize(s.ChunkSize)
	return ChunkReader(ctx, s.R, name, size, nil, func(c Chunk) error {
		if c.Err != nil {
			// A broken input stream is not a per-item problem: there is
			// only one item.
			return c.Err
		}
		return fn(c)
	})
}
