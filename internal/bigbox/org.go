package bigbox

import (
	"fmt"

	"github.com/dakenh/dakenh/omnichannel"
)

// Org is the workspace's organisation: what exists before any conversation.
type Org struct {
	Connections     []*omnichannel.Connection
	Users           []*omnichannel.User
	Teams           []*omnichannel.Team
	Categories      []*omnichannel.Category
	Classifications []*omnichannel.Classification
	Rule            *omnichannel.Rule
}

// Connection kinds, as the real adapters name them (channels/zalooa.Kind, channels/tiktok.Kind).
const (
	KindZalo   omnichannel.Kind = "zalo"
	KindTikTok omnichannel.Kind = "tiktok"
)

// ConnectionID is the id of connection i (0…3: zalo, tiktok, zalo, tiktok) of the workspace.
func ConnectionID(workspaceID string, i int) string { return fmt.Sprintf("%s-conn-%d", workspaceID, i) }

// Connections is the number of connections.
const Connections = 4

// ClassificationIDs are the workspace's classifications.
var ClassificationIDs = []string{"cskh", "sale", "spam", "vip"}

// CategoryID is the id of a node of the category tree: top-level node a (0…4), its child b (0…2)
// and grandchild c (0…2); pass -1 for the levels below the node wanted.
func CategoryID(a, b, c int) string {
	switch {
	case b < 0:
		return fmt.Sprintf("cat-%d", a)
	case c < 0:
		return fmt.Sprintf("cat-%d-%d", a, b)
	default:
		return fmt.Sprintf("cat-%d-%d-%d", a, b, c)
	}
}

// NewOrg returns the organisation of s.
func NewOrg(s Spec) (*Org, error) {
	s, err := s.withDefaults()
	if err != nil {
		return nil, err
	}
	ws := s.WorkspaceID
	o := &Org{}
	for i := range Connections {
		kind, ext := KindZalo, fmt.Sprintf("oa-%s-%d", ws, i)
		if i%2 == 1 {
			kind, ext = KindTikTok, fmt.Sprintf("tt-%s-%d", ws, i)
		}
		o.Connections = append(o.Connections, &omnichannel.Connection{WorkspaceID: ws, ID: ConnectionID(ws, i),
			Kind: kind, ExternalID: ext, DisplayName: fmt.Sprintf("Shop %s %d", kind, i),
			Status: omnichannel.ConnectionConnected, OwnerID: SupervisorID, Permission: omnichannel.PermissionShared,
			RuleID: "rule-main", CreatedAt: s.Start, UpdatedAt: s.Start, Version: 1})
	}
	o.Users = append(o.Users, &omnichannel.User{WorkspaceID: ws, ID: SupervisorID, Name: "Chị Quản Lý",
		Email: "boss@example.vn", Role: omnichannel.RoleSupervisor, Active: true, CreatedAt: s.Start})
	members := make([][]string, Teams)
	var agents []string
	for i := range s.Agents {
		id := AgentID(i)
		agents = append(agents, id)
		members[i%Teams] = append(members[i%Teams], id)
		o.Users = append(o.Users, &omnichannel.User{WorkspaceID: ws, ID: id, Name: fmt.Sprintf("Nhân viên %03d", i),
			Email: id + "@example.vn", Role: omnichannel.RoleAgent, TeamIDs: []string{TeamID(i % Teams)},
			Active: true, CreatedAt: s.Start})
	}
	for i := range Teams {
		o.Teams = append(o.Teams, &omnichannel.Team{WorkspaceID: ws, ID: TeamID(i), Name: fmt.Sprintf("Nhóm %d", i+1),
			MemberIDs: members[i], Method: omnichannel.MethodRoundRobin})
	}
	for a := range 5 {
		o.Categories = append(o.Categories, &omnichannel.Category{WorkspaceID: ws, ID: CategoryID(a, -1, -1),
			Name: fmt.Sprintf("Danh mục %d", a+1), Active: true, Position: a})
		for b := range 3 {
			o.Categories = append(o.Categories, &omnichannel.Category{WorkspaceID: ws, ID: CategoryID(a, b, -1),
				ParentID: CategoryID(a, -1, -1), Name: fmt.Sprintf("Danh mục phụ %d.%d", a+1, b+1), Active: true, Position: b})
			for c := range 3 {
				o.Categories = append(o.Categories, &omnichannel.Category{WorkspaceID: ws, ID: CategoryID(a, b, c),
					ParentID: CategoryID(a, b, -1), Name: fmt.Sprintf("Chi tiết %d.%d.%d", a+1, b+1, c+1), Active: true, Position: c})
			}
		}
	}
	for i, id := range ClassificationIDs {
		o.Classifications = append(o.Classifications, &omnichannel.Classification{WorkspaceID: ws, ID: id,
			Name: []string{"CSKH", "Sale", "Spam", "VIP"}[i], Active: true, Position: i})
	}
	var sources []string
	for _, c := range o.Connections {
		sources = append(sources, c.ID)
	}
	o.Rule = &omnichannel.Rule{WorkspaceID: ws, ID: "rule-main", Name: "Chia đều", SourceIDs: sources, UserIDs: agents,
		Method: omnichannel.MethodRoundRobin, OldPolicy: omnichannel.PolicyNone, CreatedAt: s.Start, UpdatedAt: s.Start}
	return o, nil
}

// Put stores the organisation in tx (connections, users, teams, categories, classifications, rule).
func (o *Org) Put(tx omnichannel.Tx) error {
	for _, c := range o.Connections {
		if err := tx.PutConnection(c); err != nil {
			return err
		}
	}
	for _, u := range o.Users {
		if err := tx.PutUser(u); err != nil {
			return err
		}
	}
	for _, t := range o.Teams {
		if err := tx.PutTeam(t); err != nil {
			return err
		}
	}
	for _, c := range o.Categories {
		if err := tx.PutCategory(c); err != nil {
			return err
		}
	}
	for _, c := range o.Classifications {
		if err := tx.PutClassification(c); err != nil {
			return err
		}
	}
	return tx.PutRule(o.Rule)
}
