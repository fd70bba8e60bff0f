package model

// Clone returns a deep copy of c (stores and event snapshots use it so callers never share slices).
func (c *Conversation) Clone() *Conversation {
	cp := *c
	cp.CategoryPath = append([]string(nil), c.CategoryPath...)
	return &cp
}

// Clone returns a deep copy of m (attachments and activity included).
func (m *Message) Clone() *Message {
	cp := *m
	cp.Attachments = append([]Attachment(nil), m.Attachments...)
	cp.Reactions = append([]Reaction(nil), m.Reactions...)
	if m.Activity != nil {
		a := *m.Activity
		cp.Activity = &a
	}
	return &cp
}
