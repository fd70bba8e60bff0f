package inboxapi

import (
	"net/http"
	"sort"

	"github.com/dakenh/dakenh/omnichannel"
)

func (h *handler) me(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	var stored *omnichannel.User
	if err := h.readWorkspace(r.Context(), u, func(tx omnichannel.Tx) (err error) {
		stored, err = tx.GetUser(u.WorkspaceID, u.ID)
		return err
	}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, Me{User: userWire(stored), WorkspaceID: u.WorkspaceID})
	return nil
}

func (h *handler) listCategories(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	var all []*omnichannel.Category
	if err := h.readWorkspace(r.Context(), u, func(tx omnichannel.Tx) (err error) {
		all, err = tx.ListCategories(u.WorkspaceID)
		return err
	}); err != nil {
		return err
	}
	byID := map[string]*omnichannel.Category{}
	for _, c := range all {
		byID[c.ID] = c
	}
	level := func(c *omnichannel.Category) int {
		n := 1
		for p := byID[c.ParentID]; p != nil && n < 10; p = byID[p.ParentID] {
			n++
		}
		return n
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].Position != all[j].Position {
			return all[i].Position < all[j].Position
		}
		return all[i].Name < all[j].Name
	})
	out := CategoryList{Items: []Category{}}
	for _, c := range all {
		out.Items = append(out.Items, Category{ID: c.ID, Name: c.Name, ParentID: c.ParentID, Level: level(c), Active: c.Active})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *handler) listClassifications(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	var all []*omnichannel.Classification
	if err := h.readWorkspace(r.Context(), u, func(tx omnichannel.Tx) (err error) {
		all, err = tx.ListClassifications(u.WorkspaceID)
		return err
	}); err != nil {
		return err
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].Position != all[j].Position {
			return all[i].Position < all[j].Position
		}
		return all[i].Name < all[j].Name
	})
	out := ClassificationList{Items: []Classification{}}
	for _, c := range all {
		out.Items = append(out.Items, Classification{ID: c.ID, Name: c.Name, Active: c.Active})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *handler) listUsers(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	var all []*omnichannel.User
	if err := h.readWorkspace(r.Context(), u, func(tx omnichannel.Tx) (err error) {
		all, err = tx.ListUsers(u.WorkspaceID)
		return err
	}); err != nil {
		return err
	}
	out := UserList{Items: []User{}}
	for _, x := range all {
		out.Items = append(out.Items, userWire(x))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *handler) listTeams(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	var teams []*omnichannel.Team
	var rules []*omnichannel.Rule
	if err := h.readWorkspace(r.Context(), u, func(tx omnichannel.Tx) (err error) {
		if teams, err = tx.ListTeams(u.WorkspaceID); err != nil {
			return err
		}
		rules, err = tx.ListRules(u.WorkspaceID)
		return err
	}); err != nil {
		return err
	}
	out := TeamList{Items: []Team{}}
	for _, t := range teams {
		out.Items = append(out.Items, teamWire(t, rules))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
