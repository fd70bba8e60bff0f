package inboxapi

import (
	"net/http"
	"sort"

	"github.com/dakenh/dakenh/omnichannel"
)

func (h *handler) me(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	var stored *omnichannel.User
	if err := h.readWorkspace(r.Context(), u, func(rd *omnichannel.WorkspaceReader) (err error) {
		stored, err = rd.User(u.ID)
		return err
	}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, Me{User: userWire(stored), WorkspaceID: u.WorkspaceID})
	return nil
}

func (h *handler) listCategories(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	var all []*omnichannel.Category
	if err := h.readWorkspace(r.Context(), u, func(rd *omnichannel.WorkspaceReader) (err error) {
		all, err = rd.Categories()
		return err
	}); err != nil {
		return err
	}
	byID := categoriesByID(all)
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].Position != all[j].Position {
			return all[i].Position < all[j].Position
		}
		return all[i].Name < all[j].Name
	})
	out := CategoryList{Items: []Category{}}
	for _, c := range all {
		out.Items = append(out.Items, Category{ID: c.ID, Name: c.Name, ParentID: c.ParentID, Level: levelIn(c, byID), Active: c.Active})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *handler) listClassifications(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	var all []*omnichannel.Classification
	if err := h.readWorkspace(r.Context(), u, func(rd *omnichannel.WorkspaceReader) (err error) {
		all, err = rd.Classifications()
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
	if err := h.readWorkspace(r.Context(), u, func(rd *omnichannel.WorkspaceReader) (err error) {
		all, err = rd.Users()
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
	if err := h.readWorkspace(r.Context(), u, func(rd *omnichannel.WorkspaceReader) (err error) {
		if teams, err = rd.Teams(); err != nil {
			return err
		}
		rules, err = rd.Rules()
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

// categoriesByID indexes the nodes of a category tree.
func categoriesByID(all []*omnichannel.Category) map[string]*omnichannel.Category {
	byID := make(map[string]*omnichannel.Category, len(all))
	for _, c := range all {
		byID[c.ID] = c
	}
	return byID
}

// levelIn is c's level in the tree byID (1 for a top-level node).
func levelIn(c *omnichannel.Category, byID map[string]*omnichannel.Category) int {
	n := 1
	for p := byID[c.ParentID]; p != nil && n < 10; p = byID[p.ParentID] {
		n++
	}
	return n
}

// categoryLevel is c's level in the tree all.
func categoryLevel(c *omnichannel.Category, all []*omnichannel.Category) int {
	return levelIn(c, categoriesByID(all))
}
