package configfile

import (
	"regexp"
	"strings"
	"sync"
)

// quotedText is how YAML and config decoders quote the document in
// errors ("cannot unmarshal !!str `root:…`"). It compiles on first use,
// not at every start.
var quotedText = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile("`[^`]*`") })

// SafeError describes a config decoding error on one line without
// quoting the document: a config path can name any readable file.
func SafeError(err error) string {
	return strings.Join(strings.Fields(quotedText().ReplaceAllString(err.Error(), "a value")), " ")
}
