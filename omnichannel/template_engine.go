package omnichannel

import "context"

// Templates lists the canned replies usable in a conversation's channel.
func (e *Engine) Templates(ctx context.Context, workspaceID string, kind Kind) ([]*Template, error) {
	return e.cfg.Templates.ListTemplates(ctx, workspaceID, kind)
}

// RenderTemplateFor fills a template's variables for a conversation (customer name and phone, agent
// name, channel, connection name) and returns the text to put in the composer. It is
// FillTemplate's text.
func (e *Engine) RenderTemplateFor(ctx context.Context, p TemplateFill) (string, error) {
	f, err := e.FillTemplate(ctx, p)
	if err != nil {
		return "", err
	}
	return f.Text, nil
}
