package bigbox

import (
	"context"

	"github.com/dakenh/dakenh/omnichannel"
)

// Load stores the organisation and the generated workspace of s in st: through st's BulkLoad when
// st is an omnichannel.BulkLoader, otherwise one Update per chunk with one Tx call per record.
func Load(ctx context.Context, st omnichannel.Store, s Spec, chunk int) (Totals, error) {
	org, err := NewOrg(s)
	if err != nil {
		return Totals{}, err
	}
	if err := st.Update(ctx, org.Put); err != nil {
		return Totals{}, err
	}
	return Generate(ctx, s, chunk, func(b *omnichannel.Bulk) error {
		if bl, ok := st.(omnichannel.BulkLoader); ok {
			return bl.BulkLoad(ctx, b)
		}
		return st.Update(ctx, func(tx omnichannel.Tx) error { return PutBulk(tx, b) })
	})
}

// PutBulk stores b with one Tx call per record, in the order Bulk documents. Stores without a faster
// path can implement BulkLoad with it.
func PutBulk(tx omnichannel.Tx, b *omnichannel.Bulk) error {
	for _, c := range b.Contacts {
		if err := tx.PutContact(c); err != nil {
			return err
		}
	}
	for _, i := range b.Identities {
		if err := tx.InsertIdentity(i); err != nil {
			return err
		}
	}
	for _, c := range b.Conversations {
		if err := tx.InsertConversation(c); err != nil {
			return err
		}
	}
	for _, m := range b.Messages {
		if err := tx.InsertMessage(m); err != nil {
			return err
		}
	}
	for _, r := range b.ReadStates {
		if err := tx.PutReadState(r); err != nil {
			return err
		}
	}
	return nil
}
