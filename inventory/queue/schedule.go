package queue

import (
	"fmt"
	"strings"

	"github.com/riverqueue/river"
	"github.com/robfig/cron/v3"
)

// Schedule enqueues one organisation's scan periodically.
type Schedule struct {
	Target Target
	Cron   river.PeriodicSchedule
	// Text is the schedule as written.
	Text string
}

// ParseSchedule reads PROVIDER:OWNER@cron M H DOM MON DOW, the cron
// expression in the five standard fields in UTC ("github:acme@cron 17 3 *
// * *" is 03:17 every night), or a descriptor such as @daily or @every 6h
// after the @ ("gitlab:group/sub@@daily").
func ParseSchedule(s string) (Schedule, error) {
	target, when, ok := strings.Cut(s, "@")
	if !ok {
		return Schedule{}, fmt.Errorf("schedule %q: want PROVIDER:OWNER@cron M H DOM MON DOW", s)
	}
	provider, owner, ok := strings.Cut(target, ":")
	provider = strings.ToLower(strings.TrimSpace(provider))
	owner = strings.Trim(strings.TrimSpace(owner), "/")
	if !ok || owner == "" || (provider != "github" && provider != "gitlab") {
		return Schedule{}, fmt.Errorf("schedule %q: want github:ORG or gitlab:GROUP before the @", s)
	}
	expr := strings.TrimSpace(when)
	expr = strings.TrimSpace(strings.TrimPrefix(expr, "cron "))
	sched, err := cron.ParseStandard(expr)
	if err != nil {
		return Schedule{}, fmt.Errorf("schedule %q: %w", s, err)
	}
	return Schedule{Target: Target{Provider: provider, Owner: owner}, Cron: sched, Text: s}, nil
}
