// sarama 1.22 (Debian 12's golang-github-shopify-sarama-dev, github.com/Shopify/sarama v1.22.1)
// against a broker, printing one JSON line. Modes (the "mode" option):
//
//   - "" (timestamps): produces records with chosen timestamps, then asks for offsets by timestamp
//     (ListOffsets v1). sarama 1.22 writes record batches whose header maxTimestamp is -1, so a
//     broker that stores the header as sent answers -1 for every timestamp.
//   - "produce": produces values prefix+i, round robin over the partitions.
//   - "group": a consumer group member (sarama.NewConsumerGroup) that consumes until it has seen
//     "count" records, marking each, then closes (which commits: OffsetCommit v1, the version
//     sarama 1.22 always uses). The group needs config.Version >= 0.10.2.
//   - "simple": sarama's default config (V0_8_2_0): a partition consumer per partition (Fetch v0)
//     starting at the offset manager's committed offset (OffsetFetch v1), marking each record and
//     committing on close (OffsetCommit v1) — the pre-group way to keep offsets.
//   - "admin": ClusterAdmin creates, lists and deletes the topic (CreateTopics v0/v1, DeleteTopics v0).
//
// "version" picks config.Version ("" keeps sarama's default, V0_8_2_0). See
// test/compat/sarama-1.22.test.ts.
//
//	compat-sarama122 '{"bootstrap":"127.0.0.1:9092","topic":"t","base":1700000000000,"deltas":[0,5,2],"queries":[0,3,6]}'
//	compat-sarama122 '{"mode":"group","bootstrap":"127.0.0.1:9092","topic":"t","group":"g","version":"2.1.0","count":10}'
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/Shopify/sarama"
)

type options struct {
	Mode        string  `json:"mode"`
	Version     string  `json:"version"`
	Group       string  `json:"group"`
	Count       int     `json:"count"`
	Partitions  int32   `json:"partitions"`
	Prefix      string  `json:"prefix"`
	Bootstrap   string  `json:"bootstrap"`
	Topic       string  `json:"topic"`
	Base        int64   `json:"base"`
	Deltas      []int64 `json:"deltas"`
	Queries     []int64 `json:"queries"`
	Compression string  `json:"compression"`
}

type result struct {
	Produced []int64          `json:"produced"`
	Offsets  map[string]int64 `json:"offsets"`
	Error    string           `json:"error,omitempty"`
}

func millis(ms int64) time.Time { return time.Unix(0, ms*int64(time.Millisecond)) }

func run(o options) (r result) {
	r.Offsets = map[string]int64{}
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_1_0_0 // record batches v2 (Produce v7), ListOffsets v1
	cfg.ClientID = "sarama-1.22"
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Return.Successes = true
	cfg.Producer.Partitioner = sarama.NewManualPartitioner
	cfg.Producer.Flush.Messages = len(o.Deltas) // one batch
	cfg.Producer.Flush.Frequency = 50 * time.Millisecond
	if o.Compression == "gzip" {
		cfg.Producer.Compression = sarama.CompressionGZIP
	}
	client, err := sarama.NewClient([]string{o.Bootstrap}, cfg)
	if err != nil {
		r.Error = err.Error()
		return
	}
	defer client.Close()
	producer, err := sarama.NewAsyncProducerFromClient(client)
	if err != nil {
		r.Error = err.Error()
		return
	}
	for i, d := range o.Deltas {
		producer.Input() <- &sarama.ProducerMessage{Topic: o.Topic, Partition: 0, Key: sarama.StringEncoder(fmt.Sprintf("k%d", i)), Value: sarama.StringEncoder(fmt.Sprintf("v%d", i)), Timestamp: millis(o.Base + d)}
	}
	for range o.Deltas {
		select {
		case m := <-producer.Successes():
			r.Produced = append(r.Produced, m.Offset)
		case e := <-producer.Errors():
			r.Error = e.Error()
			producer.AsyncClose()
			return
		}
	}
	producer.AsyncClose()
	for _, q := range o.Queries {
		off, err := client.GetOffset(o.Topic, 0, o.Base+q)
		if err != nil {
			r.Error = err.Error()
			return
		}
		r.Offsets[fmt.Sprint(q)] = off
	}
	return
}

func main() {
	var o options
	if err := json.Unmarshal([]byte(os.Args[1]), &o); err != nil {
		panic(err)
	}
	var out []byte
	switch o.Mode {
	case "":
		out, _ = json.Marshal(run(o))
	case "produce":
		out, _ = json.Marshal(produce(o))
	case "group":
		out, _ = json.Marshal(group(o))
	case "simple":
		out, _ = json.Marshal(simple(o))
	case "admin":
		out, _ = json.Marshal(admin(o))
	default:
		panic("unknown mode " + o.Mode)
	}
	fmt.Println(string(out))
}
