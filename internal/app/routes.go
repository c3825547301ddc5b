package app

import (
	"slices"
	"strings"
)

// Match is the result of resolving a request against the declared routes.
type Match struct {
	Function   Function
	Route      Route
	PathParams map[string]string
}

// Resolve finds the declared route for method and path the way API Gateway
// HTTP APIs do: literal segments win over {parameters}. It returns the match
// and true, or false with the methods that would have matched the path (for a
// 405 answer; empty when the path is unknown). The $default route never matches here.
func (a App) Resolve(method, path string) (Match, bool, []string) {
	var best *Match
	bestScore := -1
	var allowed []string
	segs := splitPath(path)
	for _, f := range a.Functions {
		for _, r := range f.Routes {
			if r.Path == DefaultRoute {
				continue
			}
			params, score, ok := matchPath(splitPath(r.Path), segs)
			if !ok {
				continue
			}
			if r.Method != method && r.Method != "ANY" {
				if !slices.Contains(allowed, r.Method) {
					allowed = append(allowed, r.Method)
				}
				continue
			}
			if score > bestScore {
				m := Match{Function: f, Route: r, PathParams: params}
				best, bestScore = &m, score
			}
		}
	}
	if best == nil {
		slices.Sort(allowed)
		return Match{}, false, allowed
	}
	return *best, true, nil
}

func splitPath(p string) []string {
	return strings.Split(strings.Trim(p, "/"), "/")
}

// matchPath matches request segments against a route template; the score
// counts literal segments so that more specific routes win.
func matchPath(tmpl, segs []string) (map[string]string, int, bool) {
	if greedy := tmpl[len(tmpl)-1]; strings.HasSuffix(greedy, "+}") && len(segs) >= len(tmpl) {
		// {name+} takes the last segment and every one after it.
		rest := strings.Join(segs[len(tmpl)-1:], "/")
		params, score, ok := matchPath(append(tmpl[:len(tmpl)-1:len(tmpl)-1], "{"+strings.TrimSuffix(greedy[1:], "+}")+"}"), append(segs[:len(tmpl)-1:len(tmpl)-1], rest))
		return params, score, ok
	}
	if len(tmpl) != len(segs) {
		return nil, 0, false
	}
	params := map[string]string{}
	score := 0
	for i, t := range tmpl {
		if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
			if segs[i] == "" {
				return nil, 0, false
			}
			params[t[1:len(t)-1]] = segs[i]
			continue
		}
		if t != segs[i] {
			return nil, 0, false
		}
		score++
	}
	return params, score, true
}
