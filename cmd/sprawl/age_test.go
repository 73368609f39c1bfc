package main

import (
	"testing"
	"time"

	"github.com/sprawlsec/sprawl/inventory"
)

// TestAgeUnits: ages never use a bare "m", which reads as a month.
func TestAgeUnits(t *testing.T) {
	for d, want := range map[time.Duration]string{
		40 * time.Minute:             "40min",
		5 * time.Hour:                "5h",
		12 * 24 * time.Hour:          "12d",
		2 * 365 * 24 * time.Hour:     "2.0y",
		59*time.Minute + time.Second: "59min",
	} {
		if got := inventory.HumanAge(inventory.Duration(d)); got != want {
			t.Errorf("inventory.HumanAge(%v) = %q, want %q", d, got, want)
		}
	}
}
