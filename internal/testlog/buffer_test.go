package testlog_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/dakenh/dakenh/internal/testlog"
)

func TestBufferKeepsConcurrentWrites(t *testing.T) {
	var b testlog.Buffer
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.Logger().Info("hello", "n", i)
		}()
	}
	wg.Wait()
	if got := strings.Count(b.String(), "msg=hello"); got != 8 {
		t.Fatalf("%d lines logged, want 8:\n%s", got, b.String())
	}
}

func ExampleBuffer() {
	var logs testlog.Buffer
	logs.Logger().Debug("token refreshed", "connection", "c1")
	fmt.Println(strings.Contains(logs.String(), "level=DEBUG msg=\"token refreshed\" connection=c1"))
	// Output: true
}
