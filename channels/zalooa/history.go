package zalooa

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/dakenh/dakenh/omnichannel"
)

// History APIs: at most 10 rows per call; offset 0 is the newest.
const (
	recentChatPath   = "/v2.0/oa/listrecentchat"
	conversationPath = "/v2.0/oa/conversation"
	historyPageSize  = 10
)

// historyRow is one message of listrecentchat / conversation.
type historyRow struct {
	MessageID       flexString `json:"message_id"`
	Src             flexInt    `json:"src"`
	Time            flexInt    `json:"time"`
	Type            string     `json:"type"`
	Message         string     `json:"message"`
	URL             string     `json:"url"`
	Thumb           string     `json:"thumb"`
	Description     string     `json:"description"`
	Location        string     `json:"location"`
	FromID          flexString `json:"from_id"`
	FromDisplayName string     `json:"from_display_name"`
	FromAvatar      string     `json:"from_avatar"`
	ToID            flexString `json:"to_id"`
	ToDisplayName   string     `json:"to_display_name"`
	ToAvatar        string     `json:"to_avatar"`
}

// SyncHistory imports the conversations the OA had before it was connected: it pages
// listrecentchat (10 per call) to find the users (up to Config.HistoryMaxUsers), then pages each
// user's conversation (up to Config.HistoryMaxMessagesPerUser messages), and calls fn for every
// message, oldest first per user, de-duplicated by message id. The direction comes from from_id
// (the OA's id means an OA message), not from the undocumented "src". Media keep their Zalo URL
// in RemoteURL, so the engine copies them. Errors are classified like Send's; an error from fn
// stops the sync.
func (c *Channel) SyncHistory(ctx context.Context, conn *omnichannel.Connection, fn func(omnichannel.InboundEvent) error) error {
	token, err := accessToken(conn)
	if err != nil {
		return err
	}
	oa := conn.ExternalID
	var users []string
	seenUser := map[string]bool{}
	for offset := 0; len(users) < c.cfg.HistoryMaxUsers; offset += historyPageSize {
		rows, err := c.historyPage(ctx, token, recentChatPath, map[string]any{"offset": offset, "count": historyPageSize})
		if err != nil {
			return err
		}
		for _, r := range rows {
			u := otherParty(r, oa)
			if u != "" && !seenUser[u] && len(users) < c.cfg.HistoryMaxUsers {
				seenUser[u] = true
				users = append(users, u)
			}
		}
		if len(rows) < historyPageSize {
			break
		}
	}
	for _, u := range users {
		if err := c.syncUser(ctx, token, oa, u, fn); err != nil {
			return err
		}
	}
	return nil
}

func (c *Channel) syncUser(ctx context.Context, token, oa, user string, fn func(omnichannel.InboundEvent) error) error {
	var rows []historyRow
	seen := map[string]bool{}
	for offset := 0; len(rows) < c.cfg.HistoryMaxMessagesPerUser; offset += historyPageSize {
		// user_id goes as a string (official PHP SDK); the old .NET SDK sent a number (uncertain).
		page, err := c.historyPage(ctx, token, conversationPath, map[string]any{"user_id": user, "offset": offset, "count": historyPageSize})
		if err != nil {
			return err
		}
		for _, r := range page {
			id := string(r.MessageID)
			if id == "" || seen[id] || len(rows) >= c.cfg.HistoryMaxMessagesPerUser {
				continue
			}
			seen[id] = true
			rows = append(rows, r)
		}
		if len(page) < historyPageSize {
			break
		}
	}
	for i := len(rows) - 1; i >= 0; i-- { // the API pages newest first
		if err := fn(historyEvent(rows[i], oa, user)); err != nil {
			return err
		}
	}
	return nil
}

func (c *Channel) historyPage(ctx context.Context, token, path string, params map[string]any) ([]historyRow, error) {
	q, _ := json.Marshal(params)
	data, err := c.apiCall(ctx, request{method: http.MethodGet, url: c.apiBase + path, op: "history",
		token: token, query: map[string]string{"data": string(q)}})
	if err != nil {
		return nil, err
	}
	if len(data) == 0 || string(data) == "null" {
		return nil, nil
	}
	var rows []historyRow
	if err := json.Unmarshal(data, &rows); err != nil {
		return nil, badResponse("history", http.StatusOK)
	}
	return rows, nil
}

// otherParty is the user of a row: whichever of from_id / to_id is not the OA.
func otherParty(r historyRow, oa string) string {
	if string(r.FromID) == oa {
		return string(r.ToID)
	}
	return string(r.FromID)
}

// historyEvent maps a history row to the event a webhook would have produced.
func historyEvent(r historyRow, oa, user string) omnichannel.InboundEvent {
	ev := omnichannel.InboundEvent{
		Type: omnichannel.InboundMessage, ExternalAccountID: oa, ExternalUserID: user,
		Direction: omnichannel.DirectionIn, ProviderMessageID: string(r.MessageID), Text: r.Message,
	}
	if r.Time > 0 {
		ev.Time, _ = parseTimestamp(strconv.FormatInt(int64(r.Time), 10))
	}
	if string(r.FromID) == oa {
		ev.Direction = omnichannel.DirectionOut
		if r.ToDisplayName != "" {
			ev.Profile = &omnichannel.Profile{ExternalUserID: user, DisplayName: clean(r.ToDisplayName, 120, nil), AvatarURL: r.ToAvatar}
		}
	} else if r.FromDisplayName != "" {
		ev.Profile = &omnichannel.Profile{ExternalUserID: user, DisplayName: clean(r.FromDisplayName, 120, nil), AvatarURL: r.FromAvatar}
	}
	media := func(kind omnichannel.MessageType, ctype string) {
		ev.MessageType = kind
		if r.URL != "" {
			ev.Attachments = []omnichannel.Attachment{{Kind: kind, RemoteURL: r.URL, ContentType: ctype}}
		}
	}
	switch strings.ToLower(r.Type) {
	case "text", "":
		ev.MessageType = omnichannel.MessageText
	case "photo", "image":
		media(omnichannel.MessageImage, "")
	case "gif":
		media(omnichannel.MessageImage, "image/gif")
	case "sticker":
		media(omnichannel.MessageSticker, "")
	case "voice", "audio":
		media(omnichannel.MessageAudio, "")
	case "video":
		media(omnichannel.MessageVideo, "")
	case "file":
		media(omnichannel.MessageFile, fileContentType("", r.Description))
	case "link", "links":
		ev.MessageType = omnichannel.MessageLink
		ev.Text = strings.Join(nonEmpty(r.Message, r.URL), "\n")
	case "location":
		ev.MessageType = omnichannel.MessageLocation
		ev.Text = strings.Join(nonEmpty(r.Message, r.Location), "\n")
	default:
		ev.MessageType = omnichannel.MessageOther
		if ev.Text == "" {
			ev.Text = "[" + safeName(r.Type) + "]"
		}
	}
	return ev
}
