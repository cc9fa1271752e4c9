package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"sync"
	"time"

	"github.com/IBM/sarama"
)

type saramaHandler struct {
	r    *result
	into string
	want int
	done chan struct{}
	once sync.Once
}

func (h *saramaHandler) Setup(sarama.ConsumerGroupSession) error { return nil }

// Cleanup commits what ConsumeClaim marked (autocommit is off).
func (h *saramaHandler) Cleanup(s sarama.ConsumerGroupSession) error {
	s.Commit()
	return nil
}

func (h *saramaHandler) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	for m := range c.Messages() {
		hs := make([]header, 0, len(m.Headers))
		for _, rh := range m.Headers {
			hs = append(hs, header{string(rh.Key), string(rh.Value)})
		}
		h.r.consumed(h.into, m.Key, m.Value, hs, m.Partition, m.Offset)
		s.MarkMessage(m, "")
		if h.r.count(h.into) >= h.want {
			h.once.Do(func() { close(h.done) })
		}
	}
	return nil
}

func runSarama(o options) {
	if os.Getenv("COMPAT_DEBUG") != "" {
		sarama.Logger = log.New(os.Stderr, "[sarama] ", log.LstdFlags)
	}
	cfg := sarama.NewConfig()
	if o.Version != "default" {
		v, err := sarama.ParseKafkaVersion(o.Version)
		if err != nil {
			panic(err)
		}
		cfg.Version = v
	}
	r := newResult("sarama", "protocol "+cfg.Version.String())
	cfg.ClientID = "sarama-compat"
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Return.Successes = true
	cfg.Producer.Return.Errors = true
	if o.Idempotent {
		cfg.Producer.Idempotent = true
		cfg.Net.MaxOpenRequests = 1
	}
	switch o.Compression {
	case "", "none":
	case "gzip":
		cfg.Producer.Compression = sarama.CompressionGZIP
	case "snappy":
		cfg.Producer.Compression = sarama.CompressionSnappy
	case "lz4":
		cfg.Producer.Compression = sarama.CompressionLZ4
	case "zstd":
		cfg.Producer.Compression = sarama.CompressionZSTD
	default:
		panic("unknown compression " + o.Compression)
	}
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Offsets.AutoCommit.Enable = false

	adm, err := sarama.NewClusterAdmin([]string{o.Bootstrap}, cfg)
	if err != nil {
		r.Admin["create"] = "ERR " + err.Error()
		r.print()
		return
	}
	defer adm.Close()
	r.step("create", func() (any, error) {
		return "ok", adm.CreateTopic(o.Topic, &sarama.TopicDetail{NumPartitions: int32(o.Partitions), ReplicationFactor: 1}, false)
	})
	r.step("partitions", func() (any, error) {
		md, err := adm.DescribeTopics([]string{o.Topic})
		if err != nil {
			return nil, err
		}
		if md[0].Err != sarama.ErrNoError {
			return nil, md[0].Err
		}
		return len(md[0].Partitions), nil
	})
	r.step("listed", func() (any, error) {
		ts, err := adm.ListTopics()
		_, ok := ts[o.Topic]
		return ok, err
	})
	r.step("nodes", func() (any, error) {
		bs, _, err := adm.DescribeCluster()
		return len(bs), err
	})

	p, err := sarama.NewSyncProducer([]string{o.Bootstrap}, cfg)
	if err != nil {
		r.produceError(err)
		r.print()
		return
	}
	produce := func(first, count int) {
		msgs := make([]*sarama.ProducerMessage, 0, count)
		for i := first; i < first+count; i++ {
			k, v, hk, hv := record(i)
			msgs = append(msgs, &sarama.ProducerMessage{Topic: o.Topic, Key: sarama.ByteEncoder(k), Value: sarama.ByteEncoder(v),
				Headers: []sarama.RecordHeader{{Key: []byte(hk), Value: []byte(hv)}}})
		}
		if err := p.SendMessages(msgs); err != nil {
			if pe, ok := err.(sarama.ProducerErrors); ok {
				for _, e := range pe {
					r.produceError(e.Err)
				}
			} else {
				r.produceError(err)
			}
		}
		for _, m := range msgs {
			if m.Offset >= 0 {
				v, _ := m.Value.Encode()
				r.produced(v, m.Partition, m.Offset)
			}
		}
	}
	consume := func(into string, want int) {
		cg, err := sarama.NewConsumerGroup([]string{o.Bootstrap}, o.Group, cfg)
		if err != nil {
			r.consumeError(err)
			return
		}
		h := &saramaHandler{r: r, into: into, want: want, done: make(chan struct{})}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			for e := range cg.Errors() {
				r.consumeError(e)
			}
		}()
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if err := cg.Consume(ctx, []string{o.Topic}, h); err != nil {
					r.consumeError(err)
					time.Sleep(200 * time.Millisecond)
				}
			}
		}()
		select {
		case <-h.done:
		case <-time.After(time.Duration(o.Timeout) * time.Second):
		}
		time.Sleep(time.Second) // anything more is a duplicate
		cancel()
		if err := cg.Close(); err != nil {
			r.consumeError(err)
		}
		wg.Wait()
		offs, err := adm.ListConsumerGroupOffsets(o.Group, nil)
		if err != nil {
			r.consumeError(err)
			return
		}
		for part, b := range offs.Blocks[o.Topic] {
			r.Committed[fmt.Sprint(part)] = b.Offset
		}
	}
	produce(0, o.Count)
	consume("consumed", o.Count)
	produce(o.Count, o.Resume)
	consume("resumed", o.Resume)
	p.Close()

	r.step("listedGroup", func() (any, error) {
		gs, err := adm.ListConsumerGroups()
		_, ok := gs[o.Group]
		return ok, err
	})
	r.step("describedGroup", func() (any, error) {
		ds, err := adm.DescribeConsumerGroups([]string{o.Group})
		if err != nil {
			return nil, err
		}
		if ds[0].Err != sarama.ErrNoError {
			return nil, ds[0].Err
		}
		return map[string]any{"state": ds[0].State, "members": len(ds[0].Members)}, nil
	})
	r.step("groupOffsets", func() (any, error) {
		offs, err := adm.ListConsumerGroupOffsets(o.Group, nil)
		if err != nil {
			return nil, err
		}
		out := map[string]int64{}
		for part, b := range offs.Blocks[o.Topic] {
			out[fmt.Sprint(part)] = b.Offset
		}
		return out, nil
	})
	r.step("delete", func() (any, error) { return "ok", adm.DeleteTopic(o.Topic) })
	time.Sleep(500 * time.Millisecond)
	r.step("deleted", func() (any, error) {
		ts, err := adm.ListTopics()
		_, ok := ts[o.Topic]
		return !ok, err
	})
	r.print()
}
