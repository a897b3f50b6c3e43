package sched

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestMinHeap pushes, pops and filters random numbers and checks the heap
// against a sorted slice.
func TestMinHeap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		h := minHeap[int]{less: func(a, b int) bool { return a < b }}
		var model []int
		for range rng.IntN(100) {
			switch op := rng.IntN(10); {
			case op < 6:
				x := rng.IntN(50)
				h.push(x)
				model = append(model, x)
			case op < 9 && len(model) > 0:
				slices.Sort(model)
				if got := h.pop(); got != model[0] {
					t.Fatalf("round %d: pop = %d, want %d", round, got, model[0])
				}
				model = model[1:]
			default:
				h.filter(func(x int) bool { return x%3 != 0 })
				model = slices.DeleteFunc(model, func(x int) bool { return x%3 == 0 })
			}
		}
		var got []int
		for h.len() > 0 {
			got = append(got, h.pop())
		}
		slices.Sort(model)
		if diff := cmp.Diff(model, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("round %d: wrong drain order (-want +got):\n%s", round, diff)
		}
	}
}
