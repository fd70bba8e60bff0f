package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// goSteps are the parts of migrations that SQL cannot express, by migration file name: each runs in
// the migration's transaction right after the file's SQL (search_path set to the store's schema).
var goSteps = map[string]func(ctx context.Context, tx pgx.Tx) error{
	"0005_search_fold_accents.sql": refoldContactNames,
}

// refoldBatch is the number of conversations refoldContactNames reads per round trip.
const refoldBatch = 5000

// refoldContactNames recomputes contact_name_folded of every conversation with foldName
// (omnichannel.FoldSearch, what every write stores; migration 0005), in batches in primary key order, writing only the rows whose fold changed, and then
// builds the trigram index of the names again when pg_trgm is installed.
func refoldContactNames(ctx context.Context, tx pgx.Tx) error {
	var ws, id string
	for {
		rows, err := tx.Query(ctx, `SELECT workspace_id, id, contact_name, contact_name_folded FROM conversations
			WHERE (workspace_id, id) > ($1, $2) ORDER BY workspace_id, id LIMIT $3`, ws, id, refoldBatch)
		if err != nil {
			return fmt.Errorf("refold contact names: %w", err)
		}
		var wss, ids, folds []string
		n := 0
		for rows.Next() {
			var name, folded string
			if err := rows.Scan(&ws, &id, &name, &folded); err != nil {
				rows.Close()
				return fmt.Errorf("refold contact names: %w", err)
			}
			n++
			if f := foldName(name); f != folded {
				wss, ids, folds = append(wss, ws), append(ids, id), append(folds, f)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("refold contact names: %w", err)
		}
		if len(ids) > 0 {
			if _, err := tx.Exec(ctx, `UPDATE conversations c SET contact_name_folded = u.folded
				FROM unnest($1::text[], $2::text[], $3::text[]) AS u(workspace_id, id, folded)
				WHERE c.workspace_id = u.workspace_id AND c.id = u.id`, wss, ids, folds); err != nil {
				return fmt.Errorf("refold contact names: %w", err)
			}
		}
		if n < refoldBatch {
			break
		}
	}
	var ext string
	err := tx.QueryRow(ctx, `SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
		WHERE e.extname = 'pg_trgm'`).Scan(&ext)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // search scans the list in order (migration 0002)
	}
	if err != nil {
		return fmt.Errorf("refold contact names: find pg_trgm: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE INDEX conversations_name_trgm ON conversations USING gin (contact_name_folded `+
		pgx.Identifier{ext}.Sanitize()+`.gin_trgm_ops)`); err != nil {
		return fmt.Errorf("refold contact names: index: %w", err)
	}
	return nil
}
