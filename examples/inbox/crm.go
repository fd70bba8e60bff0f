package main

import (
	"context"
	"fmt"
	"time"

	"github.com/dakenh/dakenh/omnichannel"
)

// demoCRM plays the host CRM: a few customers found by phone (automatic linking) and their
// calls and transactions (interaction history).
type demoCRM struct {
	customers    []omnichannel.CRMCustomer
	interactions map[string][]omnichannel.Interaction
}

var (
	_ omnichannel.ContactDirectory  = (*demoCRM)(nil)
	_ omnichannel.InteractionSource = (*demoCRM)(nil)
)

func newDemoCRM(now time.Time) *demoCRM {
	day := 24 * time.Hour
	return &demoCRM{
		customers: []omnichannel.CRMCustomer{
			{ID: "crm-001", Name: "Nguyễn Văn An", Email: "an.nguyen@example.vn", Phone: "+84912345678",
				Attributes: map[string]string{"Trạng thái": "Khách hàng thân thiết", "Sở thích": "Áo sơ mi, thời trang công sở", "Hạng thành viên": "Vàng"}},
			{ID: "crm-002", Name: "Lê Hoàng Phúc", Email: "phuc.le@example.vn", Phone: "+84987654321",
				Attributes: map[string]string{"Trạng thái": "Khách mới", "Sở thích": "Áo thun, đồ thể thao"}},
		},
		interactions: map[string][]omnichannel.Interaction{
			"crm-001": {
				{Kind: "call", Title: "Cuộc gọi đến — 4 phút", Detail: "Hỏi chương trình khuyến mãi tháng này", At: now.Add(-3 * day)},
				{Kind: "transaction", Title: "Đơn hàng #DH0987", Detail: "2 áo sơ mi trắng — 780.000 ₫", At: now.Add(-10 * day)},
			},
			"crm-002": {
				{Kind: "transaction", Title: "Đơn hàng #DH1011", Detail: "1 áo thun size M — 250.000 ₫", At: now.Add(-5 * day)},
			},
		},
	}
}

// FindByPhone implements omnichannel.ContactDirectory.
func (c *demoCRM) FindByPhone(_ context.Context, _ string, phone string) (*omnichannel.CRMCustomer, error) {
	for i := range c.customers {
		if c.customers[i].Phone == phone {
			cust := c.customers[i]
			return &cust, nil
		}
	}
	return nil, fmt.Errorf("demo CRM: no customer with this phone: %w", omnichannel.ErrNotFound)
}

// Interactions implements omnichannel.InteractionSource.
func (c *demoCRM) Interactions(_ context.Context, _ string, crmID string) ([]omnichannel.Interaction, error) {
	return append([]omnichannel.Interaction(nil), c.interactions[crmID]...), nil
}
