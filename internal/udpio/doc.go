// Package udpio moves UDP datagrams for ralab's servers (DHCPv6 and the
// lab DNS responder) in batches, without allocating per datagram and
// without ever waiting to send.
//
// Reader receives up to a batch of datagrams with one recvmmsg(2) call,
// with each datagram's source, destination address (IPV6_PKTINFO) and the
// socket's kernel receive-queue drop counter (SO_RXQ_OVFL). Writer sends
// a batch with sendmmsg(2) and MSG_DONTWAIT: a reply the kernel cannot
// take at once is dropped and reported, never waited for.
//
// Both work on a Socket, which Adopt takes over from a *net.UDPConn. A
// Socket is outside Go's network poller: Reader waits in recvmmsg itself,
// on its goroutine's thread, until a datagram comes, the socket's wake
// interval passes or Shutdown wakes it. The poller registers every socket
// for writability as well, and Linux signals writability each time a
// sent datagram is freed, so a server polled by Go woke its poller once
// per reply for nothing. Measured with scripts/bench-peers' link and load
// (64 Information-Requests outstanding, 4 s runs alternating between the
// two builds, 3 pairs): the poller-driven server answered 51,700-63,100 a
// second at 12.6-14.3 µs of its CPU a reply; with Socket, 61,600-76,600
// at 9.6-11.3 µs. Waiting in recvmmsg while the socket stayed with the
// poller was slower than either (33,000-49,000).
//
// Guard keeps replies to on-link destinations that never answer Neighbor
// Discovery from filling the socket's send buffer. Linux holds a packet
// for an unresolved neighbour in that neighbour's queue (unres_qlen_bytes)
// for up to MAX_MULTICAST_SOLICIT × RETRANS_TIMER (3 s, RFC 4861 §7.2.2,
// §10), and the packet stays charged to the sending socket all that time:
// about 800 bytes of kernel memory for a 100-byte reply.
//
// Measured with TestSpoofedOnLinkFlood of package e2e (150 spoofed
// Information-Requests, then DNS queries, a second from 32 on-link
// addresses nobody owns, 16 legitimate requests meanwhile; Linux 6.18, 2
// shared cores):
//
//   - blocking writes on one goroutine (ralab before this package): 10 of
//     16 legitimate requests answered, for DHCPv6 and for DNS;
//   - non-blocking writes, default send buffer (208 KiB), no guard: 12 of
//     16; about 370 replies dropped as the buffer was full, legitimate
//     ones among them;
//   - non-blocking writes, SendBuffer, no guard: 16 of 16, but up to
//     350 KiB of replies to the spoofed addresses held in the kernel;
//   - all three parts below: 16 of 16, and at most 104 KiB held (the
//     Budget of each spoofed address), while 439 DHCPv6 and 644 DNS
//     replies to them were never handed to the kernel.
//
// So the cure has three parts:
//
//   - writes never block (MSG_DONTWAIT), so one slow destination cannot
//     hold back the replies to others; a full buffer costs the replies
//     that do not fit, counted, not the server;
//   - Adopt raises the send buffer (SO_SNDBUFFORCE, else SO_SNDBUF) to
//     SendBuffer, room for Budget replies to every one of the 1,024
//     unresolved neighbours the kernel's table holds by default
//     (net.ipv6.neigh.default.gc_thresh3);
//   - Guard lets at most Budget replies a Window go to a destination
//     without looking at its neighbour entry; beyond that it asks the
//     kernel (RTM_GETNEIGH) and drops replies while the entry is
//     INCOMPLETE or FAILED. A destination whose entry is valid, or that
//     has none although replies went to it (it is reached through a
//     router), is trusted for a second. Legitimate clients answer NS, so
//     their entries resolve and their replies flow; a spoofed source pins
//     at most Budget replies.
//
// Several workers sharing one socket do not help here: they share its
// send buffer, so once it is full a blocking write stalls them all. The
// servers run one worker per core for throughput. The kernel's neighbour
// table is shared by every network namespace; when a flood fills it
// (table_fulls in /proc/net/stat/ndisc_cache) no server can reach a new
// neighbour until it drains.
package udpio
