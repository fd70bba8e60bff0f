package dakenh_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	"github.com/dakenh/dakenh/channels/meta"
	"github.com/dakenh/dakenh/channels/tiktok"
	"github.com/dakenh/dakenh/channels/zalooa"
	"github.com/dakenh/dakenh/examples/customchannel/smsgw"
	"github.com/dakenh/dakenh/guardedfetch"
	"github.com/dakenh/dakenh/inboxapi"
	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/postgres"
	"github.com/dakenh/dakenh/store/sqlite"
)

// Every constructor of the module refuses a bad Config the same way: one *ValidationError that
// matches omnichannel.ErrInvalid, names its package and lists every problem with the field it is
// about, and never quotes a secret.
func TestEveryConstructorReportsConfigProblemsInOneShape(t *testing.T) {
	const secret = "s3cr3t-never-shown"
	cases := []struct {
		source string
		fields []string
		build  func() error
	}{
		{"omnichannel", []string{"Store", "Router", "Channels", "Workers"}, func() error {
			_, err := omnichannel.New(omnichannel.Config{Workers: -1})
			return err
		}},
		{"inboxapi", []string{"Engine", "Auth", "UploadTTL"}, func() error {
			_, err := inboxapi.New(inboxapi.Config{UploadTTL: -1})
			return err
		}},
		{"zalooa", []string{"AppID", "OASecretKey", "APIBaseURL"}, func() error {
			_, err := zalooa.New(zalooa.Config{AppSecret: secret, APIBaseURL: "ftp://" + secret + "@x"})
			return err
		}},
		{"tiktok", []string{"ClientKey", "RefreshSkew"}, func() error {
			_, err := tiktok.New(tiktok.Config{ClientSecret: secret, RefreshSkew: -1})
			return err
		}},
		{"meta", []string{"AppID", "VerifyToken", "GraphBaseURL"}, func() error {
			_, err := meta.New(meta.KindMessenger, meta.Config{AppSecret: secret, GraphBaseURL: "https://x/?t=" + secret})
			return err
		}},
		{"guardedfetch", []string{"MaxBytes", "Timeout"}, func() error {
			_, err := guardedfetch.New(guardedfetch.Config{MaxBytes: -1, Timeout: -1})
			return err
		}},
		{"sqlite", []string{"Path", "ReadConns"}, func() error {
			_, err := sqlite.Open(t.Context(), sqlite.Config{ReadConns: -1})
			return err
		}},
		{"postgres", []string{"URL", "Schema", "MaxConns", "CredentialsKey"}, func() error {
			_, err := postgres.Open(t.Context(), postgres.Config{Schema: "Bad-Schema", MaxConns: -1, CredentialsKey: []byte(secret)})
			return err
		}},
		{"fakechannel", []string{"BaseURL"}, func() error {
			_, err := fakechannel.New(fakechannel.Config{})
			return err
		}},
		{"smsgw", []string{"Secret", "BaseURL"}, func() error {
			_, err := smsgw.New(smsgw.Config{})
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.source, func(t *testing.T) {
			err := c.build()
			require.Error(t, err)
			assert.ErrorIs(t, err, omnichannel.ErrInvalid)
			var ve *omnichannel.ValidationError
			require.True(t, errors.As(err, &ve), "%T is not a *omnichannel.ValidationError", err)
			assert.Equal(t, c.source, ve.Source)
			assert.Len(t, ve.Details, len(ve.Problems), "every problem is coded")
			var fields []string
			for _, d := range ve.Details {
				assert.NotEmpty(t, d.Code)
				fields = append(fields, d.Field)
			}
			for _, f := range c.fields {
				assert.Contains(t, fields, f, "every problem is reported at once")
			}
			assert.NotContains(t, err.Error(), secret)
			assert.Contains(t, err.Error(), c.source+": ")
		})
	}
}
