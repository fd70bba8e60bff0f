package postgres

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/omnichannel"
)

const jobColumns = `workspace_id, id, kind, conversation_id, message_id, connection_id, payload, attempts, run_at,
	locked_by, locked_until, started, last_error, created_at`

func scanJob(r pgx.Row) (*omnichannel.Job, error) {
	var j omnichannel.Job
	var payload []byte
	err := r.Scan(&j.WorkspaceID, &j.ID, &j.Kind, &j.ConversationID, &j.MessageID, &j.ConnectionID, &payload,
		&j.Attempts, &j.RunAt, &j.LockedBy, &j.LockedUntil, &j.Started, &j.LastError, &j.CreatedAt)
	if err != nil {
		return nil, err
	}
	if err := fromJSON(payload, &j.Payload); err != nil {
		return nil, err
	}
	return &j, nil
}

func jobArgs(j *omnichannel.Job) ([]any, error) {
	payload, err := jsonArg(j.Payload)
	if err != nil {
		return nil, err
	}
	return []any{j.WorkspaceID, j.ID, j.Kind, j.ConversationID, j.MessageID, j.ConnectionID, payload, j.Attempts,
		j.RunAt, j.LockedBy, j.LockedUntil, j.Started, j.LastError, j.CreatedAt}, nil
}

// InsertJob refuses an existing job id with ErrDuplicate. Job ids are global.
func (t *txn) InsertJob(j *omnichannel.Job) error {
	cp := *j
	cp.Payload = maps.Clone(j.Payload)
	defer t.recordWrite("jobs", func(r *txn) error { return r.InsertJob(&cp) })()
	if err := t.writing(); err != nil {
		return err
	}
	args, err := jobArgs(j)
	if err != nil {
		return err
	}
	tag, err := t.exec("insert job", `INSERT INTO jobs (`+jobColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT DO NOTHING`, args...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return duplicate("job", fmt.Sprintf("id %q", j.ID))
	}
	return nil
}

// ClaimJobs locks up to limit due jobs (RunAt ≤ now) whose lock is free or expired (LockedUntil ≤
// now), ordered by RunAt then id. The candidates are selected FOR UPDATE SKIP LOCKED: a job another
// transaction is claiming is skipped rather than waited for, and a job claimed by a transaction that
// committed meanwhile is re-checked and left out, so no job is ever handed to two owners. A limit ≤ 0
// claims nothing.
func (t *txn) ClaimJobs(owner string, now time.Time, lease time.Duration, limit int) ([]*omnichannel.Job, error) {
	return t.ClaimJobsOfKinds(owner, now, lease, limit, nil, true)
}

// ClaimJobsOfKinds is ClaimJobs for the jobs whose kind is in kinds (exclude false) or not in kinds
// (exclude true); store.JobTx.
func (t *txn) ClaimJobsOfKinds(owner string, now time.Time, lease time.Duration, limit int, kinds []omnichannel.JobKind, exclude bool) ([]*omnichannel.Job, error) {
	if err := t.writing(); err != nil {
		return nil, err
	}
	if owner == "" {
		return nil, fmt.Errorf("postgres: ClaimJobs without an owner: %w", omnichannel.ErrInvalid)
	}
	if limit <= 0 {
		return nil, nil
	}
	if len(kinds) == 0 && !exclude {
		return nil, nil // no kind asked for
	}
	args := []any{now, limit, owner, now.Add(lease)}
	kindCond := ""
	if len(kinds) > 0 {
		names := make([]string, len(kinds))
		for i, k := range kinds {
			names[i] = string(k)
		}
		kindCond = "AND kind = ANY($5::text[])"
		if exclude {
			kindCond = "AND NOT (kind = ANY($5::text[]))"
		}
		args = append(args, names)
	}
	jobs, err := list(t, "claim jobs", `WITH due AS (
			SELECT id FROM jobs
			WHERE run_at <= $1 AND (locked_by = '' OR locked_until <= $1) `+kindCond+`
			ORDER BY run_at, id LIMIT $2
			FOR UPDATE SKIP LOCKED
		)
		UPDATE jobs SET locked_by = $3, locked_until = $4 FROM due WHERE jobs.id = due.id
		RETURNING `+qualified("jobs", jobColumns), scanJob, args...)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(jobs, func(a, b *omnichannel.Job) int {
		if c := a.RunAt.Compare(b.RunAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return jobs, nil
}

// qualified prefixes every column of a column list with table.
func qualified(table, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = table + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// UpdateJob saves j when the stored job is still locked by j.LockedBy (nobody claimed it since, even
// if the lease ran out); ErrConflict otherwise, ErrNotFound when the job is gone.
func (t *txn) UpdateJob(j *omnichannel.Job) error {
	if err := t.writing(); err != nil {
		return err
	}
	args, err := jobArgs(j)
	if err != nil {
		return err
	}
	tag, err := t.exec("update job", `UPDATE jobs SET workspace_id = $1, kind = $3, conversation_id = $4,
		message_id = $5, connection_id = $6, payload = $7, attempts = $8, run_at = $9, locked_until = $11,
		started = $12, last_error = $13, created_at = $14
		WHERE id = $2 AND locked_by = $10 AND $10 <> ''`, args...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var holder string
	err = t.tx.QueryRow(t.ctx, `SELECT locked_by FROM jobs WHERE id = $1`, j.ID).Scan(&holder)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return notFound("job", j.ID)
	case err != nil:
		return t.fail("update job", err)
	}
	return fmt.Errorf("postgres: job %q is not locked by %q: %w", j.ID, j.LockedBy, omnichannel.ErrConflict)
}

// DeleteJob removes the job; ErrNotFound when absent.
func (t *txn) DeleteJob(id string) error {
	if err := t.writing(); err != nil {
		return err
	}
	tag, err := t.exec("delete job", `DELETE FROM jobs WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return notFound("job", id)
	}
	return nil
}

// JobQueue counts the due and running jobs at now.
func (t *txn) JobQueue(now time.Time) (model.JobQueue, error) {
	var q model.JobQueue
	if err := t.readable(); err != nil {
		return q, err
	}
	var oldest *time.Time
	err := t.tx.QueryRow(t.ctx, `SELECT
		count(*) FILTER (WHERE run_at <= $1 AND (locked_by = '' OR locked_until <= $1)),
		min(run_at) FILTER (WHERE run_at <= $1 AND (locked_by = '' OR locked_until <= $1)),
		count(*) FILTER (WHERE locked_by <> '' AND locked_until > $1)
		FROM jobs`, now).Scan(&q.Due, &oldest, &q.Running)
	if err != nil {
		return q, t.fail("job queue", err)
	}
	if oldest != nil {
		q.OldestDue = *oldest
	}
	return q, nil
}

// NextJobTime returns the earliest RunAt among jobs whose lock is free or expired by this process's
// clock, the zero time when there is none.
func (t *txn) NextJobTime() (time.Time, error) {
	if err := t.readable(); err != nil {
		return time.Time{}, err
	}
	var next *time.Time
	err := t.tx.QueryRow(t.ctx, `SELECT min(run_at) FROM jobs WHERE locked_by = '' OR locked_until <= $1`,
		time.Now()).Scan(&next)
	if err != nil {
		return time.Time{}, t.fail("next job time", err)
	}
	if next == nil {
		return time.Time{}, nil
	}
	return *next, nil
}
