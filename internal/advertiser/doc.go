// Package advertiser sends IPv6 Router Advertisements on one interface and
// answers its Router Solicitations, as RFC 4861 §6.2 describes for a
// router.
//
// It is split in two. Scheduler is the timing logic with no clock, socket
// or goroutine: initial and periodic unsolicited RAs (§6.2.4), delayed and
// rate-limited answers to solicitations (§6.2.6), unicast answers (RFC
// 7772 §5.1) limited per source and by a global token bucket, and the RA
// that announces a reload. Under a flood the bucket stays fair: a source
// that sends more RS than a host does (more than MAX_RTR_SOLICITATIONS
// within NoisyWindow) may not take its last half, which answers the hosts
// that solicit as hosts do. Advertiser is the transport: it waits for the
// interface to be up with a usable link-local address (netlink
// notifications plus a periodic re-check), binds the NDP socket by the
// index netlink reports for the interface (Go's own name-to-index cache
// lags a re-created interface by up to a minute), turns off the kernel's
// autoconfiguration from our own RAs (package sysctl, recorded first in
// Options.Journal for crash recovery), validates each RS
// (§6.1.1, ParseRS), sends the RAs that package ra builds, and sends the
// final RAs of §6.2.5 on shutdown. Metrics holds the Prometheus collectors
// shared by every Advertiser; Status is the JSON view of one.
//
// The link and the socket are seams, as CoreRAD's system.Dialer is:
// Options.Watch (a WatchFunc, by default WatchNetlink) reports the
// interface's LinkState, and Options.Dial (a DialFunc, by default
// DialNDP) opens a Conn, the NDP socket, for each usable incarnation of
// the link. Package advertisertest fills both in memory, so that the
// whole loop (schedule, RS answers, reload, shutdown, a link that goes
// away and comes back) runs in unit tests without root; the namespace
// tests run the real ones.
//
// SetImpairments puts an impair.Set on the send path, as ralab serve
// --scenario does: ConfigFor is called once before each RA is built, RA
// after it, and what RA returns goes on the wire at its times (delayed
// sends wait in a queue; replays come from Due when Next says). Unicast
// copies go through the NDP socket, IPv6 fragments (F13) through a raw
// IPPROTO_RAW socket and a fake second router's RAs (F15) as whole
// Ethernet frames through an AF_PACKET socket. An RS the impairments say
// not to answer is suppressed with reason "impairment"; every RS source
// is reported to the Set as a client on the link. Options.OnEffect and
// Options.OnSent tell an observer what each impairment did and both what
// the daemon meant to send and what went on the wire.
//
// Metrics, all labelled by interface: ralab_ra_sent_total{kind},
// ralab_ra_send_errors_total, ralab_rs_received_total,
// ralab_invalid_messages_total{reason},
// ralab_rs_answers_suppressed_total{reason},
// ralab_ra_last_multicast_timestamp_seconds,
// ralab_ra_advertised_lifetime_seconds{option},
// ralab_interface_advertising,
// ralab_ra_impaired_total{impairment,fid,action},
// ralab_ra_wire_packets_total{path} and
// ralab_socket_receive_drops_total{socket} (what the kernel dropped at
// the NDP socket before it was read, from /proc/net/raw6).
// ralab_ra_sent_total counts what the daemon meant to send, before
// impairments. Repeated log lines (invalid RS, each RS at debug level, a
// flapping link, retries, drops) go through rate limiters that report
// how many lines they held back.
package advertiser
