package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/store"
)

// Fixtures set every field (non-empty slices and maps included) so that a store which forgets to
// persist one fails the round trips.

const (
	kindZalo   model.Kind = "zalooa"
	kindTikTok model.Kind = "tiktok"
)

// connectionOf is the default connection of a workspace's fixtures (connection ids are global).
func connectionOf(ws string) string { return "conn-" + ws }

func fullConnection(ws, id string) *model.Connection {
	return &model.Connection{
		WorkspaceID:  ws,
		ID:           id,
		Kind:         kindZalo,
		ExternalID:   "oa-" + id,
		DisplayName:  "Shop " + id,
		AvatarURL:    "https://cdn.example/" + id + ".png",
		Status:       model.ConnectionConnected,
		StatusReason: "ok",
		OwnerID:      "u-owner",
		Permission:   model.PermissionShared,
		RuleID:       "rule-1",
		Credentials: model.Credentials{
			AccessToken:   "at-" + id,
			RefreshToken:  "rt-" + id,
			AccessExpiry:  at(time.Hour),
			RefreshExpiry: at(90 * 24 * time.Hour),
			Scopes:        []string{"message", "profile"},
			Extra:         map[string]string{"app_id": "app-1"},
		},
		Settings:  map[string]string{"sync_days": "30"},
		CreatedAt: t0,
		UpdatedAt: at(time.Minute),
		Version:   3,
	}
}

func fullContact(ws, id string) *model.Contact {
	return &model.Contact{
		WorkspaceID:   ws,
		ID:            id,
		Name:          "Nguyễn Văn An " + id,
		Phone:         "+84912345678",
		Email:         id + "@example.com",
		AvatarURL:     "https://cdn.example/" + id + ".jpg",
		Attributes:    map[string]string{"status": "vip", "interest": "giày"},
		CRMCustomerID: "crm-" + id,
		CreatedAt:     t0,
		UpdatedAt:     at(2 * time.Minute),
	}
}

func fullIdentity(ws, id, contactID, connectionID string) *model.Identity {
	return &model.Identity{
		WorkspaceID:    ws,
		ID:             id,
		ContactID:      contactID,
		ConnectionID:   connectionID,
		ChannelKind:    kindZalo,
		ExternalUserID: "ext-" + id,
		DisplayName:    "An " + id,
		AvatarURL:      "https://cdn.example/u/" + id + ".jpg",
		Phone:          "+84912345678",
		Follower:       true,
		// Anonymous and ProviderConversationID: a Zalo anonymous user answered by conversation id.
		Anonymous:              true,
		ProviderConversationID: "zconv-" + id,
		CreatedAt:              t0,
		UpdatedAt:              at(3 * time.Minute),
	}
}

// fullConversation is a conversation on the workspace's default connection with identity
// "idn-<id>" of contact "ct-<id>".
func fullConversation(ws, id string) *model.Conversation {
	return &model.Conversation{
		WorkspaceID:          ws,
		ID:                   id,
		ConnectionID:         connectionOf(ws),
		ChannelKind:          kindZalo,
		ContactID:            "ct-" + id,
		IdentityID:           "idn-" + id,
		ContactName:          "Trần Thị Bình",
		ContactPhone:         "+84987654321",
		Status:               model.StatusOpen,
		AssigneeID:           "u-1",
		TeamID:               "team-1",
		RuleID:               "rule-1",
		AwaitingClaim:        true,
		Claimed:              true,
		Historical:           true,
		CategoryID:           "cat-3",
		CategoryPath:         []string{"cat-1", "cat-2", "cat-3"},
		ClassificationID:     "cls-1",
		Note:                 "gọi lại sau 5 giờ",
		Referral:             "ad:123",
		LastSeq:              7,
		InboundCount:         4,
		RepliesSinceInbound:  2,
		LastMessageText:      "cảm ơn shop",
		LastMessageAt:        at(10 * time.Minute),
		LastMessageDirection: model.DirectionIn,
		LastInboundAt:        at(9 * time.Minute),
		CreatedAt:            t0,
		UpdatedAt:            at(10 * time.Minute),
	}
}

// fullMessage is an outgoing message of c with every field set, including unique provider id and
// idempotency key derived from id.
func fullMessage(c *model.Conversation, id string, seq int64) *model.Message {
	return &model.Message{
		WorkspaceID:    c.WorkspaceID,
		ID:             id,
		ConversationID: c.ID,
		ConnectionID:   c.ConnectionID,
		Seq:            seq,
		Direction:      model.DirectionOut,
		Type:           model.MessageImage,
		SenderID:       "u-1",
		SenderName:     "Agent One",
		Text:           "ảnh sản phẩm " + id,
		Attachments: []model.Attachment{
			{Kind: model.MessageImage, Name: "a.jpg", ContentType: "image/jpeg", Size: 1234,
				BlobKey: "blob/a", RemoteURL: "https://cdn.example/a.jpg", ProviderRef: "att-1"},
			{Kind: model.MessageFile, Name: "b.pdf", ContentType: "application/pdf", Size: 99,
				BlobKey: "blob/b", RemoteURL: "https://cdn.example/b.pdf", ProviderRef: "att-2"},
		},
		QuoteProviderMessageID: "pm-quoted",
		TemplateID:             "tpl-1",
		ProviderMessageID:      "pm-" + id,
		IdempotencyKey:         "key-" + id,
		Status:                 model.MessageSent,
		FailureCode:            "-201",
		FailureReason:          "retried",
		FailureReasonCode:      model.FailureNotFollower,
		Attempts:               2,
		Activity: &model.Activity{Action: model.ActivityAssigned, ActorID: "u-2",
			From: "u-1", To: "u-3", Detail: "round-robin"},
		Reactions: []model.Reaction{
			{Emoji: "❤️", Direction: model.DirectionIn, By: "idn-1", At: at(2 * time.Minute)},
			{Emoji: "👍", Direction: model.DirectionOut, By: "u-1", At: at(3 * time.Minute)},
		},
		ProviderTime: at(time.Duration(seq) * time.Second),
		CreatedAt:    at(time.Duration(seq) * time.Second),
		UpdatedAt:    at(time.Duration(seq)*time.Second + time.Millisecond),
	}
}

// plainMessage is a message of c with only the fields the list checks need: no provider id and no
// idempotency key.
func plainMessage(c *model.Conversation, id string, seq int64) *model.Message {
	return &model.Message{
		WorkspaceID:    c.WorkspaceID,
		ID:             id,
		ConversationID: c.ID,
		ConnectionID:   c.ConnectionID,
		Seq:            seq,
		Direction:      model.DirectionIn,
		Type:           model.MessageText,
		Text:           fmt.Sprintf("message %d", seq),
		Status:         model.MessageReceived,
		CreatedAt:      at(time.Duration(seq) * time.Second),
		UpdatedAt:      at(time.Duration(seq) * time.Second),
	}
}

func fullReadState(ws, userID, conversationID string, inbound int64) *model.ReadState {
	return &model.ReadState{
		WorkspaceID:    ws,
		UserID:         userID,
		ConversationID: conversationID,
		InboundCount:   inbound,
		Seq:            inbound + 10,
		ReadAt:         at(time.Hour),
	}
}

func fullUser(ws, id string) *model.User {
	return &model.User{
		WorkspaceID: ws, ID: id, Name: "Agent " + id, Email: id + "@shop.example",
		AvatarURL: "https://cdn.example/agents/" + id, Role: model.RoleSupervisor,
		TeamIDs: []string{"team-1", "team-2"}, Active: true, CreatedAt: t0,
	}
}

func fullTeam(ws, id string) *model.Team {
	return &model.Team{
		WorkspaceID: ws, ID: id, Name: "Team " + id, MemberIDs: []string{"u-1", "u-2"},
		Method: model.MethodLeastLoaded,
	}
}

func fullRule(ws, id string) *model.Rule {
	return &model.Rule{
		WorkspaceID: ws, ID: id, Name: "Rule " + id, SourceIDs: []string{"conn-a", "conn-b"},
		UserIDs: []string{"u-3", "u-1", "u-2"}, Method: model.MethodRoundRobin,
		OldPolicy: model.PolicyAvailable, CreatedAt: t0, UpdatedAt: at(time.Second),
	}
}

func fullTemplate(ws, id string) *model.Template {
	return &model.Template{
		WorkspaceID: ws, ID: id, Name: "Chào " + id, Body: "Xin chào {{customer_name}}!",
		ChannelKinds: []model.Kind{kindZalo, kindTikTok},
	}
}

func fullCategory(ws, id string) *model.Category {
	return &model.Category{
		WorkspaceID: ws, ID: id, ParentID: "cat-root", Name: "Danh mục " + id, Active: true, Position: 2,
	}
}

func fullClassification(ws, id string) *model.Classification {
	return &model.Classification{
		WorkspaceID: ws, ID: id, Name: "CSKH " + id, Active: true, Position: 4,
	}
}

// fullJob is an unlocked job due at runAt.
func fullJob(id string, runAt time.Time) *model.Job {
	return &model.Job{
		WorkspaceID:    ws1,
		ID:             id,
		Kind:           model.JobSend,
		ConversationID: "conv-1",
		MessageID:      "msg-" + id,
		ConnectionID:   "conn-1",
		Payload:        map[string]string{"attachment": "1"},
		Attempts:       1,
		RunAt:          runAt,
		Started:        true,
		LastError:      "timeout",
		CreatedAt:      t0,
	}
}

func fullOAuthState(state string) *model.OAuthState {
	return &model.OAuthState{
		State: state, WorkspaceID: ws1, UserID: "u-1", Kind: kindTikTok,
		CodeVerifier: "verifier-" + state, RedirectURI: "https://crm.example/callback",
		Permission: model.PermissionOnlyMe, RuleID: "rule-1", ExpiresAt: at(10 * time.Minute),
	}
}

// seedParents puts the connection, contact and identity c refers to when they are missing, so that
// stores with foreign keys accept c.
func seedParents(tx store.Tx, c *model.Conversation) error {
	_, err := tx.GetConnection(c.WorkspaceID, c.ConnectionID)
	if errors.Is(err, model.ErrNotFound) {
		conn := fullConnection(c.WorkspaceID, c.ConnectionID)
		conn.Kind = c.ChannelKind
		err = tx.PutConnection(conn)
	}
	if err != nil {
		return err
	}
	_, err = tx.GetContact(c.WorkspaceID, c.ContactID)
	if errors.Is(err, model.ErrNotFound) {
		err = tx.PutContact(fullContact(c.WorkspaceID, c.ContactID))
	}
	if err != nil {
		return err
	}
	_, err = tx.GetIdentity(c.WorkspaceID, c.IdentityID)
	if errors.Is(err, model.ErrNotFound) {
		i := fullIdentity(c.WorkspaceID, c.IdentityID, c.ContactID, c.ConnectionID)
		i.ChannelKind = c.ChannelKind
		err = tx.InsertIdentity(i)
	}
	return err
}

// insertConversations inserts cs, with the rows they refer to, in one transaction.
func insertConversations(t *testing.T, s store.Store, cs ...*model.Conversation) {
	t.Helper()
	update(t, s, func(tx store.Tx) error {
		for _, c := range cs {
			if err := seedParents(tx, c); err != nil {
				return err
			}
			if err := tx.InsertConversation(c); err != nil {
				return err
			}
		}
		return nil
	})
}

// insertMessages inserts ms in one transaction.
func insertMessages(t *testing.T, s store.Store, ms ...*model.Message) {
	t.Helper()
	update(t, s, func(tx store.Tx) error {
		for _, m := range ms {
			if err := tx.InsertMessage(m); err != nil {
				return err
			}
		}
		return nil
	})
}

func getConversation(t *testing.T, s store.Store, ws, id string) *model.Conversation {
	t.Helper()
	return read(t, s, func(tx store.Tx) (*model.Conversation, error) {
		return tx.GetConversation(ws, id)
	})
}
