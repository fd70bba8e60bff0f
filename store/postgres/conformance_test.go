package postgres_test

import (
	"bytes"
	"testing"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/postgres"
	"github.com/dakenh/dakenh/store/storetest"
)

// TestConformance runs the suite with credentials encrypted at rest (TestConformanceShared and the
// engine tests run without a key).
func TestConformance(t *testing.T) {
	key := bytes.Repeat([]byte{0x5a}, 32)
	storetest.Run(t, func(t *testing.T) omnichannel.Store {
		return openStore(t, newSchema(t), func(c *postgres.Config) { c.CredentialsKey = key })
	})
}

func TestConformanceShared(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) (a, b omnichannel.Store) {
		schema := newSchema(t)
		return openStore(t, schema), openStore(t, schema)
	})
}
