package inventory

// FilterManaged keeps, in place, the managed secrets that have every
// state in want (all of them when want is empty): the filters of
// 'inventory managed' narrow together.
func FilterManaged(ms []ManagedSecret, want []ManagedState) []ManagedSecret {
	out := ms[:0]
	for _, m := range ms {
		keep := true
		for _, st := range want {
			keep = keep && m.Has(st)
		}
		if keep {
			out = append(out, m)
		}
	}
	return out
}
