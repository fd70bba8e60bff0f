package zalooa_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/zalooa"
	"github.com/dakenh/dakenh/channels/zalooa/zalotest"
	oc "github.com/dakenh/dakenh/omnichannel"
)

func attachment(kind oc.MessageType, name, ctype string, data []byte) oc.OutboundAttachment {
	return oc.OutboundAttachment{Kind: kind, Name: name, ContentType: ctype, Size: int64(len(data)),
		Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
}

// uploadedFile decodes the multipart upload of r: the "file" part's name, type and content.
func uploadedFile(t *testing.T, r zalotest.Request) (name, ctype string, data []byte) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	require.NoError(t, err)
	require.Equal(t, "multipart/form-data", mt)
	part, err := multipart.NewReader(bytes.NewReader(r.Body), params["boundary"]).NextPart()
	require.NoError(t, err)
	require.Equal(t, "file", part.FormName())
	data, _ = io.ReadAll(part)
	return part.FileName(), part.Header.Get("Content-Type"), data
}

var (
	jpegBytes = append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), bytes.Repeat([]byte{1}, 64)...)
	// A GIF header of a 320×240 animation (logical screen width and height, little endian).
	gifBytes = []byte("GIF89a\x40\x01\xf0\x00\x00\x00\x00;")
	pdfBytes = []byte("%PDF-1.4 báo giá")
)

// Each kind of send makes exactly the documented requests.
func TestSendRequests(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name     string
		opt      zalotest.Options
		msg      oc.OutboundMessage
		upload   string // upload path, "" for none
		wantFile string // upload file name
		wantBody string // with {ID} for the upload's reference
	}{
		{name: "text", msg: oc.OutboundMessage{RecipientID: fxUser, Text: `Dạ "còn" ạ <b>&</b>`},
			wantBody: `{"recipient":{"user_id":"` + fxUser + `"},"message":{"text":"Dạ \"còn\" ạ <b>&</b>"}}`},
		{name: "quote", msg: oc.OutboundMessage{RecipientID: fxUser, Text: "vâng", QuoteProviderMessageID: "in-7"},
			wantBody: `{"recipient":{"user_id":"` + fxUser + `"},"message":{"text":"vâng","quote_message_id":"in-7"}}`},
		{name: "image with caption", msg: oc.OutboundMessage{RecipientID: fxUser, Text: "mẫu mới",
			Attachments: []oc.OutboundAttachment{attachment(oc.MessageImage, "ao thun", "image/jpeg", jpegBytes)}},
			upload: zalotest.PathUploadImage, wantFile: "ao thun.jpg",
			wantBody: `{"recipient":{"user_id":"` + fxUser + `"},"message":{"text":"mẫu mới","attachment":{"type":"template","payload":{"template_type":"media","elements":[{"media_type":"image","attachment_id":"{ID}"}]}}}}`},
		{name: "gif", msg: oc.OutboundMessage{RecipientID: fxUser,
			Attachments: []oc.OutboundAttachment{attachment(oc.MessageImage, "vui.gif", "image/gif", gifBytes)}},
			upload: zalotest.PathUploadGIF, wantFile: "vui.gif",
			wantBody: `{"recipient":{"user_id":"` + fxUser + `"},"message":{"attachment":{"type":"template","payload":{"template_type":"media","elements":[{"media_type":"gif","attachment_id":"{ID}","width":320,"height":240}]}}}}`},
		{name: "file by token", msg: oc.OutboundMessage{RecipientID: fxUser,
			Attachments: []oc.OutboundAttachment{attachment(oc.MessageFile, "../bao-gia.pdf", "application/pdf", pdfBytes)}},
			upload: zalotest.PathUploadFile, wantFile: "bao-gia.pdf",
			wantBody: `{"recipient":{"user_id":"` + fxUser + `"},"message":{"attachment":{"type":"file","payload":{"token":"{ID}"}}}}`},
		{name: "file upload answering attachment_id (uncertain form)", opt: zalotest.Options{FileUploadAttachmentID: true},
			msg: oc.OutboundMessage{RecipientID: fxUser,
				Attachments: []oc.OutboundAttachment{attachment(oc.MessageFile, "hop-dong.docx",
					"application/vnd.openxmlformats-officedocument.wordprocessingml.document", []byte("PK\x03\x04docx"))}},
			upload: zalotest.PathUploadFile, wantFile: "hop-dong.docx",
			wantBody: `{"recipient":{"user_id":"` + fxUser + `"},"message":{"attachment":{"type":"file","payload":{"token":"{ID}"}}}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newEmulator(t, tc.opt)
			ch := newChannel(t, s, nil)
			conn := s.Connection()
			res, err := ch.Send(ctx, conn, &tc.msg)
			require.NoError(t, err)
			assert.Equal(t, oc.MessageSent, res.Status)
			reqs := s.Requests()
			want := 1
			ref := ""
			if tc.upload != "" {
				want = 2
				up := reqs[0]
				assert.Equal(t, tc.upload, up.Path)
				assert.Equal(t, conn.Credentials.AccessToken, up.Header.Get("access_token"))
				name, ctype, data := uploadedFile(t, up)
				assert.Equal(t, tc.wantFile, name)
				assert.Equal(t, tc.msg.Attachments[0].ContentType, ctype)
				ups := s.Uploads()
				require.Len(t, ups, 1)
				assert.Equal(t, ups[0].Data, data)
				ref = ups[0].Ref
			}
			require.Len(t, reqs, want)
			send := reqs[want-1]
			assert.Equal(t, zalotest.PathSend, send.Path)
			assert.Equal(t, conn.Credentials.AccessToken, send.Header.Get("access_token"))
			assert.Equal(t, "application/json", send.Header.Get("Content-Type"))
			assert.Empty(t, send.Header.Get("Authorization"))
			assert.Empty(t, send.Header.Get("appsecret_proof"))
			assert.Equal(t, strings.ReplaceAll(tc.wantBody, "{ID}", ref), string(send.Body))
			sent := s.Sent()
			require.Len(t, sent, 1)
			assert.Equal(t, sent[0].ID, res.ProviderMessageID)
		})
	}
}

func TestSendImageURL(t *testing.T) {
	s := newEmulator(t, zalotest.Options{})
	ch := newChannel(t, s, nil)
	conn := s.Connection()
	res, err := ch.SendImageURL(context.Background(), conn, fxUser, "https://cdn.shop.vn/ao.jpg", "mẫu")
	require.NoError(t, err)
	assert.NotEmpty(t, res.ProviderMessageID)
	reqs := s.RequestsTo(zalotest.PathSend)
	require.Len(t, reqs, 1)
	assert.Equal(t, `{"recipient":{"user_id":"`+fxUser+`"},"message":{"text":"mẫu","attachment":{"type":"template","payload":{"template_type":"media","elements":[{"media_type":"image","url":"https://cdn.shop.vn/ao.jpg"}]}}}}`, string(reqs[0].Body))
	_, err = ch.SendImageURL(context.Background(), conn, fxUser, "file:///etc/passwd", "")
	assert.ErrorIs(t, err, oc.ErrInvalid)
}

// With AppSecretProof the emulator checks the appsecret_proof header (a wrong one answers -242).
func TestAppSecretProof(t *testing.T) {
	s := newEmulator(t, zalotest.Options{})
	ch := newChannel(t, s, nil, func(c *zalooa.Config) { c.AppSecretProof = true })
	conn := s.Connection()
	_, err := ch.Send(context.Background(), conn, &oc.OutboundMessage{RecipientID: fxUser, Text: "hi"})
	require.NoError(t, err)
	assert.Equal(t, zalooa.AppSecretProof(s.AppSecret(), conn.Credentials.AccessToken), s.RequestsTo(zalotest.PathSend)[0].Header.Get("appsecret_proof"))

	wrong := newChannel(t, s, nil, func(c *zalooa.Config) { c.AppSecretProof, c.AppSecret = true, "not-the-app-secret" })
	_, err = wrong.Send(context.Background(), conn, &oc.OutboundMessage{RecipientID: fxUser, Text: "hi"})
	var pe *oc.ProviderError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "-242", pe.Code)
}

// What Zalo would refuse is refused without a network call.
func TestSendValidation(t *testing.T) {
	s := newEmulator(t, zalotest.Options{})
	ch := newChannel(t, s, nil)
	conn := s.Connection()
	cases := map[string]oc.OutboundMessage{
		"text over 2000 characters": {RecipientID: fxUser, Text: strings.Repeat("ấ", 2001)},
		"no recipient":              {Text: "hi"},
		"empty":                     {RecipientID: fxUser, Text: "  "},
		"file with text":            {RecipientID: fxUser, Text: "kèm file", Attachments: []oc.OutboundAttachment{attachment(oc.MessageFile, "a.pdf", "application/pdf", pdfBytes)}},
		"spreadsheet":               {RecipientID: fxUser, Attachments: []oc.OutboundAttachment{attachment(oc.MessageFile, "a.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", []byte("PK"))}},
		"webp image":                {RecipientID: fxUser, Attachments: []oc.OutboundAttachment{attachment(oc.MessageImage, "a.webp", "image/webp", []byte("RIFF"))}},
		"image over 1 MB":           {RecipientID: fxUser, Attachments: []oc.OutboundAttachment{attachment(oc.MessageImage, "a.jpg", "image/jpeg", make([]byte, zalooa.MaxImageBytes+1))}},
		"two attachments": {RecipientID: fxUser, Attachments: []oc.OutboundAttachment{attachment(oc.MessageImage, "a.jpg", "image/jpeg", jpegBytes),
			attachment(oc.MessageImage, "b.jpg", "image/jpeg", jpegBytes)}},
		"video": {RecipientID: fxUser, Attachments: []oc.OutboundAttachment{attachment(oc.MessageVideo, "a.mp4", "video/mp4", []byte("x"))}},
	}
	for name, msg := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ch.Send(context.Background(), conn, &msg)
			assert.ErrorIs(t, err, oc.ErrInvalid)
			assert.False(t, oc.IsRetryable(err))
		})
	}
	// A content larger than its declared size is caught while reading it.
	lying := attachment(oc.MessageImage, "a.jpg", "image/jpeg", make([]byte, zalooa.MaxImageBytes+10))
	lying.Size = 10
	_, err := ch.Send(context.Background(), conn, &oc.OutboundMessage{RecipientID: fxUser, Attachments: []oc.OutboundAttachment{lying}})
	assert.ErrorIs(t, err, oc.ErrUnsupported)
	assert.Empty(t, s.Requests(), "no request reached Zalo")
}

// Zalo's error codes (error ≠ 0 in an HTTP 200) and HTTP errors are classified.
func TestSendErrorClassification(t *testing.T) {
	cases := []struct {
		fault     zalotest.Fault
		code      string
		class     error
		retryable bool
		text      string
	}{
		{zalotest.TokenInvalid(), "-216", oc.ErrTokenExpired, true, "Access token is invalid"},
		{zalotest.TokenExpired(), "-220", oc.ErrTokenExpired, true, "expired"},
		{zalotest.RateLimited(), "-32", oc.ErrRateLimited, true, "limit"},
		{zalotest.TooManyRequests(), "http_429", oc.ErrRateLimited, true, "429"},
		{zalotest.ServerError(), "http_502", nil, true, "502"},
		{zalotest.Fault{HTTPStatus: 503, Code: -500, Message: "Internal error"}, "-500", nil, true, "Internal error"},
		{zalotest.OutsideWindow(), "-230", oc.ErrOutsideWindow, false, "last 7 days"},
		{zalotest.Fault{Code: -232, Message: "No interaction"}, "-232", oc.ErrOutsideWindow, false, "expired"},
		{zalotest.NotFollower(), "-213", nil, false, "does not follow the OA"},
		{zalotest.Fault{Code: -205, Message: "OA not exist"}, "-205", oc.ErrNeedsReconnect, false, "no longer exists"},
		{zalotest.Fault{Code: -211, Message: "Out of quota"}, "-211", nil, false, "quota"},
		{zalotest.Fault{Code: -999, Message: "Something new"}, "-999", nil, false, "Something new"},
	}
	for _, tc := range cases {
		t.Run(tc.code, func(t *testing.T) {
			s := newEmulator(t, zalotest.Options{})
			ch := newChannel(t, s, nil)
			conn := s.Connection()
			s.FailNext(zalotest.PathSend, tc.fault)
			_, err := ch.Send(context.Background(), conn, &oc.OutboundMessage{RecipientID: fxUser, Text: "hi"})
			var pe *oc.ProviderError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, zalooa.Kind, pe.Provider)
			assert.Equal(t, tc.code, pe.Code)
			assert.Contains(t, pe.Message, tc.text)
			if tc.class != nil {
				assert.ErrorIs(t, err, tc.class)
			}
			for _, other := range []error{oc.ErrTokenExpired, oc.ErrRateLimited, oc.ErrOutsideWindow, oc.ErrNeedsReconnect} {
				if other != tc.class {
					assert.False(t, errors.Is(err, other), "also classified %v", other)
				}
			}
			assert.Equal(t, tc.retryable, pe.Retryable)
			assert.Equal(t, tc.retryable, oc.IsRetryable(err))
			assert.NotContains(t, err.Error(), conn.Credentials.AccessToken)
			assert.Empty(t, s.Sent())
		})
	}
}

// A 200 answer without a message id is a final error (the message may have been delivered, so it
// must not be re-sent); a send whose context is already over never reaches Zalo.
func TestSendOddAnswers(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"error":0,"message":"Success","data":{}}`)
	}))
	t.Cleanup(srv.Close)
	ch, err := zalooa.New(zalooa.Config{AppID: fxApp, AppSecret: "app-secret", OASecretKey: "oa-key",
		OAuthBaseURL: srv.URL, APIBaseURL: srv.URL, HTTPClient: srv.Client()})
	require.NoError(t, err)
	conn := &oc.Connection{Credentials: oc.Credentials{AccessToken: "tok-123456"}}
	_, err = ch.Send(context.Background(), conn, &oc.OutboundMessage{RecipientID: fxUser, Text: "hi"})
	var pe *oc.ProviderError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "bad_response", pe.Code)
	assert.False(t, oc.IsRetryable(err))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := newEmulator(t, zalotest.Options{})
	_, err = newChannel(t, s, nil).Send(ctx, s.Connection(), &oc.OutboundMessage{RecipientID: fxUser, Text: "hi"})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, s.Requests())
}

// The client-side limiter spreads calls: at 600 requests per minute the bucket holds 10 and
// refills 9.83 per second, so the 15th call waits about half a second.
func TestRateLimit(t *testing.T) {
	s := newEmulator(t, zalotest.Options{})
	ch := newChannel(t, s, nil, func(c *zalooa.Config) { c.RequestsPerMinute = 600 })
	conn := s.Connection()
	start := time.Now()
	for i := 0; i < 15; i++ {
		_, err := ch.Send(context.Background(), conn, &oc.OutboundMessage{RecipientID: fxUser, Text: "hi"})
		require.NoError(t, err)
	}
	elapsed := time.Since(start)
	t.Logf("15 sends at 600/min took %v", elapsed)
	assert.GreaterOrEqual(t, elapsed, 450*time.Millisecond)
	assert.Len(t, s.Sent(), 15)

	// The bucket is empty now: a call whose deadline comes before the next token gives up at once,
	// without reaching Zalo.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := ch.Send(ctx, conn, &oc.OutboundMessage{RecipientID: fxUser, Text: "hi"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "rate limit")
	assert.True(t, oc.IsRetryable(err))
	assert.Len(t, s.Sent(), 15)
}
