package scanner

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ParseSize reads "1048576", "512KB", "100MB", "2GB" or "0" (no limit).
func ParseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"GIB", 1 << 30}, {"MIB", 1 << 20}, {"KIB", 1 << 10}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.m
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("want a size such as 100MB, or 0 for no limit")
	}
	if n > math.MaxInt64/mult {
		return 0, fmt.Errorf("too large (at most %d bytes)", int64(math.MaxInt64))
	}
	return n * mult, nil
}

// FormatSize writes n bytes the way people read them: binary units with
// one decimal from KiB up ("512 B", "5.0 MiB", "1.2 GiB"), as the scan
// summaries print sizes.
func FormatSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
