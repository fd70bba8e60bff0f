package main

import (
	"github.com/dakenh/dakenh/channels/meta"
	"github.com/dakenh/dakenh/channels/tiktok"
	"github.com/dakenh/dakenh/channels/zalooa"
	"github.com/dakenh/dakenh/omnichannel"
)

// Channel kinds of the inbox.
const (
	kindZalo      = zalooa.Kind
	kindTikTok    = tiktok.Kind
	kindMessenger = meta.KindMessenger
	kindInstagram = meta.KindInstagram
)

// buildChannels returns the channel adapters, and in demo mode the emulators they talk to. This is
// the one place that picks adapters: the real providers for the credentials given, the in-process
// emulators when none is given.
func buildChannels(o Options) ([]omnichannel.Channel, []emulator, error) {
	if !o.Demo() {
		return realChannels(o)
	}
	var emus []emulator
	tt, err := newTikTokEmulator()
	if err != nil {
		return nil, nil, err
	}
	emus = append(emus, tt)
	z, err := newZaloEmulator()
	if err != nil {
		return nil, emus, err
	}
	emus = append(emus, z)
	msgr, ig, err := newMetaEmulators()
	if err != nil {
		return nil, emus, err
	}
	emus = append(emus, msgr, ig)
	chans := make([]omnichannel.Channel, len(emus))
	for i, e := range emus {
		chans[i] = e.Adapter()
	}
	return chans, emus, nil
}

// realChannels builds the adapters of the providers whose credentials are given, at the providers'
// own addresses unless o.Endpoints names others.
func realChannels(o Options) ([]omnichannel.Channel, []emulator, error) {
	var chans []omnichannel.Channel
	if o.Zalo.set() {
		z, err := zalooa.New(zalooa.Config{AppID: o.Zalo.AppID, AppSecret: o.Zalo.AppSecret, OASecretKey: o.Zalo.OASecretKey,
			OAuthBaseURL: o.Endpoints.ZaloOAuthURL, APIBaseURL: o.Endpoints.ZaloAPIURL})
		if err != nil {
			return nil, nil, err
		}
		chans = append(chans, z)
	}
	if o.TikTok.set() {
		t, err := tiktok.New(tiktok.Config{ClientKey: o.TikTok.ClientKey, ClientSecret: o.TikTok.ClientSecret,
			APIBaseURL: o.Endpoints.TikTokAPIURL, AuthorizeURL: o.Endpoints.TikTokAuthorizeURL})
		if err != nil {
			return nil, nil, err
		}
		chans = append(chans, t)
	}
	if o.Meta.set() {
		m, ig, err := meta.NewPair(meta.Config{AppID: o.Meta.AppID, AppSecret: o.Meta.AppSecret, VerifyToken: o.Meta.VerifyToken,
			ConfigID: o.Meta.ConfigID, HumanAgent: o.Meta.HumanAgent, GraphBaseURL: o.Endpoints.MetaGraphURL, DialogBaseURL: o.Endpoints.MetaDialogURL})
		if err != nil {
			return nil, nil, err
		}
		chans = append(chans, m, ig)
	}
	return chans, nil, nil
}
