package storebench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dakenh/dakenh/channels/zalooa"
	"github.com/dakenh/dakenh/channels/zalooa/zalotest"
	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/routing"
)

// The ingest scenario of the Ingest benchmark (issue #7: ingest).
const (
	// IngestSenders is how many webhooks are in flight at once, as from a provider's delivery
	// workers.
	IngestSenders = 64
	// IngestDuplicateEvery makes every IngestDuplicateEvery-th delivery a repeat of an earlier,
	// acknowledged one (10%).
	IngestDuplicateEvery = 10
	// IngestNewCustomerEvery makes every IngestNewCustomerEvery-th new message come from a new
	// customer (25%): a new contact, identity and conversation, routed by round-robin.
	IngestNewCustomerEvery = 4
	// ingestRegulars is the number of customers whose conversations exist before the clock starts.
	ingestRegulars  = 500
	ingestWorkspace = "bench-ingest"
)

// IngestPacedRate is the offered rate of the IngestAt1000 benchmark, in webhooks per second.
const IngestPacedRate = 1000

// BenchmarkIngest runs the Ingest benchmarks of Benchmark alone (Ingest, as fast as the senders
// go, and IngestAt1000, at IngestPacedRate webhooks per second, for the time to the answer), each
// on a store from newStore: for profiling, and for stores or settings that only ingest concerns.
func BenchmarkIngest(b *testing.B, newStore func(tb testing.TB) omnichannel.Store) {
	b.Run("Ingest", func(b *testing.B) { benchIngest(b, newStore(b), 0) })
	b.Run("IngestAt1000", func(b *testing.B) { benchIngest(b, newStore(b), IngestPacedRate) })
}

// benchIngest posts signed Zalo OA webhooks (user_send_text, as Zalo delivers them, verified and
// parsed by the real adapter) to a real Engine over s with a round-robin rule over four agents,
// from IngestSenders goroutines calling Engine.WebhookHandler directly (no network). Every 10th
// delivery repeats an acknowledged one; one new message in four comes from a new customer. It
// reports msgs/s (new messages acknowledged per second; repeats not counted), webhooks/s, the
// p50 / p99 time to the answer and the process's CPU time per new message, and checks that exactly
// the acknowledged new messages were stored. With rate > 0 the webhooks are offered at rate per
// second (webhook n is sent at start + (n-1)/rate, or as soon as a sender is free after that), so
// the times to the answer are those of a store that is not saturated.
func benchIngest(b *testing.B, s omnichannel.Store, rate int) {
	ctx := context.Background()
	emu := zalotest.New(zalotest.Options{})
	b.Cleanup(emu.Close)
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	zcfg := emu.Config()
	zcfg.Logger = discard
	adapter, err := zalooa.New(zcfg)
	if err != nil {
		b.Fatal(err)
	}
	router, err := routing.New(routing.Config{})
	if err != nil {
		b.Fatal(err)
	}
	engine, err := omnichannel.New(omnichannel.Config{
		Store: s, Channels: []omnichannel.Channel{adapter}, Router: router,
		Blobs: omnichannel.DirBlobStore{Dir: b.TempDir()}, Logger: discard,
	})
	if err != nil {
		b.Fatal(err)
	}
	agents := []string{"agent-1", "agent-2", "agent-3", "agent-4"}
	if err := s.Update(ctx, func(tx omnichannel.Tx) error {
		for _, id := range append([]string{"boss"}, agents...) {
			role := omnichannel.RoleAgent
			if id == "boss" {
				role = omnichannel.RoleSupervisor
			}
			if err := tx.PutUser(&omnichannel.User{WorkspaceID: ingestWorkspace, ID: id, Name: id, Role: role, Active: true}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	c := emu.Connection()
	c.WorkspaceID = ingestWorkspace
	conn, err := engine.AddConnection(ctx, "boss", *c)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := engine.SaveRule(ctx, "boss", omnichannel.Rule{WorkspaceID: ingestWorkspace, Name: "Bench",
		SourceIDs: []string{conn.ID}, UserIDs: agents, Method: omnichannel.MethodRoundRobin}); err != nil {
		b.Fatal(err)
	}

	in := &ingestDriver{b: b, emu: emu, handler: engine.WebhookHandler()}
	// The regulars' conversations exist before the clock starts.
	for i := range ingestRegulars {
		in.deliver(&statusWriter{}, in.message(fmt.Sprintf("regular-%d", i), int64(-i-1)))
	}
	// A store with planner statistics gets those of the tables just filled, as autovacuum gives a
	// live database within a minute (postgres.Store.Analyze): never-analyzed tables get plans no
	// running inbox has.
	if a, ok := s.(interface{ Analyze(context.Context) error }); ok {
		if err := a.Analyze(ctx); err != nil {
			b.Fatal(err)
		}
	}

	var next atomic.Int64
	var acked, repeats atomic.Int64
	latencies := make([][]time.Duration, IngestSenders)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	cpu0, cpuOK := processCPU()
	for g := range IngestSenders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &statusWriter{}
			var last *ingestDelivery
			for {
				n := next.Add(1)
				if n > int64(b.N) {
					return
				}
				if rate > 0 {
					time.Sleep(time.Until(start.Add(time.Duration(n-1) * time.Second / time.Duration(rate))))
				}
				d := last
				if n%IngestDuplicateEvery != 0 || d == nil {
					user := fmt.Sprintf("regular-%d", n%ingestRegulars)
					if n%IngestNewCustomerEvery == 1 {
						user = "new-" + strconv.FormatInt(n, 10)
					}
					d = in.message(user, n)
					acked.Add(1)
				} else {
					repeats.Add(1)
				}
				t0 := time.Now()
				if !in.deliver(w, d) {
					return
				}
				latencies[g] = append(latencies[g], time.Since(t0))
				last = d
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu1, _ := processCPU()
	b.StopTimer()

	all := slices.Concat(latencies...)
	slices.Sort(all)
	b.ReportMetric(float64(acked.Load())/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(acked.Load()+repeats.Load())/elapsed.Seconds(), "webhooks/s")
	if cpuOK && acked.Load() > 0 {
		// CPU time of the whole process (senders included) per new message: steadier than msgs/s
		// on a machine that other work shares.
		b.ReportMetric(float64((cpu1-cpu0).Microseconds())/float64(acked.Load()), "cpu-µs/msg")
	}
	if len(all) > 0 {
		b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
	}
	in.checkStored(s, conn, acked.Load())
}

// ingestDriver builds, signs and delivers the benchmark's webhooks.
type ingestDriver struct {
	b       *testing.B
	emu     *zalotest.Server
	handler http.Handler
}

// ingestDelivery is a webhook body and its X-ZEvent-Signature.
type ingestDelivery struct {
	body      []byte
	signature string
}

// message is the signed user_send_text delivery of message n of user (n < 0: before the clock).
func (in *ingestDriver) message(user string, n int64) *ingestDelivery {
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	body := in.emu.Build(zalotest.Event{EventName: "user_send_text", UserIDByApp: "app-" + user, Timestamp: ts,
		Sender: &zalotest.Party{ID: user}, Recipient: &zalotest.Party{ID: in.emu.OAID()},
		Message: &zalotest.EventMessage{MsgID: ingestMessageID(n), Text: "Shop ơi, còn hàng không ạ? #" + strconv.FormatInt(n, 10)}})
	return &ingestDelivery{body: body, signature: "mac=" + zalooa.Signature(in.emu.AppID(), body, ts, in.emu.OASecretKey())}
}

func ingestMessageID(n int64) string { return "zmsg-" + strconv.FormatInt(n, 10) }

// deliver posts d as Zalo does and reports whether it was acknowledged with 200.
func (in *ingestDriver) deliver(w *statusWriter, d *ingestDelivery) bool {
	req, err := http.NewRequest(http.MethodPost, "/"+string(zalooa.Kind), bytes.NewReader(d.body))
	if err != nil {
		in.b.Error(err)
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(zalooa.SignatureHeader, d.signature)
	w.status = 0
	in.handler.ServeHTTP(w, req)
	if w.status != http.StatusOK {
		in.b.Errorf("webhook answered %d", w.status)
		return false
	}
	return true
}

// checkStored fails the benchmark unless every acknowledged new message is stored once: the
// message count of the workspace equals the regulars' plus the acknowledged new messages.
func (in *ingestDriver) checkStored(s omnichannel.Store, conn *omnichannel.Connection, acked int64) {
	var stored int64
	err := s.View(context.Background(), func(tx omnichannel.Tx) error {
		for n := int64(-ingestRegulars); n <= int64(in.b.N); n++ {
			if n == 0 {
				continue
			}
			_, err := tx.FindMessageByProviderID(conn.WorkspaceID, conn.ID, ingestMessageID(n))
			switch {
			case err == nil:
				stored++
			case !errors.Is(err, omnichannel.ErrNotFound):
				return err
			}
		}
		return nil
	})
	if err != nil {
		in.b.Fatal(err)
	}
	if want := ingestRegulars + acked; stored != want {
		in.b.Fatalf("stored %d customer messages, want %d (regulars + acknowledged new messages)", stored, want)
	}
}
