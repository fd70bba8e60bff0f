package adapterkit

import (
	"net/url"
	"strings"

	"github.com/dakenh/dakenh/model"
)

// Required records a problem for each named field whose value is empty or blank. fields are name,
// value pairs; values are never quoted in the problem (they may be secrets).
func Required(p *model.ConfigProblems, fields ...string) {
	for i := 0; i+1 < len(fields); i += 2 {
		if strings.TrimSpace(fields[i+1]) == "" {
			p.Add(fields[i], model.ProblemRequired, "Config.%s is required", fields[i])
		}
	}
}

// BaseURL validates the Config field holding a provider base URL (def when v is empty): absolute
// http or https, without query, fragment or user info. It returns the URL without a trailing
// slash, or "" after recording a problem. A URL is not a secret, but only the field is named: a
// host may have put credentials in it by mistake.
func BaseURL(p *model.ConfigProblems, field, v, def string) string {
	if v == "" {
		v = def
	}
	u, err := url.Parse(v)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		p.Add(field, model.ProblemInvalid, "Config.%s is not an absolute http(s) URL", field)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil || u.ForceQuery:
		p.Add(field, model.ProblemInvalid, "Config.%s must not carry a query, fragment or user info", field)
	default:
		return strings.TrimSuffix(u.String(), "/")
	}
	return ""
}
