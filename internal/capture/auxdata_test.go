package capture

import (
	"encoding/binary"
	"testing"
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

func TestParseAuxdata(t *testing.T) {
	tests := []struct {
		name string
		oob  []byte
		want auxdata
		ok   bool
	}{
		{
			name: "checksum not ready and VLAN",
			oob:  cmsg(unix.SOL_PACKET, unix.PACKET_AUXDATA, rawAuxdata(unix.TP_STATUS_CSUMNOTREADY|unix.TP_STATUS_VLAN_VALID, 42, 0x8100)),
			want: auxdata{status: unix.TP_STATUS_CSUMNOTREADY | unix.TP_STATUS_VLAN_VALID, vlanTCI: 42, vlanTPID: 0x8100},
			ok:   true,
		},
		{
			name: "after another message",
			oob: append(cmsg(unix.SOL_SOCKET, unix.SCM_TIMESTAMPNS, make([]byte, 16)),
				cmsg(unix.SOL_PACKET, unix.PACKET_AUXDATA, rawAuxdata(unix.TP_STATUS_CSUMNOTREADY, 0, 0))...),
			want: auxdata{status: unix.TP_STATUS_CSUMNOTREADY},
			ok:   true,
		},
		{name: "other message only", oob: cmsg(unix.SOL_SOCKET, unix.SCM_TIMESTAMPNS, make([]byte, 16))},
		{name: "short auxdata", oob: cmsg(unix.SOL_PACKET, unix.PACKET_AUXDATA, make([]byte, 8))},
		{name: "none", oob: nil},
		{name: "garbage", oob: []byte{0xff, 0xff, 0xff, 0xff, 1, 2, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseAuxdata(tt.oob)
			if diff := cmp.Diff(tt.ok, ok); diff != "" {
				t.Fatalf("found (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(auxdata{})); diff != "" {
				t.Fatalf("auxdata (-want +got):\n%s", diff)
			}
		})
	}
}
