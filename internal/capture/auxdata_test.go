package capture

import (
	"encoding/binary"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// cmsg builds one control message as recvmsg(2) returns it.
func cmsg(level, typ int32, data []byte) []byte {
	b := make([]byte, unix.CmsgSpace(len(data)))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
	h.Level, h.Type = level, typ
	h.SetLen(unix.CmsgLen(len(data)))
	copy(b[unix.CmsgLen(0):], data)
	return b
}

// rawAuxdata encodes a struct tpacket_auxdata in host byte order.
func rawAuxdata(status uint32, tci, tpid uint16) []byte {
	b := make([]byte, sizeofAuxdata)
	binary.NativeEndian.PutUint32(b[0:4], status)
	binary.NativeEndian.PutUint32(b[4:8], 100)
	binary.NativeEndian.PutUint32(b[8:12], 100)
	binary.NativeEndian.PutUint16(b[16:18], tci)
	binary.NativeEndian.PutUint16(b[18:20], tpid)
	return b
}

// rawTimespec encodes a 64-bit struct timespec in host byte order.
func rawTimespec(sec, nsec int64) []byte {
	b := make([]byte, sizeofTimespec)
	binary.NativeEndian.PutUint64(b[0:8], uint64(sec))
	binary.NativeEndian.PutUint64(b[8:16], uint64(nsec))
	return b
}

func TestParseControl(t *testing.T) {
	ts := time.Unix(1795000000, 123456789)
	tests := []struct {
		name string
		oob  []byte
		want auxdata
		ok   bool
		time time.Time
	}{
		{
			name: "checksum not ready and VLAN",
			oob:  cmsg(unix.SOL_PACKET, unix.PACKET_AUXDATA, rawAuxdata(unix.TP_STATUS_CSUMNOTREADY|unix.TP_STATUS_VLAN_VALID, 42, 0x8100)),
			want: auxdata{status: unix.TP_STATUS_CSUMNOTREADY | unix.TP_STATUS_VLAN_VALID, vlanTCI: 42, vlanTPID: 0x8100},
			ok:   true,
		},
		{
			name: "timestamp and auxdata",
			oob: append(cmsg(unix.SOL_SOCKET, unix.SCM_TIMESTAMPNS, rawTimespec(ts.Unix(), int64(ts.Nanosecond()))),
				cmsg(unix.SOL_PACKET, unix.PACKET_AUXDATA, rawAuxdata(unix.TP_STATUS_CSUMNOTREADY, 0, 0))...),
			want: auxdata{status: unix.TP_STATUS_CSUMNOTREADY},
			ok:   true,
			time: ts,
		},
		{name: "timestamp only", oob: cmsg(unix.SOL_SOCKET, unix.SCM_TIMESTAMPNS, rawTimespec(ts.Unix(), int64(ts.Nanosecond()))), time: ts},
		{name: "zero timestamp", oob: cmsg(unix.SOL_SOCKET, unix.SCM_TIMESTAMPNS, make([]byte, 16))},
		{name: "bad nanoseconds", oob: cmsg(unix.SOL_SOCKET, unix.SCM_TIMESTAMPNS, rawTimespec(5, 2e9))},
		{name: "short timestamp", oob: cmsg(unix.SOL_SOCKET, unix.SCM_TIMESTAMPNS, make([]byte, 8))},
		{name: "other message", oob: cmsg(unix.SOL_SOCKET, unix.SCM_CREDENTIALS, make([]byte, 12))},
		{name: "short auxdata", oob: cmsg(unix.SOL_PACKET, unix.PACKET_AUXDATA, make([]byte, 8))},
		{name: "none", oob: nil},
		{name: "garbage", oob: []byte{0xff, 0xff, 0xff, 0xff, 1, 2, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseControl(tt.oob)
			want := control{aux: tt.want, hasAux: tt.ok, time: tt.time}
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(control{}, auxdata{})); diff != "" {
				t.Fatalf("control (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzParseControl checks that any control data from recvmsg(2) gives
// what it holds or nothing, never a panic: a timestamp only if it is a
// valid one, auxdata only from a PACKET_AUXDATA message.
func FuzzParseControl(f *testing.F) {
	ts := time.Unix(1795000000, 123456789)
	f.Add(append(cmsg(unix.SOL_SOCKET, unix.SCM_TIMESTAMPNS, rawTimespec(ts.Unix(), int64(ts.Nanosecond()))),
		cmsg(unix.SOL_PACKET, unix.PACKET_AUXDATA, rawAuxdata(unix.TP_STATUS_VLAN_VALID, 42, 0x88a8))...))
	f.Add(cmsg(unix.SOL_PACKET, unix.PACKET_AUXDATA, make([]byte, 8)))
	f.Add(cmsg(unix.SOL_SOCKET, unix.SCM_TIMESTAMPNS, rawTimespec(-1, 2e9)))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1, 2, 3})
	f.Fuzz(func(t *testing.T, oob []byte) {
		c := parseControl(oob)
		if !c.time.IsZero() && (c.time.Unix() <= 0 || c.time.Nanosecond() >= 1e9) {
			t.Fatalf("timestamp %v accepted", c.time)
		}
		if c.hasAux && len(oob) < unix.CmsgLen(sizeofAuxdata) {
			t.Fatalf("auxdata %+v from %d bytes of control data", c.aux, len(oob))
		}
		if !c.hasAux && c.aux != (auxdata{}) {
			t.Fatalf("auxdata %+v without hasAux", c.aux)
		}
	})
}
