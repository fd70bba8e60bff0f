package inboxapi

import (
	"net/http"

	"github.com/dakenh/dakenh/omnichannel"
)

// This file describes every route of the API for the OpenAPI document (openapi.go builds it): one
// entry per pattern of routeTable, plus the description's own route. Tests compare this table with
// routeTable and validate every response the test suite receives against the document, so a route
// or an answer the table does not describe fails them.

// responseKind says what a successful answer carries.
type responseKind int

const (
	respJSON     responseKind = iota // a JSON body of operation.response's type
	respNone                         // no body (204)
	respBinary                       // a file's bytes, any media type
	respRedirect                     // 303 See Other to the host app
	respEvents                       // a text/event-stream
)

// param is a query parameter of an operation.
type param struct {
	name        string
	description string
	// schema is the parameter's JSON Schema; nil: a string.
	schema map[string]any
	// list: repeated parameters and comma-separated values are accepted alike.
	list bool
}

// operation describes one route.
type operation struct {
	summary     string
	description string
	tag         string
	query       []param
	// body is a zero value of the JSON request body's wire type; nil when the route reads none.
	body any
	// multipart: the body is multipart/form-data with a "file" part (POST /attachments).
	multipart bool
	// status is the status of a successful answer; kind and response say what it carries.
	status   int
	kind     responseKind
	response any
	// errors are the error codes the route may answer besides those every route of its kind may
	// (see commonErrors).
	errors []string
	// public: the route answers without authentication.
	public bool
}

// openAPIRoute is the route serving the OpenAPI document, without authentication (ServeHTTP).
const openAPIRoute = "GET /openapi.json"

// errorCode is one stable error code of the API and the HTTP status that carries it.
type errorCode struct {
	code    string
	status  int
	meaning string
}

// errorCodes lists every error code the API answers (errors.go, csrf.go, events.go, handler.go).
var errorCodes = []errorCode{
	{"bad_request", http.StatusBadRequest, "the request is malformed (JSON, multipart, or an unknown or used connect flow)"},
	{"unauthorized", http.StatusUnauthorized, "the host's Authenticator did not authenticate the request"},
	{"forbidden", http.StatusForbidden, "the user may not do this; reason holds the stable refusal code"},
	{"cross_site", http.StatusForbidden, "an unsafe request that does not come from the host's own pages"},
	{"not_found", http.StatusNotFound, "no such route, or no such object in the user's workspace"},
	{"already_claimed", http.StatusConflict, "another user claimed the conversation first (claimedBy)"},
	{"conflict", http.StatusConflict, "the object changed meanwhile; try again"},
	{"needs_reconnect", http.StatusConflict, "the channel account must be reconnected"},
	{"too_large", http.StatusRequestEntityTooLarge, "the body or file is too large"},
	{"unsupported_media_type", http.StatusUnsupportedMediaType, "the body has the wrong Content-Type"},
	{"invalid", http.StatusUnprocessableEntity, "the request is invalid; fields and problems say why"},
	{"unsupported", http.StatusUnprocessableEntity, "the channel or the configuration cannot do this"},
	{"outside_window", http.StatusUnprocessableEntity, "the channel's reply window is closed"},
	{"no_reply_route", http.StatusUnprocessableEntity, "the customer cannot be answered yet (Zalo anonymous customer)"},
	{"rate_limited", http.StatusTooManyRequests, "the provider is throttling; try again later"},
	{"too_many_streams", http.StatusTooManyRequests, "too many open event streams (Retry-After)"},
	{"internal", http.StatusInternalServerError, "an unexpected error, logged on the server"},
	{"unavailable", http.StatusServiceUnavailable, "the store cannot save changes right now; nothing was saved"},
	{"shutting_down", http.StatusServiceUnavailable, "the server is shutting down; open the event stream again later"},
}

// commonErrors returns the codes every route like op may answer: authentication and the store
// for every authenticated route, cross-site refusal for unsafe methods, the JSON body checks for
// routes that read one.
func commonErrors(method string, op operation, hasPathParams bool) []string {
	if op.public {
		return nil
	}
	out := []string{"unauthorized", "forbidden", "internal", "unavailable"}
	if hasPathParams || op.kind == respBinary {
		out = append(out, "not_found")
	}
	switch method {
	case http.MethodGet, http.MethodHead:
	default:
		out = append(out, "cross_site")
	}
	if op.body != nil {
		out = append(out, "bad_request", "too_large", "unsupported_media_type", "invalid")
	}
	return out
}

// Query parameters shared by the conversation list and its unread count.
var conversationFilters = []param{
	{name: "channel", list: true, description: "channel kinds (zalo_oa, tiktok, messenger, …)"},
	{name: "status", list: true, description: "open or done", schema: map[string]any{"type": "string", "enum": []any{"open", "done"}}},
	{name: "read", description: "unread or read", schema: map[string]any{"type": "string", "enum": []any{"unread", "read"}}},
	{name: "assignee", list: true, description: "user ids, \"me\" or \"unassigned\""},
	{name: "team", list: true, description: "team ids"},
	{name: "category", list: true, description: "category ids"},
	{name: "classification", list: true, description: "classification ids"},
	{name: "connection", list: true, description: "connection ids"},
	{name: "q", description: "search text (name, phone digits), at most 200 characters"},
	{name: "awaiting", description: "1 (or true): only conversations waiting for a claim", schema: map[string]any{"type": "string", "enum": []any{"1", "0", "true", "false"}}},
}

// sendErrors are the codes of the routes that send to the provider.
var sendErrors = []string{"conflict", "needs_reconnect", "outside_window", "unsupported", "no_reply_route", "rate_limited"}

// operations describes every route of routeTable, and openAPIRoute, by pattern.
var operations = map[string]operation{
	openAPIRoute: {tag: "meta", summary: "This OpenAPI 3.1 description of the API", public: true,
		description: "Served without authentication: it describes the API, it holds no data.",
		status:      http.StatusOK, response: map[string]any{}},
	"GET /me": {tag: "workspace", summary: "The signed-in user and their workspace",
		status: http.StatusOK, response: Me{}},
	"GET /conversations": {tag: "conversations", summary: "The inbox: conversations the user may see, newest activity first",
		query: append(append([]param(nil), conversationFilters...),
			param{name: "cursor", description: "the next cursor of the previous page"},
			param{name: "limit", description: "page size, 1 to 200 (default 50)", schema: map[string]any{"type": "integer", "minimum": 1, "maximum": 200}}),
		status: http.StatusOK, response: ConversationList{}, errors: []string{"invalid"}},
	"GET /conversations/unread-count": {tag: "conversations", summary: "How many conversations of the filter have unread customer messages",
		query: conversationFilters, status: http.StatusOK, response: UnreadCount{}, errors: []string{"invalid"}},
	"GET /conversations/{id}": {tag: "conversations", summary: "A conversation with its reply window and channel capabilities",
		status: http.StatusOK, response: ConversationDetail{}},
	"GET /conversations/{id}/messages": {tag: "messages", summary: "A page of the thread, oldest first",
		query: []param{
			{name: "before", description: "only entries with a smaller seq (the first item's seq of the previous page)", schema: map[string]any{"type": "integer", "minimum": 0}},
			{name: "limit", description: "page size, 1 to 500 (default 50)", schema: map[string]any{"type": "integer", "minimum": 1, "maximum": 500}},
		},
		status: http.StatusOK, response: MessageList{}, errors: []string{"invalid"}},
	"POST /conversations/{id}/messages": {tag: "messages", summary: "Send a reply (queued; delivery states follow as message.updated events)",
		body: SendRequest{}, status: http.StatusAccepted, response: MessageResponse{}, errors: sendErrors},
	"POST /messages/{id}/retry": {tag: "messages", summary: "Send a failed outgoing message again",
		status: http.StatusOK, response: MessageResponse{}, errors: append([]string{"invalid"}, sendErrors...)},
	"POST /messages/{id}/reactions": {tag: "messages", summary: "Add or withdraw the agent's emoji reaction (sent at once)",
		body: ReactRequest{}, status: http.StatusOK, response: MessageResponse{}, errors: sendErrors},
	"POST /conversations/{id}/info-request": {tag: "messages", summary: "Ask the customer for their contact details (Zalo's request_user_info card, queued)",
		body: InfoRequestRequest{}, status: http.StatusAccepted, response: MessageResponse{}, errors: sendErrors},
	"POST /attachments": {tag: "attachments", summary: "Upload a file to attach to a reply (its id stays valid for Config.UploadTTL)",
		multipart: true, status: http.StatusOK, response: AttachmentResponse{},
		errors: []string{"bad_request", "too_large", "unsupported_media_type", "invalid", "unsupported"}},
	"GET /attachments/{id}": {tag: "attachments", summary: "The bytes of an attachment (images and media inline, others as a download; sandboxed)",
		status: http.StatusOK, kind: respBinary},
	"POST /conversations/{id}/read": {tag: "conversations", summary: "Mark the conversation read by the user",
		status: http.StatusNoContent, kind: respNone, errors: []string{"conflict"}},
	"POST /conversations/{id}/done": {tag: "conversations", summary: "Mark the conversation done",
		status: http.StatusOK, response: ConversationResponse{}, errors: []string{"conflict", "invalid"}},
	"POST /conversations/{id}/reopen": {tag: "conversations", summary: "Reopen a done conversation",
		status: http.StatusOK, response: ConversationResponse{}, errors: []string{"conflict", "invalid"}},
	"POST /conversations/{id}/claim": {tag: "conversations", summary: "Claim the conversation (\"Nhận chat\")",
		status: http.StatusOK, response: ConversationResponse{}, errors: []string{"already_claimed", "conflict", "invalid"}},
	"POST /conversations/{id}/assign": {tag: "conversations", summary: "Hand the conversation to a user or a team",
		body: AssignRequest{}, status: http.StatusOK, response: ConversationResponse{}, errors: []string{"already_claimed", "conflict"}},
	"PATCH /conversations/{id}/details": {tag: "conversations", summary: "Change the category, classification or note",
		body: DetailsRequest{}, status: http.StatusOK, response: ConversationResponse{}, errors: []string{"conflict"}},
	"GET /conversations/{id}/customer": {tag: "conversations", summary: "The customer panel: contact, identities and interaction history",
		status: http.StatusOK, response: Customer{}},
	"GET /conversations/{id}/templates": {tag: "templates", summary: "The canned replies usable in the conversation",
		status: http.StatusOK, response: TemplateList{}},
	"POST /conversations/{id}/templates/{templateId}/render": {tag: "templates", summary: "A template filled in for the conversation",
		status: http.StatusOK, response: RenderedTemplate{}, errors: []string{"invalid"}},
	"GET /categories": {tag: "workspace", summary: "The category tree, in display order",
		status: http.StatusOK, response: CategoryList{}},
	"GET /classifications": {tag: "workspace", summary: "The conversation classes, in display order",
		status: http.StatusOK, response: ClassificationList{}},
	"GET /users": {tag: "workspace", summary: "The workspace's users",
		status: http.StatusOK, response: UserList{}},
	"GET /teams": {tag: "workspace", summary: "The workspace's teams",
		status: http.StatusOK, response: TeamList{}},
	"GET /connections": {tag: "connections", summary: "The connected provider accounts the user may see",
		status: http.StatusOK, response: ConnectionList{}},
	"POST /connections/{kind}/connect": {tag: "connections", summary: "Start connecting a provider account: the provider's consent page",
		body: ConnectRequest{}, status: http.StatusOK, response: ConnectURL{}, errors: []string{"unsupported"}},
	"GET /connect/callback/{kind}": {tag: "connections", summary: "The provider's OAuth redirect back (a browser navigation)",
		description: "Completes the connect flow and answers 303 to Config.AfterConnect (or the connect request's " +
			"redirectPath) with ?connected=<connection id> or ?connect_error=<code>: bad_state, denied, forbidden, " +
			"invalid, unknown_channel, exchange_failed. The query is the provider's (code, state, error, …).",
		query: []param{
			{name: "code", description: "the provider's authorization code"},
			{name: "state", description: "the flow's state, as given to the provider"},
			{name: "error", description: "set by the provider when the user refused"},
		},
		status: http.StatusSeeOther, kind: respRedirect},
	"POST /connections/{id}/disconnect": {tag: "connections", summary: "Disconnect a provider account",
		status: http.StatusNoContent, kind: respNone, errors: []string{"conflict"}},
	"PUT /connections/{id}/permission": {tag: "connections", summary: "Set who may chat through the connection",
		body: PermissionRequest{}, status: http.StatusOK, response: ConnectionResponse{}, errors: []string{"conflict"}},
	"GET /rules": {tag: "rules", summary: "The assignment rules",
		status: http.StatusOK, response: RuleList{}},
	"POST /rules": {tag: "rules", summary: "Create an assignment rule",
		body: RuleRequest{}, status: http.StatusOK, response: RuleResponse{}, errors: []string{"conflict"}},
	"PUT /rules/{id}": {tag: "rules", summary: "Replace an assignment rule",
		body: RuleRequest{}, status: http.StatusOK, response: RuleResponse{}, errors: []string{"conflict"}},
	"DELETE /rules/{id}": {tag: "rules", summary: "Delete an assignment rule",
		status: http.StatusNoContent, kind: respNone, errors: []string{"conflict"}},
	"DELETE /conversations/{id}": {tag: "conversations", summary: "Delete the conversation, its messages and files for good (supervisors)",
		status: http.StatusNoContent, kind: respNone, errors: []string{"conflict"}},
	"DELETE /contacts/{id}": {tag: "conversations", summary: "Delete the customer, their identities and conversations for good (supervisors)",
		status: http.StatusNoContent, kind: respNone, errors: []string{"conflict"}},
	"DELETE /workspace": {tag: "workspace", summary: "Delete everything of the workspace for good, the caller's user included (supervisors)",
		status: http.StatusNoContent, kind: respNone, errors: []string{"conflict"}},
	"POST /users": {tag: "administration", summary: "Create a user (supervisors)",
		body: UserRequest{}, status: http.StatusOK, response: UserResponse{}, errors: []string{"conflict"}},
	"PUT /users/{id}": {tag: "administration", summary: "Replace a user (supervisors)",
		body: UserRequest{}, status: http.StatusOK, response: UserResponse{}, errors: []string{"conflict"}},
	"POST /users/{id}/deactivate": {tag: "administration", summary: "Deactivate a user; her open conversations follow the rule's old-conversation policy (supervisors)",
		status: http.StatusNoContent, kind: respNone, errors: []string{"conflict"}},
	"DELETE /users/{id}": {tag: "administration", summary: "Remove a user; her open conversations follow the rule's old-conversation policy (supervisors)",
		status: http.StatusNoContent, kind: respNone, errors: []string{"conflict"}},
	"POST /teams": {tag: "administration", summary: "Create a team (supervisors)",
		body: TeamRequest{}, status: http.StatusOK, response: TeamResponse{}, errors: []string{"conflict"}},
	"PUT /teams/{id}": {tag: "administration", summary: "Replace a team (supervisors)",
		body: TeamRequest{}, status: http.StatusOK, response: TeamResponse{}, errors: []string{"conflict"}},
	"DELETE /teams/{id}": {tag: "administration", summary: "Delete a team (supervisors)",
		status: http.StatusNoContent, kind: respNone, errors: []string{"conflict"}},
	"GET /templates": {tag: "administration", summary: "Every template of the workspace",
		status: http.StatusOK, response: TemplateList{}},
	"POST /templates": {tag: "administration", summary: "Create a template (supervisors)",
		body: TemplateRequest{}, status: http.StatusOK, response: TemplateResponse{}, errors: []string{"conflict"}},
	"PUT /templates/{id}": {tag: "administration", summary: "Replace a template (supervisors)",
		body: TemplateRequest{}, status: http.StatusOK, response: TemplateResponse{}, errors: []string{"conflict"}},
	"DELETE /templates/{id}": {tag: "administration", summary: "Delete a template (supervisors)",
		status: http.StatusNoContent, kind: respNone, errors: []string{"conflict"}},
	"POST /categories": {tag: "administration", summary: "Create a category of the three-level tree (supervisors)",
		body: CategoryRequest{}, status: http.StatusOK, response: CategoryResponse{}, errors: []string{"conflict"}},
	"PUT /categories/{id}": {tag: "administration", summary: "Replace or move a category (supervisors)",
		body: CategoryRequest{}, status: http.StatusOK, response: CategoryResponse{}, errors: []string{"conflict"}},
	"POST /classifications": {tag: "administration", summary: "Create a classification (supervisors)",
		body: ClassificationRequest{}, status: http.StatusOK, response: ClassificationResponse{}, errors: []string{"conflict"}},
	"PUT /classifications/{id}": {tag: "administration", summary: "Replace a classification (supervisors)",
		body: ClassificationRequest{}, status: http.StatusOK, response: ClassificationResponse{}, errors: []string{"conflict"}},
	"GET /workspace": {tag: "administration", summary: "The user's workspace: name and status",
		status: http.StatusOK, response: Workspace{}},
	"PUT /workspace": {tag: "administration", summary: "Rename the workspace (supervisors)",
		body: WorkspaceRequest{}, status: http.StatusOK, response: Workspace{}, errors: []string{"conflict"}},
	"GET /events": {tag: "events", summary: "Live events the user may see, as Server-Sent Events",
		description: "Each event is \"event: <name>\" then \"data: <one line of JSON>\"; x-events maps every event " +
			"name to the schema of its data. A comment line (\": heartbeat\") comes every Config.HeartbeatInterval. " +
			"\"resync\" (data {}) tells a client that fell behind to reload its state. The stream starts with " +
			"\"retry: 3000\" and \": connected\" and ends when the client goes away.",
		status: http.StatusOK, kind: respEvents, errors: []string{"too_many_streams", "shutting_down"}},
}

// neverNull lists the slice and map fields ("Type.jsonName") the handlers always fill: they are
// [] or {} when empty, never null. Other slices and maps without omitempty may be null.
var neverNull = map[string]bool{
	"User.teamIds": true, "Conversation.categoryPath": true, "Message.attachments": true,
	"Message.reactions": true, "ConversationList.items": true, "MessageList.items": true,
	"Capabilities.imageTypes": true, "Capabilities.fileTypes": true, "Capabilities.noCaption": true,
	"Capabilities.reactionEmojis": true, "Contact.attributes": true, "Contact.identities": true,
	"Customer.history": true, "TemplateList.items": true, "RenderedTemplate.unknown": true,
	"CategoryList.items": true, "ClassificationList.items": true, "UserList.items": true,
	"Team.memberIds": true, "TeamList.items": true, "ConnectionList.items": true,
	"Rule.sourceIds": true, "Rule.userIds": true, "RuleList.items": true,
}

// eventNames are the SSE event names of GET /events: the engine event kinds the stream sends
// (their data is an Event) and "resync" (data {}).
var eventNames = []string{string(omnichannel.EventConversationOpened), string(omnichannel.EventConversationUpdated),
	string(omnichannel.EventMessageCreated), string(omnichannel.EventMessageUpdated),
	string(omnichannel.EventConnectionUpdated), string(omnichannel.EventReadUpdated),
	string(omnichannel.EventConversationDeleted)}

// eventCarries names the Event field each event kind always carries (the engine's snapshot of the
// conversation or the message); the other kinds carry ids only (read.updated may carry the
// conversation when another process relayed it).
var eventCarries = map[string]string{
	string(omnichannel.EventConversationOpened): "conversation", string(omnichannel.EventConversationUpdated): "conversation",
	string(omnichannel.EventMessageCreated): "message", string(omnichannel.EventMessageUpdated): "message",
}

// fieldEnums lists the values of answer fields ("Type.jsonName") that hold one of the engine's
// constants. Request fields take none: they accept any string and answer 422 for a wrong one.
var fieldEnums = map[string][]string{
	"User.role":             {string(omnichannel.RoleAgent), string(omnichannel.RoleSupervisor)},
	"Conversation.status":   {string(omnichannel.StatusOpen), string(omnichannel.StatusDone)},
	"Message.direction":     directions,
	"Reaction.direction":    {string(omnichannel.DirectionIn), string(omnichannel.DirectionOut)},
	"Connection.status":     {string(omnichannel.ConnectionConnected), string(omnichannel.ConnectionNeedsReconnect), string(omnichannel.ConnectionDisconnected)},
	"Rule.method":           assignMethods,
	"Rule.oldConversations": {string(omnichannel.PolicyNone), string(omnichannel.PolicyAvailable), string(omnichannel.PolicyAll)},
	"Message.status": {string(omnichannel.MessagePending), string(omnichannel.MessageSending), string(omnichannel.MessageSent),
		string(omnichannel.MessageDelivered), string(omnichannel.MessageSeen), string(omnichannel.MessageFailed),
		string(omnichannel.MessageReceived)},
}

var (
	directions    = []string{string(omnichannel.DirectionIn), string(omnichannel.DirectionOut), string(omnichannel.DirectionSystem)}
	assignMethods = []string{string(omnichannel.MethodRoundRobin), string(omnichannel.MethodClaim), string(omnichannel.MethodLeastLoaded)}
)
