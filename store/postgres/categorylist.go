package postgres

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dakenh/dakenh/omnichannel"
)

// The category filter matches the conversations whose category path contains one of the ids. The
// path is an array, which only the GIN index conversations_category can search, and a GIN index
// has no order: the planner either walks the list and tests every row (a leaf category is on a few
// rows in a thousand, so a page reads tens of thousands of rows) or fetches every match and sorts
// them. Instead, each level of the path has an ordered index (migration 0003), and a page is the
// merge of one ordered range scan per (level, id) pair, each stopping at the page size. A path has
// at most three levels (the engine refuses deeper ones, as the SQLite store does). A
// conversation whose path holds several of the ids is found by several scans: the merge keeps it
// once (DISTINCT ON the sort key, which includes the id).

// categoryIndexedLevels is the number of path levels, each with an ordered index (migration 0003).
const categoryIndexedLevels = 3

// maxCategoryScans bounds the ordered scans of one category query; a filter with more (level, id)
// pairs uses the GIN index.
const maxCategoryScans = 12

// categoryScans reports whether listSQL reads q's category filter by ordered scans per level: when
// the category is the filter that selects (the connections, the awaiting flag and the unread test
// are tested on the rows the scans find). Combined with another indexed filter (status,
// classification, …) the plain query walks that filter's index in order and tests the category on
// each row, which measured faster at 1M than filtering the category scans.
func categoryScans(q omnichannel.ConversationQuery) bool {
	n := len(q.CategoryIDs)
	others := len(q.ChannelKinds) + len(q.Statuses) + len(q.AssigneeIDs) + len(q.TeamIDs) +
		len(q.ClassificationIDs) + len(q.ContactIDs)
	return n > 0 && n*categoryIndexedLevels <= maxCategoryScans && others == 0
}

// categoryListSQL is the query of one page of q, q.CategoryIDs read by ordered scans per level.
func categoryListSQL(q omnichannel.ConversationQuery) (string, []any, error) {
	ids := q.CategoryIDs
	q.CategoryIDs = nil
	return mergedScansSQL(q, true, func(w *filterSQL) []string {
		var conds []string
		for _, id := range ids {
			ref := w.arg(id)
			for level := 1; level <= categoryIndexedLevels; level++ {
				conds = append(conds, fmt.Sprintf("c.category_path[%d] = %s", level, ref))
			}
		}
		return conds
	})
}

// mergedScansSQL is the query of one page of q (without the filter the scans replace) as the merge
// of ordered range scans, one per condition scans returns (adding its arguments to w), each
// stopping at the page size. distinct keeps a row found by several scans once.
func mergedScansSQL(q omnichannel.ConversationQuery, distinct bool, scans func(w *filterSQL) []string) (string, []any, error) {
	w, err := listFilter(q, true)
	if err != nil {
		return "", nil, err
	}
	filter := w.where()
	// The page size is written into the query, not passed: a prepared statement's generic plan
	// assumes an unknown LIMIT reads a tenth of the rows, and then prefers fetching every match
	// and sorting to the ordered scans (a deep page of a combined filter took 0.4 s that way).
	limit := strconv.Itoa(pageLimit(q))
	cols := qualified("c", conversationColumns)
	var parts []string
	for _, cond := range scans(w) {
		parts = append(parts, `(SELECT `+cols+` FROM conversations c WHERE `+filter+` AND `+cond+
			` ORDER BY c.last_message_at DESC, c.id DESC LIMIT `+limit+`)`)
	}
	sel := `SELECT `
	if distinct {
		sel = `SELECT DISTINCT ON (c.last_message_at, c.id) `
	}
	sql := sel + cols + ` FROM (` + strings.Join(parts, " UNION ALL ") +
		`) c ORDER BY c.last_message_at DESC, c.id DESC LIMIT ` + limit
	return sql, w.args, nil
}
