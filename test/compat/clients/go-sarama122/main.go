// sarama 1.22 (Debian 12's golang-github-shopify-sarama-dev, github.com/Shopify/sarama v1.22.1)
// against a broker: produces records with chosen timestamps, then asks for offsets by timestamp
// (ListOffsets v1), and prints one JSON line. sarama 1.22 writes record batches whose header
// maxTimestamp is -1, so a broker that stores the header as sent answers -1 for every timestamp
// (test/compat/sarama-1.22.test.ts).
//
//	compat-sarama122 '{"bootstrap":"127.0.0.1:9092","topic":"t","base":1700000000000,"deltas":[0,5,2],"queries":[0,3,6]}'
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/Shopify/sarama"
)

type options struct {
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
	out, _ := json.Marshal(run(o))
	fmt.Println(string(out))
}
