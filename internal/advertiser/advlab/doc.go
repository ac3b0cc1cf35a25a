// Package advlab is test support for the advertiser and "ralab serve"
// integration tests: two fresh network namespaces joined by a veth pair,
// background commands inside them, and a reader for tcpdump captures.
// Everything it creates is named with a random per-run prefix and removed
// at test cleanup. It is deliberately small; the project's full lab
// harness is package netlab.
package advlab
