package capture

import (
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/mdlayher/packet"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// BenchmarkListenerThroughput measures how many frames per second a
// Listener delivers, and how many the kernel drops, when the other end of
// a lab host's link sends DHCPv6-sized frames as fast as it can across
// the lab bridge. It needs root.
func BenchmarkListenerThroughput(b *testing.B) {
	lab := netlabtest.New(b)
	rtr, cli := lab.Router(), lab.Host(b, "c1", clientMAC)
	l, err := listenIn(rtr)
	if err != nil {
		b.Fatalf("listenIn: %v", err)
	}
	defer l.Close()
	var tx *packet.Conn
	if err := cli.Do(func() error {
		ifi, err := net.InterfaceByName(cli.IfName)
		if err != nil {
			return err
		}
		tx, err = packet.Listen(ifi, packet.Raw, etherTypeIPv6, nil)
		return err
	}); err != nil {
		b.Fatalf("sender: %v", err)
	}
	defer tx.Close()

	// An Information-Request-sized UDP datagram to ff02::1:2 port 547:
	// kept by the filter, ignored by the router namespace's kernel.
	f := frame(0x86dd, 17, append(ports(546, 547), make([]byte, 60)...))
	copy(f[0:6], []byte{0x33, 0x33, 0, 1, 0, 2})
	dst := &packet.Addr{HardwareAddr: net.HardwareAddr{0x33, 0x33, 0, 1, 0, 2}}

	b.SetBytes(int64(len(f)))
	b.ResetTimer()
	sent := make(chan error, 1)
	go func() {
		for range b.N {
			if _, err := tx.WriteTo(f, dst); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()
	got := 0
	start, last := time.Now(), time.Now()
	for got < b.N {
		if err := l.SetReadDeadline(time.Now().Add(2 * time.Second)); err != nil {
			b.Fatal(err)
		}
		if _, err := l.ReadPacket(); err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				break // the rest was dropped
			}
			b.Fatal(err)
		}
		got++
		last = time.Now()
	}
	b.StopTimer()
	if err := <-sent; err != nil {
		b.Fatalf("sending: %v", err)
	}
	st, err := l.Stats()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(got)/float64(b.N), "delivered/op")
	b.ReportMetric(float64(got)/last.Sub(start).Seconds(), "frames/s")
	b.ReportMetric(float64(st.KernelDrops), "kernel-drops")
}
