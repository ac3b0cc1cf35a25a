// Package advlab is the former test support of the advertiser and
// "ralab serve" integration tests: two fresh network namespaces joined by
// a veth pair, background commands inside them, and a reader for tcpdump
// captures. Everything it creates is named with a random per-run prefix
// and removed at test cleanup.
//
// Only the cmd/ralab serve tests still use it; the advertiser's tests run
// on package netlab (netlabtest.New, Host.StartPcap, netlab.ReadPcap,
// Host.Do). Once cmd/ralab's tests have moved too, delete this package.
package advlab
