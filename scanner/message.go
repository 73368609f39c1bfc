package scanner

import (
	"bufio"
	"context"
	"io"
	"strings"
	"unicode/utf8"
)

// CommitMessage is the File and the Source of a finding in a commit
// message rather than in a file: every commit message of the selected
// history is scanned as its own item, attributed to its commit. (A git
// path may be spelled the same; the Source tells them apart.)
const CommitMessage = "commit-message"

// MaxMessageLen caps Finding.Message, the subject line a history finding
// carries to reports.
const MaxMessageLen = 200

// readMessages scans the message of every selected commit (the log pass
// knows them) from one cat-file stream: the object's header lines are
// skipped and the message body streamed in chunks like a file's.
func (g *GitSource) readMessages(ctx context.Context, fn func(Chunk) error) error {
	if len(g.commits) == 0 {
		return nil
	}
	reqs := make([]string, len(g.commits))
	for i, c := range g.commits {
		reqs[i] = c.hash
	}
	b, err := startBatch(g.command(ctx, "cat-file", "--batch", "--buffer"), reqs)
	if err != nil {
		return err
	}
	size := chunkSize(g.ChunkSize)
	var buf []byte
	br := bufio.NewReader(nil) // one for every commit's headers
	i := 0
	perr := readBatch(b.out, len(reqs), func(obj batchObject, body io.Reader) error {
		c := g.commits[i]
		i++
		if obj.missing || obj.typ != "commit" {
			return nil // the log pass just read it; nothing to add
		}
		br.Reset(body)
		for cont := false; ; { // headers, up to the blank line before the message
			line, err := br.ReadSlice('\n')
			if err == bufio.ErrBufferFull {
				cont = true // a long header line: skip on
				continue
			}
			if err != nil || (len(line) == 1 && !cont) {
				break
			}
			cont = false
		}
		counted := false
		return ChunkReader(ctx, br, CommitMessage, size, &buf, func(ch Chunk) error {
			if ch.Data != nil && !counted {
				counted = true
				g.messages++
			}
			ch.Commit, ch.Author, ch.Email, ch.Date, ch.Message = c.hash, c.author, c.email, c.date, c.subject
			return fn(ch)
		})
	})
	return b.finish(ctx, perr)
}

// MessagesScanned returns how many commit messages with content the last
// Chunks call scanned (the engine counts them among its items).
func (g *GitSource) MessagesScanned() int { return g.messages }

// redactMessages bounds what a finding's Message (a commit's subject,
// written by whoever wrote the commit) carries into reports: every secret
// found in that commit, in its message or its files, is cut out, then the
// subject is capped at MaxMessageLen bytes. Message findings are marked
// with their own Source.
func redactMessages(fs []Finding) {
	secrets := map[string][]string{} // commit → its findings' secrets
	for i := range fs {
		f := &fs[i]
		if f.File == CommitMessage && f.Blob == "" && f.Commit != "" {
			f.Source = CommitMessage
		}
		if f.Commit != "" && f.Secret != "" {
			secrets[f.Commit] = append(secrets[f.Commit], f.Secret)
		}
	}
	done := map[string]string{} // commit + subject → safe subject
	for i := range fs {
		f := &fs[i]
		if f.Message == "" {
			continue
		}
		key := f.Commit + "\x00" + f.Message
		if m, ok := done[key]; ok {
			f.Message = m
			continue
		}
		m := f.Message
		for _, s := range secrets[f.Commit] {
			m = strings.ReplaceAll(m, s, "[redacted]")
		}
		m = capText(m, MaxMessageLen)
		done[key] = m
		f.Message = m
	}
}

// capText cuts s to at most n bytes on a rune boundary, marking the cut.
func capText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
