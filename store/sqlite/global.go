package sqlite

import (
	"cmp"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/omnichannel"
)

// Jobs, leases and OAuth states are global: the worker serves every workspace, and a callback
// arrives before its workspace is known. Within a process the single writer serializes them; across
// processes BEGIN IMMEDIATE does, so a claim or a lease is decided by one statement that nobody
// can interleave.

const jobColumns = `workspace_id, id, kind, conversation_id, message_id, connection_id, payload, attempts,
	run_at, locked_by, locked_until, started, last_error, created_at`

func scanJob(sc scanner) (*omnichannel.Job, error) {
	var j omnichannel.Job
	var payload string
	var runAt, lockedUntil, created int64
	if err := sc.Scan(&j.WorkspaceID, &j.ID, &j.Kind, &j.ConversationID, &j.MessageID, &j.ConnectionID, &payload,
		&j.Attempts, &runAt, &j.LockedBy, &lockedUntil, &j.Started, &j.LastError, &created); err != nil {
		return nil, err
	}
	j.RunAt, j.LockedUntil, j.CreatedAt = fromMicros(runAt), fromMicros(lockedUntil), fromMicros(created)
	return &j, fromJSON(payload, &j.Payload)
}

func jobArgs(j *omnichannel.Job) ([]any, error) {
	payload, err := jsonText(j.Payload)
	return []any{j.WorkspaceID, j.ID, string(j.Kind), j.ConversationID, j.MessageID, j.ConnectionID, payload,
		j.Attempts, micros(j.RunAt), j.LockedBy, micros(j.LockedUntil), boolInt(j.Started), j.LastError,
		micros(j.CreatedAt)}, err
}

// InsertJob refuses an existing job id with ErrDuplicate. Job ids are global.
func (t *txn) InsertJob(j *omnichannel.Job) error {
	if err := t.writingRecorded(); err != nil {
		return err
	}
	args, err := jobArgs(j)
	if err != nil {
		return err
	}
	return t.write(jobsWrite, `INSERT INTO jobs (`+jobColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		args, execChecked("put job"))
}

// ClaimJobs locks up to limit due jobs (RunAt ≤ now) whose lock is free or expired (LockedUntil ≤
// now), ordered by RunAt then id, in one UPDATE … RETURNING. A limit ≤ 0 claims nothing.
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
		return nil, fmt.Errorf("sqlite: ClaimJobs without an owner: %w", omnichannel.ErrInvalid)
	}
	if limit <= 0 {
		return nil, nil
	}
	args := []any{owner, micros(now.Add(lease)), micros(now), micros(now)}
	kindCond := ""
	if len(kinds) > 0 {
		kindCond = " AND kind IN (?" + strings.Repeat(", ?", len(kinds)-1) + ")"
		if exclude {
			kindCond = " AND kind NOT IN (?" + strings.Repeat(", ?", len(kinds)-1) + ")"
		}
		for _, k := range kinds {
			args = append(args, string(k))
		}
	} else if !exclude {
		return nil, nil // no kind asked for
	}
	rows, err := t.q.query(`UPDATE jobs SET locked_by = ?, locked_until = ?
		WHERE id IN (SELECT id FROM jobs WHERE run_at <= ? AND (locked_by = '' OR locked_until <= ?)`+kindCond+`
			ORDER BY run_at, id LIMIT ?)
		RETURNING `+jobColumns, append(args, limit)...)
	if err != nil {
		return nil, writeError("claim jobs", err)
	}
	jobs, err := collect(rows, scanJob, "claimed jobs")
	if err != nil {
		return nil, err
	}
	// RETURNING gives no order.
	slices.SortFunc(jobs, func(a, b *omnichannel.Job) int {
		return cmp.Or(a.RunAt.Compare(b.RunAt), strings.Compare(a.ID, b.ID))
	})
	return jobs, nil
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
	res, err := t.q.exec(`UPDATE jobs SET workspace_id = ?, kind = ?, conversation_id = ?, message_id = ?,
			connection_id = ?, payload = ?, attempts = ?, run_at = ?, locked_by = ?, locked_until = ?, started = ?,
			last_error = ?, created_at = ?
		WHERE id = ? AND locked_by = ? AND locked_by <> ''`,
		append(append([]any{args[0]}, args[2:]...), j.ID, j.LockedBy)...)
	if err != nil {
		return writeError("update job", err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	var one int
	switch err := t.q.queryRow(`SELECT 1 FROM jobs WHERE id = ?`, j.ID).Scan(&one); err {
	case sql.ErrNoRows:
		return notFound("job", j.ID)
	case nil:
		return fmt.Errorf("sqlite: job %q is not locked by %q: %w", j.ID, j.LockedBy, omnichannel.ErrConflict)
	default:
		return fmt.Errorf("sqlite: update job: %w", err)
	}
}

// DeleteJob removes the job; ErrNotFound when absent.
func (t *txn) DeleteJob(id string) error {
	return deleteOne(t, "job", id, `DELETE FROM jobs WHERE id = ?`, id)
}

// NextJobTime returns the earliest RunAt among jobs whose lock is free or expired by the wall clock,
// the zero time when there is none.
func (t *txn) NextJobTime() (time.Time, error) {
	if err := t.readable(); err != nil {
		return time.Time{}, err
	}
	var next sql.NullInt64
	if err := t.q.queryRow(`SELECT MIN(run_at) FROM jobs WHERE locked_by = '' OR locked_until <= ?`,
		micros(time.Now())).Scan(&next); err != nil {
		return time.Time{}, fmt.Errorf("sqlite: next job time: %w", err)
	}
	if !next.Valid {
		return time.Time{}, nil
	}
	return fromMicros(next.Int64), nil
}

// JobQueue counts the due and running jobs at now.
func (t *txn) JobQueue(now time.Time) (model.JobQueue, error) {
	var q model.JobQueue
	if err := t.readable(); err != nil {
		return q, err
	}
	var oldest sql.NullInt64
	n := micros(now)
	if err := t.q.queryRow(`SELECT
		COUNT(*) FILTER (WHERE run_at <= ?1 AND (locked_by = '' OR locked_until <= ?1)),
		MIN(run_at) FILTER (WHERE run_at <= ?1 AND (locked_by = '' OR locked_until <= ?1)),
		COUNT(*) FILTER (WHERE locked_by <> '' AND locked_until > ?1)
		FROM jobs`, n).Scan(&q.Due, &oldest, &q.Running); err != nil {
		return q, fmt.Errorf("sqlite: job queue: %w", err)
	}
	if oldest.Valid {
		q.OldestDue = fromMicros(oldest.Int64)
	}
	return q, nil
}

// AcquireLease takes key for owner until until when it is free, expired (its until ≤ now) or
// already held by owner, and reports whether owner holds it.
func (t *txn) AcquireLease(key, owner string, now, until time.Time) (bool, error) {
	if err := t.writing(); err != nil {
		return false, err
	}
	if owner == "" {
		return false, fmt.Errorf("sqlite: AcquireLease without an owner: %w", omnichannel.ErrInvalid)
	}
	res, err := t.q.exec(`INSERT INTO leases (key, owner, until) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, until = excluded.until
		WHERE leases.owner = excluded.owner OR leases.until <= ?`, key, owner, micros(until), micros(now))
	if err != nil {
		return false, writeError("acquire lease", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// ReleaseLease frees key when owner holds it and does nothing otherwise.
func (t *txn) ReleaseLease(key, owner string) error {
	if err := t.writing(); err != nil {
		return err
	}
	if _, err := t.q.exec(`DELETE FROM leases WHERE key = ? AND owner = ?`, key, owner); err != nil {
		return writeError("release lease", err)
	}
	return nil
}

const oauthColumns = `state, workspace_id, user_id, kind, code_verifier, redirect_uri, permission, rule_id, expires_at`

func scanOAuthState(sc scanner) (*omnichannel.OAuthState, error) {
	var s omnichannel.OAuthState
	var expires int64
	if err := sc.Scan(&s.State, &s.WorkspaceID, &s.UserID, &s.Kind, &s.CodeVerifier, &s.RedirectURI, &s.Permission,
		&s.RuleID, &expires); err != nil {
		return nil, err
	}
	s.ExpiresAt = fromMicros(expires)
	return &s, nil
}

// InsertOAuthState refuses an existing state with ErrDuplicate.
func (t *txn) InsertOAuthState(s *omnichannel.OAuthState) error {
	return t.put("oauth state", `INSERT INTO oauth_states (`+oauthColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		func() ([]any, error) {
			verifier, err := sealVerifier(t.keys, s.State, s.CodeVerifier)
			if err != nil {
				return nil, err
			}
			return []any{s.State, s.WorkspaceID, s.UserID, string(s.Kind), verifier, s.RedirectURI,
				string(s.Permission), s.RuleID, micros(s.ExpiresAt)}, nil
		})
}

// TakeOAuthState returns and deletes the state in one statement; ErrNotFound when absent. Expiry is
// the caller's concern.
func (t *txn) TakeOAuthState(state string) (*omnichannel.OAuthState, error) {
	if err := t.writing(); err != nil {
		return nil, err
	}
	s, err := scanOAuthState(t.q.queryRow(`DELETE FROM oauth_states WHERE state = ? RETURNING `+oauthColumns, state))
	if err == sql.ErrNoRows {
		return nil, fmt.Errorf("sqlite: oauth state: %w", omnichannel.ErrNotFound)
	}
	if err != nil {
		return nil, writeError("take oauth state", err)
	}
	if s.CodeVerifier, err = openVerifier(t.keys, s.State, s.CodeVerifier); err != nil {
		return nil, err
	}
	return s, nil
}
