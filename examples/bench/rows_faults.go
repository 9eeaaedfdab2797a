package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// faultRows kills the grandstream plugin of the command host and times its
// recovery, then swaps it to a second build under load.
func faultRows(ctx context.Context, h *harness, host *runningHost, sz sizes) ([]row, error) {
	recovery, err := killRecovery(ctx, host)
	if err != nil {
		return nil, err
	}
	sw, err := swapUnderLoad(ctx, h, host, time.Duration(sz.swapLoad)*time.Millisecond)
	if err != nil {
		return nil, err
	}
	added := sw.p99During - sw.p99Before
	return []row{
		measured("fault: kill -9 of the plugin to first served GetDeviceState", millis(recovery), "ms").
			against("< 500 ms", millis(recovery)/500, recovery < 500*time.Millisecond),
		measured("swap under load (4 clients): duration", millis(sw.duration), "ms"),
		measured("swap under load (4 clients): failed commands", float64(sw.failed), "commands").
			want("0", sw.failed == 0),
		measured("swap under load (4 clients): added p99 (during − before)", millis(added), "ms").
			against("< 50 ms", millis(added)/50, added < 50*time.Millisecond),
	}, nil
}

// killRecovery sends SIGKILL to the grandstream plugin and polls
// GetDeviceState until a new plugin process serves it.
func killRecovery(ctx context.Context, host *runningHost) (time.Duration, error) {
	pid, err := host.pluginPID(ctx, "grandstream")
	if err != nil {
		return 0, err
	}
	killed := time.Now()
	if err := syscall.Kill(int(pid), syscall.SIGKILL); err != nil {
		return 0, fmt.Errorf("kill -9 %d: %w", pid, err)
	}
	deadline := killed.Add(30 * time.Second)
	for time.Now().Before(deadline) {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := host.host.GetDeviceState(cctx, &ctiv1.GetDeviceStateRequest{Device: benchDevice})
		cancel()
		served := time.Since(killed)
		if err == nil {
			if now, perr := host.pluginPID(ctx, "grandstream"); perr == nil && now != pid {
				return served, nil
			}
		}
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		time.Sleep(time.Millisecond)
	}
	return 0, fmt.Errorf("no GetDeviceState served by a new plugin within 30s of kill -9\n%s", host.proc.stderr.tail())
}

type swapResult struct {
	duration             time.Duration
	failed               int64
	p99Before, p99During time.Duration
}

// swapUnderLoad runs 4 clients (GetDeviceState and SendKeys VUP, two
// each) for load, swaps to the second grandstream build, runs load more,
// and compares p99 of the commands that overlapped the swap with p99 before.
func swapUnderLoad(ctx context.Context, h *harness, host *runningHost, load time.Duration) (*swapResult, error) {
	type sample struct {
		began, ended time.Time
	}
	loadCtx, stop := context.WithCancel(ctx)
	defer stop()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		samples  []sample
		failed   atomic.Int64
		firstErr atomic.Value
	)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for loadCtx.Err() == nil {
				cctx, cancel := context.WithTimeout(loadCtx, 10*time.Second)
				began := time.Now()
				var err error
				if w%2 == 0 {
					_, err = host.host.GetDeviceState(cctx, &ctiv1.GetDeviceStateRequest{Device: benchDevice})
				} else {
					_, err = host.host.SendKeys(cctx, &ctiv1.SendKeysRequest{Device: benchDevice, Keys: []string{"VUP"}})
				}
				ended := time.Now()
				cancel()
				if loadCtx.Err() != nil {
					return
				}
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				mu.Lock()
				samples = append(samples, sample{began, ended})
				mu.Unlock()
			}
		}()
	}
	time.Sleep(load)
	swapBegan := time.Now()
	resp, err := host.admin.SwapPlugin(ctx, &ctiv1.SwapPluginRequest{Driver: "grandstream", Binary: h.swapBinary()})
	swapEnded := time.Now()
	if err != nil {
		stop()
		wg.Wait()
		return nil, fmt.Errorf("swap: %w", err)
	}
	time.Sleep(load)
	stop()
	wg.Wait()

	res := &swapResult{duration: swapEnded.Sub(swapBegan), failed: failed.Load()}
	if ds := resp.GetDurationsMs(); len(ds) > 0 {
		res.duration = time.Duration(ds[0]) * time.Millisecond
	}
	var before, during []time.Duration
	for _, s := range samples {
		switch {
		case s.ended.Before(swapBegan):
			before = append(before, s.ended.Sub(s.began))
		case s.began.Before(swapEnded):
			during = append(during, s.ended.Sub(s.began))
		}
	}
	if len(before) == 0 || len(during) == 0 {
		return nil, fmt.Errorf("swap: %d commands before and %d during the swap; want some of each", len(before), len(during))
	}
	res.p99Before, res.p99During = percentile(before, 99), percentile(during, 99)
	return res, nil
}
