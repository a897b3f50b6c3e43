package sched

import "time"

// defaultProgressEvery is the shortest interval between two Progress calls.
const defaultProgressEvery = 50 * time.Millisecond

// progress throttles Hooks.Progress: the first change is reported at once,
// later ones at most every interval, and flush reports the last one.
type progress struct {
	hook  func(Progress)
	every time.Duration
	sent  Progress
	at    time.Time // when sent was reported; zero before the first call
	due   time.Time // when a pending change will be reported; zero if none
}

// update reports p if it changed and the interval has passed, and otherwise
// remembers when it will.
func (g *progress) update(now time.Time, p Progress) {
	g.due = time.Time{}
	if p == g.sent {
		return
	}
	if next := g.at.Add(g.every); !g.at.IsZero() && now.Before(next) {
		g.due = next
		return
	}
	g.send(now, p)
}

// flush reports p if it differs from what was last reported.
func (g *progress) flush(now time.Time, p Progress) {
	g.due = time.Time{}
	if p != g.sent {
		g.send(now, p)
	}
}

func (g *progress) send(now time.Time, p Progress) {
	g.sent, g.at = p, now
	if g.hook != nil {
		g.hook(p)
	}
}
