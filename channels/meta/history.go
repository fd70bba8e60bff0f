package meta

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"time"

	"github.com/dakenh/dakenh/omnichannel"
)

// History limits: Meta shows the 20 most recent messages of a conversation in detail, and the Conversations API allows 2 calls per second per Page.
const (
	historyConversations = 200
	historyMessages      = 20
	historyPause         = 500 * time.Millisecond
)

// SyncHistory imports earlier conversations: GET /{page-id}/conversations?platform=messenger|
// instagram (cursor paging, at most 200 conversations), then each conversation's 20 most recent
// messages (GET /{conversation-id}/messages), oldest first, direction by from.id (the account's
// own id is the business). Calls are spaced 500 ms apart (2/s per Page). The engine ignores
// messages it already has (by mid), so a sync merges with live webhooks without duplicates.
func (c *Channel) SyncHistory(ctx context.Context, conn *omnichannel.Connection, fn func(omnichannel.InboundEvent) error) error {
	token, err := c.pageToken(conn)
	if err != nil {
		return err
	}
	platform := "messenger"
	if c.instagram() {
		platform = "instagram"
	}
	after := ""
	seen := 0
	for seen < historyConversations {
		q := url.Values{"platform": {platform}, "fields": {"id,updated_time"}, "limit": {"25"}}
		if after != "" {
			q.Set("after", after)
		}
		data, err := c.call(ctx, graphRequest{method: http.MethodGet, path: "/" + c.pageID(conn) + "/conversations", token: token, query: q})
		if err != nil {
			return err
		}
		var res struct {
			Data []struct {
				ID string `json:"id"`
			} `json:"data"`
			Paging paging `json:"paging"`
		}
		if err := json.Unmarshal(data, &res); err != nil {
			return &omnichannel.ProviderError{Provider: c.kind, Code: "bad_response", Message: "undecodable conversation list"}
		}
		for _, cv := range res.Data {
			if seen++; seen > historyConversations {
				break
			}
			if err := c.pause(ctx); err != nil {
				return err
			}
			if err := c.syncConversation(ctx, conn, token, cv.ID, fn); err != nil {
				return err
			}
		}
		if after = res.Paging.after(); after == "" {
			return nil
		}
		if err := c.pause(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (c *Channel) pause(ctx context.Context) error {
	t := time.NewTimer(historyPause)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// historyMessage is a Conversations API message.
type historyMessage struct {
	ID          string `json:"id"`
	CreatedTime string `json:"created_time"`
	Message     string `json:"message"`
	From        struct {
		ID flexString `json:"id"`
	} `json:"from"`
	To struct {
		Data []struct {
			ID flexString `json:"id"`
		} `json:"data"`
	} `json:"to"`
	Attachments struct {
		Data []struct {
			MimeType  string `json:"mime_type"`
			ImageData *struct {
				URL string `json:"url"`
			} `json:"image_data"`
			FileURL string `json:"file_url"`
		} `json:"data"`
	} `json:"attachments"`
}

func (c *Channel) syncConversation(ctx context.Context, conn *omnichannel.Connection, token, convID string, fn func(omnichannel.InboundEvent) error) error {
	data, err := c.call(ctx, graphRequest{method: http.MethodGet, path: "/" + url.PathEscape(convID) + "/messages", token: token,
		query: url.Values{"fields": {"id,created_time,from,to,message,attachments"}, "limit": {"20"}}})
	if err != nil {
		return err
	}
	var res struct {
		Data []historyMessage `json:"data"`
	}
	if err := json.Unmarshal(data, &res); err != nil {
		return &omnichannel.ProviderError{Provider: c.kind, Code: "bad_response", Message: "undecodable messages"}
	}
	msgs := res.Data
	if len(msgs) > historyMessages {
		msgs = msgs[:historyMessages]
	}
	evs := make([]omnichannel.InboundEvent, 0, len(msgs))
	for _, m := range msgs {
		if m.ID == "" {
			continue
		}
		ev := omnichannel.InboundEvent{Type: omnichannel.InboundMessage, ExternalAccountID: conn.ExternalID, ProviderMessageID: m.ID,
			Text: m.Message, Time: graphTime(m.CreatedTime), MessageType: omnichannel.MessageText}
		if string(m.From.ID) == conn.ExternalID || string(m.From.ID) == c.pageID(conn) {
			ev.Direction = omnichannel.DirectionOut
			if len(m.To.Data) > 0 {
				ev.ExternalUserID = string(m.To.Data[0].ID)
			}
		} else {
			ev.Direction, ev.ExternalUserID = omnichannel.DirectionIn, string(m.From.ID)
		}
		for _, a := range m.Attachments.Data {
			switch {
			case a.ImageData != nil && a.ImageData.URL != "":
				ev.Attachments = append(ev.Attachments, omnichannel.Attachment{Kind: omnichannel.MessageImage, RemoteURL: a.ImageData.URL})
			case a.FileURL != "":
				ev.Attachments = append(ev.Attachments, omnichannel.Attachment{Kind: omnichannel.MessageFile, RemoteURL: a.FileURL, ContentType: a.MimeType})
			}
		}
		if len(ev.Attachments) > 0 && ev.Text == "" {
			ev.MessageType = ev.Attachments[0].Kind
		}
		if ev.ExternalUserID == "" {
			continue
		}
		evs = append(evs, ev)
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) })
	for _, ev := range evs {
		if err := fn(ev); err != nil {
			return err
		}
	}
	return nil
}

// graphTime reads Graph's "2026-01-02T15:04:05+0000" (or RFC 3339).
func graphTime(s string) time.Time {
	for _, layout := range []string{"2006-01-02T15:04:05-0700", time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}
