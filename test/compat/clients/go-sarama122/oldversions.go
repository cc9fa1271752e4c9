// The modes that exercise the request versions Kafka 4.0 removed (KIP-896) and sarama 1.22 still
// sends: its default config (V0_8_2_0: Produce v0 with message format v0, Fetch v0) and its offset
// manager (OffsetCommit v1 whatever config.Version says). See main.go for the modes.
package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/Shopify/sarama"
)

// consumed is one record as a consumer saw it.
type consumed struct {
	Partition int32  `json:"p"`
	Offset    int64  `json:"o"`
	Value     string `json:"v"`
}

type runResult struct {
	Produced  []int64          `json:"produced,omitempty"`
	Consumed  []consumed       `json:"consumed,omitempty"`
	Committed map[string]int64 `json:"committed,omitempty"`
	Error     string           `json:"error,omitempty"`
}

func config(o options) (*sarama.Config, error) {
	cfg := sarama.NewConfig()
	cfg.ClientID = "sarama-1.22"
	if o.Version != "" {
		v, err := sarama.ParseKafkaVersion(o.Version)
		if err != nil {
			return nil, err
		}
		cfg.Version = v
	}
	cfg.Metadata.Retry.Backoff = 100 * time.Millisecond
	return cfg, nil
}

func produce(o options) (r runResult) {
	cfg, err := config(o)
	if err != nil {
		r.Error = err.Error()
		return
	}
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Return.Successes = true
	cfg.Producer.Partitioner = sarama.NewManualPartitioner
	if o.Compression == "gzip" {
		cfg.Producer.Compression = sarama.CompressionGZIP
	}
	producer, err := sarama.NewSyncProducer([]string{o.Bootstrap}, cfg)
	if err != nil {
		r.Error = err.Error()
		return
	}
	defer producer.Close()
	msgs := make([]*sarama.ProducerMessage, o.Count)
	for i := range msgs {
		msgs[i] = &sarama.ProducerMessage{Topic: o.Topic, Partition: int32(i) % o.Partitions, Key: sarama.StringEncoder(fmt.Sprintf("k%d", i)), Value: sarama.StringEncoder(fmt.Sprintf("%s%d", o.Prefix, i))}
	}
	if err := producer.SendMessages(msgs); err != nil {
		r.Error = err.Error()
		return
	}
	for _, m := range msgs {
		r.Produced = append(r.Produced, m.Offset)
	}
	return
}

// handler consumes until `want` records were seen by the whole member, marking each one.
type handler struct {
	mu     sync.Mutex
	want   int
	seen   []consumed
	cancel context.CancelFunc
}

func (h *handler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (h *handler) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h *handler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for msg := range claim.Messages() {
		h.mu.Lock()
		if len(h.seen) < h.want {
			h.seen = append(h.seen, consumed{msg.Partition, msg.Offset, string(msg.Value)})
			sess.MarkMessage(msg, "")
			if len(h.seen) == h.want {
				h.cancel()
			}
		}
		h.mu.Unlock()
	}
	return nil
}

func group(o options) (r runResult) {
	cfg, err := config(o)
	if err != nil {
		r.Error = err.Error()
		return
	}
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Offsets.CommitInterval = 200 * time.Millisecond
	cfg.Consumer.Return.Errors = true
	g, err := sarama.NewConsumerGroup([]string{o.Bootstrap}, o.Group, cfg)
	if err != nil {
		r.Error = err.Error()
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	h := &handler{want: o.Count, cancel: cancel}
	go func() {
		for e := range g.Errors() {
			h.mu.Lock()
			if r.Error == "" {
				r.Error = e.Error()
			}
			h.mu.Unlock()
		}
	}()
	for ctx.Err() == nil {
		if err := g.Consume(ctx, []string{o.Topic}, h); err != nil {
			h.mu.Lock()
			r.Error = err.Error()
			h.mu.Unlock()
			break
		}
	}
	// Close leaves the group after the session's offset manager flushed its marks (OffsetCommit v1).
	if err := g.Close(); err != nil && r.Error == "" {
		r.Error = err.Error()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	r.Consumed = h.seen
	if len(h.seen) < o.Count && r.Error == "" {
		r.Error = fmt.Sprintf("consumed %d of %d", len(h.seen), o.Count)
	}
	return
}

// simple: partition consumers from the offset manager's committed offsets, with sarama's default config.
func simple(o options) (r runResult) {
	cfg, err := config(o)
	if err != nil {
		r.Error = err.Error()
		return
	}
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	client, err := sarama.NewClient([]string{o.Bootstrap}, cfg)
	if err != nil {
		r.Error = err.Error()
		return
	}
	defer client.Close()
	om, err := sarama.NewOffsetManagerFromClient(o.Group, client)
	if err != nil {
		r.Error = err.Error()
		return
	}
	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		r.Error = err.Error()
		return
	}
	r.Committed = map[string]int64{}
	type part struct {
		pom sarama.PartitionOffsetManager
		pc  sarama.PartitionConsumer
	}
	parts := []part{}
	msgs := make(chan *sarama.ConsumerMessage)
	for p := int32(0); p < o.Partitions; p++ {
		pom, err := om.ManagePartition(o.Topic, p)
		if err != nil {
			r.Error = err.Error()
			return
		}
		next, _ := pom.NextOffset()
		r.Committed[fmt.Sprint(p)] = next
		pc, err := consumer.ConsumePartition(o.Topic, p, next)
		if err != nil {
			r.Error = err.Error()
			return
		}
		parts = append(parts, part{pom, pc})
		go func(pc sarama.PartitionConsumer) {
			for m := range pc.Messages() {
				msgs <- m
			}
		}(pc)
	}
	deadline := time.After(30 * time.Second)
	for len(r.Consumed) < o.Count {
		select {
		case m := <-msgs:
			r.Consumed = append(r.Consumed, consumed{m.Partition, m.Offset, string(m.Value)})
			parts[m.Partition].pom.MarkOffset(m.Offset+1, "")
		case <-deadline:
			r.Error = fmt.Sprintf("consumed %d of %d", len(r.Consumed), o.Count)
			o.Count = 0
		}
	}
	for _, p := range parts {
		p.pc.AsyncClose()
	}
	go func() {
		for range msgs {
		}
	}()
	for _, p := range parts {
		p.pom.Close()
	}
	// Close flushes the marks (OffsetCommit v1) and reports nothing; errors show up on restart.
	om.Close()
	return
}

// admin: sarama's ClusterAdmin creates the topic (CreateTopics v0 below config.Version 0.11, v1
// below 1.0), describes it, deletes it (DeleteTopics v0 below 0.11).
func admin(o options) (r runResult) {
	cfg, err := config(o)
	if err != nil {
		r.Error = err.Error()
		return
	}
	ca, err := sarama.NewClusterAdmin([]string{o.Bootstrap}, cfg)
	if err != nil {
		r.Error = err.Error()
		return
	}
	defer ca.Close()
	if err := ca.CreateTopic(o.Topic, &sarama.TopicDetail{NumPartitions: o.Partitions, ReplicationFactor: 1}, false); err != nil {
		r.Error = "create: " + err.Error()
		return
	}
	// DescribeTopics (Metadata): ListTopics needs DescribeConfigs, which sarama allows from 0.11 only.
	topics, err := ca.DescribeTopics([]string{o.Topic})
	if err != nil || len(topics) != 1 || topics[0].Err != sarama.ErrNoError {
		r.Error = fmt.Sprintf("describe: %v %v", err, topics)
		return
	}
	r.Committed = map[string]int64{"partitions": int64(len(topics[0].Partitions))}
	if err := ca.DeleteTopic(o.Topic); err != nil {
		r.Error = "delete: " + err.Error()
	}
	return
}
