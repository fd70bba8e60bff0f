package meta

import (
	"context"
	"fmt"
	"io"

	"github.com/dakenh/dakenh/omnichannel"
)

// DownloadMedia opens an inbound attachment's RemoteURL (a Meta CDN URL that expires) so the
// engine can copy it. The URL came in a webhook: it is fetched through Config.MediaClient
// (package guardedfetch: http(s), public addresses only, few redirects, a deadline, a size cap),
// without any token, so a URL pointing elsewhere receives nothing. Refusals match
// guardedfetch.ErrRefused and are final; 5xx and 429 are retryable; other statuses (an expired
// URL) are final. Errors carry the URL redacted.
func (c *Channel) DownloadMedia(ctx context.Context, _ *omnichannel.Connection, att omnichannel.Attachment) (io.ReadCloser, string, error) {
	if att.RemoteURL == "" {
		return nil, "", &omnichannel.ValidationError{Problems: []string{"meta: the attachment has no URL"}}
	}
	resp, err := c.cfg.MediaClient.Get(ctx, att.RemoteURL)
	if err != nil {
		return nil, "", fmt.Errorf("meta: download media: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		resp.Body.Close()
		return nil, "", &omnichannel.ProviderError{Provider: c.kind, Code: fmt.Sprintf("http_%d", resp.StatusCode),
			Retryable: resp.StatusCode >= 500 || resp.StatusCode == 429,
			Message:   fmt.Sprintf("Meta's media server answered HTTP %d; the attachment may have expired", resp.StatusCode)}
	}
	ct := resp.Header.Get("Content-Type")
	if ct == "" {
		ct = att.ContentType
	}
	return resp.Body, ct, nil
}
