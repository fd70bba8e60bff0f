package inboxapi

// Wire types of the administration routes (users, teams, templates, categories, classifications,
// the workspace). Writes are for supervisors (the engine's Authorizer, ActionAdmin); a refused
// write answers 403 "forbidden" with reason "supervisor_only".

// UserRequest is the body of POST /users (ID required: users mirror the host CRM's) and PUT
// /users/{id} (ID ignored). Role is "agent" or "supervisor". Active defaults to true; saving an
// active user inactive deactivates her (as POST /users/{id}/deactivate). Team membership is set on
// the teams (TeamRequest.MemberIDs).
type UserRequest struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Email     string `json:"email"`
	AvatarURL string `json:"avatarUrl"`
	Role      string `json:"role"`
	Active    *bool  `json:"active"`
}

// UserResponse wraps one user (POST /users, PUT /users/{id}).
type UserResponse struct {
	User User `json:"user"`
}

// TeamRequest is the body of POST /teams and PUT /teams/{id}. Method is "round_robin" (default),
// "claim" or "least_loaded".
type TeamRequest struct {
	Name      string   `json:"name"`
	MemberIDs []string `json:"memberIds"`
	Method    string   `json:"method"`
}

// TeamResponse wraps one team (POST /teams, PUT /teams/{id}).
type TeamResponse struct {
	Team Team `json:"team"`
}

// TemplateRequest is the body of POST /templates and PUT /templates/{id}. Body may use
// {{customer_name}}, {{customer_phone}}, {{agent_name}}, {{channel}} and {{connection_name}};
// ChannelKinds empty offers the template on every channel.
type TemplateRequest struct {
	Name         string   `json:"name"`
	Body         string   `json:"body"`
	ChannelKinds []string `json:"channelKinds"`
}

// TemplateResponse wraps one template (POST /templates, PUT /templates/{id}).
type TemplateResponse struct {
	Template Template `json:"template"`
}

// CategoryRequest is the body of POST /categories and PUT /categories/{id}: a node of the
// three-level tree under ParentID ("" for the top level). Active defaults to true; categories are
// deactivated, never deleted.
type CategoryRequest struct {
	Name     string `json:"name"`
	ParentID string `json:"parentId"`
	Active   *bool  `json:"active"`
	Position int    `json:"position"`
}

// CategoryResponse wraps one category (POST /categories, PUT /categories/{id}).
type CategoryResponse struct {
	Category Category `json:"category"`
}

// ClassificationRequest is the body of POST /classifications and PUT /classifications/{id}.
// Active defaults to true; classifications are deactivated, never deleted.
type ClassificationRequest struct {
	Name     string `json:"name"`
	Active   *bool  `json:"active"`
	Position int    `json:"position"`
}

// ClassificationResponse wraps one classification.
type ClassificationResponse struct {
	Classification Classification `json:"classification"`
}

// Workspace is the caller's workspace (GET /workspace, PUT /workspace). Status is "active" or
// "suspended" (a suspended workspace's users get 403 with reason "workspace_suspended").
type Workspace struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
}

// WorkspaceRequest is the body of PUT /workspace (rename, supervisors only).
type WorkspaceRequest struct {
	Name string `json:"name"`
}
