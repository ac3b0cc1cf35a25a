package capture

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"
)

// ethPAll is ETH_P_ALL from linux/if_ether.h: bound to it, a packet socket
// also sees the frames the host itself sends (library-notes.md), which the
// observer needs to see ralab's own Router Advertisements and Replies.
const ethPAll = 0x0003

// readBufferSize bounds one read. It exceeds the largest IPv6 packet without
// a jumbogram plus an Ethernet header, and generic segmentation offload
// aggregates of outgoing TCP, so frames are not cut short in practice.
const readBufferSize = 1 << 18

// receiveBuffer is the socket receive buffer Listen asks for: it absorbs
// bursts (every client of a link re-provisioning after a flap) while the
// consumer catches up. BenchmarkListenerThroughput measures the effect.
const receiveBuffer = 4 << 20

// ErrNoHardwareAddr is returned by Listen for an interface without an
// Ethernet address (for example loopback or a tunnel): the filter and the
// pcapng link type assume Ethernet framing.
var ErrNoHardwareAddr = errors.New("capture: interface has no Ethernet address")

// Packet is one captured Ethernet frame.
type Packet struct {
	// Time is when the kernel received or sent the frame
	// (SO_TIMESTAMPNS), or when it was read if the kernel gave no time.
	Time time.Time
	// Data is the frame, from the Ethernet destination address on. A VLAN
	// tag the kernel took off is put back, as libpcap does.
	Data []byte
	// Length is the frame's full length; Data is shorter only when the
	// frame exceeded the read buffer.
	Length int
	// Outbound reports that the capturing interface sent the frame: its
	// Ethernet source is the interface's own address.
	Outbound bool
	// ChecksumFilled reports that the kernel handed over the frame before
	// checksum offload computed its transport checksum
	// (TP_STATUS_CSUMNOTREADY: frames the host sends, and frames from a
	// veth peer), so Listener computed it into Data, as it goes on the
	// wire. Without this, every such frame would look corrupt.
	ChecksumFilled bool
}

// Stats counts what a Listener has seen since it was opened.
type Stats struct {
	// Packets is the number of frames returned to the caller.
	Packets uint64
	// Bytes is the total length of those frames.
	Bytes uint64
	// KernelPackets is the number of frames that passed the filter in the
	// kernel, dropped ones included (PACKET_STATISTICS tp_packets).
	KernelPackets uint64
	// KernelDrops is the number of frames the kernel dropped because the
	// socket's receive buffer was full.
	KernelDrops uint64
}

// A Listener captures the filtered frames of one interface.
type Listener struct {
	conn *packet.Conn
	raw  syscall.RawConn
	mac  net.HardwareAddr
	buf  []byte
	oob  []byte

	mu    sync.Mutex
	stats Stats
}

// Listen opens a promiscuous packet socket on ifi with Filter attached
// before bind. It needs CAP_NET_RAW: without it the error wraps
// os.ErrPermission.
func Listen(ifi *net.Interface) (*Listener, error) {
	if len(ifi.HardwareAddr) != 6 {
		return nil, fmt.Errorf("%w: %s", ErrNoHardwareAddr, ifi.Name)
	}
	filter, err := assembledFilter()
	if err != nil {
		return nil, err
	}
	conn, err := packet.Listen(ifi, packet.Raw, ethPAll, &packet.Config{Filter: filter})
	if err != nil {
		return nil, fmt.Errorf("capture: listening on %s: %w", ifi.Name, err)
	}
	// Promiscuous mode lets the observer see other hosts' DAD Neighbor
	// Solicitations and unicast exchanges that the NIC would otherwise
	// filter (library-notes.md). The kernel undoes it when the socket
	// closes.
	if err := conn.SetPromiscuous(true); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("capture: promiscuous mode on %s: %w", ifi.Name, err)
	}
	raw, err := conn.SyscallConn()
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("capture: %w", err)
	}
	// PACKET_AUXDATA (packet(7)) tells, per frame, whether its checksum
	// is still to be computed and which VLAN tag the kernel removed;
	// SO_TIMESTAMPNS (socket(7)) gives the time the kernel received or
	// sent it, free of this process's scheduling delays.
	var serr error
	err = raw.Control(func(fd uintptr) {
		serr = errors.Join(
			unix.SetsockoptInt(int(fd), unix.SOL_PACKET, unix.PACKET_AUXDATA, 1),
			unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1),
		)
		// Best effort: SO_RCVBUFFORCE needs CAP_NET_ADMIN, and plain
		// SO_RCVBUF is capped by net.core.rmem_max.
		if unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, receiveBuffer) != nil {
			_ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, receiveBuffer)
		}
	})
	if err = errors.Join(err, serr); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("capture: setting socket options on %s: %w", ifi.Name, err)
	}
	return &Listener{
		conn: conn,
		raw:  raw,
		mac:  ifi.HardwareAddr,
		buf:  make([]byte, readBufferSize),
		oob:  make([]byte, unix.CmsgSpace(sizeofAuxdata)+unix.CmsgSpace(sizeofTimespec)),
	}, nil
}

// Sizes of struct tpacket_auxdata (linux/if_packet.h) and of the struct
// timespec of SCM_TIMESTAMPNS on 64-bit platforms.
const (
	sizeofAuxdata  = 20
	sizeofTimespec = 16
)

// auxdata is the part of struct tpacket_auxdata that Listener uses.
type auxdata struct {
	status, vlanTCI, vlanTPID uint32
}

// control is what the control messages of one frame say.
type control struct {
	// aux is the PACKET_AUXDATA message, when hasAux.
	aux    auxdata
	hasAux bool
	// time is the kernel's SCM_TIMESTAMPNS; zero without one.
	time time.Time
}

// parseControl reads the PACKET_AUXDATA and SCM_TIMESTAMPNS control
// messages in oob; anything else, or anything too short, is ignored.
func parseControl(oob []byte) control {
	var c control
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return c
	}
	for _, m := range msgs {
		switch {
		case m.Header.Level == unix.SOL_PACKET && m.Header.Type == unix.PACKET_AUXDATA && len(m.Data) >= sizeofAuxdata:
			// tp_status, tp_len, tp_snaplen (u32), tp_mac, tp_net,
			// tp_vlan_tci, tp_vlan_tpid (u16), in host byte order.
			c.aux = auxdata{
				status:   binary.NativeEndian.Uint32(m.Data[0:4]),
				vlanTCI:  uint32(binary.NativeEndian.Uint16(m.Data[16:18])),
				vlanTPID: uint32(binary.NativeEndian.Uint16(m.Data[18:20])),
			}
			c.hasAux = true
		case m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SCM_TIMESTAMPNS &&
			len(m.Data) >= sizeofTimespec:
			sec := int64(binary.NativeEndian.Uint64(m.Data[0:8]))
			nsec := int64(binary.NativeEndian.Uint64(m.Data[8:16]))
			if sec > 0 && nsec >= 0 && nsec < 1e9 {
				c.time = time.Unix(sec, nsec)
			}
		}
	}
	return c
}

// insertVLAN puts back the 802.1Q tag that the kernel moved into the
// frame's metadata, after the two MAC addresses, as libpcap does.
func insertVLAN(frame []byte, a auxdata) []byte {
	if a.status&unix.TP_STATUS_VLAN_VALID == 0 || len(frame) < 12 {
		return frame
	}
	tpid := uint16(etherTypeVLAN)
	if a.status&unix.TP_STATUS_VLAN_TPID_VALID != 0 {
		tpid = uint16(a.vlanTPID)
	}
	out := make([]byte, 0, len(frame)+4)
	out = append(out, frame[:12]...)
	out = binary.BigEndian.AppendUint16(out, tpid)
	out = binary.BigEndian.AppendUint16(out, uint16(a.vlanTCI))
	return append(out, frame[12:]...)
}

// ReadPacket blocks until a frame arrives, the read deadline passes or the
// Listener is closed. The returned Data is a fresh copy the caller owns.
// ReadPacket must not be called from more than one goroutine at a time.
func (l *Listener) ReadPacket() (Packet, error) {
	var (
		n, oobn int
		rerr    error
	)
	err := l.raw.Read(func(fd uintptr) bool {
		// MSG_TRUNC makes n the frame's full length (packet(7)).
		n, oobn, _, _, rerr = unix.Recvmsg(int(fd), l.buf, l.oob, unix.MSG_TRUNC)
		return rerr != unix.EAGAIN
	})
	now := time.Now()
	if err == nil {
		err = rerr
	}
	if err != nil {
		return Packet{}, fmt.Errorf("capture: reading: %w", err)
	}
	data := bytes.Clone(l.buf[:min(n, len(l.buf))])
	p := Packet{Time: now, Data: data, Length: n}
	c := parseControl(l.oob[:oobn])
	if !c.time.IsZero() {
		p.Time = c.time
	}
	if c.hasAux {
		if tagged := insertVLAN(p.Data, c.aux); len(tagged) != len(p.Data) {
			p.Data = tagged
			p.Length += 4
		}
		if c.aux.status&unix.TP_STATUS_CSUMNOTREADY != 0 && len(p.Data) == p.Length {
			p.ChecksumFilled = fillChecksum(p.Data)
		}
	}
	p.Outbound = len(p.Data) >= 12 && bytes.Equal(p.Data[6:12], l.mac)
	l.mu.Lock()
	l.stats.Packets++
	l.stats.Bytes += uint64(p.Length)
	l.mu.Unlock()
	return p, nil
}

// SetReadDeadline sets the deadline for ReadPacket.
func (l *Listener) SetReadDeadline(t time.Time) error {
	if err := l.conn.SetReadDeadline(t); err != nil {
		return fmt.Errorf("capture: setting deadline: %w", err)
	}
	return nil
}

// Run calls handle with every frame until ctx ends (it then returns nil),
// handle returns an error, or reading fails.
func (l *Listener) Run(ctx context.Context, handle func(Packet) error) error {
	stop := context.AfterFunc(ctx, func() {
		// Wake the blocked read; the error is checked below via ctx.
		_ = l.conn.SetReadDeadline(time.Unix(1, 0))
	})
	defer stop()
	for {
		p, err := l.ReadPacket()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if err := handle(p); err != nil {
			return err
		}
	}
}

// Stats returns the counters since the Listener was opened. The kernel's
// counters are read (and reset in the kernel) on each call and accumulated
// here.
func (l *Listener) Stats() (Stats, error) {
	ks, err := l.conn.Stats()
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		return l.stats, fmt.Errorf("capture: reading socket statistics: %w", err)
	}
	l.stats.KernelPackets += uint64(ks.Packets)
	l.stats.KernelDrops += uint64(ks.Drops)
	return l.stats, nil
}

// Close closes the socket, which also ends promiscuous mode.
func (l *Listener) Close() error {
	if err := l.conn.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		return fmt.Errorf("capture: closing: %w", err)
	}
	return nil
}
