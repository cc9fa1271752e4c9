package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func franzCodec(name string) []kgo.Opt {
	switch name {
	case "":
		return nil // franz-go's default (snappy)
	case "none":
		return []kgo.Opt{kgo.ProducerBatchCompression(kgo.NoCompression())}
	case "gzip":
		return []kgo.Opt{kgo.ProducerBatchCompression(kgo.GzipCompression())}
	case "snappy":
		return []kgo.Opt{kgo.ProducerBatchCompression(kgo.SnappyCompression())}
	case "lz4":
		return []kgo.Opt{kgo.ProducerBatchCompression(kgo.Lz4Compression())}
	case "zstd":
		return []kgo.Opt{kgo.ProducerBatchCompression(kgo.ZstdCompression())}
	}
	panic("unknown compression " + name)
}

// franzLog logs at debug level to stderr when COMPAT_DEBUG is set, each line prefixed by name.
func franzLog(name ...string) []kgo.Opt {
	if os.Getenv("COMPAT_DEBUG") != "" {
		prefix := func() string { return "" }
		if len(name) > 0 {
			prefix = func() string { return name[0] + " " }
		}
		return []kgo.Opt{kgo.WithLogger(kgo.BasicLogger(os.Stderr, kgo.LogLevelDebug, prefix))}
	}
	return nil
}

func kgoHeaders(rec *kgo.Record) []header {
	hs := make([]header, 0, len(rec.Headers))
	for _, h := range rec.Headers {
		hs = append(hs, header{h.Key, string(h.Value)})
	}
	return hs
}

func runFranz(o options) {
	r := newResult("franz-go", "kgo/kadm")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ac, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(o.Bootstrap)}, franzLog()...)...)
	if err != nil {
		panic(err)
	}
	defer ac.Close()
	adm := kadm.NewClient(ac)
	r.step("create", func() (any, error) {
		res, err := adm.CreateTopic(ctx, int32(o.Partitions), 1, nil, o.Topic)
		if err == nil {
			err = res.Err
		}
		return "ok", err
	})
	r.step("partitions", func() (any, error) {
		td, err := adm.ListTopics(ctx, o.Topic)
		if err != nil {
			return nil, err
		}
		return len(td[o.Topic].Partitions), td[o.Topic].Err
	})
	r.step("listed", func() (any, error) {
		td, err := adm.ListTopics(ctx)
		return td.Has(o.Topic), err
	})
	r.step("nodes", func() (any, error) {
		m, err := adm.BrokerMetadata(ctx)
		return len(m.Brokers), err
	})

	p, err := kgo.NewClient(append(append([]kgo.Opt{kgo.SeedBrokers(o.Bootstrap), kgo.RequiredAcks(kgo.AllISRAcks())}, franzCodec(o.Compression)...), franzLog()...)...)
	if err != nil {
		panic(err)
	}
	produce := func(first, count int) {
		var wg sync.WaitGroup
		for i := first; i < first+count; i++ {
			k, v, hk, hv := record(i)
			wg.Add(1)
			p.Produce(ctx, &kgo.Record{Topic: o.Topic, Key: k, Value: v, Headers: []kgo.RecordHeader{{Key: hk, Value: []byte(hv)}}}, func(rec *kgo.Record, err error) {
				defer wg.Done()
				if err != nil {
					r.produceError(err)
				} else {
					r.produced(rec.Value, rec.Partition, rec.Offset)
				}
			})
		}
		wg.Wait()
	}
	consume := func(into string, want int) {
		c, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(o.Bootstrap), kgo.ConsumerGroup(o.Group), kgo.ConsumeTopics(o.Topic),
			kgo.DisableAutoCommit(), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())}, franzLog()...)...)
		if err != nil {
			panic(err)
		}
		poll := func(until time.Time, stopAt int) {
			for time.Now().Before(until) && (stopAt < 0 || r.count(into) < stopAt) {
				pctx, pcancel := context.WithDeadline(ctx, minTime(until, time.Now().Add(500*time.Millisecond)))
				fs := c.PollFetches(pctx)
				pcancel()
				fs.EachError(func(t string, part int32, err error) {
					if !errors.Is(err, context.DeadlineExceeded) {
						r.consumeError(fmt.Errorf("%s[%d]: %w", t, part, err))
					}
				})
				fs.EachRecord(func(rec *kgo.Record) {
					r.consumed(into, rec.Key, rec.Value, kgoHeaders(rec), rec.Partition, rec.Offset)
				})
			}
		}
		poll(time.Now().Add(time.Duration(o.Timeout)*time.Second), want)
		poll(time.Now().Add(time.Second), -1) // anything more is a duplicate
		if err := c.CommitUncommittedOffsets(ctx); err != nil {
			r.consumeError(fmt.Errorf("commit: %w", err))
		}
		c.Close() // leaves the group
		offs, err := adm.FetchOffsets(ctx, o.Group)
		if err != nil {
			r.consumeError(fmt.Errorf("fetch offsets: %w", err))
		}
		offs.Each(func(or kadm.OffsetResponse) { r.Committed[fmt.Sprint(or.Partition)] = or.At })
	}
	produce(0, o.Count)
	consume("consumed", o.Count)
	produce(o.Count, o.Resume)
	consume("resumed", o.Resume)
	p.Close()

	r.step("listedGroup", func() (any, error) {
		lg, err := adm.ListGroups(ctx)
		_, ok := lg[o.Group]
		return ok, err
	})
	r.step("describedGroup", func() (any, error) {
		dg, err := adm.DescribeGroups(ctx, o.Group)
		if err != nil {
			return nil, err
		}
		g := dg[o.Group]
		return map[string]any{"state": g.State, "members": len(g.Members)}, g.Err
	})
	r.step("groupOffsets", func() (any, error) {
		offs, err := adm.FetchOffsets(ctx, o.Group)
		out := map[string]int64{}
		offs.Each(func(or kadm.OffsetResponse) { out[fmt.Sprint(or.Partition)] = or.At })
		return out, err
	})
	r.step("delete", func() (any, error) {
		res, err := adm.DeleteTopic(ctx, o.Topic)
		if err == nil {
			err = res.Err
		}
		return "ok", err
	})
	time.Sleep(500 * time.Millisecond)
	r.step("deleted", func() (any, error) {
		// kadm answers ListTopics from kgo's metadata cache for up to MetadataMinAge (5 s): a scenario
		// shorter than that would see the "listed" step's answer again. WithAuthorizedOps makes kadm
		// send a fresh Metadata request.
		td, err := adm.ListTopics(kadm.WithAuthorizedOps(ctx))
		return !td.Has(o.Topic), err
	})
	r.print()
}

// runFranzGroup: a producer writes Count records at a steady pace while three franz-go members
// (franz-go's default cooperative-sticky balancer, autocommit) join and leave one group: m1 from
// the start, m2 two seconds later, m3 joins at four seconds and leaves at nine. Every record must
// be consumed (at least once; "consumed" lists every delivery) and the final committed offsets
// must reach the end of every partition (each member commits what it polled before leaving).
func runFranzGroup(o options) {
	r := newResult("franz-go", "group")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ac, err := kgo.NewClient(kgo.SeedBrokers(o.Bootstrap))
	if err != nil {
		panic(err)
	}
	defer ac.Close()
	adm := kadm.NewClient(ac)
	r.step("create", func() (any, error) {
		res, err := adm.CreateTopic(ctx, int32(o.Partitions), 1, nil, o.Topic)
		if err == nil {
			err = res.Err
		}
		return "ok", err
	})
	p, err := kgo.NewClient(kgo.SeedBrokers(o.Bootstrap))
	if err != nil {
		panic(err)
	}
	var pwg sync.WaitGroup
	pwg.Add(1)
	go func() { // Count records over about ten seconds
		defer pwg.Done()
		var wg sync.WaitGroup
		for i := 0; i < o.Count; i++ {
			k, v, hk, hv := record(i)
			wg.Add(1)
			p.Produce(ctx, &kgo.Record{Topic: o.Topic, Key: k, Value: v, Headers: []kgo.RecordHeader{{Key: hk, Value: []byte(hv)}}}, func(rec *kgo.Record, err error) {
				defer wg.Done()
				if err != nil {
					r.produceError(err)
				} else {
					r.produced(rec.Value, rec.Partition, rec.Offset)
				}
			})
			if i%(o.Count/50+1) == 0 {
				time.Sleep(200 * time.Millisecond)
			}
		}
		wg.Wait()
	}()
	seen := map[string]bool{}
	var mu sync.Mutex
	done := make(chan struct{})
	var doneOnce sync.Once
	assignments := map[string][]string{}
	member := func(name string, start, leave time.Duration, wg *sync.WaitGroup) {
		defer wg.Done()
		time.Sleep(start)
		c, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(o.Bootstrap), kgo.ConsumerGroup(o.Group), kgo.ConsumeTopics(o.Topic), kgo.ClientID(name),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
			kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, a map[string][]int32) {
				mu.Lock()
				assignments[name] = append(assignments[name], fmt.Sprint(a[o.Topic]))
				mu.Unlock()
			})}, franzLog(name)...)...)
		if err != nil {
			panic(err)
		}
		until := time.Now().Add(leave - start)
		for time.Now().Before(until) {
			select {
			case <-done:
				until = time.Now()
				continue
			default:
			}
			pctx, pcancel := context.WithTimeout(ctx, 300*time.Millisecond)
			fs := c.PollFetches(pctx)
			pcancel()
			fs.EachError(func(t string, part int32, err error) {
				if !errors.Is(err, context.DeadlineExceeded) {
					r.consumeError(fmt.Errorf("%s %s[%d]: %w", name, t, part, err))
				}
			})
			fs.EachRecord(func(rec *kgo.Record) {
				r.consumed("consumed", rec.Key, rec.Value, kgoHeaders(rec), rec.Partition, rec.Offset)
				mu.Lock()
				seen[string(rec.Value)] = true
				if len(seen) >= o.Count {
					doneOnce.Do(func() { close(done) })
				}
				mu.Unlock()
			})
		}
		// Commit everything polled, then leave. (Close alone commits only what the previous poll
		// returned, the same against Kafka.)
		if err := c.CommitUncommittedOffsets(ctx); err != nil {
			r.consumeError(fmt.Errorf("%s commit: %w", name, err))
		}
		c.Close()
	}
	var wg sync.WaitGroup
	wg.Add(3)
	go member("m1", 0, 60*time.Second, &wg)
	go member("m2", 2*time.Second, 60*time.Second, &wg)
	go member("m3", 4*time.Second, 9*time.Second, &wg)
	select {
	case <-done:
	case <-time.After(time.Duration(o.Timeout) * time.Second):
	}
	doneOnce.Do(func() { close(done) })
	wg.Wait()
	pwg.Wait()
	p.Close()
	mu.Lock()
	names := make([]string, 0, len(assignments))
	for n := range assignments {
		names = append(names, n)
	}
	sort.Strings(names)
	as := map[string]any{}
	for _, n := range names {
		as[n] = assignments[n]
	}
	r.Admin["assignments"] = as
	mu.Unlock()
	offs, err := adm.FetchOffsets(ctx, o.Group)
	if err != nil {
		r.consumeError(err)
	}
	offs.Each(func(or kadm.OffsetResponse) { r.Committed[fmt.Sprint(or.Partition)] = or.At })
	r.step("delete", func() (any, error) {
		res, err := adm.DeleteTopic(ctx, o.Topic)
		if err == nil {
			err = res.Err
		}
		return "ok", err
	})
	r.print()
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
