package omnichannel

import (
	"context"
	"fmt"
	"strings"
)

// MaxCategoryDepth is how deep the category tree goes: Danh mục → Danh mục phụ →
// Danh mục chi tiết.
const MaxCategoryDepth = 3

// SaveCategory creates or replaces a node of the workspace's category tree (an empty ID gets a new
// one). Nodes are deactivated (Active false), never deleted. Problems are reported together: no
// workspace or name, a parent that is not a category of the workspace, a parent that is the node
// itself or one of its descendants, a tree deeper than MaxCategoryDepth (the node's own subtree
// counted), a sibling with the same name (case and surrounding spaces ignored). It emits
// EventCategorySaved.
func (e *Engine) SaveCategory(ctx context.Context, actorID string, c Category) (*Category, error) {
	var p problems
	checkWorkspaceID(&p, "a category", c.WorkspaceID)
	c.Name = strings.TrimSpace(c.Name)
	checkName(&p, "a category", c.Name)
	if err := p.err(); err != nil {
		return nil, err
	}
	if c.ID == "" {
		c.ID = newID()
	}
	err := e.admin(ctx, c.WorkspaceID, actorID, func(tx Tx, ch *change) error {
		all, err := tx.ListCategories(c.WorkspaceID)
		if err != nil {
			return err
		}
		if err := checkCategory(&c, all); err != nil {
			return err
		}
		ch.emit(Event{Kind: EventCategorySaved, WorkspaceID: c.WorkspaceID, RecordID: c.ID, At: e.now()})
		return tx.PutCategory(&c)
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// checkCategory validates c's place in the tree all (the stored nodes, c's old version among them).
func checkCategory(c *Category, all []*Category) error {
	var p problems
	byID := make(map[string]*Category, len(all))
	children := map[string][]*Category{}
	for _, n := range all {
		if n.ID == c.ID {
			continue
		}
		byID[n.ID] = n
		children[n.ParentID] = append(children[n.ParentID], n)
	}
	depth := 1 // c's level
	if c.ParentID != "" {
		parent := byID[c.ParentID]
		switch {
		case c.ParentID == c.ID:
			p.add("a category cannot sit under itself", "parentId", ProblemCategoryCycle)
		case parent == nil:
			p.add(fmt.Sprintf("parent %q is not a category of this workspace", c.ParentID), "parentId", ProblemUnknown, "id", c.ParentID)
		default:
			seen := map[string]bool{}
			for n := parent; n != nil && !seen[n.ID]; n = byID[n.ParentID] {
				seen[n.ID] = true
				if n.ParentID == c.ID {
					p.add("a category cannot sit under one of its own subcategories", "parentId", ProblemCategoryCycle)
					break
				}
				depth++
			}
		}
	}
	if depth+subtreeHeight(c.ID, children, 0) > MaxCategoryDepth {
		p.add("the category tree is deeper than three levels", "parentId", ProblemCategoryDeep, "max", fmt.Sprint(MaxCategoryDepth))
	}
	for _, s := range children[c.ParentID] {
		if strings.EqualFold(strings.TrimSpace(s.Name), c.Name) {
			p.add(fmt.Sprintf("a sibling category is already named %q", c.Name), "name", ProblemDuplicateName, "name", c.Name)
			break
		}
	}
	return p.err()
}

// subtreeHeight is how many levels sit below node id (0 for a leaf); guarded against cycles in
// stored data by a bound.
func subtreeHeight(id string, children map[string][]*Category, guard int) int {
	if guard > MaxCategoryDepth+1 {
		return guard
	}
	h := 0
	for _, k := range children[id] {
		h = max(h, 1+subtreeHeight(k.ID, children, guard+1))
	}
	return h
}

// SaveClassification creates or replaces a conversation class (an empty ID gets a new
// one). Classes are deactivated (Active false), never deleted. Problems (no workspace or name,
// another class with the same name, case ignored) are reported together. It emits
// EventClassificationSaved.
func (e *Engine) SaveClassification(ctx context.Context, actorID string, c Classification) (*Classification, error) {
	var p problems
	checkWorkspaceID(&p, "a classification", c.WorkspaceID)
	c.Name = strings.TrimSpace(c.Name)
	checkName(&p, "a classification", c.Name)
	if err := p.err(); err != nil {
		return nil, err
	}
	if c.ID == "" {
		c.ID = newID()
	}
	err := e.admin(ctx, c.WorkspaceID, actorID, func(tx Tx, ch *change) error {
		all, err := tx.ListClassifications(c.WorkspaceID)
		if err != nil {
			return err
		}
		for _, o := range all {
			if o.ID != c.ID && strings.EqualFold(strings.TrimSpace(o.Name), c.Name) {
				return invalid(fmt.Sprintf("a classification is already named %q", c.Name), "name", ProblemDuplicateName, "name", c.Name)
			}
		}
		ch.emit(Event{Kind: EventClassificationSaved, WorkspaceID: c.WorkspaceID, RecordID: c.ID, At: e.now()})
		return tx.PutClassification(&c)
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}
