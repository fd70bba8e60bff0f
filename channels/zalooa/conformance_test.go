package zalooa_test

import (
	"github.com/dakenh/dakenh/internal/testlog"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/channeltest"
	"github.com/dakenh/dakenh/channels/zalooa"
	"github.com/dakenh/dakenh/channels/zalooa/zalotest"
	"github.com/dakenh/dakenh/omnichannel"
)

// testlog.Buffer is a log sink safe for concurrent writers.
// newEmulator starts a zalotest server with the fixtures' app and OA ids.
func newEmulator(t *testing.T, o zalotest.Options) *zalotest.Server {
	t.Helper()
	o.AppID, o.OAID = fxApp, fxOA
	s := zalotest.New(o)
	t.Cleanup(s.Close)
	return s
}

// newChannel returns an adapter talking to s that logs (at debug level) into logs.
func newChannel(t *testing.T, s *zalotest.Server, logs *testlog.Buffer, tweak ...func(*zalooa.Config)) *zalooa.Channel {
	t.Helper()
	cfg := s.Config()
	if logs != nil {
		cfg.Logger = logs.Logger()
	}
	for _, f := range tweak {
		f(&cfg)
	}
	ch, err := zalooa.New(cfg)
	require.NoError(t, err)
	return ch
}

func TestConformance(t *testing.T) {
	s := newEmulator(t, zalotest.Options{})
	logs := &testlog.Buffer{}
	ch := newChannel(t, s, logs)
	s.AddUser(zalotest.User{ID: fxUser, Name: "Nguyễn Thị Lan", Avatar: "https://s240-ava-talk.zadn.vn/a.jpg"})
	png := []byte("\x89PNG\r\n\x1a\nzalotest-image")
	imageURL := s.ServeMedia("a.png", "image/png", png)
	now := time.Now()

	channeltest.Run(t, channeltest.Harness{
		Channel: ch,
		Conn:    s.Connection(),
		Sign: func(body []byte) http.Header {
			return http.Header{zalooa.SignatureHeader: {s.Sign(body)}}
		},
		SignWrongKey: func(body []byte) http.Header {
			return http.Header{zalooa.SignatureHeader: {s.SignWithKey("another-oa-secret-key", body)}}
		},
		SignAt: func(body []byte, at time.Time) (http.Header, []byte) {
			b := zalotest.WithTimestamp(body, at)
			return http.Header{zalooa.SignatureHeader: {s.Sign(b)}}, b
		},
		Window:       zalooa.DefaultWebhookMaxAge,
		Fixtures:     fixtures(now),
		Malformed:    malformed(now),
		UnknownEvent: s.Build(zalotest.Event{EventName: "user_feedback", Sender: &zalotest.Party{ID: fxUser}, Recipient: &zalotest.Party{ID: fxOA}}),
		Recipient:    fxUser,
		SentCount:    func() int { return len(s.Sent()) },
		Fault: func(k channeltest.FaultKind) bool {
			switch k {
			case channeltest.FaultRateLimit:
				s.FailNext(zalotest.PathSend, zalotest.RateLimited())
			case channeltest.FaultServerError:
				s.FailNext(zalotest.PathSend, zalotest.ServerError())
			case channeltest.FaultTokenExpired:
				s.FailNext(zalotest.PathSend, zalotest.TokenExpired())
			case channeltest.FaultWindowClosed:
				s.FailNext(zalotest.PathSend, zalotest.OutsideWindow())
			default:
				return false
			}
			return true
		},
		KnownUserID: fxUser,
		Media: []channeltest.Media{{Attachment: omnichannel.Attachment{Kind: omnichannel.MessageImage, RemoteURL: imageURL},
			Content: png, ContentType: "image/png"}},
		Consent:          s.Consent,
		SingleUseRefresh: true,
		Secrets:          []string{s.AppSecret(), s.OASecretKey()},
		Logs:             logs.String,
	})
}
