package wire

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/conformance/internal/frametest"
)

// captureFrames is a short exchange: a DAD probe, an RS, an RA with
// RDNSS, a DNS query and its answer.
func captureFrames(t testing.TB) []frametest.TF {
	c, ll := frametest.ClientMAC, frametest.ClientLL
	return []frametest.TF{
		frametest.At(0, frametest.DAD(t, c, ll)), frametest.At(0.5, frametest.RS(t, c, ll)),
		frametest.At(0.7, frametest.RA(t, frametest.RASpec{Lifetime: 1800 * time.Second, O: true,
			RDNSS: frametest.RDNSS(60*time.Second, frametest.DNSServer)})),
		frametest.At(3, frametest.Query(t, c, ll, frametest.DNSServer, 1)),
		frametest.At(3.01, frametest.Answer(t, c, ll, frametest.DNSServer, 1)),
	}
}

// readAll reads every record of a capture with the production reader.
func readAll(b []byte) (n int, end time.Time, err error) {
	cr, err := NewCaptureReader(bytes.NewReader(b))
	if err != nil {
		return 0, time.Time{}, err
	}
	for {
		_, err := cr.Next()
		if errors.Is(err, io.EOF) {
			return n, cr.End(), nil
		}
		if err != nil {
			return n, cr.End(), err
		}
		n++
	}
}

// FuzzCapReader checks that no file makes the capture reader panic or
// fail without one of its errors.
func FuzzCapReader(f *testing.F) {
	frames := captureFrames(f)
	f.Add(frametest.CapWriter(f, frames, 120*time.Second))
	f.Add(frametest.PcapOf(f, linkTypeLinuxSLL2, frames))
	f.Add(frametest.PcapOf(f, linkTypeRaw, frames[:3]))
	big := (&frametest.NgFile{Big: true}).Shb().Idb(linkTypeIPv6, "tun0", 6, 100).Epb(0, 5, frametest.LinkRecord(linkTypeIPv6, frames[0].Frame)).Isb(0, 6, 9)
	f.Add(big.Shb().Idb(linkTypeEthernet, "", 0x80|10, 0).Block(blockSPB, append([]byte{0, 0, 0, 60}, frames[1].Frame...)).B)
	dc := (&frametest.NgFile{}).Shb().Idb(linkTypeEthernet, "lab0", 9, 0).Epb(0, 5e9, frames[0].Frame)
	f.Add(dc.Block(blockISB, append(dc.TS(dc.Order().AppendUint32(nil, 0), 9e6),
		dc.Opts(dc.Opt(optIsbStart, dc.TS(nil, 4e6)), dc.Opt(optIsbEnd, dc.TS(nil, 9e6)))...)).B)
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _, err := readAll(b)
		if err != nil && !errors.Is(err, ErrUnknownFormat) && !errors.Is(err, ErrDamagedCapture) && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("error %v wraps none of the reader's", err)
		}
	})
}

func TestLinkTypeName(t *testing.T) {
	got := []string{LinkTypeName(1), LinkTypeName(4242)}
	if diff := cmp.Diff([]string{"Ethernet (LINKTYPE 1)", "LINKTYPE 4242"}, got); diff != "" {
		t.Error(diff)
	}
}
