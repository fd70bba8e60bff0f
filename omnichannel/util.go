package omnichannel

import "errors"

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
