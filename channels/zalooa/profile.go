package zalooa

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/dakenh/dakenh/omnichannel"
)

const userDetailPath = "/v3.0/oa/user/detail"

// userDetail is /v3.0/oa/user/detail's data (the fields the adapter uses).
type userDetail struct {
	UserID      flexString        `json:"user_id"`
	DisplayName string            `json:"display_name"`
	Avatar      string            `json:"avatar"`
	Avatars     map[string]string `json:"avatars"`
	IsFollower  *bool             `json:"user_is_follower"`
	SharedInfo  *struct {
		Name    string     `json:"name"`
		Phone   flexString `json:"phone"`
		Address string     `json:"address"`
		City    string     `json:"city"`
	} `json:"shared_info"`
}

// FetchProfile looks a user up with GET {APIBaseURL}/v3.0/oa/user/detail?data={"user_id":"…"}:
// display name, avatar (the 240 px one when given), follower state and the phone the user shared
// with the OA, if any. Errors are classified like Send's.
func (c *Channel) FetchProfile(ctx context.Context, conn *omnichannel.Connection, externalUserID string) (*omnichannel.Profile, error) {
	token, err := accessToken(conn)
	if err != nil {
		return nil, err
	}
	if externalUserID == "" {
		return nil, &omnichannel.ValidationError{Problems: []string{"zalooa: empty user id"}}
	}
	q, _ := json.Marshal(map[string]string{"user_id": externalUserID})
	data, err := c.apiCall(ctx, request{method: http.MethodGet, url: c.apiBase + userDetailPath, op: "user detail",
		token: token, query: map[string]string{"data": string(q)}})
	if err != nil {
		return nil, err
	}
	var u userDetail
	if err := json.Unmarshal(data, &u); err != nil {
		return nil, badResponse("user detail", http.StatusOK)
	}
	p := &omnichannel.Profile{
		ExternalUserID: first(string(u.UserID), externalUserID),
		DisplayName:    clean(u.DisplayName, 120, nil),
		AvatarURL:      first(u.Avatars["240"], u.Avatar, u.Avatars["120"]),
		Follower:       u.IsFollower,
	}
	if s := u.SharedInfo; s != nil {
		p.Phone = strings.TrimSpace(string(s.Phone))
		attrs := map[string]string{}
		for k, v := range map[string]string{"shared_name": s.Name, "address": s.Address, "city": s.City} {
			if v = clean(v, 200, nil); v != "" {
				attrs[k] = v
			}
		}
		if len(attrs) > 0 {
			p.Attributes = attrs
		}
	}
	return p, nil
}
