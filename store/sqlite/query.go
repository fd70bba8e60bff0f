package sqlite

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dakenh/dakenh/omnichannel"
)

// Page sizes of ListConversations.
const (
	// DefaultPageSize is used when ConversationQuery.Limit ≤ 0.
	DefaultPageSize = 50
	// MaxPageSize caps ConversationQuery.Limit.
	MaxPageSize = 500
)

// ListConversations returns one page of q's filter, newest LastMessageAt first, ties by id
// descending, starting strictly after q.After (keyset paging on the list indexes).
//
// The "read" filter reads the viewer's read states in list order (readlist.go), and a team filter
// whose teams have members merges ordered reads of the teams and of each member (teamfilter.go).
// Three rewrites keep a big workspace fast without changing the result (see planQuery): a
// connection filter that covers every connection the workspace's conversations use is dropped (an
// agent's query names all the connections the agent may see, usually all of them), a category
// filter tests only the path levels where its ids occur, and a search of three characters or more
// probes the trigram index and reads the matching conversations through it when they are few (see
// searchPlan).
func (t *txn) ListConversations(q omnichannel.ConversationQuery) ([]*omnichannel.Conversation, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	plan, err := t.planQuery(&q)
	if err != nil {
		return nil, err
	}
	build := listSQL
	switch {
	case q.ReadState == omnichannel.ReadRead && plan.search == nil:
		build = readListSQL // from the viewer's read states (readlist.go)
	case teamScans(q, plan):
		build = teamListSQL // the teams' and their members' ordered reads (teamfilter.go)
	}
	query, args, err := build(q, plan)
	if err != nil {
		return nil, err
	}
	rows, err := t.q.queryDynamic(query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list conversations: %w", err)
	}
	return collect(rows, scanConversation, "conversations")
}

// CountUnread counts the conversations of q's filter that q.ViewerID has not read; q.ReadState and the
// paging fields are ignored. A filter on connections alone (the inbox badge) is answered from the
// maintained counters; any other filter counts the matching rows.
func (t *txn) CountUnread(q omnichannel.ConversationQuery) (int, error) {
	if err := t.readable(); err != nil {
		return 0, err
	}
	plan, err := t.planQuery(&q)
	if err != nil {
		return 0, err
	}
	if q.FiltersOnlyByConnection() { // the counters answer it
		return t.countUnreadFromCounters(q)
	}
	query, args, err := countUnreadSQL(q, plan)
	if err != nil {
		return 0, err
	}
	rows, err := t.q.queryDynamic(query, args...)
	if err != nil {
		return 0, fmt.Errorf("sqlite: count unread: %w", err)
	}
	defer rows.Close()
	n := 0
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return 0, fmt.Errorf("sqlite: count unread: %w", err)
		}
	}
	return n, rows.Err()
}

// listPlan is what the probes of a query found out (nil or zero: nothing, the plain query).
type listPlan struct {
	// search, when not nil, drives the query from the search index.
	search *searchIndex
	// categoryLevels are the levels of the category path (1 to MaxCategoryDepth) to test for the
	// query's category ids; nil tests them all.
	categoryLevels []int
	// teamMembers are the members of the query's teams, whose conversations without a team match
	// the team filter too (teamfilter.go); nil when none do.
	teamMembers []string
	// teamArm, when not nil, narrows the team filter to one ordered read of teamListSQL.
	teamArm *teamArm
}

// planQuery probes the data for the rewrites of ListConversations (see there) and applies the
// connection rewrite to q.
func (t *txn) planQuery(q *omnichannel.ConversationQuery) (*listPlan, error) {
	if err := t.dropCoveringConnections(q); err != nil {
		return nil, err
	}
	levels, err := t.categoryLevels(*q)
	if err != nil {
		return nil, err
	}
	search, err := t.searchPlan(*q)
	if err != nil {
		return nil, err
	}
	members, err := t.teamMembers(*q)
	if err != nil {
		return nil, err
	}
	return &listPlan{search: search, categoryLevels: levels, teamMembers: members}, nil
}

// categoryLevels returns the levels of the category path at which q's category ids occur in the
// workspace (nil when q has no category filter). A category id sits at one level of the tree, so
// this is normally one level, and the query can then read that level's list index in order
// instead of testing three columns on every row. Levels without an occurrence cannot match, so
// leaving them out changes no result; when no level has one, the first is kept (an empty range).
func (t *txn) categoryLevels(q omnichannel.ConversationQuery) ([]int, error) {
	if len(q.CategoryIDs) == 0 {
		return nil, nil
	}
	if len(pathIDs(q.CategoryIDs)) == 0 {
		return []int{1}, nil // the filter matches nothing (compileFilter)
	}
	query, args := categoryProbeSQL(q)
	rows, err := t.q.queryDynamic(query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: probe category levels: %w", err)
	}
	defer rows.Close()
	found := make([]bool, MaxCategoryDepth)
	dest := make([]any, MaxCategoryDepth)
	for i := range found {
		dest[i] = &found[i]
	}
	if rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("sqlite: probe category levels: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: probe category levels: %w", err)
	}
	var levels []int
	for i, ok := range found {
		if ok {
			levels = append(levels, i+1)
		}
	}
	if len(levels) == 0 {
		levels = []int{1}
	}
	return levels, nil
}

// categoryProbeSQL is the query of categoryLevels: for each level, whether a conversation of the
// workspace has one of q's category ids there (an index lookup in that level's list index).
func categoryProbeSQL(q omnichannel.ConversationQuery) (string, []any) {
	ids := anys(pathIDs(q.CategoryIDs))
	marks := placeholders(len(ids))
	var probes []string
	var args []any
	for level := 1; level <= MaxCategoryDepth; level++ {
		probes = append(probes, `EXISTS (SELECT 1 FROM conversations WHERE workspace_id = ? AND `+
			categoryLevelSQL(fmt.Sprintf("category%d", level), marks)+`)`)
		args = append(append(args, q.WorkspaceID), ids...)
	}
	return `SELECT ` + strings.Join(probes, ", "), args
}

// categoryLevelSQL tests one level's column for non-empty category ids (marks are their
// placeholders), with the implied non-empty test of that level's partial index (see inSparse).
func categoryLevelSQL(column, marks string) string {
	return "(" + column + " IN (" + marks + ") AND " + nonEmpty(column) + ")"
}

// pathIDs are the category ids of a filter that a path can hold: the empty id is left out, as the
// empty levels of a path are stored as empty strings and must not match it.
func pathIDs(ids []string) []string {
	return slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == "" })
}

// pageSize is q's page size: Limit, DefaultPageSize when not set, at most MaxPageSize.
func pageSize(q omnichannel.ConversationQuery) int {
	if q.Limit <= 0 {
		return DefaultPageSize
	}
	return min(q.Limit, MaxPageSize)
}

// listSQL is the query of one page of q as plan (nil: the plain query) reads it.
func listSQL(q omnichannel.ConversationQuery, plan *listPlan) (string, []any, error) {
	w, err := compileFilter(q, true, plan)
	if err != nil {
		return "", nil, err
	}
	limit := pageSize(q)
	return `SELECT ` + conversationColumnsC + ` FROM ` + w.from + ` WHERE ` + w.where() +
		` ORDER BY c.last_message_at DESC, c.id DESC LIMIT ?`, append(w.args, limit), nil
}

// countUnreadSQL is the query of CountUnread(q) over the rows.
func countUnreadSQL(q omnichannel.ConversationQuery, plan *listPlan) (string, []any, error) {
	q.ReadState, q.After, q.Limit = omnichannel.ReadUnread, nil, 0
	w, err := compileFilter(q, false, plan)
	if err != nil {
		return "", nil, err
	}
	return `SELECT COUNT(*) FROM ` + w.from + ` WHERE ` + w.where(), w.args, nil
}

// filterSQL is a ConversationQuery compiled to SQL over conversations c (and read_states r, and
// the search index): the FROM clause, its conditions and their arguments in order.
type filterSQL struct {
	from  string
	conds []string
	args  []any
}

func (f *filterSQL) where() string { return strings.Join(f.conds, " AND ") }

func (f *filterSQL) add(cond string, args ...any) {
	f.conds = append(f.conds, cond)
	f.args = append(f.args, args...)
}

// in adds "column IN (…)" for a non-empty list.
func (f *filterSQL) in(column string, values []any) {
	if len(values) > 0 {
		f.add(column+" IN ("+placeholders(len(values))+")", values...)
	}
}

// inSparse is in for a column whose list index is partial, holding only the rows with a value
// (migration 5): when no value asked for is empty, it adds the implied non-empty test (nonEmpty),
// the term SQLite needs to see in the query to use that index.
func (f *filterSQL) inSparse(column string, values []string) {
	f.in(column, anys(values))
	if len(values) > 0 && !slices.Contains(values, "") {
		f.add(nonEmpty(column))
	}
}

// nonEmpty is the condition of the partial list indexes of the sparse columns (migration 5),
// spelled as they are.
func nonEmpty(column string) string {
	return column + " <> ''"
}

// compileFilter turns q into SQL. Every condition leads with the workspace, so every query uses an
// index that starts with workspace_id; the argument order follows the conditions.
//
// With a search plan, the rows come from the search index's matches found by the probe (CROSS
// JOIN keeps that order of the loops): the page is then sorted, which is cheap for the few rows a probed search lets
// through. The search conditions stay in the WHERE clause either way, so the index only narrows
// the candidates and never decides what matches.
func compileFilter(q omnichannel.ConversationQuery, paging bool, plan *listPlan) (*filterSQL, error) {
	switch q.ReadState {
	case omnichannel.ReadAny, omnichannel.ReadUnread, omnichannel.ReadRead:
	default:
		return nil, fmt.Errorf("sqlite: unknown read filter %q: %w", q.ReadState, omnichannel.ErrInvalid)
	}
	if plan == nil {
		plan = &listPlan{}
	}
	search := plan.search
	f := &filterSQL{from: "conversations c"}
	switch {
	case search != nil:
		// The probe's rowids drive; CROSS JOIN keeps that order of the loops.
		f.from = "json_each(?) AS hits CROSS JOIN conversations c ON c.rowid = hits.value"
		f.args = append(f.args, search.hits)
	case len(q.ContactIDs) > 0:
		// The contacts' few conversations, then sorted: the index has no sort key (migration 5),
		// and the planner would rather walk the whole list in order than sort.
		f.from = "conversations c INDEXED BY conversations_by_contact"
	}
	if q.ReadState != omnichannel.ReadAny {
		// The viewer's read state, by its primary key, for each candidate row.
		f.from += ` LEFT JOIN read_states r ON r.workspace_id = c.workspace_id AND r.user_id = ? AND r.conversation_id = c.id`
		f.args = append(f.args, q.ViewerID)
	}
	f.add("c.workspace_id = ?", q.WorkspaceID)
	f.in("c.channel_kind", anys(q.ChannelKinds))
	f.in("c.status", anys(q.Statuses))
	if len(q.AssigneeIDs) > 0 {
		// Unassigned stands for the empty assignee (a user id cannot be "-").
		ids := make([]any, len(q.AssigneeIDs))
		for i, id := range q.AssigneeIDs {
			if id == omnichannel.Unassigned {
				id = ""
			}
			ids[i] = id
		}
		f.in("c.assignee_id", ids)
	}
	addTeamFilter(f, q.TeamIDs, plan)
	if len(q.CategoryIDs) > 0 {
		ids := anys(pathIDs(q.CategoryIDs))
		if len(ids) == 0 {
			f.add("0") // only empty ids, which no path holds
		} else {
			marks := placeholders(len(ids))
			levels := plan.categoryLevels
			if levels == nil {
				levels = []int{1, 2, 3}
			}
			var ors []string
			var args []any
			for _, level := range levels {
				ors = append(ors, categoryLevelSQL(fmt.Sprintf("c.category%d", level), marks))
				args = append(args, ids...)
			}
			f.add("("+strings.Join(ors, " OR ")+")", args...)
		}
	}
	f.inSparse("c.classification_id", q.ClassificationIDs)
	f.in("c.connection_id", anys(q.ConnectionIDs))
	f.in("c.contact_id", anys(q.ContactIDs))
	if q.AwaitingClaim {
		f.add("c.awaiting_claim = 1")
	}
	switch {
	case q.Search != "" && q.SearchDigits != "":
		f.add("(instr(c.contact_name_fold, ?) > 0 OR instr(c.contact_phone_digits, ?) > 0)",
			omnichannel.FoldSearch(q.Search), q.SearchDigits)
	case q.Search != "":
		f.add("instr(c.contact_name_fold, ?) > 0", omnichannel.FoldSearch(q.Search))
	case q.SearchDigits != "":
		f.add("instr(c.contact_phone_digits, ?) > 0", q.SearchDigits)
	}
	switch q.ReadState {
	case omnichannel.ReadUnread:
		f.add("c.inbound_count > COALESCE(r.inbound_count, 0)")
	case omnichannel.ReadRead:
		f.add("c.inbound_count <= COALESCE(r.inbound_count, 0)")
	}
	if paging && q.After != nil {
		f.add("(c.last_message_at, c.id) < (?, ?)", micros(q.After.LastMessageAt), q.After.ConversationID)
	}
	return f, nil
}
