package postgres

import (
	"strings"
	"unicode/utf8"

	"github.com/dakenh/dakenh/omnichannel"
)

// searchProbeRows is how many rows of the list order (after the other filters) the probe of a
// search examines, per row of the page asked for. A common term ("nguyễn", a third of the names)
// fills the page within a few hundred rows; a term that does not is rare enough for the trigram
// indexes to return all its matches quickly.
const searchProbeRows = 40

// minTrigramTerm is the shortest search term, in characters, the trigram indexes can serve.
const minTrigramTerm = 3

// searchCondition is the search of q on the conversation alias (empty without a search): the folded
// contact name contains q.Search, or the phone's digits contain q.SearchDigits. Both are LIKE
// patterns, which the trigram indexes of migration 0002 serve.
func (f *filterSQL) searchCondition(alias string, q omnichannel.ConversationQuery) string {
	var arms []string
	if q.Search != "" {
		arms = append(arms, alias+".contact_name_folded LIKE "+f.arg(likeContains(foldName(q.Search))))
	}
	if q.SearchDigits != "" {
		arms = append(arms, "("+alias+".contact_phone <> '' AND phone_digits("+alias+".contact_phone) LIKE "+
			f.arg(likeContains(q.SearchDigits))+")")
	}
	if len(arms) == 0 {
		return ""
	}
	return "(" + strings.Join(arms, " OR ") + ")"
}

// likeContains is the LIKE pattern matching any text that contains s.
func likeContains(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// searchIndexable reports whether q has a search and every part of it is long enough for the
// trigram indexes.
func searchIndexable(q omnichannel.ConversationQuery) bool {
	if q.Search == "" && q.SearchDigits == "" {
		return false
	}
	if q.Search != "" && utf8.RuneCountInString(foldName(q.Search)) < minTrigramTerm {
		return false
	}
	return q.SearchDigits == "" || len(q.SearchDigits) >= minTrigramTerm
}

// searchConversations answers a page of a search. It first walks the list in order over at most
// searchProbeRows × the page size rows that pass the other filters; if the matches among them fill
// the page, they are the page (nothing earlier in the order was skipped). Otherwise the term is
// rare: every match is found through the trigram indexes and only those are sorted.
func (t *txn) searchConversations(q omnichannel.ConversationQuery) ([]*omnichannel.Conversation, error) {
	limit := pageLimit(q)
	probe, args, err := searchProbeSQL(q)
	if err != nil {
		return nil, err
	}
	rows, err := list(t, "search conversations", probe, scanConversation, args...)
	if err != nil || len(rows) >= limit {
		return rows, err
	}
	indexed, args, err := searchIndexedSQL(q)
	if err != nil {
		return nil, err
	}
	return list(t, "search conversations", indexed, scanConversation, args...)
}

// searchProbeSQL is the probe of searchConversations: the search applied to a bounded, ordered
// window of the other filters' rows.
func searchProbeSQL(q omnichannel.ConversationQuery) (string, []any, error) {
	w, err := listFilter(q, false)
	if err != nil {
		return "", nil, err
	}
	limit := pageLimit(q)
	inner := `SELECT * FROM conversations c WHERE ` + w.where() +
		` ORDER BY c.last_message_at DESC, c.id DESC LIMIT ` + w.arg(limit*searchProbeRows)
	search := w.searchCondition("c", q)
	sql := `SELECT ` + qualified("c", conversationColumns) + ` FROM (` + inner + `) c WHERE ` + search +
		` ORDER BY c.last_message_at DESC, c.id DESC LIMIT ` + w.arg(limit)
	return sql, w.args, nil
}

// searchIndexedSQL finds every match first (OFFSET 0 keeps the planner from walking the list order
// instead, so it picks the trigram indexes) and sorts only those.
func searchIndexedSQL(q omnichannel.ConversationQuery) (string, []any, error) {
	w, err := listFilter(q, true)
	if err != nil {
		return "", nil, err
	}
	sql := `SELECT ` + qualified("c", conversationColumns) + ` FROM (SELECT ` + qualified("c", conversationColumns) +
		` FROM conversations c WHERE ` + w.where() + ` OFFSET 0) c` +
		` ORDER BY c.last_message_at DESC, c.id DESC LIMIT ` + w.arg(pageLimit(q))
	return sql, w.args, nil
}
