package detectors

// Reach is how far from its keyword hits and from its matches the
// matcher reads when it judges one rule: a caller that matches only part
// of a text (the lines around a staged change) widens that part by it so
// the part gives the findings the whole text gives there.
type Reach struct {
	// Window is how many bytes on each side of a keyword hit the
	// pattern runs on; the window is then widened to whole lines, by at
	// most LineStretch bytes on each side.
	Window int
	// Lines is how many lines on each side of a match the rule's
	// context and nearby expressions read.
	Lines int
	// Bytes is how many bytes on each side of a match the filters read
	// (a stated expiry, the non-text check).
	Bytes int
}

// LineStretch is the furthest the matcher looks for the start or the
// end of a line (see Reach.Window).
const LineStretch = maxLineStretch

// Reach returns how far the matcher reads around r's hits and matches.
func (r *Rule) Reach() Reach {
	w := r.Window
	if w <= 0 {
		w = DefaultWindow
	}
	lines := 0
	if r.Context != "" {
		lines = r.ContextLines
		if lines <= 0 {
			lines = defaultCtxLines
		}
	}
	if r.Nearby != nil {
		n := r.Nearby.Lines
		if n <= 0 {
			n = defaultNearbyLines
		}
		lines = max(lines, n)
	}
	return Reach{Window: w, Lines: lines, Bytes: max(expiryNear, DefaultWindow)}
}
