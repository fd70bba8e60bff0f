package main

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
)

// withETags serves the embedded files of static with a strong ETag (a hash of their content), so a
// browser revalidating a page's scripts and styles (Cache-Control: no-cache) gets 304 Not Modified
// without the bodies. http.ServeContent answers If-None-Match from the ETag set here.
func withETags(static fs.FS, next http.Handler) http.Handler {
	tags := map[string]string{}
	_ = fs.WalkDir(static, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static, path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		tags["/"+path] = `"` + hex.EncodeToString(sum[:12]) + `"`
		return nil
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tag, ok := tags[r.URL.Path]; ok {
			w.Header().Set("ETag", tag)
		}
		next.ServeHTTP(w, r)
	})
}
