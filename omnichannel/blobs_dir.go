package omnichannel

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// DirBlobStore is the default BlobStore: files under Dir. Keys look like
// "<workspace>/<random>-<safe name>"; the untrusted file name is reduced to letters, digits, '.',
// '-' and '_' so it can never escape Dir.
type DirBlobStore struct {
	Dir string
}

// Put writes r to a new file and returns its key and size.
func (d DirBlobStore) Put(ctx context.Context, workspaceID, name, contentType string, r io.Reader) (string, int64, error) {
	var rnd [12]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", 0, err
	}
	key := SafeFileName(workspaceID) + "/" + hex.EncodeToString(rnd[:]) + "-" + SafeFileName(name)
	full := filepath.Join(d.Dir, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(full), 0o750); err != nil {
		return "", 0, fmt.Errorf("blob store: %w", err)
	}
	f, err := os.OpenFile(full, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return "", 0, fmt.Errorf("blob store: %w", err)
	}
	n, err := io.Copy(f, readerWithContext(ctx, r))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = syncDir(filepath.Dir(full))
	}
	if err != nil {
		os.Remove(full)
		return "", 0, fmt.Errorf("blob store: %w", err)
	}
	return key, n, nil
}

// Open opens the blob with key.
func (d DirBlobStore) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if !validBlobKey(key) {
		return nil, fmt.Errorf("blob %q: %w", key, ErrNotFound)
	}
	f, err := os.Open(filepath.Join(d.Dir, filepath.FromSlash(key)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("blob %q: %w", key, ErrNotFound)
	}
	return f, err
}

// validBlobKey reports whether key is a clean relative path that stays inside the directory.
func validBlobKey(key string) bool {
	return path.Clean(key) == key && !strings.HasPrefix(key, "/") && !strings.HasPrefix(key, "..") &&
		!strings.Contains(key, "\\") && fs.ValidPath(key)
}

// Delete removes the file of key; a missing file, or a key that could not name one, is not an
// error.
func (d DirBlobStore) Delete(ctx context.Context, key string) error {
	if !validBlobKey(key) {
		return nil
	}
	err := os.Remove(filepath.Join(d.Dir, filepath.FromSlash(key)))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob store: %w", err)
	}
	return nil
}

// DeleteWorkspace removes the workspace's directory. Put names it SafeFileName(workspaceID); a
// workspace id that SafeFileName changes could share its directory with another workspace's
// ("a/b" and "a_b"), so for such an id DeleteWorkspace removes nothing and returns an error
// matching ErrInvalid (the engine's deletions remove the blobs of messages one by one anyway).
func (d DirBlobStore) DeleteWorkspace(ctx context.Context, workspaceID string) error {
	dir := SafeFileName(workspaceID)
	if dir != workspaceID || dir == "" {
		return fmt.Errorf("blob store: workspace id %q is not its own directory name: %w", workspaceID, ErrInvalid)
	}
	if err := os.RemoveAll(filepath.Join(d.Dir, dir)); err != nil {
		return fmt.Errorf("blob store: %w", err)
	}
	return nil
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// SafeFileName reduces an untrusted file name to a safe path segment: the base name only, letters,
// digits, '.', '-' and '_' kept (others become '_'), no leading dots, at most 100 bytes.
func SafeFileName(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base(name)
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := strings.TrimLeft(b.String(), ".")
	if len(s) > 100 {
		s = s[len(s)-100:]
	}
	if s == "" {
		s = "file"
	}
	return s
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func readerWithContext(ctx context.Context, r io.Reader) io.Reader { return ctxReader{ctx, r} }
