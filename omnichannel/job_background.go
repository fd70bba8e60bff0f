package omnichannel

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
)

// runFetchMedia copies an inbound attachment from the provider (whose URLs expire) into the
// BlobStore and points the message at the copy. The adapter fetches the URL through its guarded
// client (package guardedfetch); the content type stored is sniffed from the bytes, and a body past
// MaxAttachmentBytes fails instead of being kept truncated. A refusal (a blocked address, a bad
// scheme, a body too large) is final: the job is dropped at once, the message keeps its attachment
// without a copy, and the log says why with the URL redacted.
func (e *Engine) runFetchMedia(ctx context.Context, j *Job) error {
	idx, _ := strconv.Atoi(j.Payload["index"])
	var m *Message
	var conn *Connection
	if err := e.view(ctx, func(tx Tx) (err error) {
		if m, err = tx.GetMessage(j.WorkspaceID, j.MessageID); err != nil {
			return err
		}
		conn, err = tx.GetConnection(j.WorkspaceID, j.ConnectionID)
		return err
	}); err != nil {
		return e.dropIfGone(ctx, j, err)
	}
	dl, ok := e.channels[conn.Kind].(MediaDownloader)
	if !ok || idx < 0 || idx >= len(m.Attachments) || m.Attachments[idx].BlobKey != "" {
		return e.deleteJob(ctx, j)
	}
	att := m.Attachments[idx]
	var key string
	var size int64
	var ctype string
	err := e.callWithFreshToken(ctx, conn, func(c *Connection) error {
		rc, _, err := dl.DownloadMedia(ctx, c, att)
		if err != nil {
			return err
		}
		defer rc.Close()
		name := att.Name
		if name == "" {
			name = string(att.Kind)
		}
		key, size, ctype, err = e.putSniffed(ctx, j.WorkspaceID, name, rc)
		return err
	})
	if err != nil {
		if !IsRetryable(err) && ctx.Err() == nil {
			e.log.Warn("dakenh: inbound media not copied", "job", j.ID, "message", j.MessageID,
				"url", redactURL(att.RemoteURL), "reason", err)
		}
		return err
	}
	err = e.update(ctx, func(tx Tx, ch *change) error {
		cur, err := tx.GetMessage(j.WorkspaceID, j.MessageID)
		if err != nil {
			return err
		}
		if idx < len(cur.Attachments) {
			a := &cur.Attachments[idx]
			a.BlobKey, a.Size, a.ContentType = key, size, ctype
			if err := e.saveMessage(tx, ch, cur); err != nil {
				return err
			}
		}
		return tx.DeleteJob(j.ID)
	})
	if err != nil {
		// No message holds the copy: the conversation was deleted meanwhile (a data-protection
		// delete must leave nothing behind) or the save failed (a retry copies again).
		if derr := e.cfg.Blobs.Delete(context.WithoutCancel(ctx), key); derr != nil && !errors.Is(derr, ErrNotFound) {
			e.log.Warn("dakenh: deleting an unreferenced media copy failed", "job", j.ID, "err", derr)
		}
		return e.dropIfGone(ctx, j, err)
	}
	return nil
}

// runLinkContact links a contact to the host CRM's customer with the phone number found in the
// conversation and records it in the conversation.
func (e *Engine) runLinkContact(ctx context.Context, j *Job) error {
	if e.cfg.Directory == nil {
		return e.deleteJob(ctx, j)
	}
	phone := j.Payload["phone"]
	cust, err := e.cfg.Directory.FindByPhone(ctx, j.WorkspaceID, phone)
	found := err == nil && cust != nil && cust.ID != ""
	if err != nil && !isNotFound(err) {
		return err
	}
	return e.update(ctx, func(tx Tx, ch *change) error {
		c, err := tx.GetContact(j.WorkspaceID, j.Payload["contact"])
		if err != nil {
			if isNotFound(err) {
				return tx.DeleteJob(j.ID)
			}
			return err
		}
		if c.Phone == "" {
			c.Phone = phone
		}
		if found && c.CRMCustomerID == "" {
			c.CRMCustomerID = cust.ID
			if c.Email == "" {
				c.Email = cust.Email
			}
			if len(c.Attributes) == 0 && len(cust.Attributes) > 0 {
				c.Attributes = cust.Attributes
			}
		}
		c.UpdatedAt = e.now()
		if err := tx.PutContact(c); err != nil {
			return err
		}
		if j.ConversationID != "" {
			conv, err := tx.GetConversation(j.WorkspaceID, j.ConversationID)
			if err != nil && !isNotFound(err) {
				return err
			}
			if conv != nil {
				conv.ContactPhone = c.Phone
				if found && c.CRMCustomerID == cust.ID {
					if err := e.record(tx, ch, conv, Activity{Action: ActivityLinked, To: cust.ID,
						Detail: fmt.Sprintf("linked by phone %s", phone)}); err != nil {
						return err
					}
				}
				if err := e.saveConversation(tx, ch, conv, EventConversationUpdated); err != nil {
					return err
				}
			}
		}
		return tx.DeleteJob(j.ID)
	})
}

// runFetchProfile fills a new identity's name, avatar and shared phone from the provider.
func (e *Engine) runFetchProfile(ctx context.Context, j *Job) error {
	var conn *Connection
	var ident *Identity
	if err := e.view(ctx, func(tx Tx) (err error) {
		if conn, err = tx.GetConnection(j.WorkspaceID, j.ConnectionID); err != nil {
			return err
		}
		ident, err = tx.GetIdentity(j.WorkspaceID, j.Payload["identity"])
		return err
	}); err != nil {
		return e.dropIfGone(ctx, j, err)
	}
	pf, ok := e.channels[conn.Kind].(ProfileFetcher)
	if !ok {
		return e.deleteJob(ctx, j)
	}
	var p *Profile
	if err := e.callWithFreshToken(ctx, conn, func(c *Connection) (err error) {
		p, err = pf.FetchProfile(ctx, c, ident.ExternalUserID)
		return err
	}); err != nil {
		return err
	}
	return e.update(ctx, func(tx Tx, ch *change) error {
		if _, _, err := e.upsertIdentity(tx, ch, conn, InboundEvent{Type: InboundProfile,
			ExternalUserID: ident.ExternalUserID, Profile: p}); err != nil {
			return err
		}
		return tx.DeleteJob(j.ID)
	})
}

// runSyncHistory imports a new connection's old conversations, marks them historical, then applies
// the rule's old-conversation policy.
func (e *Engine) runSyncHistory(ctx context.Context, j *Job) error {
	var conn *Connection
	if err := e.view(ctx, func(tx Tx) (err error) {
		conn, err = tx.GetConnection(j.WorkspaceID, j.ConnectionID)
		return err
	}); err != nil {
		return e.dropIfGone(ctx, j, err)
	}
	hs, ok := e.channels[conn.Kind].(HistorySyncer)
	if !ok {
		return e.deleteJob(ctx, j)
	}
	err := e.callWithFreshToken(ctx, conn, func(c *Connection) error {
		return hs.SyncHistory(ctx, c, func(ev InboundEvent) error { return e.ingestHistorical(ctx, c, ev) })
	})
	if err != nil {
		return err
	}
	if conn.Permission == PermissionShared && conn.RuleID != "" {
		if err := e.applyOldPolicy(ctx, conn.WorkspaceID, conn.RuleID, []string{conn.ID}, nil); err != nil {
			return err
		}
	}
	return e.deleteJob(ctx, j)
}

func (e *Engine) deleteJob(ctx context.Context, j *Job) error {
	return e.store.Update(ctx, func(tx Tx) error { return tx.DeleteJob(j.ID) })
}

// dropIfGone deletes a job whose subject no longer exists; other errors are returned for a retry.
func (e *Engine) dropIfGone(ctx context.Context, j *Job, err error) error {
	if isNotFound(err) {
		return e.deleteJob(ctx, j)
	}
	return err
}

// redactURL keeps a URL's scheme and host for logs: media links often carry credentials.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return "(invalid URL)"
	}
	return u.Scheme + "://" + u.Host + "/…"
}
