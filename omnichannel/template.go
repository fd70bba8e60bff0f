package omnichannel

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dakenh/dakenh/model"
)

// TemplateProvider supplies canned replies. The engine's default reads them from the Store; a host
// may serve them from its own CRM instead.
type TemplateProvider interface {
	// ListTemplates returns the templates usable on a channel kind ("" for all).
	ListTemplates(ctx context.Context, workspaceID string, kind Kind) ([]*Template, error)
	// GetTemplate returns one template or an error wrapping ErrNotFound.
	GetTemplate(ctx context.Context, workspaceID, id string) (*Template, error)
}

// Template variables the engine fills in.
const (
	VarCustomerName   = "customer_name"
	VarCustomerPhone  = "customer_phone"
	VarAgentName      = "agent_name"
	VarChannel        = "channel"
	VarConnectionName = "connection_name"
)

// RenderTemplate replaces every {{name}} in body (spaces inside the braces allowed) with vars[name].
// A variable that vars does not define is an error (*ValidationError listing each unknown name);
// a defined variable with an empty value renders as "". Values are inserted verbatim: the result is
// plain text for the composer, never HTML.
func RenderTemplate(body string, vars map[string]string) (string, error) {
	var b strings.Builder
	unknown := map[string]bool{}
	rest := body
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			b.WriteString(rest)
			break
		}
		j := strings.Index(rest[i+2:], "}}")
		if j < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:i])
		name := strings.TrimSpace(rest[i+2 : i+2+j])
		v, ok := vars[name]
		if !ok {
			unknown[name] = true
		}
		b.WriteString(v)
		rest = rest[i+2+j+2:]
	}
	if len(unknown) > 0 {
		names := make([]string, 0, len(unknown))
		for n := range unknown {
			names = append(names, fmt.Sprintf("%q", n))
		}
		sort.Strings(names)
		list := strings.Join(names, ", ")
		return "", invalid("template uses unknown variables "+list, "templateId", ProblemTemplateVariables, "names", list)
	}
	return b.String(), nil
}

// DefaultNeutralCustomerName is what {{customer_name}} renders while the customer's name is not
// known, in workspaces that Config.NeutralCustomerNames does not list.
const DefaultNeutralCustomerName = "anh/chị"

// MaxNeutralNameLength is the longest neutral customer name, in characters.
const MaxNeutralNameLength = 60

// FilledTemplate is a template rendered for one conversation.
type FilledTemplate struct {
	// Text is the text for the composer: plain text, never HTML, with no "{{" left in it.
	Text string
	// Unknown lists, sorted, the variables the template uses whose value is not known:
	// customer_name then rendered the workspace's neutral name (the customer's name is not known
	// yet, or cannot be shown), the others "". The agent should check the text before sending.
	Unknown []string
}

// TemplateFill names what FillTemplate renders: the template, for the conversation, as the viewer
// (who must be able to see it) in the workspace. The fields are named so that two ids cannot be
// given in the wrong order.
type TemplateFill struct {
	WorkspaceID    string
	ViewerID       string
	ConversationID string
	TemplateID     string
}

// FillTemplate renders a template for a conversation the viewer may see. {{customer_name}} is the
// customer's name on the channel, or the workspace's neutral name (Config.NeutralCustomerNames,
// DefaultNeutralCustomerName) while the engine only has the fallback name it made up when the
// customer first wrote; the internal fallback never reaches the text. A template whose rendering
// would keep a "{{" (an unterminated placeholder, a value holding one) is refused with a
// *ValidationError instead.
func (e *Engine) FillTemplate(ctx context.Context, p TemplateFill) (*FilledTemplate, error) {
	workspaceID, viewerID, conversationID, templateID := p.WorkspaceID, p.ViewerID, p.ConversationID, p.TemplateID
	t, err := e.cfg.Templates.GetTemplate(ctx, workspaceID, templateID)
	if err != nil {
		return nil, err
	}
	var vars map[string]string
	err = e.view(ctx, func(tx Tx) error {
		conv, conn, u, err := e.loadForAction(ctx, tx, workspaceID, conversationID, viewerID, ActionView)
		if err != nil {
			return err
		}
		var ident *Identity
		if conv.IdentityID != "" {
			if ident, err = tx.GetIdentity(workspaceID, conv.IdentityID); err != nil && !isNotFound(err) {
				return err
			}
		}
		name := conv.ContactName
		if !customerNameKnown(conv, ident) {
			name = ""
		}
		vars = map[string]string{VarCustomerName: name, VarCustomerPhone: conv.ContactPhone,
			VarAgentName: u.Name, VarChannel: ChannelName(conv.ChannelKind), VarConnectionName: conn.DisplayName}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := &FilledTemplate{}
	for _, name := range []string{VarCustomerName, VarCustomerPhone, VarAgentName, VarChannel, VarConnectionName} {
		if strings.TrimSpace(vars[name]) == "" && usesVariable(t.Body, name) {
			out.Unknown = append(out.Unknown, name)
		}
	}
	sort.Strings(out.Unknown)
	if vars[VarCustomerName] == "" {
		vars[VarCustomerName] = e.neutralCustomerName(workspaceID)
	}
	if out.Text, err = RenderTemplate(t.Body, vars); err != nil {
		return nil, err
	}
	if strings.Contains(out.Text, "{{") {
		return nil, invalid(fmt.Sprintf("template %q would send a \"{{\" to the customer: "+
			"close its placeholders with \"}}\" (or check the names of the agent and the connection)", t.Name),
			"templateId", ProblemTemplateBraces, "name", t.Name)
	}
	return out, nil
}

// customerNameKnown reports whether conv's contact name is the customer's own: not empty, not the
// fallback the engine made from the channel and the provider user id when the customer first wrote
// without a name (ident is conv's identity; nil when it is gone), and not holding "{{" (customer
// text could otherwise put a placeholder into an agent's reply).
func customerNameKnown(conv *Conversation, ident *Identity) bool {
	name := strings.TrimSpace(conv.ContactName)
	if name == "" || strings.Contains(name, "{{") {
		return false
	}
	return ident == nil || name != defaultCustomerName(conv.ChannelKind, ident.ExternalUserID)
}

// neutralCustomerName is what {{customer_name}} renders in the workspace while the name is unknown.
func (e *Engine) neutralCustomerName(workspaceID string) string {
	if n, ok := e.cfg.NeutralCustomerNames[workspaceID]; ok {
		return n
	}
	return DefaultNeutralCustomerName
}

// neutralNames validates Config.NeutralCustomerNames and returns a trimmed copy (the engine keeps
// its own, so a host changing its map later cannot race with renders).
func neutralNames(p *model.ConfigProblems, in map[string]string) map[string]string {
	out := make(map[string]string, len(in))
	const f = "NeutralCustomerNames"
	ids := make([]string, 0, len(in))
	for id := range in {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		v := strings.TrimSpace(in[id])
		switch {
		case strings.TrimSpace(id) == "":
			p.Add(f, ProblemRequired, "Config.NeutralCustomerNames has an empty workspace id")
		case v == "":
			p.Add(f, ProblemRequired, "Config.NeutralCustomerNames[%q] is empty", id)
		case !utf8.ValidString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0:
			p.Add(f, ProblemBadText, "Config.NeutralCustomerNames[%q] must be one line of valid UTF-8 text", id)
		case utf8.RuneCountInString(v) > MaxNeutralNameLength:
			p.Add(f, ProblemTooLong, "Config.NeutralCustomerNames[%q] is longer than %d characters", id, MaxNeutralNameLength)
		case strings.Contains(v, "{{") || strings.Contains(v, "}}"):
			p.Add(f, ProblemTemplateBraces, "Config.NeutralCustomerNames[%q] must not contain \"{{\" or \"}}\"", id)
		default:
			out[id] = v
		}
	}
	return out
}

// placeholderRE matches a template placeholder: a name of letters, digits and underscores in double
// braces, spaces allowed inside.
var placeholderRE = regexp.MustCompile(`\{\{\s*[A-Za-z0-9_]+\s*\}\}`)

// usesVariable reports whether body holds a placeholder of the variable name.
func usesVariable(body, name string) bool {
	for _, m := range placeholderRE.FindAllString(body, -1) {
		if strings.TrimSpace(m[2:len(m)-2]) == name {
			return true
		}
	}
	return false
}

// leftoverPlaceholder returns the first template placeholder in text ("{{customer_name}}"), "" when
// there is none.
func leftoverPlaceholder(text string) string {
	return placeholderRE.FindString(text)
}

// storeTemplates is the default TemplateProvider.
type storeTemplates struct{ store Store }

func (s storeTemplates) ListTemplates(ctx context.Context, workspaceID string, kind Kind) ([]*Template, error) {
	var out []*Template
	err := s.store.View(ctx, func(tx Tx) error {
		all, err := tx.ListTemplates(workspaceID)
		for _, t := range all {
			if kind == "" || len(t.ChannelKinds) == 0 || containsKind(t.ChannelKinds, kind) {
				out = append(out, t)
			}
		}
		return err
	})
	return out, err
}

func (s storeTemplates) GetTemplate(ctx context.Context, workspaceID, id string) (*Template, error) {
	var t *Template
	err := s.store.View(ctx, func(tx Tx) (err error) {
		t, err = tx.GetTemplate(workspaceID, id)
		return err
	})
	return t, err
}

func containsKind(ks []Kind, k Kind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

// channelNames are the names customers know the channels by.
var channelNames = map[Kind]string{"tiktok": "TikTok", "zalo": "Zalo", "messenger": "Messenger", "facebook": "Facebook",
	"instagram": "Instagram", "whatsapp": "WhatsApp", "telegram": "Telegram"}

// ChannelName is the name a customer knows the channel of kind by (the {{channel}} of templates):
// "TikTok" for tiktok, "Zalo" for zalo; another kind with its first letter in upper case.
func ChannelName(kind Kind) string {
	if n, ok := channelNames[kind]; ok {
		return n
	}
	r := []rune(string(kind))
	if len(r) == 0 {
		return ""
	}
	return strings.ToUpper(string(r[0])) + string(r[1:])
}
