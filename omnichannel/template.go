package omnichannel

import (
	"context"
	"fmt"
	"sort"
	"strings"
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
		return "", &ValidationError{Problems: []string{"template uses unknown variables " + strings.Join(names, ", ")}}
	}
	return b.String(), nil
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
