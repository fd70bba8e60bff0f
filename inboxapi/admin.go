package inboxapi

import (
	"errors"
	"net/http"

	"github.com/dakenh/dakenh/omnichannel"
)

// The administration routes: every write goes through the engine's admin API, which checks that
// the caller may administer the workspace (supervisors, by default) and validates the whole record,
// reporting every problem at once (422 "invalid" with the coded problems). Every record is of the
// caller's workspace: ids of another workspace are not found.

// saveFunc serves a create (id "") or a replace (the path's id) of one kind of record.
type saveFunc func(w http.ResponseWriter, r *http.Request, u *omnichannel.User, id string) error

// creating serves POST /<records> with save.
func creating(save saveFunc) apiFunc {
	return func(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error { return save(w, r, u, "") }
}

// replacing serves PUT /<records>/{id} with save.
func replacing(save saveFunc) apiFunc {
	return func(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
		return save(w, r, u, r.PathValue("id"))
	}
}

// saveUser creates (id "": the body's id) or replaces the user id of u's workspace.
func (h *handler) saveUser(w http.ResponseWriter, r *http.Request, u *omnichannel.User, id string) error {
	var req UserRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if id != "" {
		if err := h.mustExist(r, u, func(rd *omnichannel.WorkspaceReader) error { _, err := rd.User(id); return err }); err != nil {
			return err
		}
		req.ID = id
	}
	saved, err := h.eng.SaveUser(r.Context(), u.ID, omnichannel.User{WorkspaceID: u.WorkspaceID, ID: req.ID, Name: req.Name,
		Email: req.Email, AvatarURL: req.AvatarURL, Role: omnichannel.Role(req.Role), Active: activeOr(req.Active)})
	if err != nil {
		return err
	}
	var out *omnichannel.User
	if err := h.readWorkspace(r.Context(), u, func(rd *omnichannel.WorkspaceReader) (err error) {
		out, err = rd.User(saved.ID)
		return err
	}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, UserResponse{User: userWire(out)})
	return nil
}

// activeOr is *b, true when absent.
func activeOr(b *bool) bool { return b == nil || *b }

// mustExist runs a read that answers 404 when the record to replace is not in u's workspace (PUT
// never creates).
func (h *handler) mustExist(r *http.Request, u *omnichannel.User, get func(rd *omnichannel.WorkspaceReader) error) error {
	return h.readWorkspace(r.Context(), u, get)
}

func (h *handler) deactivateUser(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	return noContent(w, h.eng.DeactivateUser(r.Context(), u.WorkspaceID, u.ID, r.PathValue("id")))
}

func (h *handler) removeUser(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	return noContent(w, h.eng.RemoveUser(r.Context(), u.WorkspaceID, u.ID, r.PathValue("id")))
}

func (h *handler) saveTeam(w http.ResponseWriter, r *http.Request, u *omnichannel.User, id string) error {
	var req TeamRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	var rules []*omnichannel.Rule
	if err := h.readWorkspace(r.Context(), u, func(rd *omnichannel.WorkspaceReader) (err error) {
		if id != "" {
			if _, err := rd.Team(id); err != nil {
				return err
			}
		}
		rules, err = rd.Rules()
		return err
	}); err != nil {
		return err
	}
	saved, err := h.eng.SaveTeam(r.Context(), u.ID, omnichannel.Team{WorkspaceID: u.WorkspaceID, ID: id, Name: req.Name,
		MemberIDs: req.MemberIDs, Method: omnichannel.AssignMethod(req.Method)})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, TeamResponse{Team: teamWire(saved, rules)})
	return nil
}

func (h *handler) deleteTeam(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	return noContent(w, h.eng.DeleteTeam(r.Context(), u.WorkspaceID, u.ID, r.PathValue("id")))
}

// listAllTemplates answers GET /templates: every stored template of the workspace, for the
// settings page (GET /conversations/{id}/templates offers those of one conversation's channel).
func (h *handler) listAllTemplates(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	var all []*omnichannel.Template
	if err := h.readWorkspace(r.Context(), u, func(rd *omnichannel.WorkspaceReader) (err error) {
		all, err = rd.Templates()
		return err
	}); err != nil {
		return err
	}
	out := TemplateList{Items: []Template{}}
	for _, t := range all {
		out.Items = append(out.Items, templateWire(t))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func templateWire(t *omnichannel.Template) Template {
	kinds := []string{}
	for _, k := range t.ChannelKinds {
		kinds = append(kinds, string(k))
	}
	return Template{ID: t.ID, Name: t.Name, Body: t.Body, ChannelKinds: kinds}
}

func (h *handler) saveTemplate(w http.ResponseWriter, r *http.Request, u *omnichannel.User, id string) error {
	var req TemplateRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if id != "" {
		if err := h.mustExist(r, u, func(rd *omnichannel.WorkspaceReader) error { _, err := rd.Template(id); return err }); err != nil {
			return err
		}
	}
	kinds := make([]omnichannel.Kind, 0, len(req.ChannelKinds))
	for _, k := range req.ChannelKinds {
		kinds = append(kinds, omnichannel.Kind(k))
	}
	saved, err := h.eng.SaveTemplate(r.Context(), u.ID, omnichannel.Template{WorkspaceID: u.WorkspaceID, ID: id,
		Name: req.Name, Body: req.Body, ChannelKinds: kinds})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, TemplateResponse{Template: templateWire(saved)})
	return nil
}

func (h *handler) deleteTemplate(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	return noContent(w, h.eng.DeleteTemplate(r.Context(), u.WorkspaceID, u.ID, r.PathValue("id")))
}

func (h *handler) saveCategory(w http.ResponseWriter, r *http.Request, u *omnichannel.User, id string) error {
	var req CategoryRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if id != "" {
		if err := h.mustExist(r, u, func(rd *omnichannel.WorkspaceReader) error { _, err := rd.Category(id); return err }); err != nil {
			return err
		}
	}
	saved, err := h.eng.SaveCategory(r.Context(), u.ID, omnichannel.Category{WorkspaceID: u.WorkspaceID, ID: id,
		ParentID: req.ParentID, Name: req.Name, Active: activeOr(req.Active), Position: req.Position})
	if err != nil {
		return err
	}
	level := 1
	if err := h.readWorkspace(r.Context(), u, func(rd *omnichannel.WorkspaceReader) error {
		all, err := rd.Categories()
		if err != nil {
			return err
		}
		level = categoryLevel(saved, all)
		return nil
	}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, CategoryResponse{Category: Category{ID: saved.ID, Name: saved.Name, ParentID: saved.ParentID,
		Level: level, Active: saved.Active}})
	return nil
}

func (h *handler) saveClassification(w http.ResponseWriter, r *http.Request, u *omnichannel.User, id string) error {
	var req ClassificationRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if id != "" {
		if err := h.mustExist(r, u, func(rd *omnichannel.WorkspaceReader) error { _, err := rd.Classification(id); return err }); err != nil {
			return err
		}
	}
	saved, err := h.eng.SaveClassification(r.Context(), u.ID, omnichannel.Classification{WorkspaceID: u.WorkspaceID, ID: id,
		Name: req.Name, Active: activeOr(req.Active), Position: req.Position})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ClassificationResponse{Classification: Classification{ID: saved.ID, Name: saved.Name, Active: saved.Active}})
	return nil
}

func (h *handler) getWorkspace(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	if err := h.readWorkspace(r.Context(), u, func(*omnichannel.WorkspaceReader) error { return nil }); err != nil {
		return err
	}
	ws, err := h.eng.Workspace(r.Context(), u.WorkspaceID)
	if errors.Is(err, omnichannel.ErrNotFound) {
		ws, err = &omnichannel.Workspace{ID: u.WorkspaceID, Status: omnichannel.WorkspaceActive}, nil
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, Workspace{ID: ws.ID, Name: ws.Name, Status: string(ws.Status)})
	return nil
}

func (h *handler) renameWorkspace(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	var req WorkspaceRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	ws, err := h.eng.RenameWorkspace(r.Context(), u.WorkspaceID, u.ID, req.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, Workspace{ID: ws.ID, Name: ws.Name, Status: string(ws.Status)})
	return nil
}

// noContent answers 204 when err is nil, else returns err (the error answer).
func noContent(w http.ResponseWriter, err error) error {
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
