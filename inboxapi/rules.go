package inboxapi

import (
	"errors"
	"net/http"
	"strings"

	"github.com/dakenh/dakenh/omnichannel"
)

func (h *handler) listRules(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	var rules []*omnichannel.Rule
	var teams []*omnichannel.Team
	if err := h.readWorkspace(r.Context(), u, func(rd *omnichannel.WorkspaceReader) (err error) {
		if rules, err = rd.Rules(); err != nil {
			return err
		}
		teams, err = rd.Teams()
		return err
	}); err != nil {
		return err
	}
	out := RuleList{Items: []Rule{}}
	for _, x := range rules {
		out.Items = append(out.Items, ruleWire(x, teams))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *handler) createRule(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	return h.saveRule(w, r, u, "")
}

func (h *handler) updateRule(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	return h.saveRule(w, r, u, r.PathValue("id"))
}

// saveRule creates (id "") or replaces an existing rule of u's workspace.
func (h *handler) saveRule(w http.ResponseWriter, r *http.Request, u *omnichannel.User, id string) error {
	var req RuleRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	f := fieldErrors{}
	name := strings.TrimSpace(req.Name)
	if name == "" {
		f.add("name", "required", "required")
	}
	method := omnichannel.AssignMethod(req.Method)
	switch method {
	case omnichannel.MethodRoundRobin, omnichannel.MethodClaim, omnichannel.MethodLeastLoaded:
	default:
		f.add("method", "not_allowed", "must be round_robin or claim", "allowed", "round_robin, claim")
	}
	policy := omnichannel.OldConversationPolicy(req.OldConversations)
	switch policy {
	case omnichannel.PolicyNone, omnichannel.PolicyAvailable, omnichannel.PolicyAll:
	case "":
		policy = omnichannel.PolicyNone
	default:
		f.add("oldConversations", "not_allowed", "must be none, available or all", "allowed", "none, available, all")
	}
	users := append([]string(nil), req.UserIDs...)
	var teams []*omnichannel.Team
	err := h.readWorkspace(r.Context(), u, func(rd *omnichannel.WorkspaceReader) error {
		if id != "" {
			if _, err := rd.Rule(id); err != nil {
				return err
			}
		}
		if req.TeamID != "" {
			t, err := rd.Team(req.TeamID)
			if errors.Is(err, omnichannel.ErrNotFound) {
				f.add("teamId", "unknown", "unknown team")
				return nil
			}
			if err != nil {
				return err
			}
			for _, m := range t.MemberIDs {
				if !containsString(users, m) {
					users = append(users, m)
				}
			}
		}
		var err error
		teams, err = rd.Teams()
		return err
	})
	if err != nil {
		return err
	}
	if len(users) == 0 && len(f["teamId"]) == 0 {
		f.add("userIds", "required", "choose at least one user (or a team)")
	}
	if err := f.err(); err != nil {
		return err
	}
	saved, err := h.eng.SaveRule(r.Context(), u.ID, omnichannel.Rule{WorkspaceID: u.WorkspaceID, ID: id, Name: name,
		SourceIDs: req.SourceIDs, UserIDs: users, Method: method, OldPolicy: policy})
	if err != nil {
		return withHints(err, hint{"source", "sourceIds"}, hint{"user", "userIds"}, hint{"name", "name"},
			hint{"method", "method"}, hint{"policy", "oldConversations"})
	}
	writeJSON(w, http.StatusOK, RuleResponse{Rule: ruleWire(saved, teams)})
	return nil
}

func (h *handler) deleteRule(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	if err := h.eng.DeleteRule(r.Context(), u.WorkspaceID, u.ID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func containsString(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
