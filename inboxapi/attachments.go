package inboxapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dakenh/dakenh/omnichannel"
)

// errUploadTooLarge is returned by the upload reader past Config.MaxUploadBytes.
var errUploadTooLarge = errors.New("inboxapi: upload too large")

// uploadSigner makes and checks the ids of uploads: "u.<payload>.<mac>", where payload is the
// base64url JSON of the stored attachment, its workspace, uploader and expiry. An upload is
// stateless until it is sent; only the user who uploaded it, in the same workspace, may use it.
type uploadSigner struct {
	key []byte
	ttl time.Duration
}

type uploadClaims struct {
	Workspace   string `json:"w"`
	User        string `json:"u"`
	Key         string `json:"k"`
	Name        string `json:"n"`
	ContentType string `json:"t"`
	Size        int64  `json:"s"`
	Kind        string `json:"c"`
	Expires     int64  `json:"e"`
}

func (s uploadSigner) mac(payload string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

func (s uploadSigner) sign(a omnichannel.Attachment, u *omnichannel.User, now time.Time) string {
	raw, _ := json.Marshal(uploadClaims{Workspace: u.WorkspaceID, User: u.ID, Key: a.BlobKey, Name: a.Name,
		ContentType: a.ContentType, Size: a.Size, Kind: string(a.Kind), Expires: now.Add(s.ttl).Unix()})
	payload := base64.RawURLEncoding.EncodeToString(raw)
	return "u." + payload + "." + s.mac(payload)
}

var errBadUpload = errors.New("inboxapi: unknown upload")

// verify returns the attachment of an upload id made by sign for the same user and workspace.
func (s uploadSigner) verify(id string, u *omnichannel.User, now time.Time) (omnichannel.Attachment, error) {
	rest, ok := strings.CutPrefix(id, "u.")
	if !ok || len(id) > 4096 {
		return omnichannel.Attachment{}, errBadUpload
	}
	payload, mac, ok := strings.Cut(rest, ".")
	if !ok || !hmac.Equal([]byte(mac), []byte(s.mac(payload))) {
		return omnichannel.Attachment{}, errBadUpload
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	var c uploadClaims
	if err != nil || json.Unmarshal(raw, &c) != nil {
		return omnichannel.Attachment{}, errBadUpload
	}
	if c.Workspace != u.WorkspaceID || c.User != u.ID || now.Unix() > c.Expires || c.Key == "" {
		return omnichannel.Attachment{}, errBadUpload
	}
	return omnichannel.Attachment{Kind: omnichannel.MessageType(c.Kind), Name: c.Name, ContentType: c.ContentType,
		Size: c.Size, BlobKey: c.Key}, nil
}

// limitedReader fails with errUploadTooLarge once more than n bytes were read; err keeps the
// first error of r other than io.EOF (a malformed or cut multipart body).
type limitedReader struct {
	r   io.Reader
	n   int64
	err error
}

func (l *limitedReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && l.err == nil {
		l.err = err
	}
	l.n -= int64(n)
	if l.n < 0 {
		return n, errUploadTooLarge
	}
	return n, err
}

// multipartOverhead is what the body of POST /attachments may hold beyond the file (boundaries,
// part headers, other small fields).
const multipartOverhead = 64 << 10

func (h *handler) uploadAttachment(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	if !hasMediaType(r, "multipart/form-data") {
		return unsupportedMedia("send the file as multipart/form-data, field \"file\"")
	}
	if err := h.readWorkspace(r.Context(), u, func(*omnichannel.WorkspaceReader) error { return nil }); err != nil {
		return err
	}
	if r.ContentLength > h.maxUpload+multipartOverhead {
		return tooLarge(fmt.Sprintf("files are limited to %d bytes", h.maxUpload))
	}
	r.Body = http.MaxBytesReader(w, r.Body, h.maxUpload+multipartOverhead)
	mr, err := r.MultipartReader()
	if err != nil {
		return badRequest("malformed multipart body")
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			f := fieldErrors{}
			f.add("file", "required", "required")
			return f.err()
		}
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return tooLarge(fmt.Sprintf("files are limited to %d bytes", h.maxUpload))
			}
			return badRequest("malformed multipart body")
		}
		if part.FormName() != "file" {
			_, _ = io.Copy(io.Discard, io.LimitReader(part, multipartOverhead))
			part.Close()
			continue
		}
		name := part.FileName()
		if name == "" {
			name = "file"
		}
		body := &limitedReader{r: part, n: h.maxUpload}
		att, err := h.eng.UploadAttachment(r.Context(), u.WorkspaceID, u.ID, name, body)
		part.Close()
		if err != nil {
			var tooBig *http.MaxBytesError
			switch {
			case errors.Is(err, errUploadTooLarge) || errors.As(body.err, &tooBig):
				return tooLarge(fmt.Sprintf("files are limited to %d bytes", h.maxUpload))
			case body.err != nil:
				return badRequest("malformed multipart body")
			}
			return withHints(err, hint{"", "file"})
		}
		id := h.uploads.sign(att, u, h.now())
		writeJSON(w, http.StatusOK, AttachmentResponse{Attachment: Attachment{ID: id, Kind: string(att.Kind),
			Name: att.Name, ContentType: att.ContentType, Size: att.Size, URL: "/attachments/" + id}})
		return nil
	}
}

// inlineTypes are the content types served inline: images and media a browser renders without
// running anything. Everything else (SVG, HTML, PDF, …) is served as a download.
var inlineTypes = map[string]bool{
	"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true,
	"video/mp4": true, "video/webm": true, "audio/mpeg": true, "audio/mp4": true, "audio/aac": true,
	"audio/ogg": true, "audio/wav": true,
}

func (h *handler) downloadAttachment(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	id := r.PathValue("id")
	var att omnichannel.Attachment
	switch {
	case strings.HasPrefix(id, "u."):
		a, err := h.uploads.verify(id, u, h.now())
		if err != nil {
			return notFound("not found")
		}
		if err := h.readWorkspace(r.Context(), u, func(*omnichannel.WorkspaceReader) error { return nil }); err != nil {
			return err
		}
		att = a
	case strings.HasPrefix(id, "m."):
		a, err := h.messageAttachment(r, u, id)
		if err != nil {
			return err
		}
		att = a
	default:
		return notFound("not found")
	}
	if att.BlobKey == "" {
		return notFound("the file has not been fetched from the provider yet")
	}
	rc, err := h.eng.Blobs().Open(r.Context(), att.BlobKey)
	if err != nil {
		return err
	}
	defer rc.Close()
	ct, _, err := mime.ParseMediaType(att.ContentType)
	if err != nil || ct == "" {
		ct = "application/octet-stream"
	}
	disposition := "attachment"
	if inlineTypes[ct] {
		disposition = "inline"
	} else if strings.HasPrefix(ct, "text/") || strings.Contains(ct, "html") || strings.Contains(ct, "xml") || strings.Contains(ct, "javascript") {
		ct = "application/octet-stream"
	}
	name := omnichannel.SafeDisplayName(att.Name)
	cd := mime.FormatMediaType(disposition, map[string]string{"filename": name})
	if cd == "" {
		cd = mime.FormatMediaType(disposition, map[string]string{"filename": omnichannel.SafeFileName(name)})
	}
	hd := w.Header()
	hd.Set("Content-Type", ct)
	hd.Set("Content-Disposition", cd)
	hd.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	hd.Set("Cache-Control", "private, max-age=3600")
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, rc); err != nil {
		h.log.Debug("inboxapi: attachment download interrupted", "err", err)
	}
	return nil
}

// messageAttachment finds attachment "m.<i>.<message id>" in u's workspace, after checking u may
// see its conversation.
func (h *handler) messageAttachment(r *http.Request, u *omnichannel.User, id string) (omnichannel.Attachment, error) {
	parts := strings.SplitN(id, ".", 3)
	if len(parts) != 3 || parts[2] == "" {
		return omnichannel.Attachment{}, notFound("not found")
	}
	idx, err := strconv.Atoi(parts[1])
	if err != nil || idx < 0 {
		return omnichannel.Attachment{}, notFound("not found")
	}
	var m *omnichannel.Message
	if err := h.eng.ReadWorkspace(r.Context(), u.WorkspaceID, func(rd *omnichannel.WorkspaceReader) (err error) {
		m, err = rd.Message(parts[2])
		return err
	}); err != nil {
		return omnichannel.Attachment{}, err
	}
	if err := h.eng.CanView(r.Context(), u.WorkspaceID, u.ID, m.ConversationID); err != nil {
		return omnichannel.Attachment{}, err
	}
	if idx >= len(m.Attachments) {
		return omnichannel.Attachment{}, notFound("not found")
	}
	return m.Attachments[idx], nil
}
