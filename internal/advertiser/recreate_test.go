package advertiser

import (
	"strings"
	"testing"
	"time"

	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// TestNamespaceRecreate deletes the served interface and creates it again
// with the same name (a new index) and checks that the advertiser binds
// the new incarnation at once: the first RA comes well within
// MIN_DELAY_BETWEEN_RAS of the link becoming usable, and the next ones
// are the fast initial RAs. Go's name-to-index cache would otherwise keep
// the old index for up to a minute ("bind: no such device").
func TestNamespaceRecreate(t *testing.T) {
	requireIntegration(t, "tcpdump")
	l := netlabtest.New(t)
	rtr, cli := l.Router(), l.Host(t, "c1", "02:00:00:00:02:01")
	td := startPcap(t, cli, "icmp6")
	pcap := td.Path()
	ifc := config.Interface{
		Name:           rtr.IfName,
		RouterLifetime: 1800 * time.Second,
		MinInterval:    200 * time.Second,
		MaxInterval:    600 * time.Second,
	}
	helper := startAdvertiser(t, rtr, helperEnv+"="+mustJSON(t, ifc))
	netlabtest.WaitFor(t, "the first RA", 30*time.Second, func() bool { return len(readRAs(t, pcap)) > 0 })
	// Past MIN_DELAY_BETWEEN_RAS, so the first RA of the new link may go
	// out at once.
	time.Sleep(MinDelayBetweenRAs)

	for round := range 2 {
		if err := l.DeleteBridge(t.Context()); err != nil {
			t.Fatalf("DeleteBridge: %v", err)
		}
		time.Sleep(500 * time.Millisecond)
		// RestoreBridge returns once the link is usable, by when the
		// advertiser may have sent its first RA: RAs count from its
		// start, and the first must follow the link's readiness (its
		// return) within MIN_DELAY_BETWEEN_RAS, however long a loaded
		// machine took to create the link.
		created := time.Now()
		if err := l.RestoreBridge(t.Context()); err != nil {
			t.Fatalf("RestoreBridge: %v", err)
		}
		usable := time.Now()
		var after []capturedRA
		netlabtest.WaitFor(t, "two multicast RAs on the new link", 60*time.Second, func() bool {
			after = nil
			for _, r := range readRAs(t, pcap) {
				if r.At.After(created) && r.Dst.IsMulticast() {
					after = append(after, r)
				}
			}
			return len(after) >= 2
		})
		first, gap := after[0].At.Sub(usable), after[1].At.Sub(after[0].At)
		t.Logf("round %d: link usable %v after it was created again, first RA %v after that, second %v later",
			round, usable.Sub(created), first, gap)
		if first > MinDelayBetweenRAs {
			t.Errorf("round %d: first RA %v after the link was usable again, want under %v", round, first, MinDelayBetweenRAs)
		}
		if gap < MinDelayBetweenRAs-schedSlack || gap > MaxInitialRtrAdvertInterval+schedSlack {
			t.Errorf("round %d: second RA %v after the first, want initial spacing within [%v, %v]", round, gap, MinDelayBetweenRAs, MaxInitialRtrAdvertInterval)
		}
		time.Sleep(MinDelayBetweenRAs)
	}
	if out := processOutput(helper); strings.Contains(out, "no such device") {
		t.Error("the advertiser could not bind the new link at once (\"no such device\")")
	}
	if _, err := td.Stop(); err != nil {
		t.Errorf("stopping the capture: %v", err)
	}
}
