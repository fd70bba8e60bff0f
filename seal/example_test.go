package seal_test

import (
	"fmt"
	"strings"

	"github.com/dakenh/dakenh/seal"
)

// A keyring from configuration: the first key seals, every key opens. The row id is the associated
// data, so the sealed value opens only for that row.
func Example() {
	keys, err := seal.ParseKeyring("2025-06:" + strings.Repeat("ab", 32) + ",2024-01:" + strings.Repeat("cd", 32))
	if err != nil {
		fmt.Println(err)
		return
	}
	sealed, _ := keys.Seal([]byte("access-token"), []byte("conn-1"))
	fmt.Println(strings.HasPrefix(sealed, "sealed:v1:2025-06:"))

	plain, _ := keys.Open(sealed, []byte("conn-1"))
	fmt.Println(string(plain))

	_, err = keys.Open(sealed, []byte("conn-2"))
	fmt.Println(err)
	// Output:
	// true
	// access-token
	// key "2025-06": seal: sealed value does not authenticate (tampered, moved to another row, or wrong key)
}
