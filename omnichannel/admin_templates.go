package omnichannel

import (
	"context"
	"fmt"
	"strings"
)

// MaxTemplateBodyLength is the longest template body, in characters.
const MaxTemplateBodyLength = 4000

// templateVariables are the variables a template may use (see FillTemplate).
var templateVariables = map[string]string{VarCustomerName: "x", VarCustomerPhone: "x", VarAgentName: "x",
	VarChannel: "x", VarConnectionName: "x"}

// SaveTemplate creates or replaces a canned reply (an empty ID gets a new one). Problems (no
// workspace, name or body, a body over MaxTemplateBodyLength, unknown {{variables}}, a channel kind
// the engine has no adapter for) are reported together. It emits EventTemplateSaved.
func (e *Engine) SaveTemplate(ctx context.Context, actorID string, t Template) (*Template, error) {
	var p problems
	checkWorkspaceID(&p, "a template", t.WorkspaceID)
	t.Name = strings.TrimSpace(t.Name)
	checkName(&p, "a template", t.Name)
	switch {
	case strings.TrimSpace(t.Body) == "":
		p.add("a template needs a body", "body", ProblemRequired)
	case len([]rune(t.Body)) > MaxTemplateBodyLength:
		p.add("the template body is too long", "body", ProblemTooLong, "max", fmt.Sprint(MaxTemplateBodyLength))
	default:
		if _, err := RenderTemplate(t.Body, templateVariables); err != nil {
			for i, d := range ProblemsOf(err) {
				d.Field = "body"
				p.texts = append(p.texts, errText(err, i))
				p.details = append(p.details, d)
			}
		}
	}
	for _, k := range t.ChannelKinds {
		if e.channels[k] == nil {
			p.add(fmt.Sprintf("unknown channel kind %q", k), "channelKinds", ProblemUnknown, "id", string(k))
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	if t.ID == "" {
		t.ID = newID()
	}
	err := e.admin(ctx, t.WorkspaceID, actorID, func(tx Tx, ch *change) error {
		ch.emit(Event{Kind: EventTemplateSaved, WorkspaceID: t.WorkspaceID, RecordID: t.ID, At: e.now()})
		return tx.PutTemplate(&t)
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// errText is the i-th problem text of a ValidationError (its Error() when it has none).
func errText(err error, i int) string {
	if ve, ok := err.(*ValidationError); ok && i < len(ve.Problems) {
		return ve.Problems[i]
	}
	return err.Error()
}

// DeleteTemplate removes a template; an unknown one is ErrNotFound. It emits EventTemplateDeleted.
func (e *Engine) DeleteTemplate(ctx context.Context, workspaceID, actorID, templateID string) error {
	return e.admin(ctx, workspaceID, actorID, func(tx Tx, ch *change) error {
		ch.emit(Event{Kind: EventTemplateDeleted, WorkspaceID: workspaceID, RecordID: templateID, At: e.now()})
		return tx.DeleteTemplate(workspaceID, templateID)
	})
}
