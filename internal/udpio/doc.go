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
// Guard keeps replies to on-link destinations that never answer Neighbor
// Discovery from filling the socket's send buffer. Linux holds a packet
// for an unresolved neighbour in that neighbour's queue (unres_qlen_bytes)
// for up to MAX_MULTICAST_SOLICIT × RETRANS_TIMER (3 s, RFC 4861 §7.2.2,
// §10), and the packet stays charged to the sending socket all that time.
// Measured on Linux 6.18 with ralab before this package: 150 spoofed
// Information-Requests a second from on-link addresses that never answer
// NS filled the default 208 KiB send buffer within seconds, the blocking
// write then stalled the only serving goroutine, and 11 of 11 legitimate
// Information-Requests went unanswered. The cure has three parts:
//
//   - writes never block (MSG_DONTWAIT), so one slow destination cannot
//     hold back the replies to others; a full buffer costs the replies
//     that do not fit, counted, not the server;
//   - Tune raises the send buffer (SO_SNDBUFFORCE, else SO_SNDBUF) to
//     SendBuffer, room for a reply held for every neighbour the kernel's
//     table can hold unresolved (gc_thresh3, 1024 by default) times
//     Budget;
//   - Guard lets at most Budget replies a window go to a destination
//     without looking at its neighbour entry; beyond that it asks the
//     kernel (RTM_GETNEIGH) and drops replies while the entry is
//     INCOMPLETE or FAILED. A destination whose entry is valid (or that
//     has none: it is reached through a router) is trusted for a second.
//     Legitimate clients answer NS, so their entries resolve and their
//     replies flow; a spoofed source pins at most Budget replies.
//
// Several workers per socket were measured too: they share the socket's
// send buffer, so once it is full they all wait; more workers only help
// throughput, which is why the servers run one per core in addition.
package udpio
