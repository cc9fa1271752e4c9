// Command kafka-go runs the client scenario of test/compat/clients (see ../py/scenario_common.py
// for the steps and the JSON it prints) with segmentio/kafka-go:
//
//	kafka-go '{"bootstrap":"h:p","topic":T,"group":G,"partitions":3,"count":500,"resume":50,"compression":"snappy"}'
//
// Admin through kafka.Client (CreateTopics, Metadata, ListGroups, DescribeGroups, OffsetFetch,
// DeleteTopics); produce through kafka.Writer at RequireAll with the Murmur2Balancer (kafka-go's
// default balancer is round robin, which ignores keys; Murmur2Balancer places keys as the Java
// client does); consume through a kafka.Reader in the group, FetchMessage + CommitMessages.
// A module of its own (go.mod, go.sum), built by ../setup.sh into test/.work/compat-go/kafka-go.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/compress"
)

type options struct {
	Bootstrap   string `json:"bootstrap"`
	Topic       string `json:"topic"`
	Group       string `json:"group"`
	Partitions  int    `json:"partitions"`
	Count       int    `json:"count"`
	Resume      int    `json:"resume"`
	Compression string `json:"compression"`
	Timeout     int    `json:"timeout"`
}

type result struct {
	mu            sync.Mutex
	Client        string           `json:"client"`
	Version       string           `json:"version"`
	Admin         map[string]any   `json:"admin"`
	Produced      [][]any          `json:"produced"`
	ProduceErrors []string         `json:"produceErrors"`
	Consumed      [][]any          `json:"consumed"`
	Resumed       [][]any          `json:"resumed"`
	ConsumeErrors []string         `json:"consumeErrors"`
	Committed     map[string]int64 `json:"committed"`
	Ms            int64            `json:"ms"`
	Fatal         string           `json:"fatal,omitempty"`
}

func (r *result) step(name string, fn func() (any, error)) {
	v, err := fn()
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.Admin[name] = "ERR " + err.Error()
	} else {
		r.Admin[name] = v
	}
}

func (r *result) consumeError(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.ConsumeErrors) < 20 {
		r.ConsumeErrors = append(r.ConsumeErrors, err.Error())
	}
}

func codec(name string) compress.Compression {
	switch name {
	case "", "none":
		return 0
	case "gzip":
		return kafka.Gzip
	case "snappy":
		return kafka.Snappy
	case "lz4":
		return kafka.Lz4
	case "zstd":
		return kafka.Zstd
	}
	panic("unknown compression " + name)
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: kafka-go '{json options}'")
		os.Exit(2)
	}
	o := options{Partitions: 3, Count: 500, Resume: 50, Timeout: 45}
	if err := json.Unmarshal([]byte(os.Args[1]), &o); err != nil {
		fmt.Fprintln(os.Stderr, "bad options:", err)
		os.Exit(2)
	}
	r := &result{Client: "segmentio/kafka-go", Version: "v0.4.51", Admin: map[string]any{}, Produced: [][]any{}, ProduceErrors: []string{},
		Consumed: [][]any{}, Resumed: [][]any{}, ConsumeErrors: []string{}, Committed: map[string]int64{}}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	addr := kafka.TCP(o.Bootstrap)
	parts := make([]int, o.Partitions)
	for p := range parts {
		parts[p] = p
	}
	cl := &kafka.Client{Addr: addr, Timeout: 10 * time.Second}

	r.step("create", func() (any, error) {
		res, err := cl.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{Topic: o.Topic, NumPartitions: o.Partitions, ReplicationFactor: 1}}})
		if err == nil {
			err = res.Errors[o.Topic]
		}
		return "ok", err
	})
	r.step("partitions", func() (any, error) {
		md, err := cl.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{o.Topic}})
		if err != nil {
			return nil, err
		}
		return len(md.Topics[0].Partitions), md.Topics[0].Error
	})
	r.step("listed", func() (any, error) {
		md, err := cl.Metadata(ctx, &kafka.MetadataRequest{})
		if err != nil {
			return nil, err
		}
		for _, t := range md.Topics {
			if t.Name == o.Topic {
				return true, nil
			}
		}
		return false, nil
	})
	r.step("nodes", func() (any, error) {
		md, err := cl.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{}})
		if err != nil {
			return nil, err
		}
		return len(md.Brokers), nil
	})

	w := &kafka.Writer{Addr: addr, Topic: o.Topic, Balancer: &kafka.Murmur2Balancer{}, RequiredAcks: kafka.RequireAll,
		Compression: codec(o.Compression), BatchTimeout: 10 * time.Millisecond,
		Completion: func(msgs []kafka.Message, err error) {
			r.mu.Lock()
			defer r.mu.Unlock()
			for _, m := range msgs {
				if err != nil {
					r.ProduceErrors = append(r.ProduceErrors, err.Error())
				} else {
					r.Produced = append(r.Produced, []any{string(m.Value), m.Partition, m.Offset})
				}
			}
		}}
	produce := func(first, count int) {
		msgs := make([]kafka.Message, 0, count)
		for i := first; i < first+count; i++ {
			msgs = append(msgs, kafka.Message{Key: []byte(fmt.Sprintf("k%d", i%37)), Value: []byte(fmt.Sprintf("v%d", i)),
				Headers: []kafka.Header{{Key: "h", Value: []byte(fmt.Sprintf("x%d", i))}}})
		}
		if err := w.WriteMessages(ctx, msgs...); err != nil {
			r.mu.Lock()
			r.ProduceErrors = append(r.ProduceErrors, "WriteMessages: "+err.Error())
			r.mu.Unlock()
		}
	}
	consume := func(into string, want int) {
		rd := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{o.Bootstrap}, GroupID: o.Group, Topic: o.Topic,
			StartOffset: kafka.FirstOffset, CommitInterval: 0, MaxWait: 500 * time.Millisecond,
			HeartbeatInterval: time.Second, SessionTimeout: 10 * time.Second, RebalanceTimeout: 10 * time.Second})
		got := []kafka.Message{}
		poll := func(until time.Time, stopAt int) {
			for time.Now().Before(until) && (stopAt < 0 || len(got) < stopAt) {
				pctx, pcancel := context.WithDeadline(ctx, until)
				m, err := rd.FetchMessage(pctx)
				pcancel()
				if err != nil {
					if !errors.Is(err, context.DeadlineExceeded) {
						r.consumeError(err)
					}
					continue
				}
				got = append(got, m)
				hs := [][]string{}
				for _, h := range m.Headers {
					hs = append(hs, []string{h.Key, string(h.Value)})
				}
				rec := []any{string(m.Key), string(m.Value), hs, m.Partition, m.Offset}
				r.mu.Lock()
				if into == "resumed" {
					r.Resumed = append(r.Resumed, rec)
				} else {
					r.Consumed = append(r.Consumed, rec)
				}
				r.mu.Unlock()
			}
		}
		poll(time.Now().Add(time.Duration(o.Timeout)*time.Second), want)
		poll(time.Now().Add(time.Second), -1) // anything more is a duplicate
		if len(got) > 0 {
			if err := rd.CommitMessages(ctx, got...); err != nil {
				r.consumeError(fmt.Errorf("commit: %w", err))
			}
		}
		if err := rd.Close(); err != nil { // leaves the group
			r.consumeError(fmt.Errorf("close: %w", err))
		}
		res, err := cl.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: o.Group, Topics: map[string][]int{o.Topic: parts}})
		if err == nil {
			err = res.Error
		}
		if err != nil {
			r.consumeError(fmt.Errorf("offset fetch: %w", err))
			return
		}
		for _, p := range res.Topics[o.Topic] {
			r.Committed[fmt.Sprint(p.Partition)] = p.CommittedOffset
		}
	}
	produce(0, o.Count)
	consume("consumed", o.Count)
	produce(o.Count, o.Resume)
	consume("resumed", o.Resume)
	if err := w.Close(); err != nil {
		r.ProduceErrors = append(r.ProduceErrors, "close: "+err.Error())
	}

	r.step("listedGroup", func() (any, error) {
		res, err := cl.ListGroups(ctx, &kafka.ListGroupsRequest{})
		if err != nil {
			return nil, err
		}
		for _, g := range res.Groups {
			if g.GroupID == o.Group {
				return true, res.Error
			}
		}
		return false, res.Error
	})
	r.step("describedGroup", func() (any, error) {
		res, err := cl.DescribeGroups(ctx, &kafka.DescribeGroupsRequest{GroupIDs: []string{o.Group}})
		if err != nil {
			return nil, err
		}
		g := res.Groups[0]
		return map[string]any{"state": g.GroupState, "members": len(g.Members)}, g.Error
	})
	r.step("groupOffsets", func() (any, error) {
		res, err := cl.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: o.Group, Topics: map[string][]int{o.Topic: parts}})
		if err != nil {
			return nil, err
		}
		out := map[string]int64{}
		ps := res.Topics[o.Topic]
		sort.Slice(ps, func(i, j int) bool { return ps[i].Partition < ps[j].Partition })
		for _, p := range ps {
			if p.CommittedOffset >= 0 {
				out[fmt.Sprint(p.Partition)] = p.CommittedOffset
			}
		}
		return out, res.Error
	})
	r.step("delete", func() (any, error) {
		res, err := cl.DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Topics: []string{o.Topic}})
		if err == nil {
			err = res.Errors[o.Topic]
		}
		return "ok", err
	})
	time.Sleep(500 * time.Millisecond)
	r.step("deleted", func() (any, error) {
		// kafka.Client answers Metadata from its transport's cache, which DeleteTopics does not
		// refresh (CreateTopics does): a client with a new transport asks the broker.
		fresh := &kafka.Client{Addr: addr, Timeout: 10 * time.Second, Transport: &kafka.Transport{}}
		md, err := fresh.Metadata(ctx, &kafka.MetadataRequest{})
		if err != nil {
			return nil, err
		}
		for _, t := range md.Topics {
			if t.Name == o.Topic {
				return false, nil
			}
		}
		return true, nil
	})
	r.Ms = time.Since(start).Milliseconds()
	b, err := json.Marshal(r)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(b))
}
