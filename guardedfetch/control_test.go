package guardedfetch

import (
	"context"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestControlHookRefusesBeforeConnect dials blocked addresses through the Client's own net.Dialer,
// bypassing the pre-check in dial: the Control hook (run after socket(), before connect()) refuses
// them, so no packet leaves.
func TestControlHookRefusesBeforeConnect(t *testing.T) {
	c, err := New(Config{AllowAddrPorts: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:9")}})
	require.NoError(t, err)
	for _, addr := range []string{"10.1.2.3:80", "169.254.169.254:80", "100.64.0.1:443", "127.0.0.1:8080"} {
		_, err := c.dialer.DialContext(context.Background(), "tcp", addr)
		require.ErrorIs(t, err, ErrBlockedAddress, addr)
	}
	for _, tc := range []struct {
		network, addr string
		ok            bool
	}{
		{"tcp", "10.1.2.3:80", false},
		{"tcp6", "[::ffff:10.1.2.3]:80", false},
		{"tcp6", "[fe80::1%eth0]:80", false},
		{"tcp", "127.0.0.1:9", true},
		{"tcp", "[::ffff:127.0.0.1]:9", true},
		{"udp", "127.0.0.1:9", false},
		{"tcp", "not-an-address", false},
	} {
		err := c.control(context.Background(), tc.network, tc.addr, nil)
		if tc.ok {
			assert.NoError(t, err, tc.addr)
		} else {
			assert.ErrorIs(t, err, ErrBlockedAddress, tc.network+" "+tc.addr)
		}
	}
}
