package meta

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/dakenh/dakenh/omnichannel"
)

// EnsureSubscribed checks that the app is still subscribed to the Page's webhooks (GET
// /{page-id}/subscribed_apps) and subscribes it again when it is not: Meta unsubscribes a Page
// after about an hour of failed deliveries. It reports whether it had to
// re-subscribe. The engine has no periodic hook for adapters, so the host calls it on a schedule
// (every few hours per connection is plenty); errors are classified like Send's.
func (c *Channel) EnsureSubscribed(ctx context.Context, conn *omnichannel.Connection) (bool, error) {
	token, err := c.pageToken(conn)
	if err != nil {
		return false, err
	}
	page := c.pageID(conn)
	data, err := c.call(ctx, graphRequest{method: http.MethodGet, path: "/" + page + "/subscribed_apps", token: token})
	if err != nil {
		return false, err
	}
	var res struct {
		Data []struct {
			ID               flexString `json:"id"`
			SubscribedFields []string   `json:"subscribed_fields"`
		} `json:"data"`
	}
	if err := json.Unmarshal(data, &res); err != nil {
		return false, &omnichannel.ProviderError{Provider: c.kind, Code: "bad_response", Message: "undecodable subscription list"}
	}
	for _, app := range res.Data {
		if string(app.ID) == c.cfg.AppID && strings.Contains(","+strings.Join(app.SubscribedFields, ",")+",", ",messages,") {
			return false, nil
		}
	}
	c.log.Warn("meta: the app was unsubscribed from a Page; subscribing again", "kind", string(c.kind), "connection", conn.ID)
	return true, c.subscribe(ctx, page, token)
}
