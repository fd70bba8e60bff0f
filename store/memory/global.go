package memory

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/omnichannel"
)

// InsertJob refuses an existing job id with ErrDuplicate. Job ids are global.
func (t *txn) InsertJob(j *omnichannel.Job) error {
	if err := t.writing(); err != nil {
		return err
	}
	if _, ok := t.s.d.jobs[j.ID]; ok {
		return duplicate("job", fmt.Sprintf("id %q", j.ID))
	}
	set(t, t.s.d.jobs, j.ID, cloneJob(j))
	return nil
}

// claimable reports whether j's lock is free or expired at now.
func claimable(j *omnichannel.Job, now time.Time) bool {
	return j.LockedBy == "" || !j.LockedUntil.After(now)
}

// ClaimJobs locks up to limit due jobs (RunAt ≤ now) whose lock is free or expired (LockedUntil ≤
// now), ordered by RunAt then id. A limit ≤ 0 claims nothing.
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
		return nil, fmt.Errorf("memory: ClaimJobs without an owner: %w", omnichannel.ErrInvalid)
	}
	if limit <= 0 {
		return nil, nil
	}
	var due []*omnichannel.Job
	for _, j := range t.s.d.jobs {
		if !j.RunAt.After(now) && claimable(j, now) && slices.Contains(kinds, j.Kind) != exclude {
			due = append(due, j)
		}
	}
	slices.SortFunc(due, func(a, b *omnichannel.Job) int {
		return cmp.Or(a.RunAt.Compare(b.RunAt), strings.Compare(a.ID, b.ID))
	})
	if len(due) > limit {
		due = due[:limit]
	}
	out := make([]*omnichannel.Job, len(due))
	for i, j := range due {
		n := cloneJob(j)
		n.LockedBy, n.LockedUntil = owner, now.Add(lease)
		set(t, t.s.d.jobs, n.ID, n)
		out[i] = cloneJob(n)
	}
	return out, nil
}

// UpdateJob saves j when the stored job is still locked by j.LockedBy (nobody claimed it since, even
// if the lease ran out); ErrConflict otherwise, ErrNotFound when the job is gone.
func (t *txn) UpdateJob(j *omnichannel.Job) error {
	if err := t.writing(); err != nil {
		return err
	}
	old, ok := t.s.d.jobs[j.ID]
	if !ok {
		return notFound("job", j.ID)
	}
	if j.LockedBy == "" || old.LockedBy != j.LockedBy {
		return fmt.Errorf("memory: job %q is not locked by %q: %w", j.ID, j.LockedBy, omnichannel.ErrConflict)
	}
	set(t, t.s.d.jobs, j.ID, cloneJob(j))
	return nil
}

// DeleteJob removes the job; ErrNotFound when absent.
func (t *txn) DeleteJob(id string) error {
	if err := t.writing(); err != nil {
		return err
	}
	if _, ok := t.s.d.jobs[id]; !ok {
		return notFound("job", id)
	}
	del(t, t.s.d.jobs, id)
	return nil
}

// NextJobTime returns the earliest RunAt among jobs whose lock is free or expired by the wall clock,
// the zero time when there is none.
func (t *txn) NextJobTime() (time.Time, error) {
	if err := t.readable(); err != nil {
		return time.Time{}, err
	}
	now := time.Now()
	var next time.Time
	for _, j := range t.s.d.jobs {
		if claimable(j, now) && (next.IsZero() || j.RunAt.Before(next)) {
			next = j.RunAt
		}
	}
	return next, nil
}

// JobQueue counts the due and running jobs at now.
func (t *txn) JobQueue(now time.Time) (model.JobQueue, error) {
	var q model.JobQueue
	if err := t.readable(); err != nil {
		return q, err
	}
	for _, j := range t.s.d.jobs {
		switch {
		case !claimable(j, now):
			q.Running++
		case !j.RunAt.After(now):
			q.Due++
			if q.OldestDue.IsZero() || j.RunAt.Before(q.OldestDue) {
				q.OldestDue = j.RunAt
			}
		}
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
		return false, fmt.Errorf("memory: AcquireLease without an owner: %w", omnichannel.ErrInvalid)
	}
	if l, ok := t.s.d.leases[key]; ok && l.owner != owner && l.until.After(now) {
		return false, nil
	}
	set(t, t.s.d.leases, key, lease{owner: owner, until: until})
	return true, nil
}

// ReleaseLease frees key when owner holds it and does nothing otherwise.
func (t *txn) ReleaseLease(key, owner string) error {
	if err := t.writing(); err != nil {
		return err
	}
	if l, ok := t.s.d.leases[key]; ok && l.owner == owner {
		del(t, t.s.d.leases, key)
	}
	return nil
}

// InsertOAuthState refuses an existing state with ErrDuplicate.
func (t *txn) InsertOAuthState(s *omnichannel.OAuthState) error {
	if err := t.writing(); err != nil {
		return err
	}
	if _, ok := t.s.d.oauth[s.State]; ok {
		return duplicate("oauth state", "already exists")
	}
	set(t, t.s.d.oauth, s.State, cloneOAuthState(s))
	return nil
}

// TakeOAuthState returns and deletes the state; ErrNotFound when absent. Expiry is the caller's
// concern.
func (t *txn) TakeOAuthState(state string) (*omnichannel.OAuthState, error) {
	if err := t.writing(); err != nil {
		return nil, err
	}
	s, ok := t.s.d.oauth[state]
	if !ok {
		return nil, fmt.Errorf("memory: oauth state: %w", omnichannel.ErrNotFound)
	}
	del(t, t.s.d.oauth, state)
	return cloneOAuthState(s), nil
}
