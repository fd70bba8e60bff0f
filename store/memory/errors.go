package memory

import (
	"fmt"

	"github.com/dakenh/dakenh/omnichannel"
)

func notFound(what, id string) error {
	return fmt.Errorf("memory: %s %q: %w", what, id, omnichannel.ErrNotFound)
}

func duplicate(what, detail string) error {
	return fmt.Errorf("memory: %s %s: %w", what, detail, omnichannel.ErrDuplicate)
}

func conflict(what, id string, have, stored int64) error {
	return fmt.Errorf("memory: %s %q has version %d, stored %d: %w", what, id, have, stored, omnichannel.ErrConflict)
}
