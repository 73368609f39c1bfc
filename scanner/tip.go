package scanner

import (
	"bytes"
	"context"
	"io"
	"strings"

	"github.com/coregx/ahocorasick"
)

// tipWindow is how much of a file SecretsAt holds at once.
const tipWindow = 1 << 20

// SecretsAt reports which of the given secrets each file holds at rev in
// the repository at dir: found[path][secret]. It is how an inventory scan
// tells a secret still at the tip from one only in history, and it
// searches the whole file, so a secret that survived edits of its file
// counts as present even though the blob that introduced it is gone.
//
// Each file is streamed from one `git cat-file --batch` in windows of
// tipWindow bytes that overlap by the longest secret, so memory stays
// bounded whatever the file's size. checked holds every path that was
// looked at: present at rev or not. A path holding a newline cannot be
// asked and is left out of checked.
func SecretsAt(ctx context.Context, git, dir, rev string, secrets map[string][]string) (found map[string]map[string]bool, checked map[string]bool, err error) {
	paths := make([]string, 0, len(secrets))
	reqs := make([]string, 0, len(secrets))
	for p := range secrets {
		if strings.ContainsAny(p, "\n\r") {
			continue
		}
		paths = append(paths, p)
		reqs = append(reqs, rev+":"+p)
	}
	found, checked = map[string]map[string]bool{}, map[string]bool{}
	if len(reqs) == 0 {
		return found, checked, nil
	}
	b, err := startBatch(GitCommand(ctx, git, dir, "cat-file", "--batch", "--buffer"), reqs)
	if err != nil {
		return nil, nil, err
	}
	buf := make([]byte, 0, tipWindow+4096)
	i := 0
	perr := readBatch(b.out, len(reqs), func(obj batchObject, body io.Reader) error {
		p := paths[i]
		i++
		checked[p] = true
		if obj.missing || obj.typ != "blob" {
			return nil // not at rev (or a submodule, a directory)
		}
		hit, err := searchStream(body, secrets[p], &buf)
		if len(hit) > 0 {
			found[p] = hit
		}
		return err
	})
	if err := b.finish(ctx, perr); err != nil {
		return nil, nil, err
	}
	return found, checked, nil
}

// searchStream reports which of secrets occur in r, reading it in windows
// that overlap by the longest secret less one byte, so an occurrence
// across a window boundary is seen whole in the next.
func searchStream(r io.Reader, secrets []string, buf *[]byte) (map[string]bool, error) {
	var pats [][]byte
	seen := map[string]bool{}
	longest := 0
	for _, s := range secrets {
		if s == "" || seen[s] {
			continue
		}
		seen[s] = true
		pats = append(pats, []byte(s))
		longest = max(longest, len(s))
	}
	hit := map[string]bool{}
	if len(pats) == 0 {
		return hit, nil
	}
	// Few secrets: a direct search; many (a keyword-dense file): one
	// automaton pass per window.
	var ac *ahocorasick.Automaton
	if len(pats) > 8 {
		var err error
		if ac, err = ahocorasick.NewBuilder().AddPatterns(pats).Build(); err != nil {
			return hit, err
		}
	}
	want := tipWindow + longest
	if cap(*buf) < want {
		*buf = make([]byte, 0, want)
	}
	data := (*buf)[:0]
	for {
		n, err := io.ReadFull(r, data[len(data):want])
		data = data[:len(data)+n]
		if ac != nil {
			for _, m := range ac.FindAllOverlapping(data) {
				hit[string(pats[m.PatternID])] = true
			}
		} else {
			for _, p := range pats {
				if !hit[string(p)] && bytes.Contains(data, p) {
					hit[string(p)] = true
				}
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return hit, nil
		}
		if err != nil {
			return hit, err
		}
		if len(hit) == len(pats) {
			return hit, nil
		}
		keep := min(longest-1, len(data))
		data = data[:copy(data, data[len(data)-keep:])]
	}
}
