package tiktok

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/dakenh/dakenh/guardedfetch"
	"github.com/dakenh/dakenh/omnichannel"
)

// DownloadMedia copies an inbound image or video, or a sticker or emoji image. Stickers and emoji
// carry a plain https URL, fetched through Config.MediaClient without the token. Otherwise
// att.RemoteURL is the opaque locator
// ParseWebhook made; DownloadMedia posts {business_id, conversation_id, message_id, media_id,
// media_type} to /business/message/media/download/, then GETs the download_url it returns (valid
// 24 h) with the header "x-user: <access token>" (documented by the provider). The token is sent
// only over https, or to the API's own host, so a link elsewhere never receives it (nor does a
// redirect to another origin). The download_url is fetched through Config.MediaClient (package
// guardedfetch): http(s) only, public addresses only, at most 3 redirects, a deadline, and a body
// past the limit fails with guardedfetch.ErrTooLarge; refusals match guardedfetch.ErrRefused and
// are final. The caller closes the reader. Failures are classified like Send's; errors carry the
// URL redacted.
func (c *Channel) DownloadMedia(ctx context.Context, conn *omnichannel.Connection, att omnichannel.Attachment) (io.ReadCloser, string, error) {
	token, err := accessToken(conn)
	if err != nil {
		return nil, "", err
	}
	convID, msgID, mediaID, mediaType, ok := parseMediaLocator(att.RemoteURL)
	if !ok {
		if strings.HasPrefix(att.RemoteURL, "https://") || strings.HasPrefix(att.RemoteURL, "http://") {
			return c.downloadPublic(ctx, att)
		}
		return nil, "", &omnichannel.ValidationError{Problems: []string{"tiktok: the attachment is not a TikTok medium"}}
	}
	data, err := c.call(ctx, apiRequest{method: http.MethodPost, path: "/business/message/media/download/", token: token,
		json: map[string]string{"business_id": conn.ExternalID, "conversation_id": convID, "message_id": msgID,
			"media_id": mediaID, "media_type": mediaType}})
	if err != nil {
		return nil, "", err
	}
	var dl struct {
		DownloadURL string `json:"download_url"`
	}
	if err := json.Unmarshal(data, &dl); err != nil || dl.DownloadURL == "" {
		return nil, "", &omnichannel.ProviderError{Provider: Kind, Code: "bad_response", Message: "TikTok returned no download_url"}
	}
	u, err := url.Parse(dl.DownloadURL)
	if err != nil {
		return nil, "", fmt.Errorf("tiktok: download media: %w: %s", guardedfetch.ErrScheme, guardedfetch.Redact(dl.DownloadURL))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, "", fmt.Errorf("tiktok: download media: %w: %s", guardedfetch.ErrScheme, guardedfetch.Redact(dl.DownloadURL))
	}
	if u.Scheme == "https" || strings.EqualFold(u.Host, c.apiURL.Host) {
		req.Header.Set("x-user", token)
	}
	resp, err := c.media.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("tiktok: download media: %w", c.scrub(stripURL(err), token))
	}
	if resp.StatusCode/100 != 2 {
		resp.Body.Close()
		return nil, "", c.classify(resp.StatusCode, 0, "", token)
	}
	ct := resp.Header.Get("Content-Type")
	if ct == "" {
		ct = att.ContentType
	}
	return resp.Body, ct, nil
}

// downloadPublic fetches a sticker or emoji image by the URL its message carried,
// through Config.MediaClient and without the access token: the URL comes from a customer's
// message.
func (c *Channel) downloadPublic(ctx context.Context, att omnichannel.Attachment) (io.ReadCloser, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, att.RemoteURL, nil)
	if err != nil {
		return nil, "", fmt.Errorf("tiktok: download media: %w: %s", guardedfetch.ErrScheme, guardedfetch.Redact(att.RemoteURL))
	}
	resp, err := c.media.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("tiktok: download media: %w", stripURL(err))
	}
	if resp.StatusCode/100 != 2 {
		resp.Body.Close()
		return nil, "", c.classify(resp.StatusCode, 0, "", "")
	}
	return resp.Body, resp.Header.Get("Content-Type"), nil
}

// stripURL drops the URL from a *url.Error: signed download links are credentials too.
func stripURL(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return fmt.Errorf("%s media: %w", strings.ToLower(ue.Op), ue.Err)
	}
	return err
}
