package sched

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"sync"
	"time"
)

// options are Run's tunables. Run uses defaultOptions; tests shorten them
// or replace the jitter source through run.
type options struct {
	// int64n returns a uniform integer in [0, n): the jitter source.
	int64n func(n int64) int64
	// progressEvery is the shortest interval between Progress calls.
	progressEvery time.Duration
	// capacityPoll is how often Capacity is read again while work waits
	// for a slot and no result arrives.
	capacityPoll time.Duration
	// capacityWait is how long Run waits with work left, nothing in flight
	// and a Capacity of 0 before it fails the job.
	capacityWait time.Duration
	// maxLost is how many launches of one task in a row may be lost to
	// infrastructure failures (a Dispatcher.Run error) before Run gives up.
	maxLost int
	// speculationFloor is the least a task must have run to get a duplicate.
	speculationFloor time.Duration
	// overdueGrace is added to an invocation's timeouts (times 1.5) to get
	// the time after which Run presumes the dispatcher lost it.
	overdueGrace time.Duration
}

func defaultOptions() options {
	return options{
		int64n:           defaultInt64n,
		progressEvery:    defaultProgressEvery,
		capacityPoll:     time.Second,
		capacityWait:     time.Minute,
		maxLost:          10,
		speculationFloor: 100 * time.Millisecond,
		overdueGrace:     time.Minute,
	}
}

// Run executes job's tasks on d and returns when every task is decided, or,
// after ctx is cancelled, when every invocation in flight has returned.
//
// Tasks are taken in Job.Tasks order (tasks that are queued again go first,
// lowest index first), ChunkSize at a time, into invocations; at most
// min(MaxWorkers, d.Capacity()) invocations are in flight. Capacity is read
// again before every launch and at least every second while work waits, so
// a fleet that loses or gains hosts is followed. When Capacity stays 0 for a
// minute with work left and nothing in flight, the job fails.
//
// A task whose attempt fails is retried up to Job.Retries times, each retry
// after a delay drawn uniformly from [0, min(Base·2^(n-1), Max)] (full
// jitter); while it waits it holds no slot. Tasks of an invocation whose
// Dispatcher.Run returned an error, or that it returned without reporting,
// were lost by the infrastructure: they are queued again after the same
// kind of backoff without using an attempt. Ten losses of one task in a row
// fail the job at once when no task reported anything meanwhile (the
// dispatcher is broken), and fail only that task otherwise (it brings its
// worker down). An invocation whose tasks all have a Timeout is presumed
// lost, and cancelled, when it runs 1.5 times their sum plus a minute.
//
// With Job.Speculation, once Quantile of the tasks are done and no task is
// waiting for a slot, a task that has run Multiplier times the median
// duration of the finished tasks (and at least 100ms) gets one duplicate on
// a free slot. The first success wins; the other launch's invocation is
// cancelled and its unfinished tasks are queued again without using an
// attempt. A failure of one launch while the other still runs is not
// counted; the task uses one attempt when both have failed.
//
// Hooks.Result sees every attempt, and Final is true exactly once per
// decided task: on its success, or on the failure that used its last
// attempt. Results for a task already decided, for a task not in the
// invocation, or reported twice are dropped (and their StdoutFile removed).
//
// Failures do not stop the job: the other tasks keep running and Run
// reports all of them (fail-slow). The error then counts the failed tasks
// and describes the one with the lowest index: exit status, attempts and
// the tail of its stderr.
//
// Cancelling ctx stops the job: no invocation starts, the ones in flight see
// their context cancelled (the dispatcher terminates their tasks) and Run
// waits for them. From then on only successes decide a task: a failure
// reported after the cancellation, whether with a signal or not (a command
// that traps SIGTERM exits non-zero), is passed to Hooks.Result as not final
// and the task stays unfinished, to run next time. Tasks that were never
// launched or were waiting to be retried get no final Result either. The
// Summary then has Stopped set and counts unfinished tasks as Queued; the
// error wraps ctx's error. The same holds when Run gives up on its own,
// without Stopped: the error then says why (no capacity, or a broken
// dispatcher, wrapping its last error).
//
// Every launch of a task (first run, retry, duplicate, relaunch after a
// loss) takes the next Task.Attempt number, which Result.Attempt repeats.
//
// Hooks are called from Run's goroutine. Progress is called when the
// counters change: at once for the first change, then at most every 50ms,
// and always with the final counters. Done+Running+Failed+Queued is always
// len(Job.Tasks); Running counts tasks handed to a worker, including those
// waiting behind another task of their chunk, and Queued those waiting for
// a slot or a retry.
func Run(ctx context.Context, d Dispatcher, job *Job, hooks Hooks) (Summary, error) {
	return run(ctx, d, job, hooks, defaultOptions())
}

func run(ctx context.Context, d Dispatcher, job *Job, hooks Hooks, opt options) (Summary, error) {
	if err := validate(d, job); err != nil {
		return Summary{}, err
	}
	s := &scheduler{
		ctx:       ctx,
		d:         d,
		job:       job,
		hooks:     hooks,
		opt:       opt,
		backoff:   job.Backoff.withDefaults(),
		chunk:     max(job.ChunkSize, 1),
		tasks:     make([]task, len(job.Tasks)),
		ready:     minHeap[int32]{less: func(a, b int32) bool { return a < b }},
		waits:     minHeap[wakeup]{less: wakeup.before},
		overdue:   minHeap[deadline]{less: func(a, b deadline) bool { return a.at.Before(b.at) }},
		inbox:     newInbox(),
		firstFail: -1,
		prog:      progress{hook: hooks.Progress, every: opt.progressEvery},
	}
	s.count.Queued = len(job.Tasks)
	if job.Speculation != nil {
		s.spec = newSpeculator(job.Speculation.withDefaults(), opt.speculationFloor)
		s.pairs = make(map[int32][2]*flight)
	}
	return s.run()
}

// validate rejects a job Run cannot execute as given.
func validate(d Dispatcher, job *Job) error {
	switch {
	case d == nil:
		return errors.New("no dispatcher")
	case job == nil:
		return errors.New("no job")
	case job.Retries < 0:
		return fmt.Errorf("retries %d is negative", job.Retries)
	case job.ChunkSize < 0:
		return fmt.Errorf("chunk size %d is negative", job.ChunkSize)
	case job.MaxWorkers < 0:
		return fmt.Errorf("max workers %d is negative", job.MaxWorkers)
	case job.Backoff.Base < 0 || job.Backoff.Max < 0:
		return fmt.Errorf("backoff %v..%v is negative", job.Backoff.Base, job.Backoff.Max)
	case len(job.Tasks) > math.MaxInt32:
		return fmt.Errorf("%d tasks are more than %d", len(job.Tasks), math.MaxInt32)
	}
	if job.Speculation != nil {
		if err := job.Speculation.withDefaults().validate(); err != nil {
			return err
		}
	}
	// Indices identify results, so they must be distinct. They usually
	// ascend, which is checked without a map.
	ascending := true
	for i := range job.Tasks {
		if job.Tasks[i].Index < 0 {
			return fmt.Errorf("task %d has a negative index", job.Tasks[i].Index)
		}
		if i > 0 && job.Tasks[i].Index <= job.Tasks[i-1].Index {
			ascending = false
		}
	}
	if !ascending {
		seen := make(map[int]bool, len(job.Tasks))
		for i := range job.Tasks {
			if seen[job.Tasks[i].Index] {
				return fmt.Errorf("task index %d appears twice", job.Tasks[i].Index)
			}
			seen[job.Tasks[i].Index] = true
		}
	}
	return nil
}

// state is where a task is in its life. The first two count as Queued.
type state uint8

const (
	queued    state = iota // waiting for a slot
	waiting                // waiting out a backoff before it is queued again
	running                // at least one launch in flight
	succeeded              // decided: done
	failed                 // decided: failed
)

// task is Run's record of one task. It is small: Run keeps one per task.
type task struct {
	state      state
	live       uint8 // launches in flight: 2 while a duplicate runs
	speculated bool  // it had its duplicate
	retry      bool  // its next launch is a retry (counted in Retried)
	launches   int32 // launches so far; the last one's Attempt
	failures   int32 // failed attempts, counted against Retries
	lost       int32 // launches lost to infrastructure in a row
	lostMark   int64 // scheduler.reports when that streak began
}

// wakeup is when a task waiting out a backoff is queued again.
type wakeup struct {
	at  time.Time
	pos int32
}

func (a wakeup) before(b wakeup) bool {
	return a.at.Before(b.at) || a.at.Equal(b.at) && a.pos < b.pos
}

// deadline is when an invocation is presumed lost.
type deadline struct {
	at time.Time
	f  *flight
}

// scheduler is the state of one Run. A single goroutine (Run's) owns it;
// invocations run on their own goroutines and send back events.
type scheduler struct {
	ctx     context.Context
	d       Dispatcher
	job     *Job
	hooks   Hooks
	opt     options
	backoff Backoff
	chunk   int
	spec    *speculator // nil without speculation

	tasks   []task // by position in job.Tasks
	count   Progress
	next    int                  // job.Tasks[next:] were never launched
	ready   minHeap[int32]       // positions below next queued again
	waits   minHeap[wakeup]      // tasks waiting out a backoff
	overdue minHeap[deadline]    // flights that have a deadline
	flights []*flight            // in flight, in no order
	pairs   map[int32][2]*flight // speculated task → original, duplicate
	inbox   *inbox
	wg      sync.WaitGroup
	reports int64 // results received so far

	firstFail    int32 // lowest-index failed task's position, or -1
	failResult   Result
	failAttempts int

	stopping  bool  // no more launches: ctx cancelled or aborted
	abortErr  error // why Run gave up on its own
	zeroSince time.Time
	pollDue   time.Time // read Capacity again
	specDue   time.Time // look for stragglers again
	prog      progress
}

func (s *scheduler) run() (Summary, error) {
	start := time.Now()
	now := start
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var armed time.Time
	var batch []event
	ctxDone := s.ctx.Done()
	noticeStop := func() {
		if ctxDone != nil && s.ctx.Err() != nil {
			ctxDone = nil // a closed channel would make select spin
			s.stopping = true
		}
	}
	for {
		noticeStop()
		s.dispatch(now)
		s.prog.update(now, s.count)
		if len(s.flights) == 0 && (s.stopping || s.unfinished() == 0) {
			break
		}
		if wake := s.nextWake(); !wake.Equal(armed) {
			if wake.IsZero() {
				timer.Stop()
			} else {
				timer.Reset(wake.Sub(now))
			}
			armed = wake
		}
		select {
		case <-s.inbox.wake:
		case <-timer.C:
			armed = time.Time{}
		case <-ctxDone:
		}
		now = time.Now()
		// Notice a stop before taking the results it caused: an
		// invocation's context is cancelled only after ctx is.
		noticeStop()
		batch = s.inbox.take(batch)
		for i := range batch {
			if batch[i].done {
				s.landed(now, batch[i].f, batch[i].err)
			} else {
				s.report(now, batch[i].f, batch[i].res)
			}
		}
		s.expire(now)
	}
	timer.Stop()
	s.wg.Wait()

	now = time.Now()
	s.prog.flush(now, s.count)
	sum := Summary{
		Progress: s.count,
		Elapsed:  now.Sub(start),
		Stopped:  s.ctx.Err() != nil && s.unfinished() > 0,
	}
	var errs []error
	if s.count.Failed > 0 {
		first := taskError(&s.job.Tasks[s.firstFail], &s.failResult, s.failAttempts)
		errs = append(errs, fmt.Errorf("%d of %d tasks failed; first: %w", s.count.Failed, len(s.tasks), first))
	}
	if s.abortErr != nil {
		errs = append(errs, s.abortErr)
	}
	if sum.Stopped {
		errs = append(errs, fmt.Errorf("stopped with %d of %d tasks unfinished: %w",
			s.unfinished(), len(s.tasks), context.Cause(s.ctx)))
	}
	return sum, errors.Join(errs...)
}

func (s *scheduler) unfinished() int { return len(s.tasks) - s.count.Done - s.count.Failed }

func (s *scheduler) hasQueued() bool { return s.ready.len() > 0 || s.next < len(s.tasks) }

// dispatch launches what the slots allow: queued tasks first, then
// duplicates of stragglers. It also notices a Capacity of 0 that lasts.
func (s *scheduler) dispatch(now time.Time) {
	s.pollDue, s.specDue = time.Time{}, time.Time{}
	if s.stopping {
		return
	}
	speculating := s.spec != nil && s.spec.active(s.count.Done, len(s.tasks))
	idle := len(s.flights) == 0 && s.unfinished() > 0
	if !s.hasQueued() && !speculating && !idle {
		return
	}
	limit := s.d.Capacity()
	if m := s.job.MaxWorkers; m > 0 && m < limit {
		limit = m
	}
	if limit <= 0 && len(s.flights) == 0 {
		if s.zeroSince.IsZero() {
			s.zeroSince = now
		}
		giveUp := s.zeroSince.Add(s.opt.capacityWait)
		if !now.Before(giveUp) {
			s.abort(fmt.Errorf("no worker capacity: the dispatcher offered no slot for %v with %d of %d tasks unfinished",
				s.opt.capacityWait, s.unfinished(), len(s.tasks)))
			return
		}
		s.pollDue = minTime(now.Add(s.opt.capacityPoll), giveUp)
		return
	}
	s.zeroSince = time.Time{}
	for len(s.flights) < limit && s.hasQueued() {
		s.launch(now, s.takeChunk(), false)
	}
	if s.hasQueued() {
		s.pollDue = now.Add(s.opt.capacityPoll)
		return
	}
	if speculating {
		s.speculate(now, limit)
	}
}

// takeChunk dequeues up to ChunkSize queued tasks, lowest index first.
func (s *scheduler) takeChunk() []entry {
	n := min(s.chunk, s.ready.len()+len(s.tasks)-s.next)
	chunk := make([]entry, 0, n)
	for len(chunk) < n && s.ready.len() > 0 {
		chunk = append(chunk, entry{pos: s.ready.pop()})
	}
	for len(chunk) < n {
		chunk = append(chunk, entry{pos: int32(s.next)})
		s.next++
	}
	return chunk
}

// launch starts an invocation of the tasks of chunk on its own goroutine.
func (s *scheduler) launch(now time.Time, chunk []entry, dup bool) *flight {
	f := &flight{
		inv:      Invocation{Job: s.job.Name, Files: s.job.Files, Tasks: make([]Task, len(chunk)), InlineLimit: s.job.InlineLimit},
		entries:  chunk,
		left:     len(chunk),
		dup:      dup,
		index:    len(s.flights),
		curStart: now,
	}
	var timeouts time.Duration
	bounded := true
	for i := range chunk {
		p := chunk[i].pos
		t := &s.tasks[p]
		t.launches++
		chunk[i].attempt = t.launches
		task := &f.inv.Tasks[i]
		*task = s.job.Tasks[p]
		task.Attempt = int(t.launches)
		if t.live == 0 {
			s.move(t, running)
		}
		t.live++
		if t.retry {
			t.retry = false
			s.count.Retried++
		}
		if task.Timeout > 0 {
			timeouts += task.Timeout
		} else {
			bounded = false
		}
	}
	if dup {
		s.count.Speculated++
	}
	if bounded {
		f.limit = timeouts + timeouts/2 + s.opt.overdueGrace
		s.overdue.push(deadline{at: now.Add(f.limit), f: f})
	}
	ctx, cancel := context.WithCancel(s.ctx)
	f.cancel = cancel
	s.flights = append(s.flights, f)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		err := s.d.Run(ctx, &f.inv, func(r Result) { s.inbox.post(event{f: f, res: r}) })
		s.inbox.post(event{f: f, done: true, err: err})
	}()
	return f
}

// speculate launches duplicates of stragglers while slots are free, and
// notes when the next running task will become one.
func (s *scheduler) speculate(now time.Time, limit int) {
	threshold := s.spec.threshold()
	for i, n := 0, len(s.flights); i < n && len(s.flights) < limit; i++ {
		f := s.flights[i]
		if f.dup || f.why != notCancelled || f.cur >= len(f.entries) {
			continue
		}
		p := f.entries[f.cur].pos
		t := &s.tasks[p]
		if t.speculated || t.state != running {
			continue
		}
		if at := f.curStart.Add(threshold); now.Before(at) {
			s.specDue = minTime(s.specDue, at)
			continue
		}
		t.speculated = true
		s.pairs[p] = [2]*flight{f, s.launch(now, []entry{{pos: p}}, true)}
	}
}

// report handles one result from an invocation.
func (s *scheduler) report(now time.Time, f *flight, r Result) {
	if f.done {
		s.discard(r) // reported after Dispatcher.Run returned
		return
	}
	i := f.find(s.job.Tasks, r.Index)
	if i < 0 || f.entries[i].reported {
		s.discard(r)
		return
	}
	f.entries[i].reported = true
	f.left--
	took := now.Sub(f.curStart)
	f.curStart = now
	f.advance()
	p := f.entries[i].pos
	t := &s.tasks[p]
	t.live--
	t.lost = 0
	s.reports++
	r.Attempt = int(f.entries[i].attempt)

	switch {
	case t.state == succeeded || t.state == failed:
		s.discard(r)
	case r.OK():
		s.move(t, succeeded)
		if s.spec != nil {
			s.spec.add(took)
			if t.live > 0 {
				s.cancelOther(p, f)
			}
			delete(s.pairs, p)
		}
		s.result(r, true)
	case s.stopping || f.why != notCancelled:
		// Interrupted by the stop, or by Run cancelling its invocation:
		// not the task's fault.
		s.result(r, false)
		if t.live == 0 {
			s.requeue(p)
		}
	case t.live > 0:
		// The other launch of a speculated task still runs.
		s.result(r, false)
	default:
		t.failures++
		if int(t.failures) > s.job.Retries {
			s.fail(p, r)
			return
		}
		s.result(r, false)
		t.retry = true
		s.wait(now, p, s.backoff.delay(int(t.failures), s.opt.int64n))
	}
}

// landed handles the return of Dispatcher.Run: tasks it did not report are
// queued again, or count as lost.
func (s *scheduler) landed(now time.Time, f *flight, err error) {
	f.done = true
	f.cancel()
	last := s.flights[len(s.flights)-1]
	s.flights[f.index], last.index = last, f.index
	s.flights = s.flights[:len(s.flights)-1]
	if f.left == 0 {
		return
	}
	for _, e := range f.entries {
		if e.reported {
			continue
		}
		p := e.pos
		t := &s.tasks[p]
		t.live--
		if t.state == succeeded || t.state == failed || t.live > 0 {
			continue
		}
		switch {
		case s.stopping:
			s.move(t, queued)
		case f.why == lostRace:
			s.requeue(p)
		case f.why == overdue:
			s.lose(now, p, fmt.Errorf("invocation gave no result within %v", f.limit))
		case err != nil:
			s.lose(now, p, err)
		default:
			s.lose(now, p, errors.New("dispatcher returned without reporting the task"))
		}
	}
}

// lose handles a launch of the task at p that the infrastructure lost.
func (s *scheduler) lose(now time.Time, p int32, cause error) {
	t := &s.tasks[p]
	t.lost++
	if t.lost == 1 {
		t.lostMark = s.reports
	}
	if int(t.lost) < s.opt.maxLost {
		s.wait(now, p, s.backoff.delay(int(t.lost), s.opt.int64n))
		return
	}
	if s.reports == t.lostMark {
		s.move(t, queued)
		s.abort(fmt.Errorf("dispatch failed %d times in a row while no task reported a result: %w", t.lost, cause))
		return
	}
	s.fail(p, Result{
		Index:    s.job.Tasks[p].Index,
		Attempt:  int(t.launches),
		ExitCode: -1,
		Err:      fmt.Sprintf("its worker was lost %d times in a row: %v", t.lost, cause),
	})
}

// expire queues again the tasks whose backoff is over and cancels the
// invocations that are overdue.
func (s *scheduler) expire(now time.Time) {
	for !s.stopping && s.waits.len() > 0 && !s.waits.top().at.After(now) {
		w := s.waits.pop()
		if s.tasks[w.pos].state == waiting {
			s.requeue(w.pos)
		}
	}
	for s.overdue.len() > 0 {
		dl := s.overdue.top()
		if !dl.f.done && dl.at.After(now) {
			break
		}
		s.overdue.pop()
		if !dl.f.done && dl.f.why == notCancelled {
			dl.f.why = overdue
			dl.f.cancel()
		}
	}
}

// nextWake is the earliest time the loop has something to do without an
// event; zero if none.
func (s *scheduler) nextWake() time.Time {
	var at time.Time
	if !s.stopping && s.waits.len() > 0 {
		at = s.waits.top().at
	}
	// Deadlines of finished flights are dropped lazily: from the top, and
	// all at once when they outnumber the flights, so that a long task at
	// the top does not make the heap hold every flight of the job.
	for s.overdue.len() > 0 && s.overdue.top().f.done {
		s.overdue.pop()
	}
	if s.overdue.len() > 2*len(s.flights)+16 {
		s.overdue.filter(func(d deadline) bool { return !d.f.done })
	}
	if s.overdue.len() > 0 {
		at = minTime(at, s.overdue.top().at)
	}
	return minTime(minTime(at, s.prog.due), minTime(s.pollDue, s.specDue))
}

// cancelOther cancels the launch of the task at p that did not win.
func (s *scheduler) cancelOther(p int32, winner *flight) {
	for _, f := range s.pairs[p] {
		if f != nil && f != winner && !f.done && f.why == notCancelled {
			f.why = lostRace
			f.cancel()
		}
	}
}

// abort gives up the job: nothing more starts and the invocations in
// flight are cancelled.
func (s *scheduler) abort(err error) {
	if s.stopping {
		return
	}
	s.stopping = true
	s.abortErr = err
	for _, f := range s.flights {
		if f.why == notCancelled {
			f.why = aborted
			f.cancel()
		}
	}
}

// move changes a task's state and the counters with it.
func (s *scheduler) move(t *task, to state) {
	s.tally(t.state, -1)
	s.tally(to, +1)
	t.state = to
}

func (s *scheduler) tally(st state, n int) {
	switch st {
	case queued, waiting:
		s.count.Queued += n
	case running:
		s.count.Running += n
	case succeeded:
		s.count.Done += n
	case failed:
		s.count.Failed += n
	}
}

// requeue puts the task at p back in the queue, ahead of tasks never
// launched.
func (s *scheduler) requeue(p int32) {
	s.move(&s.tasks[p], queued)
	if !s.stopping {
		s.ready.push(p)
	}
}

// wait queues the task at p again after d.
func (s *scheduler) wait(now time.Time, p int32, d time.Duration) {
	s.move(&s.tasks[p], waiting)
	s.waits.push(wakeup{at: now.Add(d), pos: p})
}

// fail decides the task at p as failed with r.
func (s *scheduler) fail(p int32, r Result) {
	t := &s.tasks[p]
	s.move(t, failed)
	if s.pairs != nil {
		delete(s.pairs, p)
	}
	if s.firstFail < 0 || s.job.Tasks[p].Index < s.job.Tasks[s.firstFail].Index {
		s.firstFail = p
		s.failResult = r
		s.failResult.Stdout = nil
		s.failAttempts = int(t.failures)
	}
	s.result(r, true)
}

// result passes r to Hooks.Result, which then owns its StdoutFile.
func (s *scheduler) result(r Result, final bool) {
	if s.hooks.Result == nil {
		s.discard(r)
		return
	}
	s.hooks.Result(r, final)
}

// discard drops a result nobody will receive. Its StdoutFile is Run's to
// remove; failing to remove a temporary file is not worth failing the job.
func (s *scheduler) discard(r Result) {
	if r.StdoutFile != "" {
		_ = os.Remove(r.StdoutFile)
	}
}

// minTime returns the earlier of a and b, where zero means never.
func minTime(a, b time.Time) time.Time {
	if a.IsZero() || !b.IsZero() && b.Before(a) {
		return b
	}
	return a
}
