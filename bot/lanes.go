package bot

// Lanes across replicas: when several processes share the store, each performs only the lanes it holds
// the lease of, so an effect is performed by one replica and a lane's effects in their order.

import (
	"context"
	"fmt"
	"sync"
)

// leaseLanes takes the leases of the lanes that have something due among effects (read from the outbox),
// then reads the outbox again and returns what is due in the lanes it holds, with the lanes it took (to
// release at the end of the pass). The second read is what makes a lane's effects its own: another
// replica that held the lane before released it only once it had committed what it did, so an effect
// that replica performed is gone from the outbox read after the lease, not just from the one before.
//
// A lane taken over from a replica whose lease expired (it died, or stalled, mid-lane) may have had its
// first effect posted without the post being recorded: its effects are marked maybePosted, so the post
// is looked up before it is made again (OncePoster).
func (d *dispatcher) leaseLanes(ctx context.Context, effects []Effect) ([]Effect, map[string]bool, error) {
	now := d.clock.Now()
	seen := map[string]bool{}
	var names []string
	for _, eff := range effects {
		if seen[eff.Lane] {
			continue
		}
		seen[eff.Lane] = true
		if now.Before(eff.NotBefore) || d.jobLanes.has(eff.Lane) {
			continue // nothing due in this lane, or a job of it runs here and holds the lease
		}
		names = append(names, laneLease(eff.Lane))
	}
	if len(names) == 0 {
		return nil, nil, nil
	}
	grants, err := d.leases.take(ctx, names)
	if err != nil {
		return nil, nil, err
	}
	if len(grants) == 0 {
		return nil, nil, nil
	}
	byName := make(map[string]LeaseGrant, len(grants))
	for _, g := range grants {
		byName[g.Name] = g
	}
	leased := map[string]bool{}
	for lane := range seen {
		if _, ok := byName[laneLease(lane)]; ok {
			leased[lane] = true
		}
	}
	fresh, err := d.dueEffects(ctx)
	if err != nil {
		d.releaseLanes(ctx, keys(leased))
		return nil, nil, fmt.Errorf("read the outbox again: %w", err)
	}
	d.unsaved.overlay(fresh)
	out := fresh[:0]
	for _, eff := range fresh {
		g, ok := byName[laneLease(eff.Lane)]
		if !ok || !leased[eff.Lane] {
			continue
		}
		eff.maybePosted = g.TakenOver
		out = append(out, eff)
	}
	return out, leased, nil
}

// releaseLanes gives up the leases of lanes; another replica may take them at once.
func (d *dispatcher) releaseLanes(ctx context.Context, lanes []string) {
	if d.leases == nil || len(lanes) == 0 {
		return
	}
	names := make([]string, len(lanes))
	for i, l := range lanes {
		names[i] = laneLease(l)
	}
	if err := d.leases.release(ctx, names); err != nil {
		d.log.Warn("release outbox lanes", "lanes", len(lanes), "err", err)
	}
}

// keys returns a set's members.
func keys(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	return out
}

// laneSet is a set of lanes safe for concurrent use.
type laneSet struct {
	mu sync.Mutex
	m  map[string]int
}

func (s *laneSet) add(lane string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]int{}
	}
	s.m[lane]++
}

func (s *laneSet) remove(lane string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m[lane]--; s.m[lane] <= 0 {
		delete(s.m, lane)
	}
}

func (s *laneSet) has(lane string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[lane] > 0
}
