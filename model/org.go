package model

import "time"

// Role is what a user may do in a workspace.
type Role string

// Roles.
const (
	// RoleAgent ("TVV") answers conversations.
	RoleAgent Role = "agent"
	// RoleSupervisor may act on every conversation of the workspace and administer it.
	RoleSupervisor Role = "supervisor"
)

// User is an agent or supervisor of the host CRM, mirrored into the store.
type User struct {
	WorkspaceID string
	ID          string
	Name        string
	Email       string
	AvatarURL   string
	Role        Role
	TeamIDs     []string
	// Active users receive conversations; deactivated users keep their history.
	Active    bool
	CreatedAt time.Time
}

// Team is a group of users with its own assignment method.
type Team struct {
	WorkspaceID string
	ID          string
	Name        string
	MemberIDs   []string
	// Method picks the member when a conversation is handed to the team.
	Method AssignMethod
}

// AssignMethod is how a rule or team distributes conversations.
type AssignMethod string

// Assignment methods (plus least-loaded).
const (
	// MethodRoundRobin ("Chia xoay vòng") spreads new conversations evenly over the users in turn.
	MethodRoundRobin AssignMethod = "round_robin"
	// MethodClaim ("Tự nhận hội thoại") leaves conversations waiting until a user claims one.
	MethodClaim AssignMethod = "claim"
	// MethodLeastLoaded gives a conversation to the user with the fewest open conversations.
	MethodLeastLoaded AssignMethod = "least_loaded"
)

// OldConversationPolicy says what happens to conversations without an owner when a connection joins
// a rule or a user leaves it.
type OldConversationPolicy string

// Old-conversation policies.
const (
	// PolicyNone leaves them undistributed.
	PolicyNone OldConversationPolicy = "none"
	// PolicyAvailable ("Chia hội thoại khả dụng") distributes open conversations an agent can still
	// answer: the customer's last message is inside the channel's reply window.
	PolicyAvailable OldConversationPolicy = "available"
	// PolicyAll ("Chia tất cả hội thoại") distributes every conversation without an owner, done ones
	// included.
	PolicyAll OldConversationPolicy = "all"
)

// Rule is an assignment rule ("quy tắc chia hội thoại").
type Rule struct {
	WorkspaceID string
	ID          string
	Name        string
	// SourceIDs are the connections whose conversations the rule distributes.
	SourceIDs []string
	// UserIDs receive the conversations, in rotation order.
	UserIDs   []string
	Method    AssignMethod
	OldPolicy OldConversationPolicy
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Template is a canned reply ("tin nhắn mẫu"). Body may contain variables such as
// {{customer_name}}; see RenderTemplate.
type Template struct {
	WorkspaceID string
	ID          string
	Name        string
	Body        string
	// ChannelKinds restricts the template to some channels; empty means all.
	ChannelKinds []Kind
}

// Category is a node of the workspace's three-level category tree:
// Danh mục → Danh mục phụ → Danh mục chi tiết. Nodes are deactivated, never deleted.
type Category struct {
	WorkspaceID string
	ID          string
	// ParentID is "" for a top-level node.
	ParentID string
	Name     string
	Active   bool
	Position int
}

// Classification is a conversation class, e.g. CSKH, Sale, Spam.
type Classification struct {
	WorkspaceID string
	ID          string
	Name        string
	Active      bool
	Position    int
}
