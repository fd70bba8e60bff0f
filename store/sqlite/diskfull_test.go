package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/routing"
	"github.com/dakenh/dakenh/store/sqlite"
)

// fullDiskDir returns DAKENH_FULLDISK_DIR: a small file system of its own (.ci/run mounts a tmpfs
// of a few MiB there) that the test may fill. Without it the test is skipped locally and fails in
// CI (CI=true).
func fullDiskDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("DAKENH_FULLDISK_DIR")
	if dir == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("DAKENH_FULLDISK_DIR is not set: CI must mount a small file system for the disk-full test (.ci/run)")
		}
		t.Skip("DAKENH_FULLDISK_DIR is not set (mount a small tmpfs and point it there)")
	}
	d, err := os.MkdirTemp(dir, "diskfull-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// filler takes every free byte of the file system of dir; free gives them back.
type filler struct {
	t    *testing.T
	path string
}

func fill(t *testing.T, dir string) *filler {
	t.Helper()
	f := &filler{t: t, path: filepath.Join(dir, "filler")}
	fh, err := os.OpenFile(f.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	block := make([]byte, 64<<10)
	for size := len(block); size > 0; {
		if _, err := fh.Write(block[:size]); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			size /= 2 // take the last scraps too
		}
	}
	return f
}

func (f *filler) free() {
	f.t.Helper()
	if err := os.Remove(f.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		f.t.Fatal(err)
	}
}

// TestDiskFullThenFreed: with the disk full, writes fail with an error wrapping
// omnichannel.ErrUnavailable (the webhook answers 503: the provider retries) and never report a
// write that is not stored; reads go on. Once space is freed the store takes writes again by
// itself. A store opened while the disk is full opens (reads work, writes answer ErrUnavailable)
// and takes writes once space returns, without a restart. Every acknowledged write is in the file
// afterwards.
func TestDiskFullThenFreed(t *testing.T) {
	dir := fullDiskDir(t)
	ctx := context.Background()
	path := filepath.Join(dir, "inbox.db")
	s, err := sqlite.Open(ctx, sqlite.Config{Path: path, DiskReserve: 512 << 10})
	if err != nil {
		t.Fatal(err)
	}
	put := func(s *sqlite.Store, id string) error {
		return s.Update(ctx, func(tx omnichannel.Tx) error {
			return tx.PutContact(&omnichannel.Contact{WorkspaceID: "ws", ID: id, Name: "Khách " + id,
				Attributes: map[string]string{"note": strings.Repeat("x", 2000)}, CreatedAt: time.Now(), UpdatedAt: time.Now()})
		})
	}
	var acked []string
	for i := 0; i < 50; i++ {
		id := fmt.Sprintf("before-%d", i)
		if err := put(s, id); err != nil {
			t.Fatalf("before the disk fills: %v", err)
		}
		acked = append(acked, id)
	}

	disk := fill(t, dir)
	refused := 0
	for i := 0; i < 400 && refused < 20; i++ {
		id := fmt.Sprintf("full-%d", i)
		switch err := put(s, id); {
		case err == nil:
			acked = append(acked, id) // the disk still had room for this one (a WAL page, say)
		case errors.Is(err, omnichannel.ErrUnavailable):
			refused++
		default:
			t.Fatalf("a write on a full disk failed with %v; want an error wrapping ErrUnavailable", err)
		}
	}
	if refused == 0 {
		t.Fatal("no write was refused on a full disk")
	}
	checkReadable(t, s, acked)

	disk.free()
	waitForWrites(t, put, s, "after space was freed")
	acked = append(acked, "after-free")
	// The provider account whose webhooks arrive after the restart below.
	prov := fakechannel.NewProvider("disk-full-secret")
	t.Cleanup(prov.Close)
	if err := s.Update(ctx, func(tx omnichannel.Tx) error {
		c := prov.Connection()
		c.WorkspaceID, c.ID, c.Status = "ws", "conn-1", omnichannel.ConnectionConnected
		return tx.PutConnection(c)
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// A restart while the disk is full.
	disk = fill(t, dir)
	s, err = sqlite.Open(ctx, sqlite.Config{Path: path, DiskReserve: 512 << 10})
	if err != nil {
		t.Fatalf("opening while the disk is full: %v", err)
	}
	defer s.Close()
	checkReadable(t, s, acked)
	if err := put(s, "restart-full"); !errors.Is(err, omnichannel.ErrUnavailable) {
		t.Fatalf("a write after a restart on a full disk: %v; want ErrUnavailable", err)
	}
	// A provider's webhook meanwhile answers 503 with Retry-After: it will be redelivered.
	hook := newDiskFullEngine(t, s, prov)
	if code, retry := hook.post("m-full"); code != http.StatusServiceUnavailable || retry == "" {
		t.Fatalf("a webhook on a full disk answered %d (Retry-After %q); want 503 with Retry-After", code, retry)
	}
	disk.free()
	waitForWrites(t, put, s, "after a restart on a full disk and space freed")
	checkReadable(t, s, append(acked, "after-free"))
	if code, _ := hook.post("m-full"); code != http.StatusOK {
		t.Fatalf("the redelivered webhook answered %d once space was back", code)
	}
	if err := s.View(ctx, func(tx omnichannel.Tx) error {
		_, err := tx.FindMessageByProviderID("ws", "conn-1", "m-full")
		return err
	}); err != nil {
		t.Fatalf("the redelivered message is not stored: %v", err)
	}
	if _, err := os.Stat(path + "-reserve"); err != nil {
		t.Fatalf("the reserve file was not written again: %v", err)
	}
	t.Logf("disk full: %d writes refused with ErrUnavailable, %d acknowledged writes all kept", refused, len(acked))
}

// diskFullEngine is an engine over the store with the fake provider's webhooks.
type diskFullEngine struct {
	t    *testing.T
	prov *fakechannel.Provider
	srv  *httptest.Server
}

func newDiskFullEngine(t *testing.T, s *sqlite.Store, prov *fakechannel.Provider) *diskFullEngine {
	t.Helper()
	ch, err := fakechannel.New(fakechannel.Config{Secret: prov.Secret(), BaseURL: prov.URL(), HTTPClient: prov.Client()})
	if err != nil {
		t.Fatal(err)
	}
	router, err := routing.New(routing.Config{})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := omnichannel.New(omnichannel.Config{Store: s, Channels: []omnichannel.Channel{ch}, Router: router,
		Blobs: omnichannel.DirBlobStore{Dir: t.TempDir()}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.StripPrefix("/webhooks", eng.WebhookHandler()))
	t.Cleanup(srv.Close)
	return &diskFullEngine{t: t, prov: prov, srv: srv}
}

// post delivers a customer message and returns the status and the Retry-After header.
func (d *diskFullEngine) post(msgID string) (int, string) {
	d.t.Helper()
	body := fakechannel.Webhook{AccountID: fakechannel.AccountID, Events: []fakechannel.WebhookEvent{
		{Type: "message", Direction: "in", UserID: "u1", UserName: "Lan", MessageID: msgID, Text: "Shop ơi"}}}.JSON()
	resp, err := http.DefaultClient.Do(d.prov.SignedWebhook(d.srv.URL+"/webhooks/fake", body))
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

// waitForWrites retries a write until the store takes it (up to 30 s: the store must recover by
// itself, without a restart).
func waitForWrites(t *testing.T, put func(*sqlite.Store, string) error, s *sqlite.Store, when string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := put(s, "after-free")
		if err == nil {
			return
		}
		if !errors.Is(err, omnichannel.ErrUnavailable) {
			t.Fatalf("%s: %v", when, err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the store still refuses writes: %v", when, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkReadable reads every acknowledged contact back.
func checkReadable(t *testing.T, s *sqlite.Store, ids []string) {
	t.Helper()
	err := s.View(context.Background(), func(tx omnichannel.Tx) error {
		for _, id := range ids {
			if _, err := tx.GetContact("ws", id); err != nil {
				return fmt.Errorf("acknowledged contact %s: %w", id, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
