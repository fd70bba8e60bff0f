package meta

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/dakenh/dakenh/omnichannel"
)

// maxAvatarBytes caps a copied profile picture.
const maxAvatarBytes = 256 << 10

// FetchProfile reads the customer's name and picture: Messenger GET /{PSID}?fields=name,
// first_name,last_name,profile_pic; Instagram GET /{IGSID}?fields=name,username,profile_pic. The picture's URL expires within days, so it is copied: fetched through
// Config.MediaClient (guardedfetch: public addresses only, no token sent), at most 256 KB, kept
// only when its bytes are an image, and returned as a data: URL in AvatarURL; a picture that
// cannot be copied is left out. A person without a profile (error 2018218) or who has not
// consented yet (Instagram) yields an empty profile, not an error.
func (c *Channel) FetchProfile(ctx context.Context, conn *omnichannel.Connection, externalUserID string) (*omnichannel.Profile, error) {
	token, err := c.pageToken(conn)
	if err != nil {
		return nil, err
	}
	if externalUserID == "" || strings.ContainsAny(externalUserID, "/?#") {
		return nil, &omnichannel.ValidationError{Problems: []string{"meta: invalid user id"}}
	}
	fields := "name,first_name,last_name,profile_pic"
	if c.instagram() {
		fields = "name,username,profile_pic"
	}
	data, err := c.call(ctx, graphRequest{method: http.MethodGet, path: "/" + url.PathEscape(externalUserID), token: token,
		query: url.Values{"fields": {fields}}})
	if err != nil {
		var pe *omnichannel.ProviderError
		if errors.As(err, &pe) && (strings.HasSuffix(pe.Code, "/2018218") || strings.Contains(strings.ToLower(pe.Message), "consent")) {
			return &omnichannel.Profile{ExternalUserID: externalUserID}, nil
		}
		return nil, err
	}
	var u struct {
		Name       string `json:"name"`
		FirstName  string `json:"first_name"`
		LastName   string `json:"last_name"`
		Username   string `json:"username"`
		ProfilePic string `json:"profile_pic"`
	}
	if err := json.Unmarshal(data, &u); err != nil {
		return nil, &omnichannel.ProviderError{Provider: c.kind, Code: "bad_response", Message: "undecodable profile"}
	}
	name := firstNonEmpty(u.Name, strings.TrimSpace(u.FirstName+" "+u.LastName))
	p := &omnichannel.Profile{ExternalUserID: externalUserID, DisplayName: name}
	if u.Username != "" {
		p.DisplayName = firstNonEmpty(name, "@"+u.Username)
		p.Attributes = map[string]string{"instagram_username": u.Username}
	}
	if u.ProfilePic != "" {
		p.AvatarURL = c.copyPicture(ctx, u.ProfilePic)
	}
	return p, nil
}

// copyPicture fetches an expiring picture URL through the guarded client and returns it as a
// data: URL, or "" when it cannot be copied.
func (c *Channel) copyPicture(ctx context.Context, raw string) string {
	resp, err := c.cfg.MediaClient.Get(ctx, raw)
	if err != nil {
		c.log.Info("meta: profile picture not copied", "kind", string(c.kind), "err", err)
		return ""
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return ""
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAvatarBytes+1))
	if err != nil || len(data) == 0 || len(data) > maxAvatarBytes {
		return ""
	}
	ct := http.DetectContentType(data)
	switch ct {
	case "image/jpeg", "image/png", "image/gif", "image/webp":
	default:
		return ""
	}
	return "data:" + ct + ";base64," + base64.StdEncoding.EncodeToString(data)
}
