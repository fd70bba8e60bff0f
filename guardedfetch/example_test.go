package guardedfetch_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"

	"github.com/dakenh/dakenh/guardedfetch"
)

// A media URL from a webhook is fetched through a Client. An emulator on loopback is reachable
// only because its listener is allowed; a name resolving to a private address is refused before
// any connection is made.
func Example() {
	emulator := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "image bytes")
	}))
	defer emulator.Close()

	client, err := guardedfetch.New(guardedfetch.Config{
		AllowAddrPorts: []netip.AddrPort{netip.MustParseAddrPort(strings.TrimPrefix(emulator.URL, "http://"))},
		MaxBytes:       1 << 20,
		// A stub resolver so the example asks no DNS server.
		Lookup: func(ctx context.Context, host string) ([]netip.Addr, error) {
			return []netip.Addr{netip.MustParseAddr("10.0.0.7")}, nil
		},
	})
	if err != nil {
		panic(err)
	}

	resp, err := client.Get(context.Background(), emulator.URL+"/media/1.png")
	if err != nil {
		panic(err)
	}
	body, err := io.ReadAll(resp.Body) // fails with ErrTooLarge past MaxBytes
	resp.Body.Close()
	fmt.Println(string(body), err)

	_, err = client.Get(context.Background(), "http://intranet.test/admin?token=secret")
	fmt.Println(errors.Is(err, guardedfetch.ErrBlockedAddress), errors.Is(err, guardedfetch.ErrRefused))
	fmt.Println(guardedfetch.Redact("http://intranet.test/admin?token=secret"))

	_, err = client.Get(context.Background(), "javascript:alert(1)")
	fmt.Println(errors.Is(err, guardedfetch.ErrScheme))
	// Output:
	// image bytes <nil>
	// true true
	// http://intranet.test/…
	// true
}
