package objstore

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
)

// deleteConcurrency bounds the Deletes in flight in DeleteAll.
const deleteConcurrency = 16

// DeleteAll deletes every object under prefix ("" for the whole store) and
// returns how many it deleted. It lists first, then deletes, so objects
// written meanwhile may survive.
func DeleteAll(ctx context.Context, s Store, prefix string) (int, error) {
	var keys []string
	if err := s.List(ctx, prefix, func(o ObjectInfo) error {
		keys = append(keys, o.Key)
		return nil
	}); err != nil {
		return 0, err
	}
	var (
		n    atomic.Int64
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	sem := make(chan struct{}, deleteConcurrency)
	for _, k := range keys {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := s.Delete(ctx, k); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				return
			}
			n.Add(1)
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		errs = append(errs, ctx.Err())
	}
	return int(n.Load()), errors.Join(errs...)
}
