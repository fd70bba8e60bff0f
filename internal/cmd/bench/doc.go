// Command bench is dakenh's load and benchmark tool (issue #7). It runs five scenarios against the
// memory, SQLite and PostgreSQL stores, prints a table of figures with the machine it ran on, and
// writes the same figures as JSON (-json):
//
//  1. ingest: signed Zalo OA and TikTok webhooks (the providers' payload shapes, verified and parsed
//     by the real adapters) over loopback HTTP into Engine.WebhookHandler on a real net/http
//     server: 64 concurrent senders, 10% duplicate deliveries, new and existing customers mixed,
//     round-robin routing on. Figures: acknowledged messages/s, the ratio to the baseline, p50 / p99
//     ack latency at a fixed offered rate (open loop, measured from the scheduled send time), and
//     the check stored = acknowledged − duplicates.
//  2. bigbox: the internal/bigbox workspace (default 1,000,000 conversations, about 10,000,000
//     messages) seeded through the store's BulkLoad; p50 / p99 through the Engine, with real viewer
//     ids, of the first and a deep page of the list for each filter and three combined,
//     the unread count of an agent and of the supervisor, a thread's last 50 messages, and search
//     by name (common, rare, none) and phone digits.
//  3. claims: agents racing with Engine.Claim over waiting conversations of a self-claim rule;
//     claims/s and double assignments (checked on the final state and on the activity entries).
//  4. fanout: SSE clients of the agent API (inboxapi on a real server, each client a user) while
//     webhooks are acknowledged at a steady rate; p50 / p99 delay from a webhook's 200 to each
//     client's receipt of its message.created event, and the check that every client got every
//     event.
//  5. memory: peak RSS (VmHWM) of the example inbox (examples/inbox) serving the seeded SQLite
//     workspace while a client lists pages, opens conversations and searches.
//
// Every throughput figure is printed beside a baseline measured in the same run: a bare net/http
// handler that reads the body and answers 200, driven by the same client with the same bodies and
// concurrency.
//
// Usage:
//
//	go run ./internal/cmd/bench -stores memory,sqlite,postgres -postgres postgres://… -json bench.json
//	go run ./internal/cmd/bench -smoke          # seconds, small data (what CI runs)
//
// The seeded big inbox is kept under -data (SQLite file) or in a schema of the -postgres database
// and reused by later runs (and by scenario 5) unless -reseed is given. The tool exits with status
// 1 when a check fails (messages lost or doubled, a double claim, an event not received).
package main
