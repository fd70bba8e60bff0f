package postgres

import (
	"strings"
	"unicode"
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

// indexedSearchCondition is searchCondition as the query that reads the trigram indexes asks it:
// the name arm asks the index only for the tiles of the term (nameTiles) and tests the whole term
// on an expression the index does not hold (the name concatenated with an empty text), so the
// planner checks it on the rows the tiles found instead of asking the index for every trigram of
// the term. pg_trgm reads the posting list of every trigram of a LIKE pattern: those of
// "%nguyen thu nga%" include "ngu", "en ", " th" and "  n", each in a large part of a million
// names (42 ms for the index scan of a bigbox inbox; its tiles "ngu", "yen", "thu", "nga": under
// 10 ms).
func (f *filterSQL) indexedSearchCondition(alias string, q omnichannel.ConversationQuery) string {
	tiles := nameTiles(foldName(q.Search))
	if tiles == nil {
		return f.searchCondition(alias, q)
	}
	col := alias + ".contact_name_folded"
	var name []string
	for _, tile := range tiles {
		name = append(name, col+" LIKE "+f.arg(likeContains(tile)))
	}
	name = append(name, "("+col+" || '') LIKE "+f.arg(likeContains(foldName(q.Search))))
	arms := []string{"(" + strings.Join(name, " AND ") + ")"}
	if q.SearchDigits != "" {
		arms = append(arms, "("+alias+".contact_phone <> '' AND phone_digits("+alias+".contact_phone) LIKE "+
			f.arg(likeContains(q.SearchDigits))+")")
	}
	return "(" + strings.Join(arms, " OR ") + ")"
}

// nameTiles returns the parts of a folded term whose trigrams the index is asked for, or nil when
// they would be the term itself. pg_trgm cuts a text into words (runs of letters and digits) and
// pads each word with spaces, so a tile never spans two words: a word of at least minTrigramTerm
// characters is tiled as SQLite's ftsTiles tiles a term (from its start every third character,
// plus its last three); a shorter word is asked with the separators around it, whose padded
// trigrams ("  a", " an", "an ") are what the whole term asks for it, unless the word begins the
// term and has no trigram of its own ("a" in "a nguyen"). Every tile is part of the term, so a
// name that contains the term contains every tile: the tiles only narrow what the index returns.
func nameTiles(term string) []string {
	runes := []rune(term)
	word := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
	var tiles []string
	seen := map[string]bool{}
	addTile := func(t string) {
		if !seen[t] {
			seen[t] = true
			tiles = append(tiles, t)
		}
	}
	for i := 0; i < len(runes); {
		if !word(runes[i]) {
			i++
			continue
		}
		j := i
		for j < len(runes) && word(runes[j]) {
			j++
		}
		if n := j - i; n >= minTrigramTerm {
			for k := i; k+minTrigramTerm <= j; k += minTrigramTerm {
				addTile(string(runes[k : k+minTrigramTerm]))
			}
			if n%minTrigramTerm != 0 {
				addTile(string(runes[j-minTrigramTerm : j]))
			}
		} else {
			start, end := i, j
			if start > 0 {
				start--
			}
			if end < len(runes) {
				end++
			}
			// Without a separator before it, the word has a trigram only when it has two
			// characters and a separator after it ("le " of "le van").
			if start < i || (n == 2 && end > j) {
				addTile(string(runes[start:end]))
			}
		}
		i = j
	}
	if len(tiles) == 0 || (len(tiles) == 1 && tiles[0] == term) {
		return nil
	}
	return tiles
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
// instead, so it picks the trigram indexes) and sorts only those. The name is looked up by the
// tiles of the term (indexedSearchCondition).
func searchIndexedSQL(q omnichannel.ConversationQuery) (string, []any, error) {
	w, err := listFilter(q, false)
	if err != nil {
		return "", nil, err
	}
	w.add(w.indexedSearchCondition("c", q))
	sql := `SELECT ` + qualified("c", conversationColumns) + ` FROM (SELECT ` + qualified("c", conversationColumns) +
		` FROM conversations c WHERE ` + w.where() + ` OFFSET 0) c` +
		` ORDER BY c.last_message_at DESC, c.id DESC LIMIT ` + w.arg(pageLimit(q))
	return sql, w.args, nil
}
