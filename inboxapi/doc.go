// Package inboxapi is the agent-facing HTTP API of a dakenh inbox: JSON over HTTP plus a
// Server-Sent Events stream, for the host CRM's own front end (examples/inbox is one).
//
// New returns a *Handler (an http.Handler); the host mounts it under a prefix with
// http.StripPrefix, plugs in its own Authenticator (session cookie, bearer token, …) and lets the
// server's shutdown end the event streams:
//
//	api, err := inboxapi.New(inboxapi.Config{Engine: engine, Auth: myAuth})
//	mux.Handle("/api/", http.StripPrefix("/api", api))
//	srv.RegisterOnShutdown(api.CloseStreams)
//
// The Authenticator runs first on every request (401 when it fails). The user it returns carries
// the WorkspaceID: every call is scoped to that workspace, so ids of another workspace are simply
// "not found", and every operation is checked by the engine's Authorizer.
//
// # Cross-site requests
//
// Every request with an unsafe method (POST, PUT, PATCH, DELETE) must be same-origin and carry a
// JSON body or the CSRFHeader ("X-Dakenh-Csrf: 1"; uploads and body-less posts send it), else it
// answers 403 "cross_site" before authentication and changes nothing. Same-origin means: an Origin
// header, when sent, is one of Config.AllowedOrigins or the origin of Config.PublicURL (with neither
// configured: the request's own Host), and a Sec-Fetch-Site header, when sent, is "same-origin".
// Requests with neither header (not from a browser page) pass that part. See CrossSiteGuard, which
// a host can put in front of its own unsafe routes (login, logout) too.
//
// # Routes
//
// JSON request bodies need Content-Type application/json (415 otherwise), are limited to
// MaxJSONBytes (413), must be valid UTF-8 and hold exactly one object without unknown fields (400).
// Wire types are in wire.go; times are RFC 3339 strings.
//
//	GET    /me                                         → Me
//	GET    /conversations?channel=&status=open|done&read=unread|read&assignee=<id>|me|unassigned
//	       &team=&category=&classification=&connection=&q=&awaiting=1&cursor=&limit=
//	                                                   → ConversationList (newest activity first;
//	                                                     repeat a parameter, or separate values by
//	                                                     commas, for several values)
//	GET    /conversations/unread-count?(same filters)  → UnreadCount
//	GET    /conversations/{id}                         → ConversationDetail
//	GET    /conversations/{id}/messages?before=&limit= → MessageList (oldest first)
//	POST   /conversations/{id}/messages  SendRequest   → 202 MessageResponse (queued; delivery
//	                                                     states follow as message.updated events)
//	POST   /messages/{id}/retry                        → MessageResponse
//	POST   /messages/{id}/reactions  ReactRequest      → MessageResponse (the agent's reaction,
//	                                                     sent at once; unsupported 422 on channels
//	                                                     without reactions)
//	POST   /conversations/{id}/info-request  InfoRequestRequest → 202 MessageResponse (Zalo's
//	                                                     request_user_info card, queued)
//	POST   /attachments   multipart/form-data "file"   → AttachmentResponse (413 beyond
//	                                                     Config.MaxUploadBytes)
//	GET    /attachments/{id}                           → the bytes (images inline, others as a
//	                                                     download; nosniff; sandboxed)
//	POST   /conversations/{id}/read                    → 204
//	POST   /conversations/{id}/done                    → ConversationResponse
//	POST   /conversations/{id}/reopen                  → ConversationResponse
//	POST   /conversations/{id}/claim                   → ConversationResponse
//	POST   /conversations/{id}/assign   AssignRequest  → ConversationResponse
//	PATCH  /conversations/{id}/details  DetailsRequest → ConversationResponse
//	GET    /conversations/{id}/customer                → Customer
//	GET    /conversations/{id}/templates               → TemplateList
//	POST   /conversations/{id}/templates/{templateId}/render → RenderedTemplate
//	GET    /categories                                 → CategoryList
//	GET    /classifications                            → ClassificationList
//	GET    /users                                      → UserList (teamIds from the teams' members)
//	POST   /users        UserRequest                   → UserResponse (supervisors)
//	PUT    /users/{id}   UserRequest                   → UserResponse (supervisors)
//	POST   /users/{id}/deactivate                      → 204 (supervisors; her open conversations
//	                                                     go through her rules' old-conversation
//	                                                     policy)
//	DELETE /users/{id}                                 → 204 (supervisors; as deactivate, then
//	                                                     the record is removed)
//	GET    /teams                                      → TeamList
//	POST   /teams        TeamRequest                   → TeamResponse (supervisors)
//	PUT    /teams/{id}   TeamRequest                   → TeamResponse (supervisors)
//	DELETE /teams/{id}                                 → 204 (supervisors)
//	GET    /templates                                  → TemplateList (every stored template)
//	POST   /templates    TemplateRequest               → TemplateResponse (supervisors)
//	PUT    /templates/{id} TemplateRequest             → TemplateResponse (supervisors)
//	DELETE /templates/{id}                             → 204 (supervisors)
//	POST   /categories   CategoryRequest               → CategoryResponse (supervisors)
//	PUT    /categories/{id} CategoryRequest            → CategoryResponse (supervisors)
//	POST   /classifications ClassificationRequest      → ClassificationResponse (supervisors)
//	PUT    /classifications/{id} ClassificationRequest → ClassificationResponse (supervisors)
//	GET    /workspace                                  → Workspace
//	PUT    /workspace    WorkspaceRequest              → Workspace (supervisors: rename)
//	GET    /connections                                → ConnectionList
//	POST   /connections/{kind}/connect  ConnectRequest → ConnectURL (the provider's consent page)
//	GET    /connect/callback/{kind}?…                  → 303 to Config.AfterConnect with
//	                                                     ?connected=<id> or ?connect_error=<code>
//	POST   /connections/{id}/disconnect                → 204
//	PUT    /connections/{id}/permission PermissionRequest → ConnectionResponse
//	GET    /rules                                      → RuleList
//	POST   /rules        RuleRequest                   → RuleResponse
//	PUT    /rules/{id}   RuleRequest                   → RuleResponse
//	DELETE /rules/{id}                                 → 204
//	DELETE /conversations/{id}                         → 204 (supervisors: the conversation, its
//	                                                     messages and blobs, for good)
//	DELETE /contacts/{id}                              → 204 (supervisors: the customer, their
//	                                                     identities and conversations)
//	DELETE /workspace                                  → 204 (supervisors: everything of the
//	                                                     workspace, their own user included)
//	GET    /events                                     → text/event-stream
//
// GET /openapi.json answers, without authentication, the OpenAPI 3.1 description of these routes
// (see OpenAPI): their parameters, bodies, error codes and the event stream's events.
//
// # Errors
//
// Every error answers ErrorResponse, {"error":{"code","message","fields","problems","reason"}}, with
// a stable code. An invalid request lists its problems coded ({field, code, params}); a forbidden
// one gives its reason (omnichannel's Deny* codes); a failed message carries the provider's own
// code in failureCode and the stable reason (omnichannel's Failure* codes) in failureReasonCode.
// Interfaces translate codes, never the English message:
//
//	unauthorized 401, forbidden 403, cross_site 403, not_found 404, already_claimed 409, conflict 409,
//	needs_reconnect 409, invalid 422 (with fields), outside_window 422, unsupported 422,
//	no_reply_route 422 (a Zalo anonymous customer whose conversation id is not known yet),
//	bad_request 400, too_large 413, unsupported_media_type 415, rate_limited 429,
//	too_many_streams 429 (GET /events past Config.MaxStreamsPerUser or MaxStreamsPerWorkspace,
//	with Retry-After), unavailable 503 (the store cannot write now, e.g. a full disk; nothing was
//	saved), shutting_down 503 (GET /events after CloseStreams; reconnect), internal 500
//
// A suspended workspace (omnichannel.Engine.SuspendWorkspace) answers every request of its users
// 403 forbidden with reason "workspace_suspended".
//
// The message of an internal error never carries internals or secrets; the error is logged.
//
// # Events
//
// GET /events subscribes to the engine (Engine.Subscribe) for the user's workspace and sends each
// event the user may see (the Authorizer's view check and the conversation list's scope:
// agents do not see other users' "only me" connections; read.updated only to its reader) as
//
//	event: message.created
//	data: {"kind":"message.created","conversationId":"…","messageId":"…","message":{…}}
//
// with kinds conversation.opened, conversation.updated, message.created, message.updated,
// connection.updated and read.updated, and conversation.deleted (the conversationId alone, to
// every stream of the workspace). A comment line is sent every Config.HeartbeatInterval.
// When the client fell behind and events were dropped, "event: resync" tells it to reload its
// state. The stream ends when the client goes away, or when the host calls Handler.CloseStreams.
package inboxapi
