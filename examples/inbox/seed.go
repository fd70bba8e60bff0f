package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/dakenh/dakenh/omnichannel"
)

// workspaceID is the one workspace of the example inbox.
const workspaceID = "demo"

// supervisorID is the seeded supervisor: the owner of the seeded connections.
const supervisorID = "hoa"

// Seeded teams and rules.
const (
	teamCare  = "team-cskh"
	teamSales = "team-sales"
	ruleCare  = "rule-cskh"
	ruleSales = "rule-sales"
)

var seedUsers = []omnichannel.User{
	{ID: supervisorID, Name: "Trần Thị Hoa", Email: "hoa@shop.example", Role: omnichannel.RoleSupervisor},
	{ID: "minh", Name: "Nguyễn Minh Anh", Email: "minh@shop.example", Role: omnichannel.RoleAgent, TeamIDs: []string{teamCare}},
	{ID: "lan", Name: "Lê Thu Lan", Email: "lan@shop.example", Role: omnichannel.RoleAgent, TeamIDs: []string{teamCare}},
	{ID: "bao", Name: "Phạm Quốc Bảo", Email: "bao@shop.example", Role: omnichannel.RoleAgent, TeamIDs: []string{teamCare}},
	{ID: "nam", Name: "Đỗ Hải Nam", Email: "nam@shop.example", Role: omnichannel.RoleAgent, TeamIDs: []string{teamSales}},
	{ID: "mai", Name: "Vũ Ngọc Mai", Email: "mai@shop.example", Role: omnichannel.RoleAgent, TeamIDs: []string{teamSales}},
}

var seedTeams = []omnichannel.Team{
	{ID: teamCare, Name: "Chăm sóc khách hàng", MemberIDs: []string{"minh", "lan", "bao"}, Method: omnichannel.MethodRoundRobin},
	{ID: teamSales, Name: "Bán hàng", MemberIDs: []string{"nam", "mai"}, Method: omnichannel.MethodRoundRobin},
}

var seedTemplates = []omnichannel.Template{
	{ID: "tpl-thanks", Name: "Cảm ơn khách hàng", Body: "Dạ em cảm ơn {{customer_name}} đã liên hệ {{connection_name}} ạ. Em là {{agent_name}}, rất vui được hỗ trợ anh/chị!"},
	{ID: "tpl-order", Name: "Xác nhận đơn hàng", Body: "Dạ em xác nhận đơn hàng của {{customer_name}} đã được ghi nhận, shop sẽ giao trong 2–3 ngày làm việc ạ."},
	{ID: "tpl-return", Name: "Hướng dẫn đổi trả", Body: "Dạ để đổi trả, anh/chị giữ nguyên tem mác và gửi lại sản phẩm trong vòng 7 ngày; em sẽ gửi mã vận đơn đổi hàng qua {{channel}} ạ."},
}

// seedCategories is the three-level tree, parents before children.
var seedCategories = []omnichannel.Category{
	{ID: "cat-complaint", Name: "Khiếu nại"},
	{ID: "cat-wrong-product", ParentID: "cat-complaint", Name: "Sai sản phẩm"},
	{ID: "cat-wrong-color", ParentID: "cat-wrong-product", Name: "Sai màu sản phẩm"},
	{ID: "cat-wrong-size", ParentID: "cat-wrong-product", Name: "Sai size"},
	{ID: "cat-late", ParentID: "cat-complaint", Name: "Chậm giao hàng"},
	{ID: "cat-late-7", ParentID: "cat-late", Name: "Quá 7 ngày"},
	{ID: "cat-product", Name: "Hỏi về sản phẩm"},
	{ID: "cat-price", ParentID: "cat-product", Name: "Giá"},
	{ID: "cat-promo", ParentID: "cat-price", Name: "Khuyến mãi"},
	{ID: "cat-stock", ParentID: "cat-product", Name: "Tồn kho"},
	{ID: "cat-stock-size", ParentID: "cat-stock", Name: "Size / màu còn hàng"},
	{ID: "cat-warranty", Name: "Bảo hành"},
	{ID: "cat-exchange", ParentID: "cat-warranty", Name: "Đổi trả"},
	{ID: "cat-exchange-size", ParentID: "cat-exchange", Name: "Đổi size"},
}

var seedClassifications = []omnichannel.Classification{
	{ID: "cls-care", Name: "CSKH"},
	{ID: "cls-sale", Name: "Sale"},
	{ID: "cls-spam", Name: "Spam"},
}

// seedConversation is a customer message posted through an emulator on the first run. The care
// team's round-robin rule gets six of them (two per agent), so the next new conversation goes to
// its first agent again, as the browser tests expect.
type seedConversation struct {
	kind omnichannel.Kind
	msg  customerMessage
}

var seedConversations = []seedConversation{
	{kindTikTok, customerMessage{CustomerID: "tt-an", Name: "Nguyễn Văn An", Text: "Shop ơi, áo sơ mi trắng còn size M không ạ? SĐT em 0912 345 678"}},
	{kindZalo, customerMessage{CustomerID: "zl-phuc", Name: "Lê Hoàng Phúc", Text: "Mình muốn đổi áo sang size L được không shop?"}},
	{kindTikTok, customerMessage{CustomerID: "tt-bich", Name: "Trần Thị Bích", Text: "Cho mình hỏi đơn #DH1024 khi nào giao vậy shop?"}},
	{kindZalo, customerMessage{CustomerID: "zl-trang", Name: "Phạm Thu Trang", Text: "Shop có giao hàng ra Đà Nẵng không ạ?"}},
	{kindTikTok, customerMessage{CustomerID: "tt-khoa", Name: "Hoàng Minh Khoa", Text: "Em đặt áo màu xanh mà nhận được màu đỏ 😢"}},
	{kindMessenger, customerMessage{CustomerID: "6100000000000001", Name: "Đinh Mỹ Linh", Text: "Shop ơi váy hoa nhí còn size S không ạ?"}},
	{kindInstagram, customerMessage{CustomerID: "17841400000000901", Name: "Bùi Gia Huy", Text: "Mẫu túi trong story hôm qua giá bao nhiêu vậy shop?"}},
	{kindMessenger, customerMessage{CustomerID: "6100000000000002", Name: "Đỗ Khánh Vy", Text: "Shop có ship COD không ạ?"}},
}

// seedWorkspace writes the teams, templates, categories and classifications the first time, and
// reports whether it did. In demo mode it writes the demo users too (the first time is when the
// demo supervisor does not exist yet). Outside demo mode there are no demo users: the first time
// is when the workspace has no user at all, and the teams start without members (accounts.go
// creates the users).
func seedWorkspace(ctx context.Context, store omnichannel.Store, demo bool) (bool, error) {
	first := false
	err := store.Update(ctx, func(tx omnichannel.Tx) error {
		if demo {
			_, err := tx.GetUser(workspaceID, supervisorID)
			if err == nil {
				return nil
			}
			if !errors.Is(err, omnichannel.ErrNotFound) {
				return err
			}
		} else if users, err := tx.ListUsers(workspaceID); err != nil || len(users) > 0 {
			return err
		}
		first = true
		for _, u := range seedUsers {
			if demo {
				u.WorkspaceID, u.Active = workspaceID, true
				if err := tx.PutUser(&u); err != nil {
					return err
				}
			}
		}
		for _, t := range seedTeams {
			t.WorkspaceID = workspaceID
			if !demo {
				t.MemberIDs = nil
			}
			if err := tx.PutTeam(&t); err != nil {
				return err
			}
		}
		for _, t := range seedTemplates {
			t.WorkspaceID = workspaceID
			if err := tx.PutTemplate(&t); err != nil {
				return err
			}
		}
		for i, c := range seedCategories {
			c.WorkspaceID, c.Active, c.Position = workspaceID, true, i
			if err := tx.PutCategory(&c); err != nil {
				return err
			}
		}
		for i, c := range seedClassifications {
			c.WorkspaceID, c.Active, c.Position = workspaceID, true, i
			if err := tx.PutClassification(&c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("seeding the workspace: %w", err)
	}
	return first, nil
}

// connectEmulators connects each emulator's demo account, or refreshes its tokens when it is
// already connected (a restarted emulator forgets the tokens it issued). On the first run it shares
// the TikTok account, the Facebook Page and the Instagram account by round-robin over the care
// team, and the Zalo OA by self-claim over the sales team. It returns the connections by kind.
func connectEmulators(ctx context.Context, engine *omnichannel.Engine, emus []emulator, first bool) (map[omnichannel.Kind]*omnichannel.Connection, error) {
	out := map[omnichannel.Kind]*omnichannel.Connection{}
	for _, e := range emus {
		c := e.SeedConnection()
		c.WorkspaceID, c.OwnerID = workspaceID, supervisorID
		conn, err := engine.AddConnection(ctx, supervisorID, *c)
		if err != nil {
			return nil, fmt.Errorf("connecting the %s emulator: %w", e.Label(), err)
		}
		out[e.Kind()] = conn
	}
	if !first {
		return out, nil
	}
	rules := []omnichannel.Rule{
		{ID: ruleCare, Name: "CSKH — chia xoay vòng", UserIDs: []string{"minh", "lan", "bao"},
			Method: omnichannel.MethodRoundRobin, OldPolicy: omnichannel.PolicyAvailable},
		{ID: ruleSales, Name: "Bán hàng — tự nhận", UserIDs: []string{"nam", "mai"},
			Method: omnichannel.MethodClaim, OldPolicy: omnichannel.PolicyNone},
	}
	sources := map[string][]omnichannel.Kind{ruleCare: {kindTikTok, kindMessenger, kindInstagram}, ruleSales: {kindZalo}}
	for _, r := range rules {
		for _, k := range sources[r.ID] {
			if c := out[k]; c != nil {
				r.SourceIDs = append(r.SourceIDs, c.ID)
			}
		}
		r.WorkspaceID = workspaceID
		if _, err := engine.SaveRule(ctx, supervisorID, r); err != nil {
			return nil, fmt.Errorf("seeding rule %q: %w", r.Name, err)
		}
	}
	return out, nil
}
