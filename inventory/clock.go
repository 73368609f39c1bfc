package inventory

import "time"

// SetClock makes s stamp audit entries and default status-change times
// with now instead of the wall clock. It exists for reproducible fixtures
// (golden reports, demos) and reports false if s is not one of this
// package's stores.
func SetClock(s Store, now func() time.Time) bool {
	st, ok := s.(*sqlStore)
	if ok && now != nil {
		st.now = now
	}
	return ok
}
