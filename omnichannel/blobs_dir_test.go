package omnichannel

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDirBlobStore(t *testing.T) {
	ctx := context.Background()
	d := DirBlobStore{Dir: t.TempDir()}
	key, n, err := d.Put(ctx, "ws1", "../../etc/passwd", "text/plain", strings.NewReader("hello"))
	require.NoError(t, err)
	assert.Equal(t, int64(5), n)
	assert.True(t, strings.HasPrefix(key, "ws1/"))
	assert.True(t, strings.HasSuffix(key, "-passwd"))
	r, err := d.Open(ctx, key)
	require.NoError(t, err)
	b, _ := io.ReadAll(r)
	r.Close()
	assert.Equal(t, "hello", string(b))
	for _, bad := range []string{"../x", "/etc/passwd", "ws1/../../x", "ws1\\..\\x", "nope/missing"} {
		_, err := d.Open(ctx, bad)
		assert.True(t, errors.Is(err, ErrNotFound), bad)
	}
	assert.Equal(t, "_b_x.png", SafeFileName("<b>x.png"))
	assert.Equal(t, "file", SafeFileName("..."))
	assert.Equal(t, "a_b.pdf", SafeFileName(`C:\Users\a b.pdf`))
}
