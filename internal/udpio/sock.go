package udpio

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// SendBuffer is the send buffer tune asks for: room for Budget replies of
// about 1 KiB of kernel memory each (a small datagram's skb truesize) to
// every one of the 1,024 unresolved neighbours the kernel's table holds
// by default (net.ipv6.neigh.default.gc_thresh3), twice over. The kernel
// doubles the value it is given and charges only what is in flight.
const SendBuffer = 4 << 20

// tune prepares a UDP socket for a server: it enables SO_RXQ_OVFL, so
// that Reader reports the kernel's receive-queue drops, and raises the
// send buffer to SendBuffer with SO_SNDBUFFORCE (CAP_NET_ADMIN), falling
// back to SO_SNDBUF, which the kernel caps at net.core.wmem_max.
func tune(fd int) error {
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RXQ_OVFL, 1); err != nil {
		return fmt.Errorf("udpio: setsockopt SO_RXQ_OVFL: %w", err)
	}
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, SendBuffer) == nil {
		return nil
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, SendBuffer); err != nil {
		return fmt.Errorf("udpio: setsockopt SO_SNDBUF: %w", err)
	}
	return nil
}
