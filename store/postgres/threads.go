package postgres

import (
	"github.com/dakenh/dakenh/store"
)

// A grouped update reads outside any transaction and its writes wait for a group, so two webhooks
// of one customer in flight at once (a provider's redelivery sent before the first delivery was
// answered, or two quick messages of a new customer) would both read "no such message" or "no
// such identity" and record the same inserts: the second fails on a unique key, which fails its
// whole group and makes every update of that group run alone (measured: 52 such fallbacks in five
// seconds of 1,000 webhooks/s offered without a bound on concurrency, each costing a group's worth
// of solo transactions). So a grouped update that looks a customer up first waits for a grouped
// update of the same customer still in flight, until its writes are committed or failed: the
// second then reads what the first wrote. It waits without a connection, and only for its first
// customer (one that holds a thread never waits for another, so no two wait for each other).

// lockCustomerThread makes t's grouped update hold the thread of the first customer reads looks
// up, giving its connection back while it waits; outside a grouped update, or once the update
// holds a thread, it does nothing. The thread is released when the update's writes are committed
// or failed (UpdateGrouped).
func (t *txn) lockCustomerThread(reads []store.Read) error {
	g := t.group
	if g == nil || g.thread != "" {
		return nil
	}
	for _, r := range reads {
		c, ok := r.(*store.CustomerThreadRead)
		if !ok {
			continue
		}
		if t.tx.autocommit && t.tx.tx == nil && t.tx.conn != nil { // no transaction holds the connection
			t.store.pool.release(t.tx.conn)
			t.tx.conn = nil
		}
		key := c.WorkspaceID + "\x00" + c.ConnectionID + "\x00" + c.ExternalUserID
		if err := t.store.threads.Lock(t.ctx, key, nil); err != nil {
			return err
		}
		g.thread = key
		return nil
	}
	return nil
}
