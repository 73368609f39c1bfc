// Package plural writes counts in English: "1 secret", "2 secrets",
// "3 repositories", "0 entries". Every layer's messages count things, and
// one rule for all of them keeps "2 repositorys" out of every message.
//
// It imports only the standard library, so any layer may use it.
package plural

import (
	"strconv"
	"strings"
)

// Count is n followed by noun, in its plural unless n is 1. noun is the
// singular; the last word of a phrase ("CI store", "present location") is
// the one made plural. The plural is English's regular one: -ies after a
// consonant and y (repository, entry), -es after s, x, z, ch and sh
// (process, index, batch), -s otherwise (key, secret, day).
func Count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + pluralOf(noun)
}

// pluralOf is noun's plural (see Count).
func pluralOf(noun string) string {
	switch {
	case len(noun) >= 2 && strings.HasSuffix(noun, "y") && !strings.ContainsRune("aeiou", rune(noun[len(noun)-2])):
		return noun[:len(noun)-1] + "ies"
	case strings.HasSuffix(noun, "s"), strings.HasSuffix(noun, "x"), strings.HasSuffix(noun, "z"),
		strings.HasSuffix(noun, "ch"), strings.HasSuffix(noun, "sh"):
		return noun + "es"
	}
	return noun + "s"
}
