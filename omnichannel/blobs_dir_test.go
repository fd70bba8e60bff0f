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

func TestDirBlobStoreDelete(t *testing.T) {
	ctx := context.Background()
	d := DirBlobStore{Dir: t.TempDir()}
	put := func(ws, name string) string {
		key, _, err := d.Put(ctx, ws, name, "text/plain", strings.NewReader("x"))
		require.NoError(t, err)
		return key
	}
	gone := func(key string) bool {
		_, err := d.Open(ctx, key)
		return errors.Is(err, ErrNotFound)
	}
	a, b, other := put("ws-1", "a.txt"), put("ws-1", "b.txt"), put("ws-2", "c.txt")

	require.NoError(t, d.Delete(ctx, a))
	assert.True(t, gone(a))
	assert.False(t, gone(b))
	require.NoError(t, d.Delete(ctx, a), "deleting a missing blob is not an error")
	require.NoError(t, d.Delete(ctx, "../"+other), "a key outside the directory names nothing")
	assert.False(t, gone(other))

	require.NoError(t, d.DeleteWorkspace(ctx, "ws-1"))
	assert.True(t, gone(b))
	assert.False(t, gone(other), "another workspace's blobs stay")
	require.NoError(t, d.DeleteWorkspace(ctx, "ws-1"), "deleting a workspace twice is not an error")

	unsafe := put("ws/2", "d.txt") // stored under "ws_2"
	require.ErrorIs(t, d.DeleteWorkspace(ctx, "ws/2"), ErrInvalid)
	assert.False(t, gone(unsafe), "an id that is not its own directory name removes nothing")
}
