package bigbox

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/dakenh/dakenh/omnichannel"
)

// Totals counts what Generate produced.
type Totals struct {
	Conversations, Messages, ReadStates int
}

// Generate produces the workspace's conversations in order, with their contacts, identities,
// messages and read states, and calls fn with chunks of up to chunk conversations (default 5,000).
// fn owns the Bulk it receives. Generation is deterministic: the same Spec gives the same records.
func Generate(ctx context.Context, s Spec, chunk int, fn func(*omnichannel.Bulk) error) (Totals, error) {
	var t Totals
	s, err := s.withDefaults()
	if err != nil {
		return t, err
	}
	if chunk <= 0 {
		chunk = 5000
	}
	for start := 0; start < s.Conversations; start += chunk {
		if err := ctx.Err(); err != nil {
			return t, err
		}
		b := &omnichannel.Bulk{}
		for i := start; i < min(start+chunk, s.Conversations); i++ {
			addConversation(b, s, i)
		}
		t.Conversations += len(b.Conversations)
		t.Messages += len(b.Messages)
		t.ReadStates += len(b.ReadStates)
		if err := fn(b); err != nil {
			return t, fmt.Errorf("bigbox: chunk at conversation %d: %w", start, err)
		}
	}
	return t, nil
}

// Customer names: a few family names carry most of the population, as in Vietnam.
var (
	familyNames  = []string{"Nguyễn", "Nguyễn", "Nguyễn", "Trần", "Trần", "Lê", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"}
	middleNames  = []string{"Văn", "Thị", "Minh", "Ngọc", "Đức", "Thu", "Hoàng", "Thanh", "Quốc", "Hữu"}
	givenNames   = []string{"An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng", "Hương", "Khánh", "Lan", "Linh", "Long", "Mai", "Nam", "Nga", "Phúc", "Phương", "Quân", "Quỳnh", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Vy", "Yến"}
	inboundTexts = []string{"Shop ơi còn hàng không ạ?", "Cho mình hỏi giá sản phẩm này", "Mình muốn đổi size được không?",
		"Bao giờ giao hàng vậy shop?", "Mã giảm giá còn dùng được không?", "Cảm ơn shop nhé", "Gửi mình số tài khoản với",
		"Đơn của mình đến đâu rồi?", "Sản phẩm này có màu đỏ không?", "Mình ở Hà Nội, ship mất mấy ngày?"}
	outboundTexts = []string{"Dạ shop chào anh/chị ạ", "Dạ sản phẩm vẫn còn hàng ạ", "Dạ giá là 250.000đ ạ",
		"Shop gửi anh/chị mã đơn hàng ạ", "Dạ 2-3 ngày là nhận được hàng ạ", "Cảm ơn anh/chị đã ủng hộ shop ạ"}
)

// Name returns the customer name of conversation i (exposed so benchmarks can search for names that
// exist).
func Name(s Spec, i int) string {
	s, _ = s.withDefaults()
	r := rngFor(s, i)
	return customerName(r)
}

func customerName(r *rand.Rand) string {
	return familyNames[r.IntN(len(familyNames))] + " " + middleNames[r.IntN(len(middleNames))] + " " +
		givenNames[r.IntN(len(givenNames))]
}

func rngFor(s Spec, i int) *rand.Rand { return rand.New(rand.NewPCG(s.Seed, uint64(i))) }

// threadLength is the number of messages of conversation i.
func threadLength(s Spec, i int, r *rand.Rand) int {
	if i%longThreadEvery == 0 && i > 0 {
		return s.LongThread
	}
	return 1 + r.IntN(max(2*s.MessagesPerConversation-1, 1))
}

// addConversation appends conversation i and everything it owns to b.
func addConversation(b *omnichannel.Bulk, s Spec, i int) {
	r := rngFor(s, i)
	ws := s.WorkspaceID
	name := customerName(r)
	phone := ""
	if r.IntN(10) < 6 {
		phone = fmt.Sprintf("+849%08d", r.IntN(100_000_000))
	}
	connIdx := i % Connections
	conn := ConnectionID(ws, connIdx)
	kind := KindZalo
	if connIdx%2 == 1 {
		kind = KindTikTok
	}
	created := s.Start.Add(time.Duration(r.Int64N(int64(365*24*time.Hour/time.Second))) * time.Second).Truncate(time.Microsecond)
	id := fmt.Sprintf("%07d", i)
	contact := &omnichannel.Contact{WorkspaceID: ws, ID: "ct-" + id, Name: name, Phone: phone, CreatedAt: created, UpdatedAt: created}
	ident := &omnichannel.Identity{WorkspaceID: ws, ID: "id-" + id, ContactID: contact.ID, ConnectionID: conn,
		ChannelKind: kind, ExternalUserID: "u" + id, DisplayName: name, Phone: phone, Follower: kind == KindZalo,
		CreatedAt: created, UpdatedAt: created}
	c := &omnichannel.Conversation{WorkspaceID: ws, ID: ConversationID(i), ConnectionID: conn, ChannelKind: kind,
		ContactID: contact.ID, IdentityID: ident.ID, ContactName: name, ContactPhone: phone,
		Status: omnichannel.StatusDone, RuleID: "rule-main", CreatedAt: created, Version: 1}
	if r.IntN(10) < 3 {
		c.Status = omnichannel.StatusOpen
	}
	switch n := r.IntN(100); {
	case n < 4:
		c.AwaitingClaim = c.Status == omnichannel.StatusOpen
	case n < 8:
	default:
		agent := r.IntN(s.Agents)
		c.AssigneeID = AgentID(agent)
		c.Claimed = n < 20
		if n >= 70 {
			// Handed to the agent's team (reassigned to it); the rule's assignments carry no team.
			c.TeamID = TeamID(agent % Teams)
		}
	}
	if r.IntN(10) < 4 {
		a, bb, cc := r.IntN(5), r.IntN(3), r.IntN(3)
		c.CategoryPath = []string{CategoryID(a, -1, -1)}
		if r.IntN(3) > 0 {
			c.CategoryPath = append(c.CategoryPath, CategoryID(a, bb, -1))
			if r.IntN(2) == 0 {
				c.CategoryPath = append(c.CategoryPath, CategoryID(a, bb, cc))
			}
		}
		c.CategoryID = c.CategoryPath[len(c.CategoryPath)-1]
	}
	if r.IntN(10) < 3 {
		c.ClassificationID = ClassificationIDs[r.IntN(len(ClassificationIDs))]
	}

	n := threadLength(s, i, r)
	at := created
	for seq := 1; seq <= n; seq++ {
		at = at.Add(time.Duration(30+r.IntN(600)) * time.Second)
		m := &omnichannel.Message{WorkspaceID: ws, ID: fmt.Sprintf("m-%s-%d", id, seq), ConversationID: c.ID,
			ConnectionID: conn, Seq: int64(seq), Type: omnichannel.MessageText,
			ProviderMessageID: fmt.Sprintf("pm-%s-%d", id, seq), ProviderTime: at, CreatedAt: at, UpdatedAt: at}
		if seq == 1 || r.IntN(10) < 6 {
			m.Direction, m.Status, m.SenderID, m.SenderName = omnichannel.DirectionIn, omnichannel.MessageReceived, ident.ID, name
			m.Text = inboundTexts[r.IntN(len(inboundTexts))]
			c.InboundCount++
			c.LastInboundAt = at
			c.RepliesSinceInbound = 0
		} else {
			m.Direction, m.Status = omnichannel.DirectionOut, omnichannel.MessageSeen
			m.SenderID, m.SenderName = c.AssigneeID, "Nhân viên"
			m.Text = outboundTexts[r.IntN(len(outboundTexts))]
			c.RepliesSinceInbound++
		}
		c.LastSeq, c.LastMessageAt, c.LastMessageText, c.LastMessageDirection = m.Seq, at, m.Text, m.Direction
		b.Messages = append(b.Messages, m)
	}
	c.UpdatedAt = at
	b.Contacts = append(b.Contacts, contact)
	b.Identities = append(b.Identities, ident)
	b.Conversations = append(b.Conversations, c)

	if c.AssigneeID != "" && (c.Status == omnichannel.StatusDone || r.IntN(2) == 0) {
		b.ReadStates = append(b.ReadStates, &omnichannel.ReadState{WorkspaceID: ws, UserID: c.AssigneeID,
			ConversationID: c.ID, InboundCount: c.InboundCount, Seq: c.LastSeq, ReadAt: at})
	}
	if r.IntN(5) == 0 {
		b.ReadStates = append(b.ReadStates, &omnichannel.ReadState{WorkspaceID: ws, UserID: SupervisorID,
			ConversationID: c.ID, InboundCount: c.InboundCount, Seq: c.LastSeq, ReadAt: at})
	}
}
