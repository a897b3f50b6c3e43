package sched

// minHeap is a binary heap ordered by less. container/heap would box every
// element in an interface on Push; the scheduler pushes one element per
// retry, requeue and finished duration, so it keeps its own.
type minHeap[T any] struct {
	items []T
	less  func(a, b T) bool
}

func (h *minHeap[T]) len() int { return len(h.items) }

// top returns the least element; the heap must not be empty.
func (h *minHeap[T]) top() T { return h.items[0] }

func (h *minHeap[T]) push(x T) {
	h.items = append(h.items, x)
	i := len(h.items) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if !h.less(h.items[i], h.items[parent]) {
			break
		}
		h.items[i], h.items[parent] = h.items[parent], h.items[i]
		i = parent
	}
}

// pop removes and returns the least element; the heap must not be empty.
func (h *minHeap[T]) pop() T {
	x := h.items[0]
	last := len(h.items) - 1
	h.items[0] = h.items[last]
	var zero T
	h.items[last] = zero
	h.items = h.items[:last]
	h.down(0)
	return x
}

// filter keeps the elements for which keep is true, in O(n).
func (h *minHeap[T]) filter(keep func(T) bool) {
	kept := h.items[:0]
	for _, x := range h.items {
		if keep(x) {
			kept = append(kept, x)
		}
	}
	clear(h.items[len(kept):])
	h.items = kept
	for i := len(h.items)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

func (h *minHeap[T]) down(i int) {
	n := len(h.items)
	for {
		l, r, least := 2*i+1, 2*i+2, i
		if l < n && h.less(h.items[l], h.items[least]) {
			least = l
		}
		if r < n && h.less(h.items[r], h.items[least]) {
			least = r
		}
		if least == i {
			return
		}
		h.items[i], h.items[least] = h.items[least], h.items[i]
		i = least
	}
}
