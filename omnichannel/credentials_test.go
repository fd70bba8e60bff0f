package omnichannel

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCredentialsNeverPrintTheirSecrets(t *testing.T) {
	c := &Connection{ID: "c1", Credentials: Credentials{AccessToken: "AT-secret-1", RefreshToken: "RT-secret-2"}}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "conn", c, "creds", c.Credentials)
	for _, s := range []string{
		//lint:ignore S1025 what each fmt verb prints is the subject
		fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprintf("%s", c.Credentials),
		fmt.Sprintf("%v", *c), logged.String(),
	} {
		assert.NotContains(t, s, "AT-secret-1")
		assert.NotContains(t, s, "RT-secret-2")
	}
}
