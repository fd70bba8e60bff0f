package omnichannel

import (
	"context"
	"errors"
	"fmt"
)

// deleteBatchSize is how many conversations one transaction of DeleteWorkspace removes, so that a
// large workspace never holds one long transaction (nor, on SQLite, the writer for long).
const deleteBatchSize = 50

// ErrBlobsLeft is wrapped by the error of a deletion whose rows are gone but some of whose blobs
// the BlobStore failed to delete; the error says how many. The blobs of a workspace are removed
// by DeleteWorkspace in any case.
var ErrBlobsLeft = errors.New("omnichannel: attachment blobs left behind")

// DeleteConversation deletes a conversation for good (data-protection requests): its messages and
// activity entries, the attachments' blobs, every user's read position, its pending jobs and its
// place in the list and unread counts. The Authorizer must allow actorID ActionAdmin (supervisors,
// by default). It publishes EventConversationDeleted. ErrNotFound when the conversation does not
// exist (deleted already). The blobs are deleted after the rows commit; a blob the BlobStore fails
// to delete is reported with ErrBlobsLeft.
func (e *Engine) DeleteConversation(ctx context.Context, workspaceID, actorID, conversationID string) error {
	var keys []string
	err := e.admin(ctx, workspaceID, actorID, func(tx Tx, ch *change) error {
		var err error
		if keys, err = tx.DeleteConversation(workspaceID, conversationID); err != nil {
			return err
		}
		ch.events = append(ch.events, Event{Kind: EventConversationDeleted, WorkspaceID: workspaceID,
			ConversationID: conversationID, UserID: actorID, At: e.now()})
		return purgeFeed(tx, workspaceID, []string{conversationID}, false)
	})
	if err != nil {
		return err
	}
	return e.deleteBlobs(ctx, keys)
}

// DeleteContact deletes a contact (a customer) for good: its identities on every channel, all of
// its conversations as DeleteConversation does, the jobs about it and its link to the host's CRM.
// The Authorizer must allow actorID ActionAdmin. It publishes EventConversationDeleted for each
// conversation, then EventContactDeleted. ErrNotFound when the contact does not exist. Everything
// goes in one transaction (a contact has a few conversations); blobs as in DeleteConversation.
func (e *Engine) DeleteContact(ctx context.Context, workspaceID, actorID, contactID string) error {
	var keys []string
	err := e.admin(ctx, workspaceID, actorID, func(tx Tx, ch *change) error {
		convs, err := e.contactConversations(tx, workspaceID, contactID)
		if err != nil {
			return err
		}
		if keys, err = tx.DeleteContact(workspaceID, contactID); err != nil {
			return err
		}
		now := e.now()
		for _, id := range convs {
			ch.events = append(ch.events, Event{Kind: EventConversationDeleted, WorkspaceID: workspaceID,
				ConversationID: id, UserID: actorID, At: now})
		}
		ch.events = append(ch.events, Event{Kind: EventContactDeleted, WorkspaceID: workspaceID,
			ContactID: contactID, UserID: actorID, At: now})
		return purgeFeed(tx, workspaceID, convs, false)
	})
	if err != nil {
		return err
	}
	return e.deleteBlobs(ctx, keys)
}

// contactConversations returns the ids of the conversations of the contact's identities (the
// threads DeleteContact removes).
func (e *Engine) contactConversations(tx Tx, workspaceID, contactID string) ([]string, error) {
	idents, err := tx.ListIdentities(workspaceID, contactID)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, i := range idents {
		c, err := tx.FindConversation(workspaceID, i.ConnectionID, i.ID)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		ids = append(ids, c.ID)
	}
	return ids, nil
}

// DeleteWorkspace deletes everything of a workspace: its connections (with their credentials),
// contacts, conversations, messages and blobs, users, teams, rules, templates, categories,
// classifications, jobs, OAuth states and leases. The Authorizer must allow actorID ActionAdmin
// (checked before each batch). Conversations go in batches of deleteBatchSize, each its own
// transaction followed by the deletion of its blobs; the last transaction removes the rest, then
// BlobStore.DeleteWorkspace removes the blobs no message referred to, and EventWorkspaceDeleted is
// published. An interrupted call (a crash, ctx ended, an error) leaves a workspace partly deleted
// that still has its users: calling DeleteWorkspace again resumes where it stopped. The channels'
// webhooks for the workspace's connections are refused from then on (their connections are gone);
// disconnect them at the provider first when it supports it.
func (e *Engine) DeleteWorkspace(ctx context.Context, workspaceID, actorID string) error {
	var blobErrs []error
	for done := false; !done; {
		var keys []string
		err := e.admin(ctx, workspaceID, actorID, func(tx Tx, ch *change) error {
			var err error
			if keys, done, err = tx.DeleteWorkspaceData(workspaceID, deleteBatchSize); err != nil {
				return err
			}
			if done {
				ch.events = append(ch.events, Event{Kind: EventWorkspaceDeleted, WorkspaceID: workspaceID,
					UserID: actorID, At: e.now()})
			}
			return purgeFeed(tx, workspaceID, nil, done)
		})
		if err != nil {
			return err
		}
		if err := e.deleteBlobs(ctx, keys); err != nil {
			blobErrs = append(blobErrs, err)
		}
	}
	e.conns.forget() // the webhook cache may hold the deleted connections
	if err := e.cfg.Blobs.DeleteWorkspace(ctx, workspaceID); err != nil {
		if errors.Is(err, ErrInvalid) {
			e.log.Warn("dakenh: the blob store cannot sweep the deleted workspace; its message blobs were deleted one by one",
				"workspace", workspaceID, "err", err)
		} else {
			blobErrs = append(blobErrs, err)
		}
	}
	return errors.Join(blobErrs...)
}

// purgeFeed is the one place where a deletion removes what the durable event feed holds of the
// deleted conversations (all of the workspace's when workspace is set), in the deleting
// transaction. The deletion's own event is appended after it, so the feed keeps one entry saying
// what was deleted (ids only) until retention prunes it.
func purgeFeed(tx Tx, workspaceID string, conversationIDs []string, workspace bool) error {
	if workspace {
		return tx.DeleteWorkspaceFeed(workspaceID)
	}
	if len(conversationIDs) == 0 {
		return nil
	}
	return tx.DeleteConversationsFeed(workspaceID, conversationIDs)
}

// deleteBlobs deletes keys from the BlobStore, going on past failures, and reports them with
// ErrBlobsLeft.
func (e *Engine) deleteBlobs(ctx context.Context, keys []string) error {
	failed := 0
	var first error
	for _, k := range keys {
		if err := e.cfg.Blobs.Delete(context.WithoutCancel(ctx), k); err != nil {
			failed++
			if first == nil {
				first = err
			}
		}
	}
	if failed == 0 {
		return nil
	}
	e.log.Warn("dakenh: deleting attachment blobs failed", "failed", failed, "of", len(keys), "err", first)
	return fmt.Errorf("%w: %d of %d (first: %w)", ErrBlobsLeft, failed, len(keys), first)
}
