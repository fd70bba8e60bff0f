package omnichannel_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	oc "github.com/dakenh/dakenh/omnichannel"
)

// blobFiles counts the files under dir.
func blobFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	require.NoError(t, filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	}))
	return n
}

// TestUploadOverTheEngineLimitLeavesNoBlob: a file over Config.MaxAttachmentBytes is refused as
// invalid and its partial copy is removed from the blob store (it used to stay behind).
func TestUploadOverTheEngineLimitLeavesNoBlob(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, func(c *oc.Config, _ *env) { c.MaxAttachmentBytes = 1000; c.Blobs = oc.DirBlobStore{Dir: dir} })
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1}, 2000)...)
	_, err := e.eng.UploadAttachment(e.ctx, ws, "a1", "big.png", bytes.NewReader(png))
	require.Error(t, err)
	assert.True(t, errors.Is(err, oc.ErrInvalid), "%v", err)
	assert.Contains(t, err.Error(), "larger than 1000 bytes")
	assert.Equal(t, 0, blobFiles(t, dir), "the refused upload left a file")

	a, err := e.eng.UploadAttachment(e.ctx, ws, "a1", "ok.png", bytes.NewReader(png[:1000]))
	require.NoError(t, err)
	assert.Equal(t, int64(1000), a.Size)
	assert.Equal(t, 1, blobFiles(t, dir))
}

// TestSafeDisplayNameDefeatsNameTricks: paths, control and bidirectional characters and overlong
// names never survive into the name agents see or the blob key.
func TestSafeDisplayNameDefeatsNameTricks(t *testing.T) {
	cases := map[string]string{
		"../../etc/passwd":                    "passwd",
		`..\..\windows\system32\cmd.exe`:      "cmd.exe",
		"/absolute/path/x.pdf":                "x.pdf",
		"a\x00b.pdf":                          "ab.pdf",
		"invoice\u202efdp.exe":                "invoicefdp.exe",
		"\u2067x\u2069\u200e\u200f\u061c.png": "x.png",
		"line\r\nbreak\u0085.txt":             "linebreak.txt",
		"..":                                  "file",
		"":                                    "file",
		strings.Repeat("é", 300) + ".pdf":     strings.Repeat("é", 116) + ".pdf",
	}
	for in, want := range cases {
		assert.Equal(t, want, oc.SafeDisplayName(in), "%q", in)
		key := oc.SafeFileName(in)
		assert.NotContains(t, key, "/", "%q", in)
		assert.False(t, strings.HasPrefix(key, "."), "%q → %q", in, key)
		assert.LessOrEqual(t, len(key), 100, "%q", in)
	}
}
