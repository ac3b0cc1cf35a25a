// Package advertisertest runs an advertiser.Advertiser without root and
// without a network: Link is an interface whose state a test sets (it
// appears, goes away, comes back with a new index), Dialer opens a Conn
// in memory for each usable incarnation of it, and a test writes Router
// Solicitations into that Conn and reads the RAs the advertiser wrote.
// Sysctls creates the per-interface sysctl files the advertiser changes
// and restores, in a temporary directory. Together they are the seam of
// advertiser.Options.Watch and Options.Dial, as CoreRAD tests its
// advertiser through its system.Dialer.
package advertisertest
