package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/store"
)

func jobTests() []test {
	return []test{
		{"RoundTrip", testJobRoundTrip},
		{"Duplicate", testJobDuplicate},
		{"ClaimOrder", testJobClaimOrder},
		{"ClaimLimit", testJobClaimLimit},
		{"ConcurrentClaimsExactlyOnce", testJobConcurrentClaims},
		{"ExpiredLockReclaimable", testJobExpiredLock},
		{"UpdateByHolder", testJobUpdateByHolder},
		{"UpdateByNonHolder", testJobUpdateByNonHolder},
		{"Delete", testJobDelete},
		{"NextJobTime", testJobNextTime},
		{"ClaimOfKinds", testJobClaimOfKinds},
		{"Queue", testJobQueue},
	}
}

func insertJobs(t *testing.T, s store.Store, jobs ...*model.Job) {
	t.Helper()
	update(t, s, func(tx store.Tx) error {
		for _, j := range jobs {
			if err := tx.InsertJob(j); err != nil {
				return err
			}
		}
		return nil
	})
}

func claim(t *testing.T, s store.Store, owner string, now time.Time, lease time.Duration, limit int) []*model.Job {
	t.Helper()
	return modify(t, s, func(tx store.Tx) ([]*model.Job, error) {
		return tx.ClaimJobs(owner, now, lease, limit)
	})
}

func testJobRoundTrip(t *testing.T, s store.Store) {
	j := fullJob("job-1", at(-time.Minute))
	insertJobs(t, s, j)
	want := fullJob("job-1", at(-time.Minute))
	want.LockedBy, want.LockedUntil = "w-1", at(time.Minute)
	j.Payload["attachment"] = "scribbled" // the store must keep its own copy

	got := claim(t, s, "w-1", t0, time.Minute, 10)
	require.Len(t, got, 1)
	same(t, want, got[0], "ClaimJobs returns the job as inserted, with its lock set")
}

func testJobDuplicate(t *testing.T, s store.Store) {
	insertJobs(t, s, fullJob("job-1", t0))
	err := write(t, s, func(tx store.Tx) error { return tx.InsertJob(fullJob("job-1", at(time.Hour))) })
	require.ErrorIs(t, err, model.ErrDuplicate)
	got := claim(t, s, "w-1", t0, time.Minute, 10)
	require.Len(t, got, 1)
	assert.True(t, got[0].RunAt.Equal(t0), "the refused insert must not replace the job")
}

// seedClaimOrder stores jobs with mixed due times and locks; at t0 the claimable ones, in order, are
// j-expired, j-b, j-d, j-now.
func seedClaimOrder(t *testing.T, s store.Store) {
	t.Helper()
	locked := fullJob("j-locked", at(-time.Hour))
	locked.LockedBy, locked.LockedUntil = "w-other", at(time.Hour)
	expired := fullJob("j-expired", at(-2*time.Hour))
	expired.LockedBy, expired.LockedUntil = "w-dead", at(-time.Minute)
	insertJobs(t, s,
		fullJob("j-future", at(time.Minute)),
		fullJob("j-d", at(-5*time.Minute)),
		fullJob("j-now", t0),
		fullJob("j-b", at(-5*time.Minute)),
		locked,
		expired,
	)
}

func testJobClaimOrder(t *testing.T, s store.Store) {
	seedClaimOrder(t, s)
	got := claim(t, s, "w-1", t0, 10*time.Minute, 10)
	assert.Equal(t, []string{"j-expired", "j-b", "j-d", "j-now"}, jobIDs(got),
		"due (RunAt ≤ now), free or expired, by RunAt then id")
	for _, j := range got {
		assert.Equal(t, "w-1", j.LockedBy)
		assert.True(t, j.LockedUntil.Equal(at(10*time.Minute)), "LockedUntil = now + lease, got %v", j.LockedUntil)
	}
	assert.Empty(t, claim(t, s, "w-2", t0, time.Minute, 10), "claimed jobs are locked")
	assert.Equal(t, []string{"j-future"}, jobIDs(claim(t, s, "w-2", at(time.Minute), time.Minute, 10)))
}

func testJobClaimLimit(t *testing.T, s store.Store) {
	seedClaimOrder(t, s)
	assert.Equal(t, []string{"j-expired", "j-b"}, jobIDs(claim(t, s, "w-1", t0, time.Minute, 2)))
	assert.Equal(t, []string{"j-d"}, jobIDs(claim(t, s, "w-2", t0, time.Minute, 1)))
	assert.Equal(t, []string{"j-now"}, jobIDs(claim(t, s, "w-3", t0, time.Minute, 10)))
}

func testJobConcurrentClaims(t *testing.T, s store.Store) {
	jobRace(t, []store.Store{s}, 200, 10)
}

// jobRace claims n due jobs from workers goroutines spread over stores until none is left, and checks
// that every job went to exactly one worker.
func jobRace(t *testing.T, stores []store.Store, n, workers int) {
	t.Helper()
	var jobs []*model.Job
	for i := range n {
		jobs = append(jobs, fullJob(fmt.Sprintf("job-%03d", i), at(-time.Duration(i%17)*time.Second)))
	}
	insertJobs(t, stores[0], jobs...)

	claimed := make([][]string, workers)
	errs := make([]error, workers)
	concurrently(workers, func(w int) {
		owner := fmt.Sprintf("w-%02d", w)
		for {
			var got []*model.Job
			err := stores[w%len(stores)].Update(t.Context(), func(tx store.Tx) error {
				var err error
				got, err = tx.ClaimJobs(owner, t0, time.Hour, 7)
				return err
			})
			if err != nil {
				errs[w] = err
				return
			}
			if len(got) == 0 {
				return
			}
			if len(claimed[w])+len(got) > n {
				errs[w] = fmt.Errorf("worker %s claimed more jobs than there are", owner)
				return
			}
			for _, j := range got {
				if j.LockedBy != owner {
					errs[w] = fmt.Errorf("job %s claimed by %s has LockedBy %q", j.ID, owner, j.LockedBy)
				}
				claimed[w] = append(claimed[w], j.ID)
			}
		}
	})
	owners := map[string]int{}
	for w := range workers {
		require.NoError(t, errs[w], "worker %d", w)
		for _, id := range claimed[w] {
			if prev, ok := owners[id]; ok {
				t.Errorf("job %s handed to workers %d and %d", id, prev, w)
			}
			owners[id] = w
		}
	}
	assert.Len(t, owners, n, "every job claimed")
}

func testJobExpiredLock(t *testing.T, s store.Store) {
	insertJobs(t, s, fullJob("job-1", t0))
	require.Len(t, claim(t, s, "w-1", t0, time.Minute, 10), 1)
	assert.Empty(t, claim(t, s, "w-2", at(30*time.Second), time.Minute, 10), "the lock holds for the lease")
	got := claim(t, s, "w-2", at(2*time.Minute), time.Minute, 10)
	require.Len(t, got, 1, "an expired lock is claimable")
	assert.Equal(t, "w-2", got[0].LockedBy)
	assert.True(t, got[0].LockedUntil.Equal(at(3*time.Minute)))
}

// testJobUpdateByHolder retries a job the way a worker does: it saves the attempt and releases the
// lock by letting it expire.
func testJobUpdateByHolder(t *testing.T, s store.Store) {
	insertJobs(t, s, fullJob("job-1", t0))
	got := claim(t, s, "w-1", t0, time.Minute, 10)
	require.Len(t, got, 1)
	j := got[0]
	j.Attempts, j.LastError, j.Started = 5, "rate limited", false
	j.Payload = map[string]string{"attachment": "2"}
	j.RunAt, j.LockedUntil = at(10*time.Minute), t0
	update(t, s, func(tx store.Tx) error { return tx.UpdateJob(j) })

	assert.Empty(t, claim(t, s, "w-2", at(5*time.Minute), time.Minute, 10), "RunAt moved to the future")
	again := claim(t, s, "w-2", at(10*time.Minute), time.Minute, 10)
	require.Len(t, again, 1)
	want := *j
	want.LockedBy, want.LockedUntil = "w-2", at(11*time.Minute)
	same(t, &want, again[0], "UpdateJob saved every field")

	// The holder may save after its lease ran out, as long as nobody claimed the job since.
	again[0].LastError = "late but still mine"
	update(t, s, func(tx store.Tx) error { return tx.UpdateJob(again[0]) })
}

func testJobUpdateByNonHolder(t *testing.T, s store.Store) {
	insertJobs(t, s, fullJob("job-1", t0), fullJob("job-free", t0))
	got := claim(t, s, "w-1", t0, time.Minute, 1)
	require.Len(t, got, 1)
	require.Equal(t, "job-1", got[0].ID)
	mine := got[0]

	intruder := *mine
	intruder.LockedBy, intruder.LastError = "w-2", "intruder"
	err := write(t, s, func(tx store.Tx) error { return tx.UpdateJob(&intruder) })
	require.ErrorIs(t, err, model.ErrConflict, "UpdateJob by an owner that does not hold the lock")

	unlocked := fullJob("job-free", t0)
	err = write(t, s, func(tx store.Tx) error { return tx.UpdateJob(unlocked) })
	require.ErrorIs(t, err, model.ErrConflict, "UpdateJob of a job nobody holds")

	taken := claim(t, s, "w-2", at(2*time.Minute), time.Minute, 10)
	require.Equal(t, []string{"job-1", "job-free"}, jobIDs(taken))
	mine.LastError = "stale"
	err = write(t, s, func(tx store.Tx) error { return tx.UpdateJob(mine) })
	require.ErrorIs(t, err, model.ErrConflict, "UpdateJob after another owner re-claimed the job")
	assert.Equal(t, "timeout", taken[0].LastError)

	gone := *taken[1]
	update(t, s, func(tx store.Tx) error { return tx.DeleteJob(gone.ID) })
	err = write(t, s, func(tx store.Tx) error { return tx.UpdateJob(&gone) })
	if !errors.Is(err, model.ErrNotFound) && !errors.Is(err, model.ErrConflict) {
		t.Errorf("UpdateJob of a deleted job: want ErrNotFound or ErrConflict, got %v", err)
	}
}

func testJobDelete(t *testing.T, s store.Store) {
	insertJobs(t, s, fullJob("job-1", t0), fullJob("job-2", t0))
	got := claim(t, s, "w-1", t0, time.Minute, 1)
	require.Len(t, got, 1)
	update(t, s, func(tx store.Tx) error { return tx.DeleteJob(got[0].ID) })
	assert.Equal(t, []string{"job-2"}, jobIDs(claim(t, s, "w-2", at(time.Hour), time.Minute, 10)),
		"a deleted job is never claimed again")
	err := write(t, s, func(tx store.Tx) error { return tx.DeleteJob(got[0].ID) })
	require.ErrorIs(t, err, model.ErrNotFound)
}

// testJobNextTime uses the real clock: NextJobTime has no now parameter, so lock expiry is judged by
// the store's clock. Times are hours apart.
func testJobNextTime(t *testing.T, s store.Store) {
	next := func() time.Time {
		return read(t, s, func(tx store.Tx) (time.Time, error) { return tx.NextJobTime() })
	}
	assert.True(t, next().IsZero(), "no jobs: zero time")

	now := time.Now().UTC().Truncate(time.Second)
	insertJobs(t, s, fullJob("due-soon", now.Add(time.Hour)), fullJob("later", now.Add(2*time.Hour)))
	assert.True(t, next().Equal(now.Add(time.Hour)), "got %v", next())

	insertJobs(t, s, fullJob("overdue", now.Add(-2*time.Hour)))
	assert.True(t, next().Equal(now.Add(-2*time.Hour)), "an overdue job is next")

	got := claim(t, s, "w-1", now, time.Hour, 1)
	require.Equal(t, []string{"overdue"}, jobIDs(got))
	assert.True(t, next().Equal(now.Add(time.Hour)), "a locked job is skipped; got %v", next())

	dead := fullJob("dead-worker", now.Add(-3*time.Hour))
	dead.LockedBy, dead.LockedUntil = "w-dead", now.Add(-time.Hour)
	insertJobs(t, s, dead)
	assert.True(t, next().Equal(now.Add(-3*time.Hour)), "a job whose lock expired counts; got %v", next())
}

// testJobClaimOfKinds checks Tx.ClaimJobsOfKinds: only the kinds asked for (or all but them),
// due and free, oldest first, locked like ClaimJobs.
func testJobClaimOfKinds(t *testing.T, s store.Store) {
	job := func(id string, kind model.JobKind, runAt time.Time) *model.Job {
		j := fullJob(id, runAt)
		j.Kind = kind
		return j
	}
	locked := job("s-locked", model.JobSend, at(-time.Hour))
	locked.LockedBy, locked.LockedUntil = "w-other", at(time.Hour)
	insertJobs(t, s, job("m-1", model.JobFetchMedia, at(-5*time.Minute)), job("p-1", model.JobFetchProfile, at(-4*time.Minute)),
		job("s-1", model.JobSend, at(-3*time.Minute)), job("m-2", model.JobFetchMedia, at(-2*time.Minute)),
		job("s-2", model.JobSend, at(-time.Minute)), job("s-future", model.JobSend, at(time.Minute)), locked)
	claimKinds := func(limit int, kinds []model.JobKind, exclude bool) []string {
		jobs := modify(t, s, func(tx store.Tx) ([]*model.Job, error) {
			return tx.ClaimJobsOfKinds("w-1", t0, time.Minute, limit, kinds, exclude)
		})
		ids := []string{}
		for _, j := range jobs {
			assert.Equal(t, "w-1", j.LockedBy)
			assert.True(t, j.LockedUntil.Equal(at(time.Minute)))
			ids = append(ids, j.ID)
		}
		return ids
	}
	sends := []model.JobKind{model.JobSend}
	assert.Empty(t, claimKinds(10, nil, false), "no kind asked for claims nothing")
	assert.Equal(t, []string{"s-1"}, claimKinds(1, sends, false), "the limit holds")
	assert.Equal(t, []string{"s-2"}, claimKinds(10, sends, false), "sends only, locked and future ones left")
	assert.Equal(t, []string{"m-1", "p-1"}, claimKinds(2, sends, true), "all but sends, oldest first")
	assert.Equal(t, []string{"m-2"}, claimKinds(10, []model.JobKind{model.JobFetchMedia, model.JobSend}, false))
	assert.Empty(t, claim(t, s, "w-2", t0, time.Minute, 10), "every due free job was claimed once")
}

// testJobQueue checks Tx.JobQueue: due jobs (free or expired lock, RunAt ≤ now) with the oldest
// RunAt, running jobs (live lock), and future jobs in neither.
func testJobQueue(t *testing.T, s store.Store) {
	now := time.Now().UTC().Truncate(time.Second)
	queue := func() model.JobQueue {
		return read(t, s, func(tx store.Tx) (model.JobQueue, error) { return tx.JobQueue(now) })
	}
	assert.Equal(t, model.JobQueue{}, queue(), "an empty queue")

	dead := fullJob("dead-worker", now.Add(-3*time.Hour))
	dead.LockedBy, dead.LockedUntil = "w-dead", now.Add(-time.Hour)
	insertJobs(t, s, fullJob("due-1", now.Add(-time.Minute)), fullJob("due-2", now.Add(-2*time.Hour)),
		fullJob("due-now", now), fullJob("future", now.Add(time.Hour)), dead)
	q := queue()
	assert.Equal(t, 4, q.Due, "three free due jobs and one whose lock expired")
	assert.Zero(t, q.Running)
	assert.True(t, q.OldestDue.Equal(now.Add(-3*time.Hour)), "oldest due %v", q.OldestDue)

	got := claim(t, s, "w-1", now, time.Hour, 2)
	require.Len(t, got, 2)
	q = queue()
	assert.Equal(t, 2, q.Due)
	assert.Equal(t, 2, q.Running)
	assert.True(t, q.OldestDue.Equal(now.Add(-time.Minute)), "the claimed oldest left the due set; got %v", q.OldestDue)
}
