package udpio

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"
)

// FuzzParseControl feeds arbitrary control-message buffers to
// parseControl, which must never read past them or panic.
func FuzzParseControl(f *testing.F) {
	pktinfo := make([]byte, cmsgAlign(unix.SizeofCmsghdr+unix.SizeofInet6Pktinfo))
	binary.NativeEndian.PutUint64(pktinfo, uint64(unix.SizeofCmsghdr+unix.SizeofInet6Pktinfo))
	binary.NativeEndian.PutUint32(pktinfo[8:], unix.IPPROTO_IPV6)
	binary.NativeEndian.PutUint32(pktinfo[12:], unix.IPV6_PKTINFO)
	ovfl := make([]byte, cmsgAlign(unix.SizeofCmsghdr+4))
	binary.NativeEndian.PutUint64(ovfl, uint64(unix.SizeofCmsghdr+4))
	binary.NativeEndian.PutUint32(ovfl[8:], unix.SOL_SOCKET)
	binary.NativeEndian.PutUint32(ovfl[12:], unix.SO_RXQ_OVFL)
	f.Add(append(pktinfo, ovfl...))
	f.Add(pktinfo[:20])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		parseControl(b)
	})
}

// FuzzParseNeighAnswer feeds arbitrary netlink answers to
// parseNeighAnswer.
func FuzzParseNeighAnswer(f *testing.F) {
	f.Add([]byte{28, 0, 0, 0, 28, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0}, uint32(7))
	f.Add([]byte{20, 0, 0, 0, 2, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff}, uint32(7))
	f.Fuzz(func(t *testing.T, b []byte, seq uint32) {
		state, found, done, err := parseNeighAnswer(b, seq)
		if !done && (found || err != nil || state != 0) {
			t.Errorf("not done but %#x, %v, %v", state, found, err)
		}
	})
}
