package storetest

import (
	"time"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/store"
)

// Kits of the workspace configuration rows: users, teams, rules, templates, categories and
// classifications.

func userKit() kit[model.User] {
	return kit[model.User]{
		full: fullUser,
		put:  func(tx store.Tx, v *model.User) error { return tx.PutUser(v) },
		get:  func(tx store.Tx, ws, id string) (*model.User, error) { return tx.GetUser(ws, id) },
		list: func(tx store.Tx, ws string) ([]*model.User, error) { return tx.ListUsers(ws) },
		del:  func(tx store.Tx, ws, id string) error { return tx.DeleteUser(ws, id) },
		change: func(v *model.User) {
			v.Name, v.Email, v.AvatarURL, v.Role = "Renamed", "new@shop.example", "https://cdn.example/new", model.RoleAgent
			v.TeamIDs, v.Active, v.CreatedAt = []string{"team-9"}, false, at(-time.Hour)
		},
		scribble: func(v *model.User) { v.Name = "scribbled"; v.TeamIDs[0] = "scribbled" },
	}
}

func teamKit() kit[model.Team] {
	return kit[model.Team]{
		full: fullTeam,
		put:  func(tx store.Tx, v *model.Team) error { return tx.PutTeam(v) },
		get:  func(tx store.Tx, ws, id string) (*model.Team, error) { return tx.GetTeam(ws, id) },
		list: func(tx store.Tx, ws string) ([]*model.Team, error) { return tx.ListTeams(ws) },
		del:  func(tx store.Tx, ws, id string) error { return tx.DeleteTeam(ws, id) },
		change: func(v *model.Team) {
			v.Name, v.MemberIDs, v.Method = "Renamed", []string{"u-9", "u-8", "u-7"}, model.MethodClaim
		},
		scribble: func(v *model.Team) { v.Name = "scribbled"; v.MemberIDs[0] = "scribbled" },
	}
}

func ruleKit() kit[model.Rule] {
	return kit[model.Rule]{
		full: fullRule,
		put:  func(tx store.Tx, v *model.Rule) error { return tx.PutRule(v) },
		get:  func(tx store.Tx, ws, id string) (*model.Rule, error) { return tx.GetRule(ws, id) },
		list: func(tx store.Tx, ws string) ([]*model.Rule, error) { return tx.ListRules(ws) },
		del:  func(tx store.Tx, ws, id string) error { return tx.DeleteRule(ws, id) },
		change: func(v *model.Rule) {
			v.Name, v.SourceIDs, v.UserIDs = "Renamed", []string{"conn-z"}, []string{"u-2", "u-1"}
			v.Method, v.OldPolicy, v.CreatedAt, v.UpdatedAt = model.MethodClaim, model.PolicyAll, at(-time.Hour), at(time.Hour)
		},
		scribble: func(v *model.Rule) {
			v.Name = "scribbled"
			v.SourceIDs[0] = "scribbled"
			v.UserIDs[1] = "scribbled"
		},
	}
}

func templateKit() kit[model.Template] {
	return kit[model.Template]{
		full: fullTemplate,
		put:  func(tx store.Tx, v *model.Template) error { return tx.PutTemplate(v) },
		get:  func(tx store.Tx, ws, id string) (*model.Template, error) { return tx.GetTemplate(ws, id) },
		list: func(tx store.Tx, ws string) ([]*model.Template, error) { return tx.ListTemplates(ws) },
		del:  func(tx store.Tx, ws, id string) error { return tx.DeleteTemplate(ws, id) },
		change: func(v *model.Template) {
			v.Name, v.Body, v.ChannelKinds = "Renamed", "Tạm biệt {{customer_name}}", []model.Kind{kindTikTok}
		},
		scribble: func(v *model.Template) { v.Body = "scribbled"; v.ChannelKinds[0] = "scribbled" },
	}
}

func categoryKit() kit[model.Category] {
	return kit[model.Category]{
		full: fullCategory,
		put:  func(tx store.Tx, v *model.Category) error { return tx.PutCategory(v) },
		get:  func(tx store.Tx, ws, id string) (*model.Category, error) { return tx.GetCategory(ws, id) },
		list: func(tx store.Tx, ws string) ([]*model.Category, error) { return tx.ListCategories(ws) },
		change: func(v *model.Category) {
			v.ParentID, v.Name, v.Active, v.Position = "", "Renamed", false, 7
		},
		scribble: func(v *model.Category) { v.Name = "scribbled"; v.Position = -1 },
	}
}

func classificationKit() kit[model.Classification] {
	return kit[model.Classification]{
		full: fullClassification,
		put:  func(tx store.Tx, v *model.Classification) error { return tx.PutClassification(v) },
		get: func(tx store.Tx, ws, id string) (*model.Classification, error) {
			return tx.GetClassification(ws, id)
		},
		list: func(tx store.Tx, ws string) ([]*model.Classification, error) {
			return tx.ListClassifications(ws)
		},
		change: func(v *model.Classification) {
			v.Name, v.Active, v.Position = "Spam", false, 0
		},
		scribble: func(v *model.Classification) { v.Name = "scribbled"; v.Active = false },
	}
}
