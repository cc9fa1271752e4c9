package main

// franz-member: one member of a KIP-848 consumer group (kgo.ServerSideBalancer) for the consumer
// group tests, printing the same JSON lines as test/java GroupMember and
// test/compat/py/ck_consumer_member.py, flushed at once:
//
//	{"event":"ready"}
//	{"event":"assigned","partitions":["T-P",...],"ts":ms}   partitions added
//	{"event":"revoked","partitions":[...],"ts":ms}          after committing what was processed of them
//	{"event":"lost","partitions":[...],"ts":ms}
//	{"event":"records","values":[...],"where":["T-P@offset",...],"ts":ms}   printed before the commit
//	{"event":"commit_failed","error":"..."}
//	{"event":"closed"}
//
// Args (JSON): bootstrap, group, topic, client_id. Stops on "stop" on stdin (or stdin closing).

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

type memberOptions struct {
	Bootstrap string `json:"bootstrap"`
	Group     string `json:"group"`
	Topic     string `json:"topic"`
	ClientID  string `json:"client_id"`
}

var emitMu sync.Mutex

func emit(m map[string]any) {
	emitMu.Lock()
	defer emitMu.Unlock()
	b, _ := json.Marshal(m)
	os.Stdout.Write(append(b, '\n'))
}

func nowMs() int64 { return time.Now().UnixMilli() }

func names(ps map[string][]int32) []string {
	out := []string{}
	for t, parts := range ps {
		for _, p := range parts {
			out = append(out, fmt.Sprintf("%s-%d", t, p))
		}
	}
	sort.Strings(out)
	return out
}

func runFranzMember(raw string) {
	var o memberOptions
	if err := json.Unmarshal([]byte(raw), &o); err != nil {
		panic(err)
	}
	ctx := context.Background()
	stop := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			if strings.TrimSpace(sc.Text()) == "stop" {
				break
			}
		}
		close(stop)
	}()
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(o.Bootstrap),
		kgo.ClientID(o.ClientID),
		kgo.ConsumerGroup(o.Group),
		kgo.ConsumeTopics(o.Topic),
		kgo.ServerSideBalancer(),
		kgo.Balancers(kgo.CooperativeStickyBalancer()),
		kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, a map[string][]int32) {
			if len(names(a)) > 0 {
				emit(map[string]any{"event": "assigned", "partitions": names(a), "ts": nowMs()})
			}
		}),
		kgo.OnPartitionsRevoked(func(ctx context.Context, c *kgo.Client, r map[string][]int32) {
			if err := c.CommitUncommittedOffsets(ctx); err != nil {
				emit(map[string]any{"event": "commit_failed", "error": err.Error()})
			}
			if len(names(r)) > 0 {
				emit(map[string]any{"event": "revoked", "partitions": names(r), "ts": nowMs()})
			}
		}),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, l map[string][]int32) {
			if len(names(l)) > 0 {
				emit(map[string]any{"event": "lost", "partitions": names(l), "ts": nowMs()})
			}
		}),
	)
	if err != nil {
		panic(err)
	}
	emit(map[string]any{"event": "ready"})
	for {
		select {
		case <-stop:
			cl.Close() // revokes (committing in OnPartitionsRevoked) and leaves
			emit(map[string]any{"event": "closed"})
			return
		default:
		}
		pctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		fs := cl.PollFetches(pctx)
		cancel()
		values := []string{}
		where := []string{}
		fs.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) {
				emit(map[string]any{"event": "fetch_error", "error": fmt.Sprintf("%s-%d: %v", t, p, err)})
			}
		})
		recs := fs.Records()
		for _, r := range recs {
			values = append(values, string(r.Value))
			where = append(where, fmt.Sprintf("%s-%d@%d", r.Topic, r.Partition, r.Offset))
		}
		if len(recs) == 0 {
			continue
		}
		emit(map[string]any{"event": "records", "values": values, "where": where, "ts": nowMs()})
		if err := cl.CommitRecords(ctx, recs...); err != nil {
			emit(map[string]any{"event": "commit_failed", "error": err.Error()})
		}
	}
}
