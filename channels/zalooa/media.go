package zalooa

import (
	"context"
	"fmt"
	"io"
	"net/url"

	"github.com/dakenh/dakenh/omnichannel"
)

// DownloadMedia opens an inbound attachment's RemoteURL (a Zalo CDN URL that is not ours to keep)
// so the engine can copy it into its BlobStore, and returns the body (the caller closes it) and its
// content type (att.ContentType when the CDN sends none). The URLs are public: no token is sent, so
// a URL pointing elsewhere never receives one. Only http(s) URLs are fetched. 5xx and 429 answers
// are retryable; other refusals (an expired URL) are final.
func (c *Channel) DownloadMedia(ctx context.Context, _ *omnichannel.Connection, att omnichannel.Attachment) (io.ReadCloser, string, error) {
	u, err := url.Parse(att.RemoteURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, "", &omnichannel.ValidationError{Problems: []string{"zalooa: the attachment has no http(s) URL"}}
	}
	resp, err := c.http.R().SetContext(ctx).SetDoNotParseResponse(true).Get(u.String())
	if err != nil {
		return nil, "", fmt.Errorf("zalooa: download media: %w", err)
	}
	body := resp.RawBody()
	if resp.StatusCode()/100 != 2 {
		body.Close()
		pe := classify(resp.StatusCode(), resp.Header(), &envelope{})
		pe.Class = nil
		pe.Message = fmt.Sprintf("Zalo's media server answered HTTP %d; the attachment may have expired", resp.StatusCode())
		return nil, "", pe
	}
	ct := resp.Header().Get("Content-Type")
	if ct == "" {
		ct = att.ContentType
	}
	return body, ct, nil
}
