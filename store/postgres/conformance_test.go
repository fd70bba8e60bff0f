package postgres_test

import (
	"testing"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/postgres"
	"github.com/dakenh/dakenh/store/storetest"
)

// TestConformance runs the suite with provider secrets encrypted at rest by a Keyring
// (TestConformanceShared and the engine tests run without keys).
func TestConformance(t *testing.T) {
	keys := sealKeyring(t, "conformance")
	storetest.Run(t, func(t *testing.T) omnichannel.Store {
		return openStore(t, newSchema(t), func(c *postgres.Config) { c.Keyring = keys })
	})
}

func TestConformanceShared(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) (a, b omnichannel.Store) {
		schema := newSchema(t)
		return openStore(t, schema), openStore(t, schema)
	})
}
