package console

import "net/url"

// queryWith returns path with the query q, key set to value (removed when
// value is ""), on the first page of the list unless key is the cursor
// itself: sort links, filters and pagers keep the rest of the query. An
// empty path links within the current page.
func queryWith(path string, q url.Values, key, value string) string {
	c := url.Values{}
	for k, v := range q {
		c[k] = v
	}
	if value == "" {
		c.Del(key)
	} else {
		c.Set(key, value)
	}
	if key != "cursor" {
		c.Del("cursor")
	}
	if len(c) == 0 {
		if path == "" {
			return "?"
		}
		return path
	}
	return path + "?" + c.Encode()
}

// nextPage returns the link to the page of path at query q that cursor
// starts, "" when there is no next page (no cursor).
func nextPage(path string, q url.Values, cursor string) string {
	if cursor == "" {
		return ""
	}
	return queryWith(path, q, "cursor", cursor)
}

// pageLinks returns the links to the next page (none without next) and
// back to the first (none on the first page) of a list at query q.
func pageLinks(q url.Values, next string) (nextHref, firstHref string) {
	nextHref = nextPage("", q, next)
	if q.Get("cursor") != "" {
		firstHref = queryWith("", q, "cursor", "")
	}
	return nextHref, firstHref
}
