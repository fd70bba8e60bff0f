package inboxapi_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/inboxapi"
	oc "github.com/dakenh/dakenh/omnichannel"
)

func TestRetryAFailedMessage(t *testing.T) {
	e := newEnv(t)
	e.claim("a1", e.convA)
	e.prov.FailNext(http.StatusBadRequest, "bad_request", 1)
	r := e.call("POST", "/conversations/"+e.convA.ID+"/messages", agent1, inboxapi.SendRequest{Text: "Dạ", IdempotencyKey: "k"})
	require.Equal(t, http.StatusAccepted, r.status)
	var sent inboxapi.MessageResponse
	r.decode(t, &sent)
	_, err := e.eng.RunDue(e.ctx)
	require.NoError(t, err)

	var l inboxapi.MessageList
	e.call("GET", "/conversations/"+e.convA.ID+"/messages", agent1, nil).decode(t, &l)
	failed := l.Items[len(l.Items)-1]
	assert.Equal(t, sent.Message.ID, failed.ID)
	assert.Equal(t, "failed", failed.Status)
	assert.True(t, failed.Retryable)
	assert.NotEmpty(t, failed.FailureCode)
	assert.NotEmpty(t, failed.FailureReason)

	r = e.call("POST", "/messages/"+failed.ID+"/retry", agent1, nil)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	var retried inboxapi.MessageResponse
	r.decode(t, &retried)
	assert.Equal(t, "pending", retried.Message.Status)
	assert.False(t, retried.Message.Retryable)
	assert.Empty(t, retried.Message.FailureReason)
	_, err = e.eng.RunDue(e.ctx)
	require.NoError(t, err)
	e.call("GET", "/conversations/"+e.convA.ID+"/messages", agent1, nil).decode(t, &l)
	assert.Equal(t, "sent", l.Items[len(l.Items)-1].Status)
	e.call("POST", "/messages/nope/retry", agent1, nil).requireError(t, http.StatusNotFound, "not_found")
}

// brokenBlobs stores blobs but fails to open them with an error that must never reach a client.
type brokenBlobs struct{ oc.BlobStore }

func (brokenBlobs) Open(context.Context, string) (io.ReadCloser, error) {
	return nil, errors.New("open /srv/private/bucket-s3cr3t: permission denied")
}

func TestInternalErrorsAreLoggedNotShown(t *testing.T) {
	e := newEnv(t, func(c *oc.Config, _ *inboxapi.Config) { c.Blobs = brokenBlobs{c.Blobs} })
	up := e.upload(agent1, "a.png", pngBytes(20))
	r := e.call("GET", up.URL, agent1, nil)
	d := r.requireError(t, http.StatusInternalServerError, "internal")
	assert.Equal(t, "internal error", d.Message)
	assert.NotContains(t, string(r.body), "s3cr3t")
	assert.Contains(t, e.logs.String(), "s3cr3t", "the cause is logged for the operator")
	assert.Contains(t, e.logs.String(), "GET /attachments/{id}", "with the route, not the URL")
}
