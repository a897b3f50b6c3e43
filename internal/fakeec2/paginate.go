package fakeec2

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// paginate returns one page of items (in their order) for a request's
// MaxResults and NextToken, and the token of the next page ("" on the last
// page). seq gives each item a number that grows in item order; a token is
// the number of the first item of its page, so a page stays right when
// items before it disappear between requests. EC2 allows MaxResults
// between 5 and 1000; without it every item is returned.
func paginate[T any](p params, kind string, items []T, seq func(T) int) ([]T, string, error) {
	max := len(items)
	if p.has("MaxResults") {
		n, err := p.int("MaxResults", 0)
		if err != nil {
			return nil, "", err
		}
		if n < 5 || n > 1000 {
			return nil, "", errf("InvalidParameterValue", "Value ( %d ) for parameter maxResults is invalid. Parameter must be between 5 and 1000.", n)
		}
		max = n
	}
	start := 0
	if tok := p.str("NextToken"); tok != "" {
		from, ok := decodeToken(kind, tok)
		if !ok {
			return nil, "", errf("InvalidParameterValue", "Value ( %s ) for parameter NextToken is invalid. The token is invalid.", tok)
		}
		start = len(items)
		for i, it := range items {
			if seq(it) >= from {
				start = i
				break
			}
		}
	}
	end := min(start+max, len(items))
	next := ""
	if end < len(items) {
		next = encodeToken(kind, seq(items[end]))
	}
	return items[start:end], next, nil
}

func encodeToken(kind string, from int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + strconv.Itoa(from)))
}

func decodeToken(kind, tok string) (int, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	k, n, ok := strings.Cut(string(raw), ":")
	if !ok || k != kind {
		return 0, false
	}
	from, err := strconv.Atoi(n)
	return from, err == nil
}
