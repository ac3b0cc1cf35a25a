package conformance

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ralab/ralab/conformance/wire"
)

// CheckCapture is the Finding ID of what the capture file itself says
// about the report: packets on interfaces of a link type the observer
// cannot read, MACs it had to synthesise.
const CheckCapture = "CAPTURE"

// ErrUnsupportedLinkType is returned for captures none of whose packets
// is on a link the observer reads: Ethernet, Linux cooked capture (SLL,
// SLL2: tcpdump -i any) or raw IP.
var ErrUnsupportedLinkType = errors.New("unsupported capture link type (capture on an Ethernet interface)")

// Analyze reads a pcap or pcapng capture, gzip-compressed or not (the
// format is detected from its magic number), of Ethernet, Linux cooked
// (SLL, SLL2) or raw IP packets, and returns the report as of the end of
// the capture: the latest isb_endtime its interfaces record, else its
// last packet. It is the offline counterpart of feeding a live Tracker:
// the report is the same. Packets on interfaces of other link types are
// counted, skipped and reported as a CheckCapture finding per
// interface. A capture cut short (a truncated last packet) still gives a
// report, with a link-level finding saying so.
func Analyze(r io.Reader) (*Report, error) {
	return AnalyzeAt(r, time.Time{})
}

// AnalyzeAt is Analyze as of time at: frames captured after at are
// ignored, and verdicts are those at that moment (Report.End is at). A
// zero at means the end of the capture, as Analyze.
func AnalyzeAt(r io.Reader, at time.Time) (*Report, error) {
	return AnalyzeWith(r, AnalyzeOptions{At: at})
}

// AnalyzeOptions tune AnalyzeWith.
type AnalyzeOptions struct {
	// At is the evaluation time; zero means the end of the capture.
	At time.Time
	// Tracker are the tracker's options (Source.Kind is set to file).
	Tracker Options
}

// AnalyzeWith is AnalyzeAt with tracker options.
func AnalyzeWith(r io.Reader, o AnalyzeOptions) (*Report, error) {
	to := o.Tracker
	to.Source.Kind = SourceFile
	t := NewTracker(to)
	end, err := t.readCapture(r, o.At)
	if err != nil {
		return nil, err
	}
	if o.At.IsZero() {
		o.At = end
	}
	return t.Report(o.At), nil
}

// capLink is the state of one capture interface.
type capLink struct {
	conv             *wire.LinkConverter
	packets, skipped int
}

// readCapture feeds every frame of a pcap or pcapng capture to t, up to
// the first frame after until (zero: none). It returns the end of the
// capture: the latest isb_endtime when it is after the last packet, else
// the last packet (zero for an empty capture).
func (t *Tracker) readCapture(r io.Reader, until time.Time) (time.Time, error) {
	cr, err := wire.NewCaptureReader(r)
	if err != nil {
		return time.Time{}, err
	}
	if !cr.PcapNG() && cr.Converter(0) == nil {
		return time.Time{},
			fmt.Errorf("conformance: %s: %w", wire.LinkTypeName(cr.Interface(0).LinkType), ErrUnsupportedLinkType)
	}
	p := newPipeline(t)
	links, last, err := t.decodeCapture(cr, until, p)
	p.close()
	if err != nil {
		t.truncated(err)
	}
	if err := t.linkFindings(cr, links); err != nil {
		return time.Time{}, err
	}
	if end := cr.End(); end.After(last) {
		return end, nil
	}
	return last, nil
}

// decodeCapture reads and decodes cr's records up to until (zero: all)
// and hands the packets to p in capture order, numbered as Wireshark
// numbers frames. It returns each interface's counts, the last packet's
// time, and the error that cut the capture short, if any.
func (t *Tracker) decodeCapture(cr *wire.CaptureReader, until time.Time, p *pipeline) ([]capLink, time.Time, error) {
	var links []capLink
	var last time.Time
	for n := 1; ; n++ {
		rec, err := cr.Next()
		if errors.Is(err, io.EOF) {
			return links, last, nil
		}
		if err != nil {
			return links, last, err
		}
		if !until.IsZero() && rec.Time.After(until) {
			return links, last, nil
		}
		for len(links) <= rec.Iface {
			i := len(links)
			links = append(links, capLink{conv: cr.Converter(i)})
		}
		if rec.Time.After(last) {
			last = rec.Time
		}
		l := &links[rec.Iface]
		l.packets++
		if l.conv == nil {
			l.skipped++
			p.send(wire.Packet{N: n, Time: rec.Time, Length: len(rec.Data)})
			continue
		}
		pkt, _ := wire.Decode(l.conv.Frame(rec.Data), rec.Time, n) // Problems are in pkt.
		p.send(pkt)
	}
}

// pipelineBatch is how many decoded packets go to the tracker at once.
const pipelineBatch = 512

// pipeline hands decoded packets to the tracker on another goroutine, in
// batches: reading and decoding (which copies what it keeps out of the
// frame) overlap with tracking, and the order is kept.
type pipeline struct {
	t     *Tracker
	batch []wire.Packet
	full  chan []wire.Packet
	free  chan []wire.Packet
	done  chan struct{}
}

func newPipeline(t *Tracker) *pipeline {
	p := &pipeline{t: t, full: make(chan []wire.Packet, 4), free: make(chan []wire.Packet, 6),
		done: make(chan struct{})}
	go func() {
		defer close(p.done)
		for b := range p.full {
			t.observeAll(b)
			clear(b)
			select {
			case p.free <- b[:0]:
			default: // Enough spare batches already.
			}
		}
	}()
	return p
}

// send queues pkt for the tracker.
func (p *pipeline) send(pkt wire.Packet) {
	if p.batch == nil {
		select {
		case p.batch = <-p.free:
		default:
			p.batch = make([]wire.Packet, 0, pipelineBatch)
		}
	}
	p.batch = append(p.batch, pkt)
	if len(p.batch) == pipelineBatch {
		p.full <- p.batch
		p.batch = nil
	}
}

// close hands over the last packets and waits until all are tracked.
func (p *pipeline) close() {
	if len(p.batch) > 0 {
		p.full <- p.batch
	}
	close(p.full)
	<-p.done
}

// observeAll adds decoded packets in order under one lock.
func (t *Tracker) observeAll(ps []wire.Packet) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range ps {
		t.observe(ps[i])
	}
}

// linkFindings reports, per interface, the packets skipped and the MACs
// synthesised; it fails when every packet was skipped.
func (t *Tracker) linkFindings(cr *wire.CaptureReader, links []capLink) error {
	total, skipped := 0, 0
	var first string
	for i, l := range links {
		total += l.packets
		skipped += l.skipped
		ifc := cr.Interface(i)
		what := fmt.Sprintf("interface %d", i)
		if ifc.Name != "" {
			what += " (" + ifc.Name + ")"
		}
		switch {
		case l.skipped > 0:
			msg := fmt.Sprintf("%s: %d packets skipped: link type %s is not one the observer reads (Ethernet, Linux cooked SLL/SLL2, raw IP)",
				what, l.skipped, wire.LinkTypeName(ifc.LinkType))
			if first == "" {
				first = msg
			}
			t.linkFinding(SeverityWarning, msg)
		case l.conv.Raw() && l.packets > 0:
			t.linkFinding(SeverityInfo, what+": raw IP, no link-layer header: clients are keyed by the link-layer "+
				"address of their Neighbor Discovery options, else the MAC of an EUI-64 interface identifier, else a "+
				"locally administered MAC hashed from the interface identifier; one host's addresses with different "+
				"interface identifiers (temporary or RFC 7217 stable-privacy addresses) show as separate clients")
		}
	}
	if total > 0 && skipped == total {
		return fmt.Errorf("conformance: %s: %w", first, ErrUnsupportedLinkType)
	}
	return nil
}

// linkFinding adds a CheckCapture finding about the capture file.
func (t *Tracker) linkFinding(severity, msg string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.linkFind.add(Finding{ID: CheckCapture, Severity: severity, Time: t.start, Message: msg}, "capture:"+msg)
}

// truncated records that the capture ended in a damaged packet.
func (t *Tracker) truncated(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.linkFind.add(Finding{ID: wire.CheckDecode, Severity: SeverityWarning, Time: t.last,
		Message: fmt.Sprintf("capture ends in a damaged record after packet %d: %v", t.packets, err)}, "truncated")
}
