// Command compat runs the client scenario of test/compat/clients (see py/scenario_common.py for
// the steps and the JSON it prints) with a Go client:
//
//	compat franz  '{"bootstrap":"h:p","topic":T,"group":G,...}'   franz-go (kgo + kadm)
//	compat sarama '{"bootstrap":"h:p","topic":T,"group":G,"version":"3.6.0"|"default",...}'
//	compat franz-group '{...}'   three franz-go members join and leave one group while records flow
//	compat franz-member '{...}'  one KIP-848 group member printing JSON lines (member848.go)
//
// Options besides the common ones: "compression" (none, gzip, snappy, lz4, zstd), "idempotent"
// (sarama; franz-go is idempotent by default), "version" (sarama's Config.Version; "default"
// keeps sarama's own default).
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"
)

type options struct {
	Bootstrap   string `json:"bootstrap"`
	Topic       string `json:"topic"`
	Group       string `json:"group"`
	Partitions  int    `json:"partitions"`
	Count       int    `json:"count"`
	Resume      int    `json:"resume"`
	Compression string `json:"compression"`
	Idempotent  bool   `json:"idempotent"`
	Version     string `json:"version"`
	Timeout     int    `json:"timeout"`
}

// result is the JSON printed at the end; the same shape as the Python scenarios'.
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
	start         time.Time
}

func newResult(client, version string) *result {
	return &result{Client: client, Version: version, Admin: map[string]any{}, Produced: [][]any{}, ProduceErrors: []string{},
		Consumed: [][]any{}, Resumed: [][]any{}, ConsumeErrors: []string{}, Committed: map[string]int64{}, start: time.Now()}
}

// step records an admin step's value, or "ERR ..." when it failed.
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

func (r *result) produced(value []byte, partition int32, offset int64) {
	r.mu.Lock()
	r.Produced = append(r.Produced, []any{string(value), partition, offset})
	r.mu.Unlock()
}

func (r *result) produceError(err error) {
	r.mu.Lock()
	r.ProduceErrors = append(r.ProduceErrors, err.Error())
	r.mu.Unlock()
}

func (r *result) consumeError(err error) {
	r.mu.Lock()
	if len(r.ConsumeErrors) < 20 {
		r.ConsumeErrors = append(r.ConsumeErrors, err.Error())
	}
	r.mu.Unlock()
}

type header struct{ k, v string }

func (r *result) consumed(into string, key, value []byte, headers []header, partition int32, offset int64) {
	hs := [][]string{}
	for _, h := range headers {
		hs = append(hs, []string{h.k, h.v})
	}
	var k any
	if key != nil {
		k = string(key)
	}
	rec := []any{k, string(value), hs, partition, offset}
	r.mu.Lock()
	if into == "resumed" {
		r.Resumed = append(r.Resumed, rec)
	} else {
		r.Consumed = append(r.Consumed, rec)
	}
	r.mu.Unlock()
}

func (r *result) count(into string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if into == "resumed" {
		return len(r.Resumed)
	}
	return len(r.Consumed)
}

func (r *result) print() {
	r.Ms = time.Since(r.start).Milliseconds()
	b, err := json.Marshal(r)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(b))
}

func record(i int) (key, value []byte, hk, hv string) {
	return []byte(fmt.Sprintf("k%d", i%37)), []byte(fmt.Sprintf("v%d", i)), "h", fmt.Sprintf("x%d", i)
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: compat franz|sarama|franz-group '{json options}'")
		os.Exit(2)
	}
	o := options{Partitions: 3, Count: 500, Resume: 50, Timeout: 45, Compression: "", Version: "default"}
	if err := json.Unmarshal([]byte(os.Args[2]), &o); err != nil {
		fmt.Fprintln(os.Stderr, "bad options:", err)
		os.Exit(2)
	}
	if os.Args[1] == "franz-member" {
		runFranzMember(os.Args[2])
		return
	}
	switch os.Args[1] {
	case "franz":
		runFranz(o)
	case "sarama":
		runSarama(o)
	case "franz-group":
		runFranzGroup(o)
	default:
		fmt.Fprintln(os.Stderr, "unknown client", os.Args[1])
		os.Exit(2)
	}
}
