package storetest

import (
	"time"

	"github.com/dakenh/dakenh/omnichannel"
)

// Kits of the workspace configuration rows: users, teams, rules, templates, categories and
// classifications.

func userKit() kit[omnichannel.User] {
	return kit[omnichannel.User]{
		full: fullUser,
		put:  func(tx omnichannel.Tx, v *omnichannel.User) error { return tx.PutUser(v) },
		get:  func(tx omnichannel.Tx, ws, id string) (*omnichannel.User, error) { return tx.GetUser(ws, id) },
		list: func(tx omnichannel.Tx, ws string) ([]*omnichannel.User, error) { return tx.ListUsers(ws) },
		change: func(v *omnichannel.User) {
			v.Name, v.Email, v.AvatarURL, v.Role = "Renamed", "new@shop.example", "https://cdn.example/new", omnichannel.RoleAgent
			v.TeamIDs, v.Active, v.CreatedAt = []string{"team-9"}, false, at(-time.Hour)
		},
		scribble: func(v *omnichannel.User) { v.Name = "scribbled"; v.TeamIDs[0] = "scribbled" },
	}
}

func teamKit() kit[omnichannel.Team] {
	return kit[omnichannel.Team]{
		full: fullTeam,
		put:  func(tx omnichannel.Tx, v *omnichannel.Team) error { return tx.PutTeam(v) },
		get:  func(tx omnichannel.Tx, ws, id string) (*omnichannel.Team, error) { return tx.GetTeam(ws, id) },
		list: func(tx omnichannel.Tx, ws string) ([]*omnichannel.Team, error) { return tx.ListTeams(ws) },
		change: func(v *omnichannel.Team) {
			v.Name, v.MemberIDs, v.Method = "Renamed", []string{"u-9", "u-8", "u-7"}, omnichannel.MethodClaim
		},
		scribble: func(v *omnichannel.Team) { v.Name = "scribbled"; v.MemberIDs[0] = "scribbled" },
	}
}

func ruleKit() kit[omnichannel.Rule] {
	return kit[omnichannel.Rule]{
		full: fullRule,
		put:  func(tx omnichannel.Tx, v *omnichannel.Rule) error { return tx.PutRule(v) },
		get:  func(tx omnichannel.Tx, ws, id string) (*omnichannel.Rule, error) { return tx.GetRule(ws, id) },
		list: func(tx omnichannel.Tx, ws string) ([]*omnichannel.Rule, error) { return tx.ListRules(ws) },
		del:  func(tx omnichannel.Tx, ws, id string) error { return tx.DeleteRule(ws, id) },
		change: func(v *omnichannel.Rule) {
			v.Name, v.SourceIDs, v.UserIDs = "Renamed", []string{"conn-z"}, []string{"u-2", "u-1"}
			v.Method, v.OldPolicy, v.CreatedAt, v.UpdatedAt = omnichannel.MethodClaim, omnichannel.PolicyAll, at(-time.Hour), at(time.Hour)
		},
		scribble: func(v *omnichannel.Rule) {
			v.Name = "scribbled"
			v.SourceIDs[0] = "scribbled"
			v.UserIDs[1] = "scribbled"
		},
	}
}

func templateKit() kit[omnichannel.Template] {
	return kit[omnichannel.Template]{
		full: fullTemplate,
		put:  func(tx omnichannel.Tx, v *omnichannel.Template) error { return tx.PutTemplate(v) },
		get:  func(tx omnichannel.Tx, ws, id string) (*omnichannel.Template, error) { return tx.GetTemplate(ws, id) },
		list: func(tx omnichannel.Tx, ws string) ([]*omnichannel.Template, error) { return tx.ListTemplates(ws) },
		del:  func(tx omnichannel.Tx, ws, id string) error { return tx.DeleteTemplate(ws, id) },
		change: func(v *omnichannel.Template) {
			v.Name, v.Body, v.ChannelKinds = "Renamed", "Tạm biệt {{customer_name}}", []omnichannel.Kind{kindTikTok}
		},
		scribble: func(v *omnichannel.Template) { v.Body = "scribbled"; v.ChannelKinds[0] = "scribbled" },
	}
}

func categoryKit() kit[omnichannel.Category] {
	return kit[omnichannel.Category]{
		full: fullCategory,
		put:  func(tx omnichannel.Tx, v *omnichannel.Category) error { return tx.PutCategory(v) },
		get:  func(tx omnichannel.Tx, ws, id string) (*omnichannel.Category, error) { return tx.GetCategory(ws, id) },
		list: func(tx omnichannel.Tx, ws string) ([]*omnichannel.Category, error) { return tx.ListCategories(ws) },
		change: func(v *omnichannel.Category) {
			v.ParentID, v.Name, v.Active, v.Position = "", "Renamed", false, 7
		},
		scribble: func(v *omnichannel.Category) { v.Name = "scribbled"; v.Position = -1 },
	}
}

func classificationKit() kit[omnichannel.Classification] {
	return kit[omnichannel.Classification]{
		full: fullClassification,
		put:  func(tx omnichannel.Tx, v *omnichannel.Classification) error { return tx.PutClassification(v) },
		get: func(tx omnichannel.Tx, ws, id string) (*omnichannel.Classification, error) {
			return tx.GetClassification(ws, id)
		},
		list: func(tx omnichannel.Tx, ws string) ([]*omnichannel.Classification, error) {
			return tx.ListClassifications(ws)
		},
		change: func(v *omnichannel.Classification) {
			v.Name, v.Active, v.Position = "Spam", false, 0
		},
		scribble: func(v *omnichannel.Classification) { v.Name = "scribbled"; v.Active = false },
	}
}
