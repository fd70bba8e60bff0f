package meta

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Webhook shapes. Ids are strings (Instagram ids exceed 2^53); numbers that
// some payloads send as strings (timestamps, app_id, watermark) decode from either form.

type envelope struct {
	Object string  `json:"object"`
	Entry  []entry `json:"entry"`
}

type entry struct {
	ID        flexString        `json:"id"`
	Time      flexInt           `json:"time"`
	Messaging []json.RawMessage `json:"messaging"`
	Standby   []json.RawMessage `json:"standby"`
	Changes   []json.RawMessage `json:"changes"`
}

type party struct {
	ID flexString `json:"id"`
}

type event struct {
	Sender      party        `json:"sender"`
	Recipient   party        `json:"recipient"`
	Timestamp   flexInt      `json:"timestamp"`
	Message     *message     `json:"message"`
	Delivery    *delivery    `json:"delivery"`
	Read        *read        `json:"read"`
	Reaction    *reaction    `json:"reaction"`
	Postback    *postback    `json:"postback"`
	Referral    *referral    `json:"referral"`
	MessageEdit *messageEdit `json:"message_edit"`
}

type message struct {
	Mid           string       `json:"mid"`
	Text          string       `json:"text"`
	IsEcho        bool         `json:"is_echo"`
	AppID         flexString   `json:"app_id"`
	Metadata      string       `json:"metadata"`
	IsDeleted     bool         `json:"is_deleted"`
	IsUnsupported bool         `json:"is_unsupported"`
	QuickReply    *struct{}    `json:"quick_reply"`
	ReplyTo       *replyTo     `json:"reply_to"`
	Attachments   []attachment `json:"attachments"`
	Referral      *referral    `json:"referral"`
}

type replyTo struct {
	Mid   string `json:"mid"`
	Story *struct {
		URL string     `json:"url"`
		ID  flexString `json:"id"`
	} `json:"story"`
}

type attachment struct {
	Type    string   `json:"type"`
	Payload *payload `json:"payload"`
	// fallback links carry title and url beside type (or inside payload: both are read).
	Title string `json:"title"`
	URL   string `json:"url"`
}

type payload struct {
	URL           string     `json:"url"`
	Title         string     `json:"title"`
	StickerID     flexString `json:"sticker_id"`
	IGPostMediaID flexString `json:"ig_post_media_id"`
	Coordinates   *struct {
		Lat  float64 `json:"lat"`
		Long float64 `json:"long"`
	} `json:"coordinates"`
}

type delivery struct {
	Mids      []string `json:"mids"`
	Watermark flexInt  `json:"watermark"`
}

type read struct {
	Watermark flexInt `json:"watermark"`
	Mid       string  `json:"mid"`
}

type reaction struct {
	Reaction string `json:"reaction"`
	Emoji    string `json:"emoji"`
	Action   string `json:"action"`
	Mid      string `json:"mid"`
}

type postback struct {
	Mid      string    `json:"mid"`
	Title    string    `json:"title"`
	Payload  string    `json:"payload"`
	Referral *referral `json:"referral"`
}

type referral struct {
	Ref            string     `json:"ref"`
	AdID           flexString `json:"ad_id"`
	Source         string     `json:"source"`
	Type           string     `json:"type"`
	AdsContextData *struct {
		AdTitle  string `json:"ad_title"`
		PhotoURL string `json:"photo_url"`
		VideoURL string `json:"video_url"`
		PostID   string `json:"post_id"`
	} `json:"ads_context_data"`
}

type messageEdit struct {
	Mid     string  `json:"mid"`
	Text    string  `json:"text"`
	NumEdit flexInt `json:"num_edit"`
}

// paging is a Graph list's cursor paging; next is absent on the last page.
type paging struct {
	Cursors struct {
		After string `json:"after"`
	} `json:"cursors"`
	Next string `json:"next"`
}

// after returns the cursor of the next page, "" on the last one.
func (p paging) after() string {
	if p.Next == "" {
		return ""
	}
	return p.Cursors.After
}

// flexInt decodes 1457764197627, "1457764197627" and 1.4e12 alike.
type flexInt int64

// UnmarshalJSON accepts a JSON number or a string holding one; null and "" are 0.
func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(bytes.TrimSpace(b)), `"`)
	if s == "" || s == "null" {
		*f = 0
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		fl, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil {
			return err
		}
		n = int64(fl)
	}
	*f = flexInt(n)
	return nil
}

// flexString decodes "1784…" and 1517776481860111 alike, keeping every digit (never a float).
type flexString string

// UnmarshalJSON accepts a JSON string or number; null is "".
func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*f = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*f = flexString(n.String())
	}
	return nil
}

// metaTime reads an epoch time in milliseconds, or in seconds when below 1e12 (COURIER saw seconds
// on live referrals; the postbacks reference shows a string of seconds: uncertain, both accepted).
func metaTime(v flexInt) time.Time {
	n := int64(v)
	switch {
	case n <= 0:
		return time.Time{}
	case n < 1e12:
		return time.Unix(n, 0).UTC()
	default:
		return time.UnixMilli(n).UTC()
	}
}
