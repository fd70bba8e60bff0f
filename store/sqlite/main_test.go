package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/sqlite"
)

// The tests re-execute their own binary to get a second process on the same file: with childEnv
// set, TestMain runs the child's part instead of the tests.
const (
	childEnv  = "DAKENH_SQLITE_TEST_CHILD" // "open" or "writer"
	childPath = "DAKENH_SQLITE_TEST_PATH"
)

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "":
		os.Exit(m.Run())
	case "open":
		os.Exit(childOpen(os.Getenv(childPath)))
	case "writer":
		os.Exit(childWriter(os.Getenv(childPath)))
	default:
		fmt.Fprintln(os.Stderr, "unknown child mode")
		os.Exit(2)
	}
}

// childOpen opens the file (migrating it), writes one row named after the process and closes it.
func childOpen(path string) int {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, sqlite.Config{Path: path, BusyTimeout: 30 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		return 1
	}
	id := fmt.Sprintf("pid-%d", os.Getpid())
	if err := s.Update(ctx, func(tx omnichannel.Tx) error {
		return tx.PutUser(&omnichannel.User{WorkspaceID: "ws", ID: id, Name: id})
	}); err != nil {
		fmt.Fprintln(os.Stderr, "write:", err)
		return 1
	}
	if err := s.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "close:", err)
		return 1
	}
	fmt.Println(id)
	return 0
}

// childWriter stores messages of one conversation from 8 goroutines and prints "ack <id>" for each
// message once Update has returned nil, until it is killed (or after a minute, as a safety net).
func childWriter(path string) int {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, sqlite.Config{Path: path})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		return 1
	}
	if err := s.Update(ctx, seedCrashThread); err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		return 1
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	deadline := time.Now().Add(time.Minute)
	for w := range 8 {
		wg.Go(func() {
			for i := 0; time.Now().Before(deadline); i++ {
				id := fmt.Sprintf("m-%d-%06d", w, i)
				if err := s.Update(ctx, func(tx omnichannel.Tx) error { return appendCrashMessage(tx, id) }); err != nil {
					fmt.Fprintln(os.Stderr, "write:", err)
					os.Exit(1)
				}
				mu.Lock()
				fmt.Printf("ack %s\n", id)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return 0
}

const crashWS, crashConv = "ws-crash", "conv-crash"

func seedCrashThread(tx omnichannel.Tx) error {
	if err := tx.PutConnection(&omnichannel.Connection{WorkspaceID: crashWS, ID: "conn-crash", Kind: "fake"}); err != nil {
		return err
	}
	if err := tx.PutContact(&omnichannel.Contact{WorkspaceID: crashWS, ID: "ct-1", Name: "An"}); err != nil {
		return err
	}
	if err := tx.InsertIdentity(&omnichannel.Identity{WorkspaceID: crashWS, ID: "idn-1", ContactID: "ct-1",
		ConnectionID: "conn-crash", ExternalUserID: "u-1"}); err != nil {
		return err
	}
	return tx.InsertConversation(&omnichannel.Conversation{WorkspaceID: crashWS, ID: crashConv,
		ConnectionID: "conn-crash", ContactID: "ct-1", IdentityID: "idn-1", Status: omnichannel.StatusOpen})
}

// appendCrashMessage does what ingest does for one message: the next seq, the message, the summary.
func appendCrashMessage(tx omnichannel.Tx, id string) error {
	c, err := tx.GetConversation(crashWS, crashConv)
	if err != nil {
		return err
	}
	c.LastSeq++
	c.InboundCount++
	c.LastMessageText, c.LastMessageAt = id, time.Now()
	if err := tx.InsertMessage(&omnichannel.Message{WorkspaceID: crashWS, ID: id, ConversationID: crashConv,
		ConnectionID: "conn-crash", Seq: c.LastSeq, Direction: omnichannel.DirectionIn, Type: omnichannel.MessageText,
		Text: "message " + id, ProviderMessageID: "pm-" + id, Status: omnichannel.MessageReceived,
		CreatedAt: time.Now(), UpdatedAt: time.Now()}); err != nil {
		return err
	}
	return tx.UpdateConversation(c)
}
