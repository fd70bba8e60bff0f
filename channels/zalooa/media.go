package zalooa

import (
	"context"
	"fmt"
	"io"

	"github.com/dakenh/dakenh/omnichannel"
)

// DownloadMedia opens an inbound attachment's RemoteURL (a Zalo CDN URL that is not ours to keep)
// so the engine can copy it into its BlobStore, and returns the body (the caller closes it) and its
// content type (att.ContentType when the CDN sends none). The URL came in a webhook, so it is
// fetched through Config.MediaClient (package guardedfetch): http(s) only, public addresses only,
// at most 3 redirects, a deadline, and a body past the limit fails with guardedfetch.ErrTooLarge.
// Refusals match guardedfetch.ErrRefused and are final. The URLs are public: no token is sent, so a
// URL pointing elsewhere never receives one. Errors carry the URL redacted (scheme and host). 5xx
// and 429 answers are retryable; other refusals (an expired URL) are final.
func (c *Channel) DownloadMedia(ctx context.Context, _ *omnichannel.Connection, att omnichannel.Attachment) (io.ReadCloser, string, error) {
	resp, err := c.cfg.MediaClient.Get(ctx, att.RemoteURL)
	if err != nil {
		return nil, "", fmt.Errorf("zalooa: download media: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		resp.Body.Close()
		pe := classify(resp.StatusCode, resp.Header, &envelope{})
		pe.Class = nil
		pe.Message = fmt.Sprintf("Zalo's media server answered HTTP %d; the attachment may have expired", resp.StatusCode)
		return nil, "", pe
	}
	ct := resp.Header.Get("Content-Type")
	if ct == "" {
		ct = att.ContentType
	}
	return resp.Body, ct, nil
}
