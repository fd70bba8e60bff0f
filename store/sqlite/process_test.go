package sqlite_test

import (
	"bufio"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/sqlite"
)

// child returns a command that re-executes the test binary in a child mode on path.
func child(t *testing.T, mode, path string) *exec.Cmd {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode, childPath+"="+path)
	cmd.Stderr = os.Stderr
	return cmd
}

// TestMigrationsRaceProcesses starts three processes that open the same new file at once: each
// migrates it or waits for the one that does, and all of them succeed.
func TestMigrationsRaceProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "race.db")
	const n = 3
	var cmds []*exec.Cmd
	outs := make([]strings.Builder, n)
	for i := range n {
		cmd := child(t, "open", path)
		cmd.Stdout = &outs[i]
		cmds = append(cmds, cmd)
	}
	for _, cmd := range cmds {
		require.NoError(t, cmd.Start())
	}
	for i, cmd := range cmds {
		require.NoError(t, cmd.Wait(), "child %d", i)
	}
	s := open(t, path)
	for i := range n {
		id := strings.TrimSpace(outs[i].String())
		require.NotEmpty(t, id, "child %d printed its row id", i)
		err := s.View(t.Context(), func(tx omnichannel.Tx) error { _, err := tx.GetUser("ws", id); return err })
		assert.NoError(t, err, "child %d's row", i)
	}
	var versions int
	require.NoError(t, rawDB(t, path).QueryRowContext(t.Context(), "SELECT COUNT(*) FROM schema_version").Scan(&versions))
	assert.Equal(t, sqlite.SchemaVersion(), versions, "each migration recorded once")
}

func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// TestKilledWriterLosesNoAcknowledgedMessage: a child process writes messages from 8 goroutines and
// prints the id of each one Update acknowledged; it is killed with SIGKILL mid-stream. Every
// acknowledged message is in the reopened file, the thread's summary is consistent with it, and the
// file passes PRAGMA integrity_check.
func TestKilledWriterLosesNoAcknowledgedMessage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crash.db")
	cmd := child(t, "writer", path)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	const killAfter = 300
	var acked []string
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		id, ok := strings.CutPrefix(lines.Text(), "ack ")
		require.True(t, ok, "unexpected child output %q", lines.Text())
		acked = append(acked, id)
		if len(acked) == killAfter {
			require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		}
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "the child was killed, it did not finish")
	require.Equal(t, syscall.SIGKILL, exit.Sys().(syscall.WaitStatus).Signal())
	require.GreaterOrEqual(t, len(acked), killAfter)
	t.Logf("%d messages acknowledged before the kill", len(acked))

	var integrity string
	require.NoError(t, rawDB(t, path).QueryRowContext(t.Context(), "PRAGMA integrity_check").Scan(&integrity))
	require.Equal(t, "ok", integrity)

	s := open(t, path)
	require.NoError(t, s.View(t.Context(), func(tx omnichannel.Tx) error {
		for _, id := range acked {
			_, err := tx.GetMessage(crashWS, id)
			if !assert.NoError(t, err, "acknowledged message %s", id) {
				return nil
			}
		}
		c, err := tx.GetConversation(crashWS, crashConv)
		require.NoError(t, err)
		assert.GreaterOrEqual(t, c.LastSeq, int64(len(acked)), "the summary counts every acknowledged message")
		all, err := tx.ListMessages(crashWS, crashConv, 0, 1_000_000)
		require.NoError(t, err)
		assert.Len(t, all, int(c.LastSeq), "messages and summary were committed together")
		return nil
	}))
}
