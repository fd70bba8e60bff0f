package omnichannel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// SendParams is an agent's reply.
type SendParams struct {
	WorkspaceID    string
	ConversationID string
	// UserID is the agent sending; the Authorizer decides whether they may.
	UserID string
	// Text of the message (possibly rendered from a template and edited).
	Text string
	// TemplateID records the template the agent started from, if any.
	TemplateID string
	// Attachments previously stored with UploadAttachment.
	Attachments []Attachment
	// QuoteMessageID is the engine id of a customer message this reply quotes, if any.
	QuoteMessageID string
	// IdempotencyKey makes retries of the same request return the first message instead of sending
	// twice. Strongly recommended (e.g. a UUID made by the agent's browser per message).
	IdempotencyKey string
}

// Send validates and queues a reply: the message is stored as pending together with its send job in
// one transaction, and returned at once; a worker (Run) delivers it and moves it to sent or failed
// with the provider's reason. What the channel cannot take (too long, a file on a channel without
// files, a closed reply window) is refused here, before any network call, with an error wrapping
// ErrInvalid / ErrUnsupported / ErrOutsideWindow, and so is a customer the engine cannot address
// (ErrNoReplyRoute: see ReplyRoute). So is a text still holding a template placeholder
// ("{{customer_name}}": letters, digits and underscores in double braces), which the customer
// would otherwise receive as is.
func (e *Engine) Send(ctx context.Context, p SendParams) (*Message, error) {
	return e.queueReply(ctx, p, false)
}

// RequestInfo queues the channel's request for the customer's contact details (Zalo's
// request_user_info card: the customer fills in name, phone and address, and the answer arrives
// as InboundInfoShared, which fills the contact's phone and address and links the CRM customer).
// It is stored and sent like a reply (a pending message of type MessageInfoRequest, retried and
// matched to its echo the same way) and refused like one: channels without
// Capabilities.InfoRequest answer ErrUnsupported, a closed window ErrOutsideWindow, a customer
// who cannot be addressed ErrNoReplyRoute. p.Text, p.Attachments and p.QuoteMessageID must be
// empty: the adapter supplies the card's wording.
func (e *Engine) RequestInfo(ctx context.Context, p SendParams) (*Message, error) {
	if p.Text != "" || len(p.Attachments) > 0 || p.QuoteMessageID != "" {
		return nil, invalid("an information request carries no text, attachment or quote", "", ProblemInfoRequestBody)
	}
	return e.queueReply(ctx, p, true)
}

// queueReply is Send, or RequestInfo when infoRequest.
func (e *Engine) queueReply(ctx context.Context, p SendParams, infoRequest bool) (*Message, error) {
	var out *Message
	err := e.update(ctx, func(tx Tx, ch *change) error {
		out = nil
		conv, conn, user, err := e.loadForAction(ctx, tx, p.WorkspaceID, p.ConversationID, p.UserID, ActionSend)
		if err != nil {
			return err
		}
		if p.IdempotencyKey != "" {
			m, err := tx.FindMessageByIdempotencyKey(p.WorkspaceID, conv.ID, p.IdempotencyKey)
			if err == nil {
				out = m
				return nil
			}
			if !isNotFound(err) {
				return err
			}
		}
		adapter := e.channels[conn.Kind]
		if adapter == nil {
			return fmt.Errorf("%w: no adapter for channel %q", ErrUnsupported, conn.Kind)
		}
		if conn.Status != ConnectionConnected {
			return fmt.Errorf("%w: %s", ErrNeedsReconnect, conn.DisplayName)
		}
		if err := e.checkReply(adapter.Capabilities(), conv, p, infoRequest); err != nil {
			return err
		}
		if err := replyRoute(tx, conv); err != nil {
			return err
		}
		quote := ""
		if p.QuoteMessageID != "" {
			q, err := tx.GetMessage(p.WorkspaceID, p.QuoteMessageID)
			if err != nil || q.ConversationID != conv.ID {
				return invalid("the quoted message is not in this conversation", "quoteMessageId", ProblemQuoteElsewhere)
			}
			quote = q.ProviderMessageID
		}
		typ := outboundType(p)
		if infoRequest {
			typ = MessageInfoRequest
		}
		m := &Message{
			Direction: DirectionOut, Type: typ, SenderID: user.ID, SenderName: user.Name,
			Text: p.Text, Attachments: p.Attachments, TemplateID: p.TemplateID, IdempotencyKey: p.IdempotencyKey,
			QuoteProviderMessageID: quote, Status: MessagePending,
		}
		if err := e.appendEntry(tx, ch, conv, m); err != nil {
			return err
		}
		if err := e.saveConversation(tx, ch, conv, EventConversationUpdated); err != nil {
			return err
		}
		out = m
		return e.enqueue(tx, ch, &Job{WorkspaceID: conv.WorkspaceID, Kind: JobSend, ConversationID: conv.ID,
			MessageID: m.ID, ConnectionID: conn.ID})
	})
	return out, err
}

func outboundType(p SendParams) MessageType {
	if len(p.Attachments) > 0 {
		return p.Attachments[0].Kind
	}
	return MessageText
}

// checkReply refuses, before any network call, a reply (or an information request) the channel
// would refuse.
func (e *Engine) checkReply(c Capabilities, conv *Conversation, p SendParams, infoRequest bool) error {
	if !infoRequest {
		return e.checkSendable(c, conv, p)
	}
	if !c.InfoRequest {
		return fmt.Errorf("%w: this channel cannot request the customer's information", ErrUnsupported)
	}
	return e.checkWindow(c, conv)
}

// checkSendable refuses, before any network call, what the channel would refuse.
func (e *Engine) checkSendable(c Capabilities, conv *Conversation, p SendParams) error {
	var pr problems
	text := strings.TrimSpace(p.Text)
	if text == "" && len(p.Attachments) == 0 {
		pr.add("the message is empty", "text", ProblemMessageEmpty)
	}
	if !utf8.ValidString(p.Text) {
		pr.add("the text is not valid UTF-8", "text", ProblemBadText)
	}
	if strings.IndexByte(p.Text, 0) >= 0 {
		pr.add("the text contains a NUL character", "text", ProblemBadText)
	}
	if ph := leftoverPlaceholder(p.Text); ph != "" {
		pr.add(fmt.Sprintf("the text still holds the template placeholder %s: replace it before sending", ph), "text", ProblemPlaceholderLeft, "placeholder", ph)
	}
	if n := utf8.RuneCountInString(p.Text); c.MaxTextLength > 0 && n > c.MaxTextLength {
		pr.add(fmt.Sprintf("the text has %d characters; this channel takes at most %d", n, c.MaxTextLength), "text", ProblemTooLong,
			"max", strconv.Itoa(c.MaxTextLength), "n", strconv.Itoa(n))
	}
	if n := len(p.Text); c.MaxTextBytes > 0 && n > c.MaxTextBytes {
		pr.add(fmt.Sprintf("the text has %d bytes; this channel takes at most %d bytes (accented letters count 2 or 3)", n, c.MaxTextBytes),
			"text", ProblemTooLongBytes, "max", strconv.Itoa(c.MaxTextBytes), "n", strconv.Itoa(n))
	}
	maxAtt := c.MaxAttachments
	if maxAtt == 0 {
		maxAtt = 1
	}
	if len(p.Attachments) > maxAtt {
		pr.add(fmt.Sprintf("this channel sends at most %d attachment(s) per message", maxAtt), "attachmentIds", ProblemTooMany, "max", strconv.Itoa(maxAtt))
	}
	for _, a := range p.Attachments {
		if text != "" && slices.Contains(c.NoCaption, a.Kind) {
			pr.unsupported = true
			pr.add(fmt.Sprintf("this channel sends text and %s attachments as separate messages: send them one after the other", kindWord(a.Kind)),
				"attachmentIds", ProblemSeparateCaption, "kind", string(a.Kind))
			break
		}
	}
	for _, a := range p.Attachments {
		if a.BlobKey == "" {
			pr.add(fmt.Sprintf("attachment %q was not uploaded", a.Name), "attachmentIds", ProblemNotUploaded, "name", a.Name)
			continue
		}
		var ok bool
		var types []string
		var limit int64
		switch a.Kind {
		case MessageImage:
			ok, types, limit = c.Images, c.ImageTypes, c.MaxImageBytes
		case MessageFile:
			ok, types, limit = c.Files, c.FileTypes, c.MaxFileBytes
		}
		if !ok {
			pr.unsupported = true
			pr.add(fmt.Sprintf("this channel cannot send %s attachments", kindWord(a.Kind)), "attachmentIds", ProblemKindUnsupported, "kind", string(a.Kind))
			continue
		}
		if len(types) > 0 && !contains(types, a.ContentType) {
			pr.unsupported = true
			pr.add(fmt.Sprintf("this channel does not take %s files (allowed: %s)", a.ContentType, strings.Join(types, ", ")),
				"attachmentIds", ProblemTypeUnsupported, "type", a.ContentType, "allowed", strings.Join(types, ", "))
		}
		if limit > 0 && a.Size > limit {
			pr.unsupported = true
			pr.add(fmt.Sprintf("%q is %d bytes; this channel takes at most %d", a.Name, a.Size, limit),
				"attachmentIds", ProblemFileTooLarge, "name", a.Name, "max", strconv.FormatInt(limit, 10))
		}
	}
	if err := pr.err(); err != nil {
		return err
	}
	return e.checkWindow(c, conv)
}

func kindWord(k MessageType) string {
	if k == "" {
		return "these"
	}
	return string(k)
}

// ReplyWindow describes when the business may still answer a conversation.
type ReplyWindow struct {
	// Limited is false for channels without a window.
	Limited bool
	// ClosesAt is when replies stop being accepted (zero if Limited is false), the human-agent
	// extension included.
	ClosesAt time.Time
	// StandardClosesAt is when the provider's standard window closes; it is before ClosesAt only
	// on channels with a human-agent extension (Capabilities.HumanAgentWindow).
	StandardClosesAt time.Time
	// HumanAgent is true when a reply sent now goes out under the human-agent extension (the
	// standard window closed, the extension still open).
	HumanAgent bool
	// RemainingReplies is how many more messages may be sent before the customer writes again
	// (-1: no cap).
	RemainingReplies int
	// Open is whether a reply can be sent now.
	Open bool
	// FreeUntil is when replies stop being free of charge on channels with a
	// Capabilities.FreeReplyWindow (Zalo: 48 hours after the customer's last interaction; replies
	// after it are billed but still sent while Open); zero on other channels or before any
	// customer interaction.
	FreeUntil time.Time
}

// Window computes the reply window of conv on its channel.
func (e *Engine) Window(conv *Conversation) ReplyWindow {
	a := e.channels[conv.ChannelKind]
	if a == nil {
		return ReplyWindow{Open: false, RemainingReplies: -1}
	}
	return windowOf(a.Capabilities(), conv, e.now())
}

func windowOf(c Capabilities, conv *Conversation, now time.Time) ReplyWindow {
	w := ReplyWindow{Open: true, RemainingReplies: -1}
	if c.ReplyWindow > 0 {
		w.Limited = true
		w.ClosesAt = conv.LastInboundAt.Add(c.ReplyWindow)
		w.StandardClosesAt = w.ClosesAt
		if c.HumanAgentWindow > c.ReplyWindow {
			w.ClosesAt = conv.LastInboundAt.Add(c.HumanAgentWindow)
			w.HumanAgent = !now.Before(w.StandardClosesAt) && now.Before(w.ClosesAt)
		}
		if conv.LastInboundAt.IsZero() || !now.Before(w.ClosesAt) {
			w.Open, w.HumanAgent = false, false
		}
	}
	if c.FreeReplyWindow > 0 && !conv.LastInboundAt.IsZero() {
		w.FreeUntil = conv.LastInboundAt.Add(c.FreeReplyWindow)
	}
	if c.MaxRepliesInWindow > 0 {
		w.Limited = true
		w.RemainingReplies = max(c.MaxRepliesInWindow-conv.RepliesSinceInbound, 0)
		if w.RemainingReplies == 0 {
			w.Open = false
		}
	}
	return w
}

func (e *Engine) checkWindow(c Capabilities, conv *Conversation) error {
	w := windowOf(c, conv, e.now())
	switch {
	case w.Open:
		return nil
	case w.RemainingReplies == 0:
		return fmt.Errorf("%w: %d replies were sent since the customer's last message; wait for the customer to write again",
			ErrOutsideWindow, conv.RepliesSinceInbound)
	default:
		return fmt.Errorf("%w: the reply window closed at %s; wait for the customer to write again",
			ErrOutsideWindow, w.ClosesAt.UTC().Format(time.RFC3339))
	}
}

// RetrySend queues the failed message messageID again, for userID (an agent's "retry"). While its
// connection is not connected it fails with an error wrapping ErrNeedsReconnect and changes
// nothing; once the account is connected again (CompleteConnect revives the same connection), the
// retry goes out. Like every Engine method, it takes the workspace, then the acting user, then
// the id of what it acts on.
func (e *Engine) RetrySend(ctx context.Context, workspaceID, userID, messageID string) (*Message, error) {
	var out *Message
	err := e.update(ctx, func(tx Tx, ch *change) error {
		m, err := tx.GetMessage(workspaceID, messageID)
		if err != nil {
			return err
		}
		conv, conn, _, err := e.loadForAction(ctx, tx, workspaceID, m.ConversationID, userID, ActionSend)
		if err != nil {
			return err
		}
		if m.Status != MessageFailed || m.Direction != DirectionOut {
			return invalid("only a failed outgoing message can be retried", "", ProblemNotRetryable)
		}
		if conn.Status != ConnectionConnected {
			// Retrying now would fail again without a word: the account must be reconnected first
			// (a reconnect revives the same connection, and the retry then goes out).
			return fmt.Errorf("%w: %s", ErrNeedsReconnect, conn.DisplayName)
		}
		if err := e.checkWindow(e.channels[conn.Kind].Capabilities(), conv); err != nil {
			return err
		}
		m.Status, m.FailureCode, m.FailureReason, m.FailureReasonCode, m.Attempts = MessagePending, "", "", "", 0
		if err := e.saveMessage(tx, ch, m); err != nil {
			return err
		}
		out = m
		return e.enqueue(tx, ch, &Job{WorkspaceID: workspaceID, Kind: JobSend, ConversationID: conv.ID,
			MessageID: m.ID, ConnectionID: conn.ID})
	})
	return out, err
}

// UploadAttachment stores a file an agent picked (up to MaxAttachmentBytes) and returns the
// Attachment to pass in SendParams. The content type is sniffed from the bytes; a declared type that
// disagrees with an image's real content is refused. The file name is untrusted and only kept for
// display.
func (e *Engine) UploadAttachment(ctx context.Context, workspaceID, userID, name string, r io.Reader) (Attachment, error) {
	if err := e.view(ctx, func(tx Tx) error {
		u, err := tx.GetUser(workspaceID, userID)
		if err != nil {
			return err
		}
		if !u.Active {
			return &ForbiddenError{Action: ActionSend, UserID: userID, Code: DenyUserInactive, Reason: "the user is deactivated"}
		}
		return nil
	}); err != nil {
		return Attachment{}, err
	}
	key, size, ct, err := e.putSniffed(ctx, workspaceID, name, r)
	if err != nil {
		return Attachment{}, err
	}
	kind := MessageFile
	if strings.HasPrefix(ct, "image/") {
		kind = MessageImage
	}
	return Attachment{Kind: kind, Name: SafeDisplayName(name), ContentType: ct, Size: size, BlobKey: key}, nil
}

// putSniffed stores r (an upload or a downloaded medium) in the BlobStore under a content type
// sniffed from its bytes, never a declared one. Past MaxAttachmentBytes the reader fails, so Put
// fails and keeps nothing: the result is a *ValidationError (final), never a truncated copy.
func (e *Engine) putSniffed(ctx context.Context, workspaceID, name string, r io.Reader) (key string, size int64, ct string, err error) {
	head := make([]byte, 512)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", 0, "", err
	}
	head = head[:n]
	if n == 0 {
		return "", 0, "", invalid("the file is empty", "file", ProblemFileEmpty)
	}
	ct = sniffContentType(name, head)
	limited := &cappedReader{r: io.MultiReader(strings.NewReader(string(head)), r), left: e.cfg.MaxAttachmentBytes}
	key, size, err = e.cfg.Blobs.Put(ctx, workspaceID, name, ct, limited)
	if limited.over {
		return "", 0, "", invalid(fmt.Sprintf("the file is larger than %d bytes", e.cfg.MaxAttachmentBytes), "file", ProblemFileTooLarge, "max", strconv.FormatInt(e.cfg.MaxAttachmentBytes, 10))
	}
	return key, size, ct, err
}

// errCapped is what cappedReader returns past its limit.
var errCapped = errors.New("attachment over the size limit")

// cappedReader reads r and fails with errCapped once more than left bytes come out of it (an
// error of r itself, such as the API's own upload limit, goes first).
type cappedReader struct {
	r    io.Reader
	left int64
	over bool
}

func (c *cappedReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		return n, err
	}
	if c.left < 0 {
		c.over = true
		return n, errCapped
	}
	return n, err
}

// sniffContentType trusts the bytes, not the name: the type comes from the content, refined by the
// extension only for document formats the sniffer reports as generic containers.
func sniffContentType(name string, head []byte) string {
	ct := http.DetectContentType(head)
	if i := strings.Index(ct, ";"); i >= 0 {
		ct = ct[:i]
	}
	ext := strings.ToLower(name[strings.LastIndex(name, ".")+1:])
	if ct == "application/zip" || ct == "application/octet-stream" {
		switch ext {
		case "docx":
			return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
		case "xlsx":
			return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		case "doc":
			return "application/msword"
		}
		if t := mime.TypeByExtension("." + ext); t != "" && !strings.HasPrefix(t, "image/") && !strings.HasPrefix(t, "text/html") {
			return t
		}
	}
	return ct
}

// SafeDisplayName keeps an untrusted file name for display: the base name, control characters and
// bidirectional formatting characters (which make "x\u202Efdp.exe" look like "xexe.pdf") removed,
// at most 120 runes. It is still untrusted text (escape it in HTML).
func SafeDisplayName(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return -1
		}
		return r
	}, name)
	if r := []rune(name); len(r) > 120 {
		name = string(r[len(r)-120:])
	}
	if name == "" || name == "." || name == ".." {
		name = "file"
	}
	return name
}
